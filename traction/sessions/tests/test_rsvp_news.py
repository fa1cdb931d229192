"""Issue 11: what the facilitator hears of customers' RSVPs (a notice per answer; an email
per their choice: each answer, a daily digest, none), unanswered invitations flagged two
days before the session (on its page, and once as a notice), and a new time asking the
customers who accepted to confirm it again. The clock is frozen: every deadline is tested
at the exact moment it falls due."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from traction.accounts.models import Notice
from traction.core import clock
from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers import services as customers
from traction.customers.models import Contact
from traction.sessions import selectors, services
from traction.sessions.models import (
    Invitation,
    RsvpAnswer,
    RsvpAnswerEmail,
    RsvpEmailPreference,
    RsvpStatus,
    Session,
    SessionKind,
)
from traction.sessions.rsvp import customer_principal
from traction.sessions.services.rsvps import facilitator_ids
from traction.sessions.tasks import rsvp_daily, send_rsvp_digests

pytestmark = pytest.mark.django_db

# Friday 19 March 2027, 10:00 UTC; the session is a week later, 09:00–12:30 in Berlin
# (08:00 UTC, before the clocks change on the 28th).
T0 = datetime(2027, 3, 19, 10, 0, tzinfo=UTC)
STARTS = datetime(2027, 3, 26, 8, 0, tzinfo=UTC)
Capture = Callable[..., Any]


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(T0) as c:
        yield c


@pytest.fixture
def session(cast: Cast, frozen: clock.FrozenClock) -> Session:
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=datetime(2027, 3, 26, 9, 0),
        ends_at=datetime(2027, 3, 26, 12, 30),
        time_zone="Europe/Berlin",
        location="Acme Berlin, Room Spree",
    )


def contact(cast: Cast, name: str) -> Contact:
    assert cast.customer is not None
    return customers.add_contact(
        cast.viewer("facilitator"),
        customer=cast.customer,
        name=name,
        email=f"{name.split()[0].lower()}@globex.test",
        consent_to_contact=True,
    )


def invite(cast: Cast, session: Session, person: Contact, capture: Capture) -> Invitation:
    with capture(execute=True):
        request = services.request_outreach(
            cast.viewer("facilitator"), session=session, contact=person
        )
        owner = person.customer.account_owner
        assert owner is not None
        services.decide_outreach(
            cast.viewer("admin" if owner == cast.users["admin"] else "account_owner"),
            request=request,
            approve=True,
        )
        return services.send_invitation(cast.viewer("facilitator"), request=request)


def answer(invitation: Invitation, capture: Capture, *, accept: bool, note: str = "") -> None:
    with capture(execute=True):
        services.respond_rsvp(
            customer_principal(invitation.pk, invitation.contact_id), accept=accept, note=note
        )


def add(cast: Cast, session: Session, principal: str, role: str, capture: Capture) -> None:
    with capture(execute=True):
        services.add_participant(
            cast.viewer("facilitator"),
            session=session,
            user_id=cast.users[principal].pk,
            role=role,
        )


def rsvp_notices(user: Any) -> list[str]:
    return list(
        Notice.objects.filter(user=user, text__startswith="RSVP")
        .order_by("id")
        .values_list("text", flat=True)
    )


def rsvp_mail(address: str) -> list[Any]:
    return [m for m in mail.outbox if address in m.to[0] and m.subject.startswith("RSVP")]


# --- the notice ----------------------------------------------------------------------------------


def test_each_answer_is_a_notice_to_the_sessions_facilitators(
    cast: Cast, session: Session, django_capture_on_commit_callbacks: Capture
) -> None:
    capture = django_capture_on_commit_callbacks
    add(cast, session, "facilitator", "facilitator", capture)
    add(cast, session, "admin", "facilitator", capture)
    add(cast, session, "core_team", "note_taker", capture)
    gina = invite(cast, session, cast.contact, capture)  # type: ignore[arg-type]

    answer(gina, capture, accept=True, note="Looking forward to it")
    answer(gina, capture, accept=False, note="Sorry, a clash after all")

    expected = [
        "RSVP for “Onboarding co-design”: Gina Globex (Globex) accepted: “Looking forward to it”",
        "RSVP for “Onboarding co-design”: Gina Globex (Globex) declined: "
        "“Sorry, a clash after all”",
    ]
    assert rsvp_notices(cast.users["facilitator"]) == expected
    assert rsvp_notices(cast.users["admin"]) == expected
    assert rsvp_notices(cast.users["core_team"]) == []  # a note taker is not told
    notice = Notice.objects.filter(user=cast.users["facilitator"], text__startswith="RSVP").first()
    assert notice is not None
    assert notice.link == reverse("sessions:detail", args=["acme", session.pk])
    answers = list(RsvpAnswer.objects.values_list("rsvp", "note", "answered_at"))
    assert answers == [
        ("accepted", "Looking forward to it", T0),
        ("declined", "Sorry, a clash after all", T0),
    ]


def test_without_a_named_facilitator_the_planner_hears(
    cast: Cast, session: Session, django_capture_on_commit_callbacks: Capture
) -> None:
    capture = django_capture_on_commit_callbacks
    add(cast, session, "core_team", "note_taker", capture)
    assert facilitator_ids(session) == [cast.users["facilitator"].pk]  # she planned it
    gina = invite(cast, session, cast.contact, capture)  # type: ignore[arg-type]
    answer(gina, capture, accept=True)
    assert rsvp_notices(cast.users["facilitator"]) == [
        "RSVP for “Onboarding co-design”: Gina Globex (Globex) accepted"
    ]


# --- the member's choice -------------------------------------------------------------------------


def test_the_choice_defaults_to_a_daily_digest_and_is_audited(cast: Cast) -> None:
    fran = cast.viewer("facilitator")
    assert services.rsvps.rsvp_emails_for(fran) == "digest"
    services.choose_rsvp_emails(fran, rsvp_emails="each")
    services.choose_rsvp_emails(fran, rsvp_emails="each")  # the same again: no second event
    assert services.rsvps.rsvp_emails_for(fran) == "each"
    assert services.rsvps.rsvp_emails_for(cast.viewer("admin")) == "digest"  # hers only
    events = list(
        AuditEvent.objects.filter(action="rsvp_emails.chosen").values_list("changes", flat=True)
    )
    assert events == [{"rsvp_emails": ["digest", "each"]}]


def test_an_unknown_choice_is_refused_and_changes_nothing(cast: Cast) -> None:
    fran = cast.viewer("facilitator")
    with pytest.raises(ValidationFailed) as refused:
        services.choose_rsvp_emails(fran, rsvp_emails="hourly")
    assert refused.value.errors == {
        "rsvp_emails": ["Choose each answer, a daily digest or no emails."]
    }
    assert not RsvpEmailPreference.objects.exists()
    assert not AuditEvent.objects.filter(action="rsvp_emails.chosen").exists()


# --- the emails ----------------------------------------------------------------------------------


def test_each_answer_emails_at_once_the_digest_once_a_day_and_none_never(
    cast: Cast,
    session: Session,
    frozen: clock.FrozenClock,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    add(cast, session, "facilitator", "facilitator", capture)  # default: daily digest
    add(cast, session, "admin", "facilitator", capture)
    services.choose_rsvp_emails(cast.viewer("admin"), rsvp_emails="each")
    add(cast, session, "sponsor", "facilitator", capture)
    services.choose_rsvp_emails(cast.viewer("sponsor"), rsvp_emails="none")
    gina = invite(cast, session, cast.contact, capture)  # type: ignore[arg-type]
    hank = invite(cast, session, contact(cast, "Hank Globex"), capture)
    mail.outbox.clear()

    answer(gina, capture, accept=True, note="See you there")
    answer(hank, capture, accept=False)

    # Alice (each answer): one email per answer, at once.
    assert [m.subject for m in rsvp_mail("alice@acme.test")] == [
        "RSVP: Gina Globex accepted — Onboarding co-design",
        "RSVP: Hank Globex declined — Onboarding co-design",
    ]
    assert 'Gina Globex (Globex): accepted: "See you there"' in rsvp_mail("alice@acme.test")[0].body
    assert rsvp_mail("fran@acme.test") == []  # her digest comes with the daily run
    mail.outbox.clear()

    # The daily run: Fran gets one digest with both answers; Alice and Sam nothing more.
    assert send_rsvp_digests.call() == 1
    (digest,) = mail.outbox
    assert (digest.to, digest.subject) == (
        ["Fran Facilitator <fran@acme.test>"],
        "RSVPs today: 2 answers",
    )
    assert 'Gina Globex (Globex): accepted: "See you there"' in digest.body
    assert "Hank Globex (Globex): declined" in digest.body
    assert reverse("accounts:settings", args=["acme"]) in digest.body
    mail.outbox.clear()

    # Running it again the same day sends nothing; an answer after today's digest waits...
    assert send_rsvp_digests.call() == 0
    frozen.advance(hours=3)
    answer(hank, capture, accept=True, note="Moved my trip")
    assert send_rsvp_digests.call() == 0
    assert rsvp_mail("fran@acme.test") == []
    # ...for tomorrow's, which holds only what she was not sent.
    frozen.advance(days=1)
    assert send_rsvp_digests.call() == 1
    (tomorrow,) = rsvp_mail("fran@acme.test")
    assert tomorrow.subject == "RSVPs today: 1 answer"
    assert "Gina" not in tomorrow.body
    assert 'Hank Globex (Globex): accepted: "Moved my trip"' in tomorrow.body
    assert send_rsvp_digests.call() == 0

    # Sam chose none: notices, never an email. Each answer was emailed once per person.
    assert rsvp_mail("sam@acme.test") == []
    assert len(rsvp_notices(cast.users["sponsor"])) == 3
    sent = sorted(
        RsvpAnswerEmail.objects.values_list("user__email", "digest").order_by("user__email")
    )
    assert sent == [("alice@acme.test", False)] * 3 + [("fran@acme.test", True)] * 3


# --- unanswered invitations two days before ------------------------------------------------------


def test_unanswered_invitations_are_flagged_two_days_before_and_told_once(
    cast: Cast,
    session: Session,
    frozen: clock.FrozenClock,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    add(cast, session, "facilitator", "facilitator", capture)
    gina = invite(cast, session, cast.contact, capture)  # type: ignore[arg-type]
    hank = invite(cast, session, contact(cast, "Hank Globex"), capture)
    invite(cast, session, contact(cast, "Ida Globex"), capture)
    answer(hank, capture, accept=True)
    fran = cast.users["facilitator"]

    # Just over two days before: nothing yet.
    frozen.advance(STARTS - timedelta(days=2, seconds=1) - T0)
    assert selectors.unanswered_flag(session) is None
    assert rsvp_daily.call()["flagged"] == 0
    # Two days before, to the second: flagged on the page and once as a notice.
    frozen.advance(seconds=1)
    flag = selectors.unanswered_flag(session)
    assert flag is not None
    assert flag.text == "2 invitations unanswered, session in 2 days"
    assert rsvp_daily.call()["flagged"] == 1
    assert rsvp_daily.call()["flagged"] == 0
    frozen.advance(days=1)
    assert rsvp_daily.call()["flagged"] == 0  # once, not every day
    (notice,) = Notice.objects.filter(user=fran, action=f"rsvp.unanswered:{session.pk}")
    assert notice.text == (
        "“Onboarding co-design”: 2 invitations unanswered, session in 2 days. "
        "Remind them, or plan without them."
    )
    assert notice.resolved_at is None
    assert AuditEvent.objects.filter(action="session.unanswered_flagged").count() == 1
    flag = selectors.unanswered_flag(session)
    assert flag is not None
    assert flag.text == "2 invitations unanswered, session tomorrow"

    # When the last one answers, the notice is done and the flag gone.
    answer(gina, capture, accept=True)
    assert selectors.unanswered_flag(session).text == (  # type: ignore[union-attr]
        "1 invitation unanswered, session tomorrow"
    )
    ida = Invitation.objects.get(contact__name="Ida Globex")
    answer(ida, capture, accept=False)
    notice.refresh_from_db()
    assert notice.resolved_at == clock.now()
    assert selectors.unanswered_flag(session) is None


def test_practice_cancelled_and_past_sessions_are_not_flagged(
    cast: Cast,
    session: Session,
    frozen: clock.FrozenClock,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    invite(cast, session, cast.contact, capture)  # type: ignore[arg-type]
    practice = services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,  # type: ignore[arg-type]
        title="Dry run",
        kind=SessionKind.PRACTICE,
        starts_at=datetime(2027, 3, 20, 9, 0),
        ends_at=datetime(2027, 3, 20, 10, 0),
        time_zone="Europe/Berlin",
    )
    frozen.advance(STARTS - timedelta(days=1) - T0)
    assert selectors.unanswered_flag(practice) is None
    with capture(execute=True):
        services.cancel_session(cast.viewer("facilitator"), session=session, reason="Room gone")
    session.refresh_from_db()
    assert selectors.unanswered_flag(session) is None
    assert rsvp_daily.call()["flagged"] == 0
    assert not Notice.objects.filter(action__startswith="rsvp.unanswered").exists()


def test_the_account_owner_sees_the_flag_counting_only_what_they_may_see(
    cast: Cast,
    session: Session,
    frozen: clock.FrozenClock,
    client_for: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    invite(cast, session, cast.contact, capture)  # type: ignore[arg-type]
    invite(cast, session, contact(cast, "Hank Globex"), capture)
    assert cast.other_customer is not None
    # Initech is Alice's account: Owen may not see its people, nor count them.
    customers.update_customer(
        cast.viewer("admin"),
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["admin"].pk},
    )
    ivy = customers.add_contact(
        cast.viewer("facilitator"),
        customer=cast.other_customer,
        name="Ivy Initech",
        email="ivy@initech.test",
        consent_to_contact=True,
    )
    invite(cast, session, ivy, capture)
    frozen.advance(STARTS - timedelta(hours=20) - T0)
    url = reverse("sessions:detail", args=["acme", session.pk])
    fran_page = client_for("facilitator").get(url).content.decode()
    assert "3 invitations unanswered, session tomorrow." in fran_page
    owen_page = client_for("account_owner").get(url).content.decode()
    assert "2 invitations unanswered, session tomorrow." in owen_page  # Globex's only


# --- a new time ----------------------------------------------------------------------------------


def test_a_new_time_asks_who_accepted_to_confirm_again(
    cast: Cast, session: Session, django_capture_on_commit_callbacks: Capture, client: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    gina = invite(cast, session, cast.contact, capture)  # type: ignore[arg-type]
    hank = invite(cast, session, contact(cast, "Hank Globex"), capture)
    ida = invite(cast, session, contact(cast, "Ida Globex"), capture)
    answer(gina, capture, accept=True)
    answer(hank, capture, accept=False)
    assert selectors.readiness(session).checks[1].detail == "1 of 3 accepted, 1 not answered"

    # A new room only: nothing to confirm again.
    with capture(execute=True):
        session = services.update_session(
            cast.viewer("facilitator"), session=session, changes={"location": "Room Havel"}
        )
    gina.refresh_from_db()
    assert gina.rsvp == RsvpStatus.ACCEPTED

    mail.outbox.clear()
    with capture(execute=True):
        session = services.update_session(
            cast.viewer("facilitator"),
            session=session,
            changes={
                "starts_at": datetime(2027, 3, 26, 14, 0),
                "ends_at": datetime(2027, 3, 26, 17, 30),
            },
        )
    states = dict(Invitation.objects.values_list("contact__name", "rsvp"))
    assert states == {
        "Gina Globex": "reconfirm",
        "Hank Globex": "declined",
        "Ida Globex": "invited",
    }
    readiness = selectors.readiness(session)
    invitations = next(c for c in readiness.checks if c.key == "invitations")
    assert (invitations.done, invitations.detail) == (
        False,
        "0 of 3 accepted, 2 not answered (1 asked to confirm the new time)",
    )
    (event,) = AuditEvent.objects.filter(action="invitation.reconfirm_requested")
    assert (event.object_id, event.changes) == (
        str(gina.pk),
        {"rsvp": ["accepted", "reconfirm"]},
    )
    # (The debrief booked with the session moves too: its invitees' updates are not these.)
    subjects = sorted((m.to[0], m.subject) for m in mail.outbox if "Debrief" not in m.subject)
    assert subjects == [
        (
            "Gina Globex <gina@globex.test>",
            "New time, please confirm: Onboarding co-design — "
            "Fri 26 Mar 2027, 14:00–17:30 (Europe/Berlin)",
        ),
        (
            "Ida Globex <ida@globex.test>",
            "Updated: Onboarding co-design — Fri 26 Mar 2027, 14:00–17:30 (Europe/Berlin)",
        ),
    ]
    # Both parts ask her to confirm; her page says the session moved before she answers.
    asked = next(m for m in mail.outbox if m.to[0].startswith("Gina"))
    assert "Can you still join?" in asked.body
    assert "Can you still join?" in asked.alternatives[0][0]
    found = re.search(r"https?://[^/\s]+(/rsvp/\S+/)", asked.body)
    assert found, asked.body
    page = client.get(found.group(1)).content.decode()
    assert "The session has moved to a new time" in page
    # Confirming the new time makes her accepted again.
    answer(gina, capture, accept=True, note="The afternoon works")
    gina.refresh_from_db()
    assert gina.rsvp == RsvpStatus.ACCEPTED
    assert ida.rsvp == RsvpStatus.INVITED


def test_sending_again_to_someone_asked_to_confirm_asks_again(
    cast: Cast, session: Session, django_capture_on_commit_callbacks: Capture
) -> None:
    capture = django_capture_on_commit_callbacks
    gina = invite(cast, session, cast.contact, capture)  # type: ignore[arg-type]
    answer(gina, capture, accept=True)
    with capture(execute=True):
        session = services.update_session(
            cast.viewer("facilitator"),
            session=session,
            changes={"starts_at": datetime(2027, 3, 26, 10, 0)},
        )
    mail.outbox.clear()
    gina.refresh_from_db()
    with capture(execute=True):
        services.resend_invitation(cast.viewer("facilitator"), invitation=gina)
    (again,) = mail.outbox
    assert again.subject.startswith("New time, please confirm: Onboarding co-design")


# --- the periodic command ------------------------------------------------------------------------


def test_traction_sessions_remind_flags_and_sends_digests(
    cast: Cast,
    session: Session,
    frozen: clock.FrozenClock,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    from click.testing import CliRunner

    from traction.cli.main import cli

    capture = django_capture_on_commit_callbacks
    gina = invite(cast, session, cast.contact, capture)  # type: ignore[arg-type]
    invite(cast, session, contact(cast, "Hank Globex"), capture)
    answer(gina, capture, accept=True)
    frozen.advance(days=6)
    result = CliRunner().invoke(cli, ["sessions", "remind"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == ("1 notice(s) about unanswered invitations, 1 RSVP digest(s) sent.\n")
    result = CliRunner().invoke(cli, ["sessions", "remind"], catch_exceptions=False)
    assert result.output == ("0 notice(s) about unanswered invitations, 0 RSVP digest(s) sent.\n")


def test_recording_when_a_held_session_took_place_asks_nobody_again(
    cast: Cast,
    session: Session,
    frozen: clock.FrozenClock,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    capture = django_capture_on_commit_callbacks
    gina = invite(cast, session, cast.contact, capture)  # type: ignore[arg-type]
    answer(gina, capture, accept=True)
    with capture(execute=True):
        services.update_session(
            cast.viewer("facilitator"),
            session=session,
            changes={
                "starts_at": datetime(2027, 3, 12, 9, 0),
                "ends_at": datetime(2027, 3, 12, 12, 30),
            },
        )
    gina.refresh_from_db()
    assert gina.rsvp == RsvpStatus.ACCEPTED
    assert not AuditEvent.objects.filter(action="invitation.reconfirm_requested").exists()


def test_a_link_answering_over_and_over_does_not_flood_the_facilitators(
    cast: Cast,
    session: Session,
    frozen: clock.FrozenClock,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    """Attacker's review: whoever holds an RSVP link (a forwarded invitation) could post
    answers without end, each one a notice to every facilitator and, for one who chose "each
    answer", an email carrying the note they typed. The same answer again records nothing;
    past ``ANSWERS_PER_HOUR`` changes in an hour an answer is refused, and nobody hears of it
    until the hour has passed."""
    from traction.sessions.services.rsvps import ANSWERS_PER_HOUR

    capture = django_capture_on_commit_callbacks
    add(cast, session, "admin", "facilitator", capture)
    services.choose_rsvp_emails(cast.viewer("admin"), rsvp_emails="each")
    gina = invite(cast, session, cast.contact, capture)  # type: ignore[arg-type]
    mail.outbox.clear()

    answer(gina, capture, accept=True, note="See you there")
    answer(gina, capture, accept=True, note="See you there")  # the same again: nothing new
    assert RsvpAnswer.objects.count() == 1
    assert len(rsvp_mail("alice@acme.test")) == 1
    for n in range(1, ANSWERS_PER_HOUR):
        answer(gina, capture, accept=n % 2 == 0, note=f"Call me on 0170 {n}")
    assert RsvpAnswer.objects.count() == ANSWERS_PER_HOUR
    with pytest.raises(ValidationFailed) as refused:
        answer(gina, capture, accept=True, note="Buy cheap watches at spam.example")
    assert "in the last hour" in refused.value.errors["__all__"][0]
    assert RsvpAnswer.objects.count() == ANSWERS_PER_HOUR
    assert len(rsvp_mail("alice@acme.test")) == ANSWERS_PER_HOUR
    assert "spam.example" not in Invitation.objects.get(pk=gina.pk).rsvp_note
    assert len(rsvp_notices(cast.users["admin"])) == ANSWERS_PER_HOUR
    frozen.advance(timedelta(hours=1, seconds=1))
    answer(gina, capture, accept=True, note="Sorted: see you there")
    assert RsvpAnswer.objects.count() == ANSWERS_PER_HOUR + 1
