"""Sending the pack and the account owners' digests, through a real SMTP server on
loopback: the recipient list (attendees who were there, the program's policy makers and
sponsor; never the rest of the workspace, never customers), each email's text and HTML
parts and its PDF read back with pypdf; sending again only when asked; each account owner
whose customers took part gets the decisions touching them, once, and nobody else does."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pypdf
import pytest
from django.test import Client

from tests.email import conftest as mail
from tests.email.conftest import SmtpServer
from traction.core import clock, periodic
from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.debrief import selectors_pack
from traction.debrief.models import Debrief
from traction.debrief.services import closing
from traction.debrief.services.closing import Revisit

from .pack_data import PackWorld, build_pack_world

pytestmark = pytest.mark.django_db
smtp_server = mail.smtp_server  # the real SMTP server on loopback (a fixture)
Capture = Callable[..., Any]


def close(w: PackWorld) -> Debrief:
    u = w.cast.users
    on = clock.today() + timedelta(days=14)
    closing.close_debrief(
        w.cast.viewer("facilitator"),
        debrief=w.debrief,
        # Sam stayed away; Olive came uninvited.
        attendance={
            u["facilitator"].pk: True,
            u["core_team"].pk: True,
            u["sponsor"].pk: False,
            u["observer"].pk: True,
        },
        note="Invoices on signing day.",
        undecided=[Revisit(w.cards["idea"].pk, on), Revisit(w.cards["issue2"].pk, on)],
    )
    w.debrief = Debrief.objects.get(pk=w.debrief.pk)
    return w.debrief


@pytest.fixture
def world(cast: Cast) -> PackWorld:
    w = build_pack_world(cast)
    close(w)
    return w


def test_the_recipients_are_attendees_policy_makers_and_the_sponsor_only(world: PackWorld) -> None:
    found = {r.email: r.why for r in selectors_pack.recipients(world.debrief)}
    assert found == {
        "fran@acme.test": "attended",
        "cora@acme.test": "attended",
        "olive@acme.test": "attended",  # came uninvited, recorded present
        "petra@acme.test": "policy maker",
        "sam@acme.test": "executive sponsor",  # absent, but decides in the program
    }
    # Not Owen, Una or Alice (members who were not there), never a customer.
    assert not {"owen@acme.test", "una@acme.test", "alice@acme.test"} & set(found)
    assert not any(e.endswith((".test",)) and "@acme" not in e for e in found)


def test_before_closing_the_attendees_are_invited_not_attended(cast: Cast) -> None:
    w = build_pack_world(cast)  # open: nobody's attendance is recorded yet
    found = {r.email: r.why for r in selectors_pack.recipients(w.debrief)}
    assert found == {
        "fran@acme.test": "invited",
        "cora@acme.test": "invited",
        "petra@acme.test": "policy maker",
        "sam@acme.test": "invited, executive sponsor",
    }


def test_someone_present_who_may_not_see_the_debrief_gets_no_pack(cast: Cast) -> None:
    """Owen (an account owner outside the program) came uninvited: he attended, but the
    debrief is not his to see, so the pack does not go to him."""
    w = build_pack_world(cast)
    u = cast.users
    on = clock.today() + timedelta(days=14)
    closing.close_debrief(
        cast.viewer("facilitator"),
        debrief=w.debrief,
        attendance={u["facilitator"].pk: True, u["account_owner"].pk: True},
        note="Owen dropped by.",
        undecided=[Revisit(w.cards["idea"].pk, on), Revisit(w.cards["issue2"].pk, on)],
    )
    closed = Debrief.objects.get(pk=w.debrief.pk)
    assert closed.attendees.get(user=u["account_owner"]).present is True
    emails = [r.email for r in selectors_pack.recipients(closed)]
    assert emails == ["fran@acme.test", "petra@acme.test", "sam@acme.test"]
    # Review 20 finding 6: left out, and said so (send page and API), not silently.
    [owen] = selectors_pack.excluded(closed)
    assert (owen.name, owen.why) == ("Owen Owner", "attended")
    assert owen.reason == f"may not see the debriefs of “{closed.program.name}”"
    client = Client()
    client.force_login(u["facilitator"])
    page = client.get(w.url + "send/").content.decode()
    assert "Not sent to (1)" in page
    assert f"Owen Owner may not see the debriefs of “{closed.program.name}”: not sent" in page


def test_a_policy_maker_who_left_the_workspace_gets_nothing(world: PackWorld) -> None:
    from traction.accounts.models import Membership

    Membership.objects.filter(user=world.petra).update(archived_at=clock.now())
    assert "petra@acme.test" not in {r.email for r in selectors_pack.recipients(world.debrief)}


def parts(message: Any) -> dict[str, Any]:
    return {p.get_content_type(): p for p in message.walk() if not p.is_multipart()}


def test_sending_emails_each_recipient_text_html_and_the_pdf(
    world: PackWorld,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sent = closing.send_pack(world.cast.viewer("facilitator"), debrief=world.debrief)
    assert len(sent) == 5
    assert sorted(a for m in smtp_server.messages for a in m.rcpt_tos) == sorted(
        r.email for r in sent
    )
    [cora] = smtp_server.to("cora@acme.test")
    assert cora.subject == "Debrief pack: Voting session"
    found = parts(cora.message)
    assert set(found) == {"text/plain", "text/html", "application/pdf"}
    text = found["text/plain"].get_content()
    assert "Fran Facilitator sent you the debrief pack" in text
    assert "Send the first invoice on signing day: Approved" in text
    assert f"/debriefs/{world.debrief.pk}/pack/" in text
    html = found["text/html"].get_content()
    assert "<h2>Decided recommendations (2)</h2>" in html
    pdf = found["application/pdf"]
    assert pdf.get_filename().startswith("debrief-pack-voting-session-")
    reader = pypdf.PdfReader(io.BytesIO(pdf.get_payload(decode=True)))
    words = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for phrase in ("Send the first invoice on signing day", "Cora Core", "Days to first invoice"):
        assert phrase in words
    debrief = Debrief.objects.get(pk=world.debrief.pk)
    assert debrief.pack_sent_at is not None
    event = AuditEvent.objects.get(action="debrief.pack_sent")
    assert sorted(event.changes["recipients"]) == sorted(r.user_id for r in sent)


def test_sending_again_must_be_asked_for(
    world: PackWorld,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    fran = world.cast.viewer("facilitator")
    with django_capture_on_commit_callbacks(execute=True):
        closing.send_pack(fran, debrief=world.debrief)
    smtp_server.clear()
    with pytest.raises(ValidationFailed) as exc:
        closing.send_pack(fran, debrief=world.debrief)
    assert "already sent" in exc.value.errors["__all__"][0]
    assert smtp_server.messages == []
    with django_capture_on_commit_callbacks(execute=True):
        closing.send_pack(fran, debrief=world.debrief, resend=True)
    assert len(smtp_server.messages) == 5
    assert AuditEvent.objects.filter(action="debrief.pack_resent").count() == 1


def test_an_open_debrief_sends_no_pack(cast: Cast) -> None:
    w = build_pack_world(cast)
    with pytest.raises(ValidationFailed) as exc:
        closing.send_pack(cast.viewer("facilitator"), debrief=w.debrief)
    assert exc.value.errors == {"__all__": ["Close the debrief before sending its pack."]}


def test_the_send_page_lists_the_recipients_before_sending(
    world: PackWorld,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    client = Client()
    client.force_login(world.cast.users["facilitator"])
    page = client.get(world.url + "send/")
    body = page.content.decode()
    assert page.status_code == 200
    for name in ("Fran Facilitator", "Cora Core", "Olive Observer", "Petra Policy", "Sam Sponsor"):
        assert name in body
    assert "Owen Owner" not in body
    assert "Gina" not in body
    assert smtp_server.messages == []  # nothing sent by looking
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(world.url + "send/")
    assert done.status_code == 302
    assert len(smtp_server.messages) == 5
    again = client.get(world.url + "send/").content.decode()
    assert "Send again" in again
    # Sent: the list is who a second sending would reach, not who "will receive" it.
    assert "Who will receive the pack" in body
    assert "Who will receive the pack" not in again
    assert "Who gets it if you send it again (5)" in again


def test_the_digest_goes_once_to_each_owner_with_what_touches_their_customers(
    world: PackWorld,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        counts = periodic.run_all()
    assert counts["debrief.pack_digests"] == {"debriefs": 1, "digests": 2}
    # (The same periodic run sends other jobs' emails too: RSVP digests, the clock's reminders.)
    digests = [m for m in smtp_server.messages if m.subject.startswith("Decisions touching")]
    by = {m.rcpt_tos[0]: m for m in digests}
    # Owen (Globex: Gina's moment of truth) and Alice (Initech: Ian's issue); Una's Umbrella
    # took part but said nothing any decision rests on: no digest.
    assert set(by) == {"owen@acme.test", "alice@acme.test"}
    owen = by["owen@acme.test"]
    assert owen.subject == "Decisions touching your customers: Voting session"
    assert {p.get_content_type() for p in owen.message.walk() if not p.is_multipart()} == {
        "text/plain",
        "text/html",
    }
    assert "Send the first invoice on signing day" in owen.body
    assert '"The first invoice arrives" (Gina Globex, Globex)' in owen.body
    assert "Fast-track" not in owen.body
    assert "Initech" not in owen.body
    alice = by["alice@acme.test"]
    assert "Fast-track enterprise approvals" in alice.body
    assert "Deferred until" in alice.body
    assert "Globex" not in alice.body
    assert "Send the first invoice" not in alice.body
    assert Debrief.objects.get(pk=world.debrief.pk).digests_sent_at is not None
    # Once: the next run sends nothing.
    smtp_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = periodic.run_all()
    assert again["debrief.pack_digests"] == {"debriefs": 0, "digests": 0}
    assert smtp_server.messages == []


def test_no_digest_for_an_open_debrief_or_when_nothing_was_decided(
    cast: Cast,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    w = build_pack_world(cast, decided=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert closing.send_digests() == {"debriefs": 0, "digests": 0}  # not closed yet
    later = clock.today() + timedelta(days=7)
    closing.close_debrief(
        cast.viewer("facilitator"),
        debrief=w.debrief,
        attendance={cast.users["facilitator"].pk: True},
        note="Nothing decided.",
        undecided=[
            Revisit(c.insight_id, later)
            for c in selectors_pack.undecided_priorities(cast.viewer("admin"), w.debrief)
        ],
        empty_reason="The sponsor was ill.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert closing.send_digests() == {"debriefs": 1, "digests": 0}
    assert smtp_server.messages == []


def test_the_digest_follows_the_evidence_not_the_invitations(world: PackWorld) -> None:
    """Review 20 finding 2: words imported from a transcript (or captured on a customer's
    behalf) come from customers nobody invited. Their account owners get the digest all the
    same; an invited customer whose words no decision rests on still gets none."""
    from traction.sessions.models import Invitation, RsvpAnswer

    invited = Invitation.objects.filter(session_id=world.debrief.session_id)
    RsvpAnswer.objects.filter(invitation__in=invited).delete()
    invited.delete()
    found = {d.owner_id: d for d in selectors_pack.digests(world.debrief)}
    u = world.cast.users
    assert set(found) == {u["account_owner"].pk, u["admin"].pk}
    assert found[u["account_owner"].pk].customers == ["Globex"]
    assert [i.rec.title for i in found[u["account_owner"].pk].items] == [
        "Send the first invoice on signing day"
    ]
