"""Service tests of every planning and preparation rule (DESIGN.md §3 steps 1–2, §4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from traction.accounts.models import Notice
from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers import services as customer_services
from traction.sessions import agenda, rsvp, selectors, services
from traction.sessions.models import (
    Invitation,
    OutreachRequest,
    OutreachStatus,
    Participant,
    RsvpStatus,
    Session,
    SessionKind,
    SessionStatus,
    TopQuestion,
)
from traction.sessions.rsvp import customer_principal
from traction.sessions.services import OutreachRequired

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def plan(cast: Cast, principal: str = "facilitator", **fields: Any) -> Session:
    """A co-design session of Onboarding, 09:00–12:30 Berlin time on 1 July 2030 (210 min)."""
    values: dict[str, Any] = {
        "program": cast.program,
        "title": "Onboarding co-design",
        "starts_at": datetime(2030, 7, 1, 9, 0),
        "ends_at": datetime(2030, 7, 1, 12, 30),
        "time_zone": "Europe/Berlin",
        **fields,
    }
    return services.plan_session(cast.viewer(principal), **values)


def requested(cast: Cast, session: Session, principal: str = "facilitator") -> OutreachRequest:
    assert cast.contact is not None
    return services.request_outreach(
        cast.viewer(principal), session=session, contact=cast.contact, message="Your view, please."
    )


def approved(cast: Cast, session: Session, conditions: str = "") -> OutreachRequest:
    return services.decide_outreach(
        cast.viewer("account_owner"),
        request=requested(cast, session),
        approve=True,
        conditions=conditions,
    )


def invited(cast: Cast, session: Session) -> Invitation:
    return services.send_invitation(cast.viewer("facilitator"), request=approved(cast, session))


def actions(obj: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(obj.pk), object_type=obj._meta.label_lower)
        .order_by("id")
        .values_list("action", flat=True)
    )


def recipients() -> list[str]:
    """The address of each email sent, in order."""
    return [parseaddr(to)[1] for message in mail.outbox for to in message.to]


def move_to_past(session: Session) -> None:
    start = timezone.now() - timedelta(days=2)
    Session.objects.filter(pk=session.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=3)
    )


# --- planning -------------------------------------------------------------------------------


def test_plan_session_localises_summer_time(cast: Cast) -> None:
    session = plan(cast)
    session.refresh_from_db()
    assert session.starts_at == datetime(2030, 7, 1, 7, 0, tzinfo=UTC)
    assert session.ends_at == datetime(2030, 7, 1, 10, 30, tzinfo=UTC)
    assert session.local_start.strftime("%H:%M %Z") == "09:00 CEST"
    assert session.length_minutes == 210
    assert session.workspace_id == cast.acme.pk
    assert session.created_by_id == cast.users["facilitator"].pk
    assert actions(session) == ["session.planned"]


def test_plan_session_localises_winter_time(cast: Cast) -> None:
    session = plan(cast, starts_at=datetime(2031, 1, 15, 9, 0), ends_at=datetime(2031, 1, 15, 12))
    session.refresh_from_db()
    assert session.starts_at == datetime(2031, 1, 15, 8, 0, tzinfo=UTC)
    assert session.local_start.strftime("%H:%M %Z") == "09:00 CET"


def test_plan_session_keeps_instants_given_with_an_offset(cast: Cast) -> None:
    start = datetime(2030, 7, 1, 9, 0, tzinfo=UTC)
    session = plan(cast, starts_at=start, ends_at=start + timedelta(hours=2))
    session.refresh_from_db()
    assert session.starts_at == start
    assert session.local_start.hour == 11


def test_plan_session_applies_the_co_design_template_in_the_methods_order(cast: Cast) -> None:
    session = plan(cast)
    items = selectors.agenda(session)
    assert [(i.position, i.title, i.minutes) for i in items] == [
        (1, "Welcome", 15),
        (2, "Issues & vision discussion", 45),
        (3, "Scenario mapping in customer teams", 90),
        (4, "Prioritisation", 30),
        (5, "Questions from our team", 20),
        (6, "Next steps", 10),
    ]
    assert [i.title for i in items] == [t.title for t in agenda.TEMPLATES[SessionKind.CO_DESIGN]]


def test_plan_session_without_template_has_no_agenda(cast: Cast) -> None:
    assert selectors.agenda(plan(cast, use_template=False)) == []


def test_plan_session_refuses_unknown_zone_and_backwards_times(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as bad_zone:
        plan(cast, time_zone="Mars/Olympus")
    assert list(bad_zone.value.errors) == ["time_zone"]
    with pytest.raises(ValidationFailed) as backwards:
        plan(cast, ends_at=datetime(2030, 7, 1, 8, 0))
    assert "ends_at" in backwards.value.errors
    assert not Session.objects.exists()


@pytest.mark.parametrize("principal", ["core_team", "sponsor", "account_owner", "observer"])
def test_only_admins_and_facilitators_plan(cast: Cast, principal: str) -> None:
    with pytest.raises(PermissionDenied):
        plan(cast, principal)
    assert not Session.objects.exists()


def test_stranger_cannot_plan_in_another_workspace(cast: Cast) -> None:
    with pytest.raises(NotFound):
        plan(cast, "stranger")


# --- gatekeeping ----------------------------------------------------------------------------


def test_request_goes_to_the_account_owner_with_a_notice(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    session = plan(cast)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request = requested(cast, session)
    assert request.status == OutreachStatus.PENDING
    assert request.account_owner_id == cast.users["account_owner"].pk
    assert request.requested_by_id == cast.users["facilitator"].pk
    assert request.message == "Your view, please."
    notice = Notice.objects.get(user=cast.users["account_owner"])
    assert notice.text == (
        "Approval needed: invite Gina Globex (Globex) to “Onboarding co-design”."
    )
    assert notice.link == f"/w/{cast.acme.slug}/sessions/outreach/{request.pk}/"
    assert len(callbacks) == 1
    assert recipients() == ["owen@acme.test"]
    assert actions(request) == ["outreach.requested"]


def test_owners_own_request_is_approved_at_once_and_audited(cast: Cast) -> None:
    session = plan(cast)
    # The account owner sees the session once it involves their customer; a facilitator
    # adds them as a participant so they can request it themself.
    services.add_participant(
        cast.viewer("facilitator"),
        session=session,
        user_id=cast.users["account_owner"].pk,
        role="observer",
    )
    request = requested(cast, session, "account_owner")
    assert request.status == OutreachStatus.APPROVED
    assert request.decided_by_id == cast.users["account_owner"].pk
    assert request.decided_at is not None
    assert actions(request) == ["outreach.requested", "outreach.approved"]
    event = AuditEvent.objects.get(action="outreach.approved", object_id=str(request.pk))
    assert event.reason == "Requested by the account owner."
    assert not Notice.objects.filter(user=cast.users["account_owner"]).exclude(
        text__startswith="You are"
    )


def test_request_needs_consent(cast: Cast) -> None:
    session = plan(cast)
    assert cast.other_contact is not None
    assert cast.other_customer is not None
    customer_services.update_customer(
        cast.viewer("admin"),
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["account_owner"].pk},
    )
    with pytest.raises(ValidationFailed) as exc:
        services.request_outreach(
            cast.viewer("facilitator"), session=session, contact=cast.other_contact
        )
    assert exc.value.errors == {
        "contact_id": ["Ian Initech has not agreed to be contacted; record their consent first."]
    }
    assert not OutreachRequest.objects.exists()


def test_outreach_for_several_contacts_refuses_each_on_its_own(cast: Cast) -> None:
    """The form's use-case: Ian (no consent) is refused beside his name; Gina is requested."""
    session = plan(cast)
    assert cast.other_contact is not None
    assert cast.contact is not None
    made, refused = services.request_outreach_for_contacts(
        cast.viewer("facilitator"),
        session=session,
        contacts=[cast.other_contact, cast.contact],
        message="Your view, please.",
    )
    assert [(r.contact_id, r.message) for r in made] == [(cast.contact.pk, "Your view, please.")]
    assert list(refused) == [cast.other_contact.pk]
    refusal = refused[cast.other_contact.pk]
    assert isinstance(refusal, ValidationFailed)
    assert refusal.errors == {
        "contact_id": [
            "Ian Initech has not agreed to be contacted; record their consent first. "
            "Initech has no account owner to approve outreach; assign one first."
        ]
    }
    assert list(OutreachRequest.objects.values_list("contact_id", flat=True)) == [cast.contact.pk]


def test_inviting_named_contacts_is_all_or_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    session = plan(cast)
    gina = approved(cast, session).contact_id
    pat = customer_services.add_contact(
        cast.viewer("facilitator"),
        customer=cast.customer,
        name="Pat Pending",
        email="pat@globex.test",
        consent_to_contact=True,
    )
    requested_pat = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=pat
    )
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(OutreachRequired),
    ):
        services.send_invitations(
            cast.viewer("facilitator"), session=session, contact_ids=[gina, pat.pk]
        )
    assert (Invitation.objects.count(), callbacks, mail.outbox) == (0, [], [])
    services.decide_outreach(cast.viewer("account_owner"), request=requested_pat, approve=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sent = services.send_invitations(
            cast.viewer("facilitator"), session=session, contact_ids=[gina, pat.pk]
        )
    assert [i.contact_id for i in sent] == [gina, pat.pk]
    assert len(callbacks) == 2
    assert sorted(recipients()) == ["gina@globex.test", "pat@globex.test"]


def test_request_needs_an_account_owner(cast: Cast) -> None:
    session = plan(cast)
    assert cast.other_contact is not None
    customer_services.update_contact(
        cast.viewer("admin"), contact=cast.other_contact, changes={"consent_to_contact": True}
    )
    cast.other_contact.refresh_from_db()
    with pytest.raises(ValidationFailed) as exc:
        services.request_outreach(
            cast.viewer("facilitator"), session=session, contact=cast.other_contact
        )
    assert exc.value.errors == {
        "contact_id": ["Initech has no account owner to approve outreach; assign one first."]
    }
    assert not OutreachRequest.objects.exists()


def test_a_contact_is_requested_once_per_session(cast: Cast) -> None:
    session = plan(cast)
    requested(cast, session)
    with pytest.raises(ValidationFailed) as exc:
        requested(cast, session)
    assert list(exc.value.errors) == ["contact_id"]
    assert OutreachRequest.objects.count() == 1


def test_no_request_for_a_cancelled_session(cast: Cast) -> None:
    session = services.cancel_session(
        cast.viewer("facilitator"), session=plan(cast), reason="Venue closed."
    )
    with pytest.raises(ValidationFailed) as exc:
        requested(cast, session)
    assert exc.value.errors == {"__all__": ["This session is cancelled."]}


def test_owner_approves_with_conditions_and_requester_is_told(cast: Cast) -> None:
    request = requested(cast, plan(cast))
    decided = services.decide_outreach(
        cast.viewer("account_owner"),
        request=request,
        approve=True,
        conditions="  Do not discuss pricing.  ",
    )
    assert decided.status == OutreachStatus.APPROVED
    assert decided.conditions == "Do not discuss pricing."
    assert decided.decided_by_id == cast.users["account_owner"].pk
    assert actions(request) == ["outreach.requested", "outreach.approved"]
    event = AuditEvent.objects.get(action="outreach.approved", object_id=str(request.pk))
    assert event.changes == {"conditions": "Do not discuss pricing."}
    notice = Notice.objects.get(user=cast.users["facilitator"])
    assert notice.text == "Outreach to Gina Globex for “Onboarding co-design” was approved."


def test_decline_needs_a_reason(cast: Cast) -> None:
    request = requested(cast, plan(cast))
    owen = cast.viewer("account_owner")
    with pytest.raises(ValidationFailed) as exc:
        services.decide_outreach(owen, request=request, approve=False, reason="  ")
    assert list(exc.value.errors) == ["reason"]
    request.refresh_from_db()
    assert request.status == OutreachStatus.PENDING
    declined = services.decide_outreach(
        owen, request=request, approve=False, conditions="ignored", reason="Renewal talks."
    )
    assert (declined.status, declined.reason, declined.conditions) == (
        OutreachStatus.DECLINED,
        "Renewal talks.",
        "",
    )
    event = AuditEvent.objects.get(action="outreach.declined", object_id=str(request.pk))
    assert event.reason == "Renewal talks."


def test_a_second_decision_is_refused(cast: Cast) -> None:
    request = approved(cast, plan(cast))
    with pytest.raises(ValidationFailed) as exc:
        services.decide_outreach(
            cast.viewer("account_owner"), request=request, approve=False, reason="Changed my mind."
        )
    assert exc.value.errors == {"__all__": ["This request is already approved."]}
    request.refresh_from_db()
    assert request.status == OutreachStatus.APPROVED


@pytest.mark.parametrize(
    ("principal", "error"),
    [
        ("facilitator", PermissionDenied),  # not the owner of Globex
        ("admin", PermissionDenied),  # admins waive; they do not decide for owners
        ("core_team", PermissionDenied),
        ("observer", PermissionDenied),  # observers never approve
        ("stranger", NotFound),
    ],
)
def test_only_the_account_owner_decides(cast: Cast, principal: str, error: type[Exception]) -> None:
    request = requested(cast, plan(cast))
    with pytest.raises(error):
        services.decide_outreach(cast.viewer(principal), request=request, approve=True)
    request.refresh_from_db()
    assert request.status == OutreachStatus.PENDING
    assert actions(request) == ["outreach.requested"]


def test_admin_waives_with_a_reason(cast: Cast) -> None:
    request = requested(cast, plan(cast))
    alice = cast.viewer("admin")
    with pytest.raises(ValidationFailed) as exc:
        services.waive_outreach(alice, request=request, reason=" ")
    assert list(exc.value.errors) == ["reason"]
    waived = services.waive_outreach(alice, request=request, reason="Owen is on leave.")
    assert (waived.status, waived.reason, waived.decided_by_id) == (
        OutreachStatus.WAIVED,
        "Owen is on leave.",
        cast.users["admin"].pk,
    )
    assert waived.allows_invitation
    event = AuditEvent.objects.get(action="outreach.waived", object_id=str(request.pk))
    assert event.reason == "Owen is on leave."
    assert Notice.objects.filter(
        user=cast.users["account_owner"], text__startswith="An admin waived"
    ).exists()


@pytest.mark.parametrize("principal", ["facilitator", "account_owner", "core_team", "observer"])
def test_only_admins_waive(cast: Cast, principal: str) -> None:
    request = requested(cast, plan(cast))
    with pytest.raises(PermissionDenied):
        services.waive_outreach(cast.viewer(principal), request=request, reason="Because.")
    request.refresh_from_db()
    assert request.status == OutreachStatus.PENDING


# --- invitations ----------------------------------------------------------------------------


@pytest.mark.parametrize("decision", ["pending", "declined"])
def test_no_invitation_without_approval(cast: Cast, decision: str) -> None:
    request = requested(cast, plan(cast))
    if decision == "declined":
        services.decide_outreach(
            cast.viewer("account_owner"), request=request, approve=False, reason="Not now."
        )
    with pytest.raises(OutreachRequired) as exc:
        services.send_invitation(cast.viewer("admin"), request=request)
    assert exc.value.status == 409
    status = "waiting for the account owner" if decision == "pending" else "declined"
    assert exc.value.message == (
        f"Gina Globex cannot be invited: the account owner has not approved ({status})."
    )
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action="invitation.sent").exists()


def test_send_invitations_skips_contacts_without_approval(cast: Cast) -> None:
    session = plan(cast)
    requested(cast, session)
    assert services.send_invitations(cast.viewer("facilitator"), session=session) == []
    assert not Invitation.objects.exists()


def test_invitation_after_approval_is_emailed_once_committed(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    session = plan(cast)
    request = approved(cast, session)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation = services.send_invitation(cast.viewer("facilitator"), request=request)
    assert (invitation.contact_id, invitation.rsvp) == (cast.contact.pk, RsvpStatus.INVITED)  # type: ignore[union-attr]
    assert len(callbacks) == 1
    assert recipients() == ["gina@globex.test"]
    with pytest.raises(ValidationFailed) as again:
        services.send_invitation(cast.viewer("facilitator"), request=request)
    assert again.value.errors == {"__all__": ["Gina Globex is already invited."]}
    assert services.send_invitations(cast.viewer("facilitator"), session=session) == []


def test_waived_request_allows_the_invitation(cast: Cast) -> None:
    session = plan(cast)
    request = services.waive_outreach(
        cast.viewer("admin"), request=requested(cast, session), reason="Owner left."
    )
    sent = services.send_invitations(cast.viewer("facilitator"), session=session)
    assert [i.outreach_id for i in sent] == [request.pk]


@pytest.mark.parametrize("principal", ["core_team", "sponsor", "account_owner", "observer"])
def test_only_admins_and_facilitators_send_invitations(cast: Cast, principal: str) -> None:
    request = approved(cast, plan(cast))
    with pytest.raises(PermissionDenied):
        services.send_invitation(cast.viewer(principal), request=request)
    assert not Invitation.objects.exists()


# --- changes and cancellations ----------------------------------------------------------------


def _decline_one_of_two(cast: Cast, session: Session) -> tuple[Invitation, Invitation]:
    """Gina accepted; a second Globex contact, Gus, declined."""
    gina = invited(cast, session)
    services.respond_rsvp(customer_principal(gina.pk, gina.contact_id), accept=True)
    assert cast.customer is not None
    gus = customer_services.add_contact(
        cast.viewer("facilitator"),
        customer=cast.customer,
        name="Gus Globex",
        email="gus@globex.test",
        consent_to_contact=True,
    )
    request = services.request_outreach(cast.viewer("facilitator"), session=session, contact=gus)
    services.decide_outreach(cast.viewer("account_owner"), request=request, approve=True)
    other = services.send_invitation(cast.viewer("facilitator"), request=request)
    services.respond_rsvp(customer_principal(other.pk, gus.pk), accept=False, note="Away")
    return gina, other


def test_update_bumps_the_sequence_and_updates_only_non_declined_invitees(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    session = plan(cast)
    gina, _ = _decline_one_of_two(cast, session)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        changed = services.update_session(
            cast.viewer("facilitator"),
            session=session,
            changes={"starts_at": datetime(2030, 7, 1, 10, 0)},
            version=1,
        )
    assert changed.calendar_sequence == 1
    assert changed.version == 2
    changed.refresh_from_db()
    assert changed.starts_at == datetime(2030, 7, 1, 8, 0, tzinfo=UTC)
    assert len(callbacks) == 1
    assert recipients() == ["gina@globex.test"]
    gina.refresh_from_db()
    assert gina.last_sequence_sent == 1
    event = AuditEvent.objects.get(action="session.changed", object_id=str(session.pk))
    assert list(event.changes) == ["starts_at"]


def test_update_of_non_calendar_fields_sends_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    session = plan(cast)
    invited(cast, session)
    with django_capture_on_commit_callbacks() as callbacks:
        changed = services.update_session(
            cast.viewer("facilitator"), session=session, changes={"kind": SessionKind.CAB}
        )
    assert (changed.calendar_sequence, changed.version, changed.kind) == (0, 2, "cab_meeting")
    assert callbacks == []


def test_update_with_a_stale_version_is_a_conflict(cast: Cast) -> None:
    from traction.core.errors import Conflict

    session = plan(cast)
    services.update_session(cast.viewer("facilitator"), session=session, changes={"title": "A"})
    with pytest.raises(Conflict):
        services.update_session(
            cast.viewer("admin"), session=session, changes={"title": "B"}, version=1
        )
    session.refresh_from_db()
    assert (session.title, session.version) == ("A", 2)


def test_cancel_bumps_the_sequence_and_tells_every_invitee(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    session = plan(cast)
    _decline_one_of_two(cast, session)
    mail.outbox.clear()
    with pytest.raises(ValidationFailed) as no_reason:
        services.cancel_session(cast.viewer("facilitator"), session=session, reason="")
    assert list(no_reason.value.errors) == ["reason"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        cancelled = services.cancel_session(
            cast.viewer("facilitator"), session=session, reason="Venue flooded."
        )
    assert (cancelled.status, cancelled.calendar_sequence) == (SessionStatus.CANCELLED, 1)
    assert len(callbacks) == 3  # the invitees' cancellations, and the debrief's
    assert sorted(recipients()) == ["gina@globex.test", "gus@globex.test"]
    event = AuditEvent.objects.get(action="session.cancelled", object_id=str(session.pk))
    assert event.reason == "Venue flooded."
    with pytest.raises(ValidationFailed):
        services.cancel_session(cast.viewer("facilitator"), session=session, reason="Again.")


# --- RSVP -----------------------------------------------------------------------------------


def test_rsvp_with_its_own_contact_answers(cast: Cast) -> None:
    invitation = invited(cast, plan(cast))
    token = rsvp.make_token(invitation.pk, invitation.contact_id)
    assert rsvp.read_token(token) == (invitation.pk, invitation.contact_id)
    answered = services.respond_rsvp(
        customer_principal(invitation.pk, invitation.contact_id), accept=True, note=" Yes! "
    )
    assert (answered.rsvp, answered.rsvp_note) == (RsvpStatus.ACCEPTED, "Yes!")
    assert answered.responded_at is not None
    assert actions(invitation)[-1] == "invitation.accepted"


def test_rsvp_for_another_contact_is_not_found(cast: Cast) -> None:
    invitation = invited(cast, plan(cast))
    assert cast.other_contact is not None
    with pytest.raises(NotFound) as exc:
        services.respond_rsvp(
            customer_principal(invitation.pk, cast.other_contact.pk), accept=False
        )
    assert exc.value.message == "This invitation no longer exists."
    invitation.refresh_from_db()
    assert invitation.rsvp == RsvpStatus.INVITED


def test_rsvp_after_the_session_ended_has_expired(cast: Cast) -> None:
    session = plan(cast)
    invitation = invited(cast, session)
    move_to_past(session)
    with pytest.raises(NotFound) as exc:
        services.respond_rsvp(customer_principal(invitation.pk, invitation.contact_id), accept=True)
    assert "expired" in exc.value.message
    invitation.refresh_from_db()
    assert invitation.rsvp == RsvpStatus.INVITED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: "x" + t,  # payload changed
        lambda t: "",
        lambda t: "not-a-token",
    ],
)
def test_tampered_rsvp_token_is_not_found(cast: Cast, tamper: Callable[[str], str]) -> None:
    token = rsvp.make_token(1, 2)
    with pytest.raises(NotFound) as exc:
        rsvp.read_token(tamper(token))
    assert exc.value.message.startswith("This RSVP link is not valid.")


# --- participants, briefings, practice --------------------------------------------------------


def test_conditions_travel_into_the_briefing(cast: Cast) -> None:
    session = plan(cast)
    approved(cast, session, conditions="Do not discuss pricing.")
    fran = cast.viewer("facilitator")
    services.add_participant(
        fran, session=session, user_id=cast.users["core_team"].pk, role="note_taker"
    )
    packet = selectors.briefing(cast.viewer("core_team"), session)
    assert packet.participant.user_id == cast.users["core_team"].pk
    assert packet.role_duty == agenda.ROLE_DUTIES["note_taker"]
    assert packet.rules == agenda.RULES_OF_PARTICIPATION
    assert [i.title for i in packet.agenda][1] == "Issues & vision discussion"
    assert [
        (c.organisation, c.contact, c.account_owner, c.conditions) for c in packet.customers
    ] == [("Globex", "Gina Globex", "Owen Owner", "Do not discuss pricing.")]


def test_declined_contacts_are_not_in_the_briefing(cast: Cast) -> None:
    session = plan(cast)
    services.decide_outreach(
        cast.viewer("account_owner"), request=requested(cast, session), approve=False, reason="No."
    )
    fran = cast.viewer("facilitator")
    services.add_participant(fran, session=session, user_id=fran.user_id, role="facilitator")
    assert selectors.briefing(fran, session).customers == []


def test_briefing_of_a_non_participant_is_not_found(cast: Cast) -> None:
    session = plan(cast)
    with pytest.raises(NotFound):
        selectors.briefing(cast.viewer("core_team"), session)


def test_another_participants_briefing_is_for_facilitators(cast: Cast) -> None:
    session = plan(cast)
    fran = cast.viewer("facilitator")
    cora = services.add_participant(
        fran, session=session, user_id=cast.users["core_team"].pk, role="note_taker"
    )
    services.add_participant(
        fran, session=session, user_id=cast.users["observer"].pk, role="observer"
    )
    assert selectors.briefing(fran, session, participant_id=cora.pk).participant == cora
    with pytest.raises(PermissionDenied):
        selectors.briefing(cast.viewer("observer"), session, participant_id=cora.pk)


def test_participant_role_and_notice(cast: Cast) -> None:
    session = plan(cast)
    fran = cast.viewer("facilitator")
    cora_id = cast.users["core_team"].pk
    participant = services.add_participant(
        fran, session=session, user_id=cora_id, role="note_taker"
    )
    notice = Notice.objects.get(user_id=cora_id)
    assert notice.text == "You are note taker in “Onboarding co-design”: read your briefing."
    again = services.add_participant(fran, session=session, user_id=cora_id, role="executive")
    assert (again.pk, again.role) == (participant.pk, "executive")
    assert Participant.objects.count() == 1
    with pytest.raises(ValidationFailed) as stranger:
        services.add_participant(
            fran, session=session, user_id=cast.users["stranger"].pk, role="observer"
        )
    assert list(stranger.value.errors) == ["user_id"]
    with pytest.raises(PermissionDenied):
        services.add_participant(
            cast.viewer("core_team"), session=session, user_id=cora_id, role="observer"
        )


def test_acknowledge_only_ones_own_briefing(cast: Cast) -> None:
    session = plan(cast)
    cora = services.add_participant(
        cast.viewer("facilitator"),
        session=session,
        user_id=cast.users["core_team"].pk,
        role="note_taker",
    )
    with pytest.raises(PermissionDenied):
        services.acknowledge_briefing(cast.viewer("facilitator"), participant=cora)
    done = services.acknowledge_briefing(cast.viewer("core_team"), participant=cora)
    assert done.briefing_acknowledged_at is not None
    first = done.briefing_acknowledged_at
    assert (
        services.acknowledge_briefing(
            cast.viewer("core_team"), participant=cora
        ).briefing_acknowledged_at
        == first
    )
    assert AuditEvent.objects.filter(action="briefing.acknowledged").count() == 1


def test_practice_link_and_attendance_rules(cast: Cast) -> None:
    session = plan(cast)
    fran = cast.viewer("facilitator")
    cora = services.add_participant(
        fran, session=session, user_id=cast.users["core_team"].pk, role="note_taker"
    )
    with pytest.raises(ValidationFailed) as unlinked:
        services.record_practice_attendance(fran, participant=cora, attended=True)
    assert unlinked.value.errors == {"__all__": ["Link a practice session to this session first."]}
    interview = plan(cast, kind=SessionKind.INTERVIEW, use_template=False)
    with pytest.raises(ValidationFailed) as wrong_kind:
        services.link_practice(fran, session=session, practice=interview)
    assert list(wrong_kind.value.errors) == ["practice"]
    later = plan(
        cast,
        kind=SessionKind.PRACTICE,
        starts_at=datetime(2030, 7, 2, 9, 0),
        ends_at=datetime(2030, 7, 2, 10, 0),
    )
    with pytest.raises(ValidationFailed) as after:
        services.link_practice(fran, session=session, practice=later)
    assert after.value.errors == {
        "practice": ["The practice session must come before the session."]
    }
    practice = plan(
        cast,
        kind=SessionKind.PRACTICE,
        starts_at=datetime(2030, 6, 28, 9, 0),
        ends_at=datetime(2030, 6, 28, 10, 0),
    )
    services.link_practice(fran, session=session, practice=practice)
    with pytest.raises(ValidationFailed) as not_yet:
        services.record_practice_attendance(fran, participant=cora, attended=True)
    assert not_yet.value.errors == {"__all__": ["The practice session has not started yet."]}
    move_to_past(practice)
    cora = Participant.objects.select_related("session__practice").get(pk=cora.pk)
    with pytest.raises(PermissionDenied):
        services.record_practice_attendance(
            cast.viewer("core_team"), participant=cora, attended=True
        )
    assert services.record_practice_attendance(
        fran, participant=cora, attended=True
    ).attended_practice


# --- top questions ----------------------------------------------------------------------------


def test_questions_are_voted_and_picked_in_order(cast: Cast) -> None:
    session = plan(cast)
    fran = cast.viewer("facilitator")
    for principal in ("core_team", "observer"):
        services.add_participant(
            fran, session=session, user_id=cast.users[principal].pk, role="observer"
        )
    cora, olive = cast.viewer("core_team"), cast.viewer("observer")
    first = services.submit_question(cora, session=session, text="  What slows you down?  ")
    second = services.submit_question(olive, session=session, text="Who signs the invoice?")
    third = services.submit_question(olive, session=session, text="What would you stop doing?")
    assert first.text == "What slows you down?"
    assert services.upvote_question(olive, question=first) == 1
    assert services.upvote_question(olive, question=first) == 1  # once per person
    assert services.upvote_question(cora, question=first) == 2
    assert services.upvote_question(cora, question=first, up=False) == 1
    listed = list(selectors.questions(olive, session))
    assert [(q.text, q.upvote_count, q.upvoted) for q in listed] == [  # type: ignore[attr-defined]
        ("What slows you down?", 1, True),
        ("Who signs the invoice?", 0, False),
        ("What would you stop doing?", 0, False),
    ]
    picked = services.pick_questions(
        fran, session=session, question_ids=[third.pk, first.pk, third.pk]
    )
    assert [(q.pk, q.position) for q in picked] == [(third.pk, 1), (first.pk, 2)]
    assert [q.pk for q in selectors.questions(fran, session)] == [third.pk, first.pk, second.pk]
    second.refresh_from_db()
    assert (second.picked, second.position) == (False, None)
    repicked = services.pick_questions(fran, session=session, question_ids=[second.pk])
    assert [q.pk for q in repicked] == [second.pk]
    assert TopQuestion.objects.filter(picked=True).count() == 1


def test_question_rules(cast: Cast) -> None:
    session = plan(cast)
    fran = cast.viewer("facilitator")
    with pytest.raises(PermissionDenied):  # not taking part
        services.submit_question(cast.viewer("core_team"), session=session, text="Why?")
    with pytest.raises(ValidationFailed) as empty:
        services.submit_question(fran, session=session, text="   ")
    assert list(empty.value.errors) == ["text"]
    other = plan(cast)
    foreign = services.submit_question(fran, session=other, text="Elsewhere?")
    with pytest.raises(ValidationFailed) as unknown:
        services.pick_questions(fran, session=session, question_ids=[foreign.pk])
    assert list(unknown.value.errors) == ["question_ids"]
    with pytest.raises(PermissionDenied):
        services.pick_questions(cast.viewer("core_team"), session=session, question_ids=[])


# --- readiness --------------------------------------------------------------------------------


def percent(session: Session) -> int:
    return selectors.readiness(
        Session.objects.select_related("practice").get(pk=session.pk)
    ).percent


def test_readiness_rises_as_preparation_is_done(cast: Cast) -> None:
    fran = cast.viewer("facilitator")
    session = plan(cast, use_template=False)
    checks = selectors.readiness(session).checks
    assert [c.key for c in checks] == [
        "approvals",
        "invitations",
        "briefings",
        "practice",
        "agenda",
        "questions",
        "debrief",  # added by the debrief app: booked, a policy maker accepted
    ]
    assert percent(session) == 0
    request = requested(cast, session)
    assert percent(session) == 0  # pending
    services.decide_outreach(cast.viewer("account_owner"), request=request, approve=True)
    assert percent(session) == 14
    invitation = services.send_invitation(fran, request=request)
    assert percent(session) == 14  # not answered yet
    services.respond_rsvp(customer_principal(invitation.pk, invitation.contact_id), accept=True)
    assert percent(session) == 29
    cora = services.add_participant(
        fran, session=session, user_id=cast.users["core_team"].pk, role="note_taker"
    )
    services.acknowledge_briefing(cast.viewer("core_team"), participant=cora)
    assert percent(session) == 43
    services.set_agenda(fran, session=session, items=[{"title": "Everything", "minutes": 150}])
    assert percent(session) == 43  # 150 of 210 minutes
    services.set_agenda(fran, session=session, items=[{"title": "Everything", "minutes": 200}])
    assert percent(session) == 43  # the minutes fit, but none of the method's parts is there
    method = [
        {"title": "Issues & vision discussion", "minutes": 50},
        {"title": "Scenario mapping in customer teams", "minutes": 90},
        {"title": "Prioritisation", "minutes": 40},
        {"title": "Next steps", "minutes": 20},
    ]
    services.set_agenda(fran, session=session, items=method)
    assert percent(session) == 57
    question = services.submit_question(fran, session=session, text="What slows you down?")
    services.pick_questions(fran, session=session, question_ids=[question.pk])
    assert percent(session) == 71
    practice = plan(
        cast,
        kind=SessionKind.PRACTICE,
        starts_at=datetime(2030, 6, 28, 9, 0),
        ends_at=datetime(2030, 6, 28, 10, 0),
    )
    services.link_practice(fran, session=session, practice=practice)
    move_to_past(practice)
    cora = Participant.objects.select_related("session__practice").get(pk=cora.pk)
    services.record_practice_attendance(fran, participant=cora, attended=True)
    assert percent(session) == 86
    from traction.debrief import selectors_clock
    from traction.debrief.services import clock as debrief_clock

    debrief = selectors_clock.debriefs(cast.viewer("sponsor")).get(session=session)
    debrief_clock.respond(cast.viewer("sponsor"), debrief=debrief, answer="accepted")
    readiness = selectors.readiness(Session.objects.select_related("practice").get(pk=session.pk))
    assert readiness.percent == 100
    assert all(c.done for c in readiness.checks)
    assert readiness.checks[1].detail == "1 of 1 accepted, 0 not answered"


@pytest.mark.parametrize("name", ["Europe", "a" * 300, "../etc", "Europe/"])
def test_odd_zone_names_are_refused_not_crashed(cast: Cast, name: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        plan(cast, time_zone=name)
    assert list(exc.value.errors) == ["time_zone"]
    session = plan(cast)
    with pytest.raises(ValidationFailed) as changed:
        services.update_session(
            cast.viewer("facilitator"), session=session, changes={"time_zone": name}
        )
    assert list(changed.value.errors) == ["time_zone"]
