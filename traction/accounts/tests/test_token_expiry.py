"""API tokens expire: the lifetime chosen at creation, the refusal from the exact instant on
(the API's 401 says so and when, and nothing else), the pages that show it, the warning a
week before, and the migration that leaves older tokens without an expiry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from traction.accounts import selectors, services
from traction.accounts.models import ApiToken, Notice, User, Workspace
from traction.core import clock, periodic
from traction.core.errors import Unauthenticated, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.migrations import back_to_latest
from traction.core.testing.migrations import migrate as walk

T0 = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def html(response) -> str:
    return response.content.decode()


def bearer(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


# --- creating: the lifetime -----------------------------------------------------------------


def test_a_token_expires_90_days_on_unless_another_lifetime_is_chosen(cast):
    viewer = cast.viewer("observer")
    with clock.frozen(T0):
        default, _ = services.create_api_token(viewer, name="default")
        short, _ = services.create_api_token(viewer, name="short", lifetime_days=30)
        year, _ = services.create_api_token(viewer, name="year", lifetime_days=365)
        never, _ = services.create_api_token(viewer, name="never", lifetime_days=None)
    assert default.expires_at == T0 + timedelta(days=90)
    assert short.expires_at == T0 + timedelta(days=30)
    assert year.expires_at == T0 + timedelta(days=365)
    assert never.expires_at is None
    created = AuditEvent.objects.filter(action="token.created").order_by("pk")
    assert [e.changes for e in created] == [
        {"expires_at": "2027-03-07T09:30:00.000Z"},
        {"expires_at": "2027-01-06T09:30:00.000Z"},
        {"expires_at": "2027-12-07T09:30:00.000Z"},
        {"expires_at": None},
    ]


@pytest.mark.parametrize("days", [0, 7, 89, 366, -30])
def test_only_the_offered_lifetimes_are_taken(cast, days):
    with pytest.raises(ValidationFailed) as refused:
        services.create_api_token(cast.viewer("observer"), name="odd", lifetime_days=days)
    assert refused.value.errors == {
        "expires_in": ["Choose how long the token works: 30, 90, 365 (days) or none."]
    }
    assert not ApiToken.objects.exists()


# --- the boundary ---------------------------------------------------------------------------


def test_a_token_is_refused_from_the_exact_instant_it_expires(cast):
    with clock.frozen(T0) as frozen:
        token, key = services.create_api_token(
            cast.viewer("core_team"), name="nightly", lifetime_days=30
        )
        expires_at = T0 + timedelta(days=30)
        frozen.at = expires_at - timedelta(microseconds=1)
        assert selectors.viewer_for_token(key) is not None  # the last moment it works
        token.refresh_from_db()
        assert token.last_used_at == expires_at - timedelta(microseconds=1)
        assert token.status == "active"

        frozen.at = expires_at  # expiring exactly now: expired
        with pytest.raises(Unauthenticated) as refused:
            selectors.viewer_for_token(key)
        assert refused.value.message == (
            "This API token expired at 2027-01-06 09:30:00 UTC and no longer works. "
            "Create a new one (API tokens in the web app, or 'traction token create')."
        )
        token.refresh_from_db()
        assert token.status == "expired"
        frozen.advance(days=400)
        with pytest.raises(Unauthenticated):
            selectors.viewer_for_token(key)
    # A refused token's last use is not recorded.
    token.refresh_from_db()
    assert token.last_used_at == expires_at - timedelta(microseconds=1)
    assert token.revoked_at is None


def test_the_instant_is_the_same_in_every_time_zone(cast):
    """Expiry is an instant: 30 days are 30 × 24 hours, across a change of daylight saving
    time too, and the clock read in another zone is the same instant."""
    berlin = ZoneInfo("Europe/Berlin")
    created = datetime(2026, 10, 20, 10, 0, tzinfo=berlin)  # CEST, UTC+2
    with clock.frozen(created) as frozen:
        token, key = services.create_api_token(
            cast.viewer("observer"), name="sync", lifetime_days=30
        )
        assert token.expires_at == datetime(2026, 11, 19, 8, 0, tzinfo=UTC)
        # 09:00 in Berlin (CET, UTC+1): the wall clock moved with the time change.
        assert token.expires_at.astimezone(berlin).hour == 9
        frozen.at = datetime(2026, 11, 19, 20, 59, 59, tzinfo=ZoneInfo("Pacific/Auckland"))
        assert selectors.viewer_for_token(key) is not None  # 07:59:59 UTC
        frozen.at = datetime(2026, 11, 19, 3, 0, tzinfo=ZoneInfo("America/New_York"))  # 08:00 UTC
        with pytest.raises(Unauthenticated, match="expired at 2026-11-19 08:00:00 UTC"):
            selectors.viewer_for_token(key)


def test_a_revoked_token_that_expired_too_is_refused_as_revoked(cast):
    with clock.frozen(T0) as frozen:
        token, key = services.create_api_token(cast.viewer("observer"), name="x")
        services.revoke_api_token(cast.viewer("observer"), token=token)
        frozen.advance(days=91)
        assert selectors.viewer_for_token(key) is None
        token.refresh_from_db()
        assert token.status == "revoked"


# --- the API --------------------------------------------------------------------------------


def test_the_api_answers_401_saying_the_token_expired_and_when_and_nothing_else(cast):
    with clock.frozen(T0) as frozen:
        token, key = services.create_api_token(
            cast.viewer("facilitator"), name="Jira sync", lifetime_days=30
        )
        assert bearer(key).get("/api/v1/me").status_code == 200
        token.refresh_from_db()
        used = token.last_used_at
        frozen.advance(days=30)
        response = bearer(key).get("/api/v1/me")
        assert response.status_code == 401
        assert response.json() == {
            "detail": "This API token expired at 2027-01-06 09:30:00 UTC and no longer works. "
            "Create a new one (API tokens in the web app, or 'traction token create')."
        }
        assert response["WWW-Authenticate"] == 'Bearer realm="traction", error="invalid_token"'
        body = response.content.decode()
        for secret in ("Jira sync", token.hint, "alice", "acme", "facilitator"):
            assert secret.lower() not in body.lower()
        # A write is refused the same way, and nothing is written.
        refused = bearer(key).post("/api/v1/customers", {}, content_type="application/json")
        assert refused.status_code == 401
        token.refresh_from_db()
        assert token.last_used_at == used
        # An unknown key and a revoked token still get the general answer.
        unknown = bearer(key[:-2] + "zz").get("/api/v1/me")
        assert unknown.status_code == 401
        assert "expired" not in unknown.json()["detail"]
        assert unknown["WWW-Authenticate"] == 'Bearer realm="traction"'


# --- the pages ------------------------------------------------------------------------------


def test_the_tokens_page_takes_the_lifetime_and_shows_expiry_and_expired(cast, client_for):
    client = client_for("observer")
    url = reverse("accounts:tokens", args=["acme"])
    with clock.frozen(T0) as frozen:
        form = html(client.get(url))
        assert '<option value="90" selected>In 90 days</option>' in form
        assert '<option value="never">Never</option>' in form
        page = html(client.post(url, {"name": "Reporting script", "expires_in": "30"}))
        token = ApiToken.objects.get()
        assert token.expires_at == T0 + timedelta(days=30)
        assert "It expires on 6 Jan 2027 09:30" in page
        assert "<td>6 Jan 2027 09:30</td>" in page
        page = html(client.post(url, {"name": "Forever", "expires_in": "never"}))
        assert "It never expires" in page
        assert ApiToken.objects.get(name="Forever").expires_at is None
        # Nothing chosen: the default.
        client.post(url, {"name": "Plain"})
        assert ApiToken.objects.get(name="Plain").expires_at == T0 + timedelta(days=90)
        odd = html(client.post(url, {"name": "Odd", "expires_in": "7"}))
        assert "Select a valid choice." in odd
        assert not ApiToken.objects.filter(name="Odd").exists()

        frozen.advance(days=30)
        page = html(client.get(url))
        row = re.search(r"<td>Reporting script</td>.*?</tr>", page, re.S).group(0)
        assert '<span class="badge badge-muted">expired</span>' in row
        assert "Revoke" not in row  # nothing left to stop
        forever = re.search(r"<td>Forever</td>.*?</tr>", page, re.S).group(0)
        assert "<td>never</td>" in forever
        assert '<span class="badge badge-ok">active</span>' in forever


def test_the_pages_show_expiry_in_the_workspace_time_zone(cast, client_for):
    Workspace.objects.filter(pk=cast.acme.pk).update(time_zone="Pacific/Auckland")
    with clock.frozen(T0):  # 22:30 in Auckland (NZDT, UTC+13)
        services.create_api_token(cast.viewer("observer"), name="sync", lifetime_days=30)
        mine = html(client_for("observer").get(reverse("accounts:tokens", args=["acme"])))
        every = html(client_for("admin").get(reverse("accounts:workspace_tokens", args=["acme"])))
    for page in (mine, every):
        assert "<td>6 Jan 2027 22:30</td>" in page
        assert "(Pacific/Auckland)" in page


def test_an_admin_sees_whose_tokens_expired(cast, client_for):
    with clock.frozen(T0) as frozen:
        services.create_api_token(cast.viewer("observer"), name="old", lifetime_days=30)
        services.create_api_token(cast.viewer("facilitator"), name="new", lifetime_days=365)
        frozen.advance(days=31)
        page = html(client_for("admin").get(reverse("accounts:workspace_tokens", args=["acme"])))
    old = re.search(r"<td>old</td>.*?</tr>", page, re.S).group(0)
    new = re.search(r"<td>new</td>.*?</tr>", page, re.S).group(0)
    assert "expired</span>" in old
    assert "Revoke" not in old
    assert "active</span>" in new
    assert "Revoke" in new


# --- the warning a week before --------------------------------------------------------------


def test_owners_are_told_once_a_week_before_their_token_expires(
    cast, django_capture_on_commit_callbacks
):
    observer, core_team = cast.viewer("observer"), cast.viewer("core_team")
    with clock.frozen(T0) as frozen:
        soon, _ = services.create_api_token(observer, name="soon", lifetime_days=30)
        services.create_api_token(observer, name="later", lifetime_days=90)
        services.create_api_token(observer, name="never", lifetime_days=None)
        gone, _ = services.create_api_token(observer, name="gone", lifetime_days=30)
        services.revoke_api_token(observer, token=gone)
        services.create_api_token(core_team, name="inactive owner", lifetime_days=30)
        User.objects.filter(pk=core_team.user_id).update(is_active=False)

        frozen.at = T0 + timedelta(days=23, seconds=-1)  # 7 days and a second before "soon" expires
        with django_capture_on_commit_callbacks(execute=True):
            assert services.warn_expiring_api_tokens() == {"warned": 0}
        frozen.advance(seconds=1)  # exactly 7 days before
        with django_capture_on_commit_callbacks(execute=True):
            assert services.warn_expiring_api_tokens() == {"warned": 1}
        with django_capture_on_commit_callbacks(execute=True):
            assert services.warn_expiring_api_tokens() == {"warned": 0}  # once

    assert [m.to for m in mail.outbox] == [["olive@acme.test"]]
    assert mail.outbox[0].subject == "Your API token “soon” expires on 6 Jan 2027"
    assert "http://127.0.0.1:8000/w/acme/settings/tokens/" in mail.outbox[0].body
    notice = Notice.objects.get()
    assert (notice.user_id, notice.link) == (observer.user_id, "/w/acme/settings/tokens/")
    assert notice.text == (
        f"Your API token “soon” ({soon.hint}…) expires on 6 Jan 2027 09:30 (UTC)."
    )
    soon.refresh_from_db()
    assert soon.expiry_warned_at is not None
    # Revoking the token answers the notice.
    services.revoke_api_token(observer, token=soon)
    notice.refresh_from_db()
    assert notice.resolved_at is not None


def test_the_email_says_how_to_stop_it_and_an_opted_out_owner_gets_the_notice_alone(
    cast, client_for, django_capture_on_commit_callbacks
):
    observer, core_team = cast.viewer("observer"), cast.viewer("core_team")
    olive = client_for("observer")
    settings_page = html(olive.get("/w/acme/settings/"))
    assert 'action="/w/acme/settings/token-emails/"' in settings_page
    assert re.search(r'<input type="checkbox" name="expiry_emails"[^>]*checked', settings_page)
    # Olive turns the email off on her settings page (an unchecked box sends nothing).
    answer = olive.post("/w/acme/settings/token-emails/", {})
    assert answer.status_code == 302
    assert answer["Location"] == "/w/acme/settings/"
    settings_page = html(olive.get("/w/acme/settings/"))
    assert "Emails before a token expires: off. Saved." in settings_page
    assert not re.search(r'<input type="checkbox" name="expiry_emails"[^>]*checked', settings_page)
    assert services.token_expiry_emails_for(observer) is False
    assert services.token_expiry_emails_for(core_team) is True  # each member's own choice
    chosen = AuditEvent.objects.get(action="token_emails.chosen")
    assert (chosen.actor_id, chosen.changes) == (observer.user_id, {"expiry_emails": [True, False]})
    with clock.frozen(T0) as frozen:
        services.create_api_token(observer, name="olive's", lifetime_days=30)
        services.create_api_token(core_team, name="cody's", lifetime_days=30)
        frozen.advance(days=23)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.warn_expiring_api_tokens() == {"warned": 2}
    # Only the member who kept the email gets one; it says how to stop it.
    [email] = mail.outbox
    assert email.to == [User.objects.get(pk=core_team.user_id).email]
    assert "turn off “Email me before a token expires” in your settings" in email.body
    assert "http://127.0.0.1:8000/w/acme/settings/\n" in email.body
    # Olive still gets the notice in Traction.
    assert Notice.objects.filter(user_id=observer.user_id).count() == 1
    notices = html(olive.get("/w/acme/notices/"))
    assert "Your API token “olive&#x27;s”" in notices or "Your API token “olive's”" in notices
    # Turning it back on is audited too.
    olive.post("/w/acme/settings/token-emails/", {"expiry_emails": "on"})
    assert services.token_expiry_emails_for(observer) is True
    assert AuditEvent.objects.filter(action="token_emails.chosen").count() == 2


def test_an_already_expired_token_gets_no_warning_and_the_job_is_registered(cast):
    with clock.frozen(T0) as frozen:
        services.create_api_token(cast.viewer("observer"), name="late", lifetime_days=30)
        frozen.advance(days=30)
        assert services.warn_expiring_api_tokens() == {"warned": 0}
    assert "accounts.token_expiry" in [job.name for job in periodic.jobs()]
    assert not Notice.objects.exists()


# --- the migration --------------------------------------------------------------------------

BEFORE = [("accounts", "0013_membership_version")]
AFTER = [("accounts", "0014_api_token_expiry")]


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_tokens_made_before_expiry_existed_keep_no_expiry() -> None:
    apps = walk(BEFORE).loader.project_state(BEFORE).apps
    workspace = apps.get_model("accounts", "Workspace").objects.create(name="Acme", slug="acme")
    user = apps.get_model("accounts", "User").objects.create(email="old@acme.test")
    token = apps.get_model("accounts", "ApiToken").objects.create(
        user=user, workspace=workspace, name="old", key_hash="b" * 64, hint="trc_abcdef"
    )
    try:
        apps = walk(AFTER).loader.project_state(AFTER).apps
        kept = apps.get_model("accounts", "ApiToken").objects.get()
        assert (kept.pk, kept.name, kept.expires_at, kept.expiry_warned_at) == (
            token.pk,
            "old",
            None,
            None,
        )
        # No workspace limits its tokens' lifetime until an admin says so.
        assert apps.get_model("accounts", "Workspace").objects.get().token_max_days is None
    finally:
        back_to_latest()


# --- the workspace's longest lifetime -------------------------------------------------------


def test_an_admin_caps_the_lifetime_of_new_tokens(cast):
    admin, observer = cast.viewer("admin"), cast.viewer("observer")
    with clock.frozen(T0):
        old, _ = services.create_api_token(observer, name="old", lifetime_days=None)
        services.update_workspace(admin, name="Acme", time_zone="UTC", token_max_days=30)
        event = AuditEvent.objects.get(action="workspace.changed")
        assert event.changes == {"token_max_days": [None, 30]}
        assert selectors.token_lifetimes(observer) == ([30], 30)
        # Not chosen: the maximum, being shorter than 90 days.
        plain, _ = services.create_api_token(observer, name="plain")
        assert plain.expires_at == T0 + timedelta(days=30)
        for days in (90, 365, None):
            with pytest.raises(ValidationFailed) as refused:
                services.create_api_token(observer, name="long", lifetime_days=days)
            assert refused.value.errors == {
                "expires_in": [
                    "Tokens of this workspace expire within 30 days at most (its admins' "
                    "setting): choose 30 days or fewer."
                ]
            }
        # A later change of the workspace's name keeps the cap; tokens made before keep theirs.
        services.update_workspace(admin, name="Acme GmbH", time_zone="UTC")
        assert Workspace.objects.get(pk=cast.acme.pk).token_max_days == 30
        old.refresh_from_db()
        assert old.expires_at is None
        services.update_workspace(admin, name="Acme GmbH", time_zone="UTC", token_max_days=365)
        assert selectors.token_lifetimes(observer) == ([30, 90, 365], 90)
        services.update_workspace(admin, name="Acme GmbH", time_zone="UTC", token_max_days=None)
        assert selectors.token_lifetimes(observer) == ([30, 90, 365, None], 90)
        with pytest.raises(ValidationFailed) as refused:
            services.update_workspace(admin, name="Acme GmbH", time_zone="UTC", token_max_days=60)
        assert refused.value.errors == {
            "token_max_days": ["Choose one of 30, 90, 365 (days) or none."]
        }


def test_the_settings_page_sets_the_cap_and_the_tokens_page_offers_only_what_fits(cast, client_for):
    admin = client_for("admin")
    settings_url = reverse("accounts:workspace_settings", args=["acme"])
    page = html(admin.get(settings_url))
    assert '<option value="" selected>No limit (“Never” allowed)</option>' in page
    response = admin.post(
        settings_url, {"name": "Acme", "time_zone": "UTC", "token_max_days": "90"}
    )
    assert response.status_code == 302
    assert Workspace.objects.get(pk=cast.acme.pk).token_max_days == 90
    assert '<option value="90" selected>90 days</option>' in html(admin.get(settings_url))

    observer = client_for("observer")
    url = reverse("accounts:tokens", args=["acme"])
    form = html(observer.get(url))
    assert '<option value="30">In 30 days</option>' in form
    assert '<option value="90" selected>In 90 days</option>' in form
    assert 'value="365"' not in form
    assert 'value="never"' not in form
    assert "tokens expire within 90 days at most" in form
    refused = html(observer.post(url, {"name": "Forever", "expires_in": "never"}))
    assert "Select a valid choice." in refused
    assert not ApiToken.objects.exists()


def test_the_cli_takes_the_workspaces_cap_as_its_default(cast):
    from click.testing import CliRunner

    from traction.cli.main import cli

    Workspace.objects.filter(pk=cast.acme.pk).update(token_max_days=30)
    email = cast.users["observer"].email
    with clock.frozen(T0):
        made = CliRunner().invoke(cli, ["token", "create", email, "--workspace", "acme"])
        assert made.exit_code == 0, made.output
        assert made.output.splitlines()[1] == "It expires at 2027-01-06 09:30 UTC."
        refused = CliRunner().invoke(
            cli, ["token", "create", email, "--workspace", "acme", "--expires-in", "never"]
        )
    assert refused.exit_code == 1
    assert "Tokens of this workspace expire within 30 days at most" in refused.stderr
    assert ApiToken.objects.count() == 1


def test_the_token_lists_say_expired_and_keep_them_apart(cast, client_for):
    """Both pages and ``traction token list``: the tokens that work first (newest first),
    then the expired (the latest to expire first), then the revoked; each says which."""
    from click.testing import CliRunner

    from traction.cli.main import cli

    viewer = cast.viewer("admin")
    with clock.frozen(T0) as frozen:
        services.create_api_token(viewer, name="old-short", lifetime_days=30)
        frozen.advance(days=1)
        services.create_api_token(viewer, name="forever", lifetime_days=None)
        frozen.advance(days=1)
        revoked, _ = services.create_api_token(viewer, name="revoked", lifetime_days=90)
        services.revoke_api_token(viewer, token=revoked)
        frozen.advance(days=1)
        services.create_api_token(viewer, name="new-short", lifetime_days=30)
        frozen.advance(days=1)
        services.create_api_token(viewer, name="latest", lifetime_days=90)
        frozen.advance(days=40)  # both 30-day tokens have expired, new-short the latest
        order = ["latest", "forever", "new-short", "old-short", "revoked"]
        client = client_for("admin")
        for page in ("accounts:tokens", "accounts:workspace_tokens"):
            text = html(client.get(reverse(page, args=["acme"])))
            rows = re.findall(r"<tr>.*?</tr>", text.split("<tbody>")[1], re.S)
            names = [n for row in rows for n in order if f"<td>{n}</td>" in row]
            assert names == order, page
            badges = [re.search(r'class="badge badge-\w+">(\w+)', row).group(1) for row in rows]
            assert badges == ["active", "active", "expired", "expired", "revoked"], page
        listed = CliRunner().invoke(cli, ["token", "list", cast.users["admin"].email])
        assert listed.exit_code == 0, listed.output
        lines = listed.output.splitlines()[2:]
        assert [line.split()[1] for line in lines] == order
        states = [line.split()[-1] for line in lines[:4]]
        assert states == ["active", "active", "expired", "expired"]
        assert lines[4].split()[-3] == "revoked"
