"""Web pages of accounts: signing in, workspaces, members, invitations, audit log, tokens."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from traction.accounts import services
from traction.accounts.models import ApiToken, FailedLogin, MemberInvitation, Membership, User
from traction.core.audit import record
from traction.core.models import AuditEvent
from traction.core.testing.cast import PASSWORD


def html(response) -> str:
    return response.content.decode()


def field_error(field: str, message: str) -> str:
    """The error list Django renders beside a field (linked by aria-describedby)."""
    return f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li></ul>'


# --- signing in -----------------------------------------------------------------------------


def test_login_page_renders_the_form(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    page = html(response)
    assert "<title>Sign in · Traction</title>" in page
    assert '<label for="id_email">Email:</label>' in page
    assert 'type="password" name="password"' in page


def test_login_with_the_right_password_goes_to_next_when_safe(cast, client):
    response = client.post(
        reverse("accounts:login"),
        {"email": "ALICE@acme.test", "password": PASSWORD, "next": "/w/acme/customers/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/w/acme/customers/"
    assert client.session["_auth_user_id"] == str(cast.users["admin"].pk)


def test_login_ignores_a_next_pointing_elsewhere(cast, client):
    response = client.post(
        reverse("accounts:login"),
        {"email": "alice@acme.test", "password": PASSWORD, "next": "https://evil.test/"},
    )
    assert response["Location"] == "/w/acme/"  # her one workspace, not the other site


def test_login_with_a_wrong_password_says_so_and_counts_the_failure(cast, client):
    response = client.post(
        reverse("accounts:login"), {"email": "alice@acme.test", "password": "nope"}
    )
    assert response.status_code == 200
    assert "That email and password do not match an account." in html(response)
    assert "_auth_user_id" not in client.session
    assert list(FailedLogin.objects.values_list("email", "ip")) == [
        ("alice@acme.test", "127.0.0.1")
    ]


def test_after_five_failures_the_same_address_waits_even_with_the_right_password(cast, client):
    url = reverse("accounts:login")
    for _ in range(5):
        client.post(url, {"email": "alice@acme.test", "password": "wrong guess"})
    response = client.post(url, {"email": "alice@acme.test", "password": PASSWORD})
    assert response.status_code == 429
    assert (
        "Too many failed sign-ins for this account from your address. "
        "Wait 2 seconds, then try again." in html(response)
    )
    assert "_auth_user_id" not in client.session
    # The throttled attempt is refused before the password check, so it is not counted.
    assert FailedLogin.objects.count() == 5


def test_a_successful_login_clears_earlier_failures(cast, client):
    url = reverse("accounts:login")
    client.post(url, {"email": "alice@acme.test", "password": "wrong guess"})
    client.post(url, {"email": "alice@acme.test", "password": PASSWORD})
    assert FailedLogin.objects.count() == 0


def test_logout_is_post_only(cast, client_for):
    client = client_for("admin")
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


# --- workspaces -----------------------------------------------------------------------------


def test_home_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("accounts:home"))
    assert response["Location"] == "/login/?next=/"


def test_home_with_one_workspace_shows_a_prominent_link(cast, client_for):
    page = html(client_for("observer").get(reverse("accounts:home")))
    assert '<a class="button primary big" href="/w/acme/">Open Acme →</a>' in page
    assert "<td>Observer</td>" in page


def test_home_lists_every_workspace_of_the_user(cast, client_for):
    services.add_member(None, workspace=cast.rival, user=cast.users["observer"], role="admin")
    page = html(client_for("observer").get(reverse("accounts:home")))
    assert "Open Acme" not in page
    assert '<td><a href="/w/acme/">Acme</a></td><td>Observer</td>' in page
    assert '<td><a href="/w/rival/">Rival</a></td><td>Admin</td>' in page


def test_workspace_home_counts_what_the_viewer_can_see(cast, client_for):
    page = html(client_for("admin").get(reverse("accounts:workspace_home", args=["acme"])))
    assert (
        '<span class="stat-number">2</span>\n    <span class="stat-label">programs you can see'
        in page
    )
    assert '<span class="stat-label">customers you can see' in page
    assert 'href="/w/acme/members/invite/">Invite a member</a>' in page

    page = html(client_for("observer").get(reverse("accounts:workspace_home", args=["acme"])))
    assert (
        '<span class="stat-number">1</span>\n    <span class="stat-label">program you can see'
        in page
    )
    assert "customers you can see" not in page
    assert "Invite a member" not in page


def test_a_new_workspace_suggests_starting_the_first_program(db, client):
    user = services.create_user(email="new@x.test", full_name="Nova", password=PASSWORD)
    services.create_workspace(name="Fresh", admin=user)
    client.force_login(user)
    page = html(client.get(reverse("accounts:workspace_home", args=["fresh"])))
    assert "<strong>Start your first program.</strong>" in page
    assert 'href="/w/fresh/programs/new/">Start a program</a>' in page


def test_a_stranger_gets_404_on_acme(cast, client_for):
    response = client_for("stranger").get(reverse("accounts:workspace_home", args=["acme"]))
    assert response.status_code == 404
    assert "Workspace not found." in html(response)


def test_navigation_shows_only_what_the_role_may_open(cast, client_for):
    page = html(client_for("observer").get(reverse("accounts:workspace_home", args=["acme"])))
    assert 'href="/w/acme/programs/"' in page
    assert 'href="/w/acme/customers/"' not in page
    assert 'href="/w/acme/audit/"' not in page
    page = html(client_for("admin").get(reverse("accounts:workspace_home", args=["acme"])))
    assert '<a href="/w/acme/audit/">Audit</a>' in page
    assert '<a href="/w/acme/settings/tokens/">API tokens</a>' in page


# --- members --------------------------------------------------------------------------------


def test_members_page_for_admins_has_role_selects_and_remove_buttons(cast, client_for):
    page = html(client_for("admin").get(reverse("accounts:members", args=["acme"])))
    olive = cast.membership("observer")
    assert f'action="/w/acme/members/{olive.pk}/role/"' in page
    assert f'href="/w/acme/members/{olive.pk}/remove/">Remove…</a>' in page
    assert '<option value="observer" selected>Observer</option>' in page
    assert "<dd>Reads the programs they belong to; changes nothing.</dd>" in page
    assert "No pending invitations." in page


def test_members_page_for_others_is_read_only(cast, client_for):
    page = html(client_for("observer").get(reverse("accounts:members", args=["acme"])))
    assert "<td>Observer</td>" in page
    assert "Invite a member" not in page
    assert "<select" not in page


def test_invite_with_a_bad_email_shows_the_error_beside_the_field(cast, client_for):
    response = client_for("admin").post(
        reverse("accounts:member_invite", args=["acme"]),
        {"email": "not-an-email", "role": "observer"},
    )
    assert field_error("email", "Enter a valid email address.") in html(response)
    assert MemberInvitation.objects.count() == 0


def test_inviting_a_member_again_is_refused_beside_the_email(cast, client_for):
    response = client_for("admin").post(
        reverse("accounts:member_invite", args=["acme"]),
        {"email": "olive@acme.test", "role": "observer"},
    )
    assert field_error("email", "olive@acme.test is already a member of this workspace.") in html(
        response
    )
    assert MemberInvitation.objects.count() == 0


def test_inviting_an_address_again_says_the_earlier_link_stops_working(cast, client_for):
    ana = client_for("admin")
    url = reverse("accounts:member_invite", args=["acme"])
    first = html(ana.post(url, {"email": "nia@acme.test", "role": "account_owner"}))
    assert "It replaces the invitation" not in first
    again = html(ana.post(url, {"email": "Nia@acme.test", "role": "core_team"}))
    assert "<strong>Invitation sent to nia@acme.test</strong> as Core team member." in again
    assert (
        "<strong>It replaces the invitation sent to this address before</strong> (as Account "
        "owner): that earlier link no longer works, only this one does." in again
    )
    assert MemberInvitation.objects.filter(revoked_at__isnull=True).count() == 1


def test_invitation_accepted_end_to_end(
    cast, client_for, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("admin").post(
            reverse("accounts:member_invite", args=["acme"]),
            {"email": "Nia@Acme.test", "role": "observer"},
        )
    page = html(response)
    assert "<strong>Invitation sent to nia@acme.test</strong> as Observer." in page
    [email] = mail.outbox
    assert email.to == ["nia@acme.test"]
    link = re.search(r"http://\S+/invitations/\S+/", email.body).group(0)
    assert link in page  # shown once in the page too
    path = link.removeprefix("http://127.0.0.1:8000")
    assert AuditEvent.objects.filter(
        action="invitation.sent", object_repr__contains="nia@acme.test"
    ).exists()

    page = html(client.get(path))
    assert (
        "Alice Admin invited <strong>nia@acme.test</strong> to the workspace <strong>Acme</strong>"
        in page
    )
    assert "as <strong>Observer</strong>" in page

    users = User.objects.count()
    response = client.post(path, {"full_name": "", "password": "a long enough pass 42"})
    assert field_error("full_name", "This field is required.") in html(response)
    response = client.post(path, {"full_name": "Nia New", "password": "123"})
    assert 'id="id_password_error"' in html(response)
    assert "This password is too short." in html(response)
    assert User.objects.count() == users

    response = client.post(path, {"full_name": "Nia New", "password": "a long enough pass 42"})
    assert response["Location"] == "/w/acme/"
    nia = User.objects.get(email="nia@acme.test")
    assert (nia.full_name, Membership.objects.get(user=nia).role) == ("Nia New", "observer")
    assert client.session["_auth_user_id"] == str(nia.pk)
    welcome = html(client.get("/w/acme/"))
    assert "Welcome to Acme. You joined as Observer." in welcome
    assert client.get(path).status_code == 404  # used links stop working


def test_a_signed_in_invitee_just_joins(cast, client_for):
    _, link = services.invite_member(
        cast.viewer("stranger"), email="alice@acme.test", role="core_team"
    )
    path = link.removeprefix("http://127.0.0.1:8000")
    client = client_for("admin")
    assert "Join Rival</button>" in html(client.get(path))
    response = client.post(path)
    assert response["Location"] == "/w/rival/"
    assert (
        Membership.objects.get(user=cast.users["admin"], workspace=cast.rival).role == "core_team"
    )


def test_an_invitation_for_an_existing_account_asks_to_sign_in(cast, client):
    _, link = services.invite_member(
        cast.viewer("stranger"), email="alice@acme.test", role="core_team"
    )
    path = link.removeprefix("http://127.0.0.1:8000")
    page = html(client.get(path))
    assert "There is already an account for alice@acme.test." in page
    assert f'href="/login/?next={path}"' in page


def test_admin_changes_a_role(cast, client_for):
    olive = cast.membership("observer")
    client = client_for("admin")
    response = client.post(
        reverse("accounts:member_role", args=["acme", olive.pk]), {"role": "core_team"}
    )
    assert response["Location"] == "/w/acme/members/"
    olive.refresh_from_db()
    assert olive.role == "core_team"
    event = AuditEvent.objects.get(action="member.role_changed")
    assert event.changes == {"role": ["observer", "core_team"]}
    assert "Olive Observer is now Core team member." in html(client.get("/w/acme/members/"))


def test_a_role_change_on_a_later_page_comes_back_to_that_page(cast, client_for):
    for i in range(55):  # more than a page of members (50)
        user = User.objects.create_user(email=f"m{i:02d}@acme.test", full_name=f"Zed {i:02d}")
        Membership.objects.create(workspace=cast.acme, user=user, role="observer")
    last = Membership.objects.get(user__email="m54@acme.test")
    client = client_for("admin")
    page = html(client.get("/w/acme/members/?page=2&former=1"))
    assert "Zed 54" in page
    action = reverse("accounts:member_role", args=["acme", last.pk]) + "?page=2&amp;former=1"
    assert f'action="{action}"' in page
    response = client.post(action.replace("&amp;", "&"), {"role": "core_team", "version": "1"})
    assert response["Location"] == "/w/acme/members/?page=2&former=1"
    last.refresh_from_db()
    assert last.role == "core_team"
    back = html(client.get(response["Location"]))
    assert "Zed 54 is now Core team member." in back
    row = back.split("<td>Zed 54")[1].split("</tr>")[0]
    assert '<option value="core_team" selected>' in row
    # The function form and the Remove page keep the page too.
    function = reverse("accounts:member_function", args=["acme", last.pk])
    kept = client.post(function + "?page=2", {"function": "sales", "version": "2"})
    assert kept["Location"] == "/w/acme/members/?page=2"
    remove = reverse("accounts:member_remove", args=["acme", last.pk]) + "?page=2"
    assert f'href="{remove}&amp;former=1"' in back
    assert 'href="/w/acme/members/?page=2">Cancel</a>' in html(client.get(remove))
    gone = client.post(remove, {"reason": "Left"})
    assert gone["Location"] == "/w/acme/members/?page=2"


@pytest.mark.parametrize(
    "query",
    [
        "?next=https://evil.example/&page=2",
        "?page=//evil.example",
        "?page=2%0d%0aLocation:%20https://evil.example",
        "?page=-1&former=x&invited=1e3",
        "?page=https://evil.example",
    ],
)
def test_only_the_members_pages_own_query_is_followed_back(cast, client_for, query):
    olive = cast.membership("observer")
    client = client_for("admin")
    url = reverse("accounts:member_role", args=["acme", olive.pk]) + query
    response = client.post(url, {"role": "core_team"})
    assert response.status_code == 302
    assert response["Location"] in ("/w/acme/members/", "/w/acme/members/?page=2")
    olive.refresh_from_db()
    assert olive.role == "core_team"


def test_a_role_change_from_a_stale_page_is_refused_with_a_message(cast, client_for):
    olive = cast.membership("observer")
    client = client_for("admin")
    page = html(client.get("/w/acme/members/"))
    assert page.count('name="version" value="1"') >= 2  # the role and the function forms
    url = reverse("accounts:member_role", args=["acme", olive.pk])
    client.post(url, {"role": "core_team", "version": "1"})
    # Another admin's page, opened before that change, still says version 1.
    client.post(url, {"role": "sponsor", "version": "1"})
    olive.refresh_from_db()
    assert (olive.role, olive.version) == ("core_team", 2)
    assert "This membership was changed by someone else" in html(client.get("/w/acme/members/"))
    function_url = reverse("accounts:member_function", args=["acme", olive.pk])
    client.post(function_url, {"function": "sales", "version": "1"})
    olive.refresh_from_db()
    assert olive.function == ""


def test_the_last_admin_keeps_the_role_with_a_message(cast, client_for):
    alice = cast.membership("admin")
    client = client_for("admin")
    client.post(reverse("accounts:member_role", args=["acme", alice.pk]), {"role": "observer"})
    alice.refresh_from_db()
    assert alice.role == "admin"
    assert "A workspace needs at least one admin." in html(client.get("/w/acme/members/"))


def test_role_changes_are_for_admins_only(cast, client_for):
    olive = cast.membership("observer")
    response = client_for("facilitator").post(
        reverse("accounts:member_role", args=["acme", olive.pk]), {"role": "admin"}
    )
    assert response.status_code == 403
    olive.refresh_from_db()
    assert olive.role == "observer"


def test_removing_a_member_asks_first_then_removes(cast, client_for):
    olive = cast.membership("observer")
    url = reverse("accounts:member_remove", args=["acme", olive.pk])
    client = client_for("admin")
    page = html(client.get(url))
    assert "<h1>Remove Olive Observer?</h1>" in page
    assert Membership.objects.filter(pk=olive.pk).exists()
    response = client.post(url, {"reason": "Left the company"})
    assert response["Location"] == "/w/acme/members/"
    assert not Membership.objects.filter(pk=olive.pk).exists()
    assert AuditEvent.objects.get(action="member.removed").reason == "Left the company"


def test_revoking_an_invitation(cast, client_for):
    invitation, _ = services.invite_member(
        cast.viewer("admin"), email="x@acme.test", role="observer"
    )
    client = client_for("admin")
    assert "<td>x@acme.test</td><td>Observer</td>" in html(client.get("/w/acme/members/"))
    response = client.post(reverse("accounts:invitation_revoke", args=["acme", invitation.pk]))
    assert response["Location"] == "/w/acme/members/"
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    assert "The invitation for x@acme.test no longer works." in html(client.get("/w/acme/members/"))


# --- audit log ------------------------------------------------------------------------------


def test_audit_log_lists_filters_and_paginates(cast, client_for):
    for i in range(60):
        record(cast.viewer("admin"), action="test.bulk", obj=cast.customer, changes={"n": i})
    client = client_for("admin")
    page = html(client.get(reverse("accounts:audit_log", args=["acme"]), {"action": "test.bulk"}))
    assert page.count("<code>test.bulk</code>") == 50
    assert "Page 1 of 2 (60 in all)" in page
    assert 'href="?action=test.bulk&amp;page=2"' in page
    page = html(
        client.get(reverse("accounts:audit_log", args=["acme"]), {"action": "test.bulk", "page": 2})
    )
    assert page.count("<code>test.bulk</code>") == 10

    page = html(
        client.get(
            reverse("accounts:audit_log", args=["acme"]),
            {"actor": "fran@acme.test", "object_type": "customers.customer"},
        )
    )
    assert page.count("<code>customer.created</code>") == 2
    assert "<code>test.bulk</code>" not in page
    page = html(client.get(reverse("accounts:audit_log", args=["acme"]), {"action": "nothing"}))
    assert "No events match these filters." in page


def test_audit_log_is_for_admins(cast, client_for):
    assert (
        client_for("facilitator").get(reverse("accounts:audit_log", args=["acme"])).status_code
        == 403
    )


# --- API tokens -----------------------------------------------------------------------------


def test_a_new_token_is_shown_once_with_a_curl_example(cast, client_for):
    client = client_for("observer")
    url = reverse("accounts:tokens", args=["acme"])
    assert "You have no tokens yet." in html(client.get(url))
    page = html(client.post(url, {"name": "Reporting script"}))
    token = ApiToken.objects.get()
    key = re.search(r'<code class="copyable" id="new-token">(trc_\S+)</code>', page).group(1)
    assert ApiToken.hash_key(key) == token.key_hash
    assert f'curl -H "Authorization: Bearer {key}" http://127.0.0.1:8000/api/v1/customers' in page
    assert AuditEvent.objects.filter(action="token.created").count() == 1
    again = html(client.get(url))
    assert key not in again
    assert f"<td>Reporting script</td><td><code>{token.hint}…</code></td>" in again


def test_a_token_needs_a_name(cast, client_for):
    response = client_for("observer").post(reverse("accounts:tokens", args=["acme"]), {"name": ""})
    assert field_error("name", "This field is required.") in html(response)
    assert ApiToken.objects.count() == 0


def test_revoking_a_token(cast, client_for):
    token, _ = services.create_api_token(cast.viewer("observer"), name="laptop")
    client = client_for("observer")
    response = client.post(reverse("accounts:token_revoke", args=["acme", token.pk]))
    assert response["Location"] == "/w/acme/settings/tokens/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "The token “laptop” no longer works." in html(client.get(response["Location"]))


def test_someone_elses_token_is_not_found(cast, client_for):
    token, _ = services.create_api_token(cast.viewer("observer"), name="laptop")
    response = client_for("admin").post(reverse("accounts:token_revoke", args=["acme", token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_admin_sees_every_members_tokens_and_revokes_one(cast, client_for):
    token, key = services.create_api_token(cast.viewer("observer"), name="Jira sync")
    services.create_api_token(cast.viewer("facilitator"), name="laptop")
    client = client_for("admin")
    members = html(client.get(reverse("accounts:members", args=["acme"])))
    assert 'href="/w/acme/members/tokens/">Members\' API tokens</a>' in members
    page = html(client.get(reverse("accounts:workspace_tokens", args=["acme"])))
    assert "<td>Olive Observer</td>" in page
    assert f"<td>Jira sync</td><td><code>{token.hint}…</code></td>" in page
    assert "<td>laptop</td>" in page
    assert key not in page
    revoke = reverse("accounts:workspace_token_revoke", args=["acme", token.pk])
    response = client.post(revoke)
    assert response["Location"] == "/w/acme/members/tokens/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = AuditEvent.objects.get(action="token.revoked")
    assert event.changes == {"user": "olive@acme.test"}
    assert "Olive Observer&#x27;s token “Jira sync” no longer works." in html(
        client.get(response["Location"])
    )


def test_only_admins_see_every_members_tokens(cast, client_for):
    token, _ = services.create_api_token(cast.viewer("observer"), name="laptop")
    facilitator = client_for("facilitator")
    members = html(facilitator.get(reverse("accounts:members", args=["acme"])))
    assert "/members/tokens/" not in members
    page = facilitator.get(reverse("accounts:workspace_tokens", args=["acme"]))
    assert page.status_code == 403
    revoke = reverse("accounts:workspace_token_revoke", args=["acme", token.pk])
    assert facilitator.post(revoke).status_code == 403
    # Another workspace's admin does not learn the token exists.
    assert client_for("stranger").post(revoke).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("name", ["x" * 81])
def test_a_too_long_token_name_is_explained_beside_the_field(cast, client_for, name):
    response = client_for("observer").post(
        reverse("accounts:tokens", args=["acme"]), {"name": name}
    )
    assert field_error("name", "Keep it to 80 characters or fewer (this has 81).") in html(response)
    assert ApiToken.objects.count() == 0


def test_the_admins_home_warns_when_emails_wait_with_no_worker(cast, client_for, settings) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from traction.core.tasks import deliver_email

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    url = f"/w/{cast.acme.slug}/"
    deliver_email.enqueue("Hello", "Body", ["ada@acme.example"])
    assert b"waiting since" not in client_for("admin").get(url).content  # a worker has time
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=12))
    page = client_for("admin").get(url).content.decode()
    assert "1 email waiting since" in page
    assert "traction worker" in page
    # Only admins are told: the others cannot start a worker.
    assert "waiting since" not in client_for("facilitator").get(url).content.decode()


def test_a_removed_member_s_open_session_loses_the_workspace_at_once(cast, client_for):
    # Attacker's review, checked: membership is read on every request, not kept in the session.
    fran = client_for("facilitator")
    assert fran.get("/w/acme/customers/").status_code == 200
    session_key = fran.session.session_key
    services.remove_member(cast.viewer("admin"), membership=cast.membership("facilitator"))
    assert fran.session.session_key == session_key  # the same browser session, still signed in
    assert fran.get("/w/acme/customers/").status_code == 404
    assert fran.get("/w/acme/").status_code == 404
    assert fran.get(f"/w/acme/customers/{cast.customer.pk}/").status_code == 404
