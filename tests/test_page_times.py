"""Pages inside a workspace show its times in the workspace's time zone and say which (the
debrief and webhook pages did already; brief fix19b): the audit log, API tokens, the home
page's notices, a portal link's record on a contact, the bounce settings, a sent update and
its delivery, and a session's import history. Berlin and New York, on both sides of the
autumn change of the clocks (Berlin 25 October 2026, New York 1 November 2026): the same UTC
hour shows a different local hour before and after it. Outside a workspace the zone stays
UTC, and a request leaves no zone behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone

from traction.accounts import services as accounts
from traction.accounts.models import ApiToken, Notice, Workspace
from traction.core import audit, clock
from traction.core.testing.cast import Cast
from traction.core.testing.zones import AUTUMN_CHANGE
from traction.insights.models import ImportBatch
from traction.loop.models import (
    BounceInbox,
    MailBounce,
    MessageState,
    Update,
    UpdateRecipient,
    UpdateState,
)
from traction.loop.services import bounces
from traction.portal import services as portal
from traction.sessions import services as sessions

pytestmark = pytest.mark.django_db

TIMES = AUTUMN_CHANGE  # (zone, the instant in UTC, the wall clock there)


def page(client: Client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, url
    # The request's zone ends with it: the next request (or task) starts in UTC again.
    assert timezone.get_current_timezone_name() == "UTC"
    return str(answer.content.decode())


@pytest.mark.parametrize(("zone", "at", "local"), TIMES)
def test_workspace_pages_show_times_in_the_workspaces_zone_and_say_which(
    cast: Cast, client_for: Callable[[str], Client], zone: str, at: datetime, local: datetime
) -> None:
    Workspace.objects.filter(pk=cast.acme.pk).update(time_zone=zone)
    admin, fran = cast.viewers["admin"], cast.viewers["facilitator"]
    assert cast.contact is not None
    assert cast.program is not None
    with clock.frozen(at):
        link = portal.send_link(admin, contact=cast.contact)  # audited at ``at`` too
        token, _key = accounts.create_api_token(admin, name="Reporting script")
        box, _secret = bounces.rotate(admin)
        session = sessions.plan_session(
            fran,
            program=cast.program,
            title="Onboarding co-design",
            starts_at=at + timedelta(days=3),
            ends_at=at + timedelta(days=3, hours=2),
        )
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)
    type(link).objects.filter(pk=link.pk).update(last_used_at=at)
    BounceInbox.objects.filter(pk=box.pk).update(last_received_at=at)
    MailBounce.objects.create(
        workspace=cast.acme, provider="ses", kind="permanent", email="gone@example.test",
        reason="No such mailbox", received_at=at,
    )  # fmt: skip
    Notice.objects.create(
        workspace=cast.acme, user=cast.users["admin"], text="Please decide", created_at=at
    )
    ImportBatch.objects.create(
        workspace=cast.acme, session=session, format="text", filename="notes.txt",
        sha256="0" * 64, rows=3, created_by=cast.users["facilitator"], created_at=at,
    )  # fmt: skip
    update = Update.objects.create(
        workspace=cast.acme, program=cast.program, audience="customer",
        customer=cast.contact.customer, subject="What came of your feedback", body="Thanks.",
        state=UpdateState.SENT, sent_at=at,
    )  # fmt: skip
    UpdateRecipient.objects.create(
        workspace=cast.acme, update=update, contact=cast.contact,
        customer=cast.contact.customer, name=cast.contact.name, email=cast.contact.email,
        state=MessageState.SENT, sent_at=at,
    )  # fmt: skip

    def f(fmt: str) -> str:
        return dateformat.format(local, fmt)

    def utc(fmt: str) -> str:
        return dateformat.format(at.replace(tzinfo=None), fmt)

    label = f'<span class="muted small">({zone})</span>'
    slug = cast.acme.slug
    client = client_for("admin")

    audit_log = page(client, reverse("accounts:audit_log", args=[slug]))
    assert f'<th scope="col">When {label}</th>' in audit_log
    assert f'<td class="nowrap">{f("Y-m-d H:i")}</td>' in audit_log
    assert f'<td class="nowrap">{utc("Y-m-d H:i")}</td>' not in audit_log
    assert "(UTC)" not in audit_log

    tokens = page(client, reverse("accounts:tokens", args=[slug]))
    assert f'<th scope="col">Last used {label}</th>' in tokens
    assert f"<td>{f('j M Y H:i')}</td>" in tokens

    home = page(client, reverse("accounts:workspace_home", args=[slug]))
    assert f'<span class="muted small">{f("j M, H:i")} ({zone})</span>' in home

    contact = page(client, reverse("customers:contact_edit", args=[slug, cast.contact.pk]))
    assert f'<th scope="col">Sent {label}</th>' in contact
    assert f'<th scope="col">Last used {label}</th>' in contact
    assert f"<td>{f('j M Y H:i')}</td>" in contact

    settings = page(client, reverse("accounts:workspace_settings", args=[slug]))
    assert f"Last report received {f('j M Y, H:i')} ({zone})." in settings
    assert f'<th scope="col">When {label}</th>' in settings
    assert f"<tr><td>{f('j M Y, H:i')}</td>" in settings

    sent = page(client, reverse("loop:update", args=[slug, update.pk]))
    assert f"· sent {f('j M Y, H:i')} ({zone})" in sent
    assert f'<span class="muted small">{f("j M Y, H:i")}</span>' in sent  # the recipient's
    assert f" · times in {zone}</p>" in sent

    imports = page(client_for("facilitator"), reverse("insights:import", args=[slug, session.pk]))
    assert f'<th scope="col">When {label}</th>' in imports
    assert f'<td class="nowrap">{f("j M Y, H:i")}</td>' in imports


def test_the_label_names_the_current_zone_and_utc_outside_a_workspace() -> None:
    template = Template("{% load traction_times %}{% time_zone %} {% zone_label %}")
    assert template.render(Context()) == 'UTC <span class="muted">(UTC)</span>'
    with timezone.override("America/New_York"):  # as workspace_view activates it
        assert template.render(Context()) == (
            'America/New_York <span class="muted">(America/New_York)</span>'
        )


def test_a_page_outside_a_workspace_is_in_utc(client_for: Callable[[str], Client]) -> None:
    home = page(client_for("admin"), reverse("accounts:home"))  # the list of workspaces
    assert "Acme" in home


def test_the_workspace_and_its_zone_come_in_one_query(
    cast: Cast, django_assert_num_queries: Callable[..., object]
) -> None:
    from traction.accounts import selectors

    Workspace.objects.filter(pk=cast.acme.pk).update(time_zone="America/New_York")
    with django_assert_num_queries(1):  # type: ignore[attr-defined]
        _viewer, workspace = selectors.viewer_for(cast.users["admin"], cast.acme.slug)
    assert workspace.time_zone == "America/New_York"


def test_an_audit_entry_written_on_a_page_stays_in_utc_in_the_database(cast: Cast) -> None:
    # What the pages show changes; what is stored does not (aware, UTC).
    at = datetime(2026, 10, 24, 14, 0, tzinfo=UTC)
    with timezone.override("Europe/Berlin"), clock.frozen(at):
        event = audit.record(cast.viewers["admin"], action="test.noted", obj=cast.acme)
    event.refresh_from_db()
    assert event.at == at
