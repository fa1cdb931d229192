"""Voting links by email: each customer participant gets their own signed link, through a
real SMTP server on loopback; who is left out is said, with why; the task checks again
when it runs. The use-case, the API operation and the button on the voting page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.email.conftest import SmtpServer, _free_port
from tests.email.test_invitation_delivery import RefusingHandler
from traction.accounts import services as account_services
from traction.core.errors import PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers.models import Contact
from traction.insights.tests.conftest import Room, a_card, build_room
from traction.sessions.models import Invitation, RsvpStatus
from traction.voting import links, tasks
from traction.voting import services as voting
from traction.voting.models import LinkDelivery
from traction.voting.services import link_mail

LINK = re.compile(r"https?://\S+/vote/(\S+)/")


@pytest.fixture
def room(cast: Cast) -> Room:
    return build_room(cast)


@pytest.fixture
def opened(room: Room) -> Room:
    a_card(room)
    voting.open_voting(room.cast.viewer("facilitator"), session=room.session, budget=4)
    return room


Capture = Callable[..., Any]


@pytest.fixture
def refusing_server(smtp_server: SmtpServer, settings: Any) -> Iterator[RefusingHandler]:
    """A real mail server on loopback that refuses Gina (550) and takes everyone else."""
    handler = RefusingHandler("gina@globex.test")
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port("127.0.0.1"))
    controller.start()
    settings.EMAIL_PORT = controller.port
    try:
        yield handler
    finally:
        controller.stop()


def _email(room: Room, capture: Capture, **kw: Any) -> link_mail.LinkMailing:
    with capture(execute=True):
        return link_mail.email_voting_links(
            room.cast.viewer("facilitator"), session=room.session, **kw
        )


def test_each_customer_gets_their_own_link(
    smtp_server: SmtpServer, opened: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    room = opened
    mailing = _email(room, django_capture_on_commit_callbacks)
    assert [c.name for c in mailing.queued] == sorted([room.gina.name, room.ivy.name])
    assert mailing.skipped == []
    client = Client()
    for contact, invitation in ((room.gina, room.gina_invitation), (room.ivy, room.ivy_invitation)):
        [received] = smtp_server.to(contact.email)
        assert received.rcpt_tos == [contact.email]  # nobody else on the envelope
        assert received.subject == f"Your votes: {room.session.title}"
        body = received.body
        assert f"Hello {contact.name}," in body
        assert "You have 4 dots to give: each dot is a vote." in body
        other = room.ivy if contact == room.gina else room.gina
        assert other.name not in body
        assert other.email not in body
        [token] = LINK.findall(body)
        assert links.read_token(token) == (invitation.pk, contact.pk)
        ballot = client.get(f"/vote/{token}/")
        assert ballot.status_code == 200
        assert "4" in ballot.content.decode()
        facilitator = room.cast.users["facilitator"]
        assert facilitator.email in str(received.message["Reply-To"])
    event = AuditEvent.objects.get(action="voting.links_queued")
    assert sorted(event.changes["queued"]) == sorted([room.gina.pk, room.ivy.pk])
    # Recorded as delivered only once the mail server took each one.
    delivered = AuditEvent.objects.filter(action="voting.link_delivered")
    assert sorted(e.changes["contact"] for e in delivered) == sorted([room.gina.pk, room.ivy.pk])
    assert {d.status for d in LinkDelivery.objects.all()} == {"delivered"}


def test_who_is_left_out_and_why(
    smtp_server: SmtpServer, opened: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    room = opened
    Contact.objects.filter(pk=room.ivy.pk).update(consent_to_contact=False)
    Invitation.objects.filter(pk=room.gina_invitation.pk).update(rsvp=RsvpStatus.DECLINED)
    mailing = _email(room, django_capture_on_commit_callbacks)
    assert mailing.queued == []
    assert [(c.name, reason) for c, reason in mailing.skipped] == sorted(
        [
            (room.gina.name, "declined the invitation"),
            (room.ivy.name, "has not agreed to be contacted"),
        ]
    )
    assert smtp_server.messages == []


def test_a_made_up_address_is_not_written_to(
    smtp_server: SmtpServer, opened: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    # Contacts made from a transcript without an address get one under ".invalid".
    room = opened
    Contact.objects.filter(pk=room.ivy.pk).update(email="ivy.initech@unknown.invalid")
    mailing = _email(room, django_capture_on_commit_callbacks)
    assert [c.name for c in mailing.queued] == [room.gina.name]
    assert mailing.skipped[0][1] == "has no email address we can write to"
    assert [m.rcpt_tos for m in smtp_server.messages] == [[room.gina.email]]


def test_only_the_chosen_customers(
    smtp_server: SmtpServer, opened: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    room = opened
    mailing = _email(room, django_capture_on_commit_callbacks, contact_ids=[room.ivy.pk])
    assert [c.name for c in mailing.queued] == [room.ivy.name]
    assert [m.rcpt_tos for m in smtp_server.messages] == [[room.ivy.email]]


def test_someone_not_invited_is_refused_and_nobody_is_emailed(
    smtp_server: SmtpServer, opened: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    room = opened
    stranger = Contact.objects.exclude(pk__in=[room.gina.pk, room.ivy.pk]).first()
    ids = [room.gina.pk, stranger.pk if stranger else 999_999]
    with pytest.raises(ValidationFailed) as caught:
        _email(room, django_capture_on_commit_callbacks, contact_ids=ids)
    assert "contact_ids" in caught.value.errors
    assert smtp_server.messages == []
    assert not AuditEvent.objects.filter(action="voting.links_queued").exists()
    assert not LinkDelivery.objects.exists()


def test_only_while_voting_is_open(
    smtp_server: SmtpServer, room: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    with pytest.raises(ValidationFailed, match="Open voting first"):
        _email(room, django_capture_on_commit_callbacks)
    fran = room.cast.viewer("facilitator")
    a_card(room)
    voting.open_voting(fran, session=room.session)
    voting.close_voting(fran, session=room.session)
    with pytest.raises(ValidationFailed, match="Open voting first"):
        _email(room, django_capture_on_commit_callbacks)
    assert smtp_server.messages == []


def test_the_task_checks_again_when_it_runs(
    smtp_server: SmtpServer, opened: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    # Queued while open; voting closes before the worker gets to it: nothing is sent.
    room = opened
    with django_capture_on_commit_callbacks(execute=False) as queued:
        link_mail.email_voting_links(room.cast.viewer("facilitator"), session=room.session)
    assert len(queued) == 2
    voting.close_voting(room.cast.viewer("facilitator"), session=room.session)
    for callback in queued:
        callback()
    assert smtp_server.messages == []
    assert (
        sorted((d.status, d.error) for d in LinkDelivery.objects.all())
        == [
            ("failed", "Voting link not sent: voting is not open."),
        ]
        * 2
    )


def test_only_those_who_run_the_voting(opened: Room) -> None:
    for principal in ("core_team", "sponsor", "observer"):
        with pytest.raises(PermissionDenied):
            link_mail.email_voting_links(opened.cast.viewer(principal), session=opened.session)


# --- the API and the page ----------------------------------------------------------------------


def _api(cast: Cast, principal: str = "facilitator") -> Client:
    _, key = account_services.create_api_token(cast.viewer(principal), name="t")
    return Client(headers={"Authorization": f"Bearer {key}"})


def _post(client: Client, url: str, body: Any) -> tuple[int, Any]:
    response = client.post("/api/v1" + url, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_api(
    smtp_server: SmtpServer, room: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    client = _api(room.cast)
    url = f"/sessions/{room.session.pk}/voting/links/email"
    status, body = _post(client, url, {})
    assert status == 422
    assert "Open voting first" in body["message"]
    a_card(room)
    voting.open_voting(room.cast.viewer("facilitator"), session=room.session)
    Contact.objects.filter(pk=room.ivy.pk).update(consent_to_contact=False)
    with django_capture_on_commit_callbacks(execute=True):
        status, body = _post(client, url, {})
    assert status == 200
    assert body == {
        "sent": [{"contact_id": room.gina.pk, "name": room.gina.name}],
        "skipped": [
            {
                "contact_id": room.ivy.pk,
                "name": room.ivy.name,
                "reason": "has not agreed to be contacted",
            }
        ],
    }
    assert [m.rcpt_tos for m in smtp_server.messages] == [[room.gina.email]]
    status, body = _post(client, url, {"contact_ids": [999_999]})
    assert status == 422
    assert body["detail"][0]["loc"][-1] == "contact_ids"
    status, body = _post(client, url, {"contact_ids": ["x"]})
    assert status == 422


def test_the_voting_page_button(
    smtp_server: SmtpServer, opened: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    room = opened
    client = Client()
    client.force_login(room.cast.users["facilitator"])
    base = f"/w/{room.cast.acme.slug}/insights/sessions/{room.session.pk}/voting/"
    page = client.get(base).content.decode()
    assert "Email every customer their link" in page
    Contact.objects.filter(pk=room.ivy.pk).update(consent_to_contact=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(base + "links/email/", follow=True)
    html = response.content.decode()
    assert (
        f"Voting link queued for {room.gina.name}: whether it was delivered shows beside each "
        "name." in html
    )
    assert "Link email queued (sending…)" in html  # the task runs once the request commits
    assert "Link delivered" in client.get(base).content.decode()
    assert f"Not emailed: {room.ivy.name} (has not agreed to be contacted)." in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(base + "links/email/", {"contact_id": str(room.gina.pk)})
    assert len(smtp_server.to(room.gina.email)) == 2


# --- an email that cannot be sent is never recorded as sent -----------------------------------


REFUSED = (
    "Voting link not delivered: the mail server refused the address "
    "(550 5.1.1 <gina@globex.test>: Recipient address rejected: User unknown)."
)


def test_a_refused_link_is_recorded_as_not_delivered_with_the_reason(
    refusing_server: RefusingHandler, opened: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    room = opened
    client = _api(room.cast)
    with django_capture_on_commit_callbacks(execute=True):
        status, body = _post(client, f"/sessions/{room.session.pk}/voting/links/email", {})
    assert status == 200
    # Queued, not sent: the answer says who was queued; the delivery says what happened.
    assert [s["name"] for s in body["sent"]] == sorted([room.gina.name, room.ivy.name])
    assert [m.rcpt_tos for m in refusing_server.messages] == [[room.ivy.email]]
    rows = {d.invitation.contact_id: d for d in LinkDelivery.objects.select_related("invitation")}
    gina, ivy = rows[room.gina.pk], rows[room.ivy.pk]
    assert (gina.status, gina.error, gina.delivered_at, gina.attempts) == (
        "failed",
        REFUSED,
        None,
        1,
    )
    assert (ivy.status, ivy.error, ivy.attempts) == ("delivered", "", 1)
    assert ivy.delivered_at is not None
    queued = AuditEvent.objects.get(action="voting.links_queued")
    assert sorted(queued.changes["queued"]) == sorted([room.gina.pk, room.ivy.pk])
    failed = AuditEvent.objects.get(action="voting.link_not_delivered")
    assert (failed.changes, failed.reason) == ({"contact": room.gina.pk, "retry": False}, REFUSED)
    assert [
        e.changes["contact"] for e in AuditEvent.objects.filter(action="voting.link_delivered")
    ] == [room.ivy.pk]
    # The facilitator reads it on the voting page and in the API's ballots.
    page = Client()
    page.force_login(room.cast.users["facilitator"])
    html = page.get(
        f"/w/{room.cast.acme.slug}/insights/sessions/{room.session.pk}/voting/"
    ).content.decode()
    assert '<span class="badge badge-warn">Link not delivered</span>' in html
    assert "Recipient address rejected: User unknown" in html
    assert '<span class="badge badge-ok">Link delivered</span>' in html
    assert "Email again" in html
    state = client.get(f"/api/v1/sessions/{room.session.pk}/voting").json()
    ballots = {b["contact_id"]: b for b in state["ballots"]}
    assert (
        ballots[room.gina.pk]["link_delivery"],
        ballots[room.gina.pk]["link_delivery_error"],
    ) == ("failed", REFUSED)
    assert ballots[room.ivy.pk]["link_delivery"] == "delivered"
    # The address is corrected; emailing again delivers and the record says so.
    Contact.objects.filter(pk=room.gina.pk).update(email="gina.new@globex.test")
    with django_capture_on_commit_callbacks(execute=True):
        _post(
            client,
            f"/sessions/{room.session.pk}/voting/links/email",
            {"contact_ids": [room.gina.pk]},
        )
    gina.refresh_from_db()
    assert (gina.status, gina.error, gina.attempts) == ("delivered", "", 2)
    assert refusing_server.messages[-1].rcpt_tos == ["gina.new@globex.test"]


def test_a_link_is_queued_until_the_task_runs(
    smtp_server: SmtpServer, opened: Room, django_capture_on_commit_callbacks: Capture
) -> None:
    room = opened
    with django_capture_on_commit_callbacks(execute=False) as queued:
        link_mail.email_voting_links(
            room.cast.viewer("facilitator"), session=room.session, contact_ids=[room.ivy.pk]
        )
    assert [(d.status, d.delivered_at) for d in LinkDelivery.objects.all()] == [("queued", None)]
    assert not AuditEvent.objects.filter(action="voting.link_delivered").exists()
    client = Client()
    client.force_login(room.cast.users["facilitator"])
    html = client.get(
        f"/w/{room.cast.acme.slug}/insights/sessions/{room.session.pk}/voting/"
    ).content.decode()
    assert "Link email queued (sending…)" in html
    for callback in queued:
        callback()
    assert [d.status for d in LinkDelivery.objects.all()] == ["delivered"]


def test_an_unreachable_server_is_not_delivered_and_tried_again_later(
    smtp_server: SmtpServer, opened: Room, settings: Any
) -> None:
    room = opened
    with_queue = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS = with_queue
    settings.EMAIL_PORT = _free_port("127.0.0.1")  # nobody listens there
    link_mail.email_voting_links(
        room.cast.viewer("facilitator"), session=room.session, contact_ids=[room.ivy.pk]
    )
    tasks.deliver_voting_link.call(room.ivy_invitation.pk)
    found = LinkDelivery.objects.get()
    assert found.status == "failed"
    assert found.error.startswith(
        "Voting link not delivered: the mail server could not be reached ("
    )
    assert "Traction tries again at" in found.error
    retry = DBTaskResult.objects.get(args_kwargs__args=[room.ivy_invitation.pk, 2])
    assert retry.run_after > timezone.now() + timedelta(seconds=50)
    event = AuditEvent.objects.get(action="voting.link_not_delivered")
    assert event.changes == {"contact": room.ivy.pk, "retry": True}
