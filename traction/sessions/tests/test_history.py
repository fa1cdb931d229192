"""Nothing with history is deleted; consequences of archiving, owner changes, members leaving,
cancelling and declining reach sessions (and are published for insights)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from traction.accounts import services as account_services
from traction.accounts.models import Membership, Notice
from traction.core import events
from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.permissions import Viewer
from traction.core.testing.cast import Cast
from traction.customers import services as customer_services
from traction.customers.models import Contact, Customer
from traction.programs import selectors as program_selectors
from traction.programs.models import ProgramMember
from traction.sessions import selectors, services
from traction.sessions.models import (
    Invitation,
    OutreachRequest,
    OutreachStatus,
    Participant,
    RsvpStatus,
    Session,
)
from traction.sessions.rsvp import customer_principal

pytestmark = pytest.mark.django_db


def plan(cast: Cast) -> Session:
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 12, 30),
        time_zone="Europe/Berlin",
    )


def invited(cast: Cast, session: Session) -> Invitation:
    assert cast.contact is not None
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    services.decide_outreach(cast.viewer("account_owner"), request=request, approve=True)
    return services.send_invitation(cast.viewer("facilitator"), request=request)


@pytest.fixture
def heard() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every event published during the test, with its payload (a subscriber of the test's)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    handlers = []
    for name in events.EVENTS:

        def handler(actor: Any, _name: str = name, **payload: Any) -> None:
            seen.append((_name, payload))

        events.subscribe(name, handler)
        handlers.append((name, handler))
    yield seen
    for name, handler in handlers:
        events._handlers[name].remove(handler)


# --- 1. nothing with history is deleted ---------------------------------------------------------


def test_archiving_a_contact_keeps_their_approval_and_invitation(cast: Cast, heard: Any) -> None:
    assert cast.contact is not None
    session = plan(cast)
    invitation = invited(cast, session)
    customer_services.archive_contact(
        cast.viewer("facilitator"), contact=cast.contact, reason="Left Globex"
    )
    contact = Contact.objects.get(pk=cast.contact.pk)
    assert contact.archived_at is not None
    assert contact.archived_by_id == cast.users["facilitator"].pk
    request = OutreachRequest.objects.get(session=session, contact=contact)
    assert (request.status, request.decided_by_id) == (
        OutreachStatus.APPROVED,
        cast.users["account_owner"].pk,
    )
    assert Invitation.objects.get(pk=invitation.pk).contact_id == contact.pk
    event = AuditEvent.objects.get(action="contact.archived")
    assert (event.object_id, event.reason) == (str(contact.pk), "Left Globex")
    assert [p["contact"].pk for name, p in heard if name == "contact.archived"] == [contact.pk]
    # Shown as archived where it appears.
    page = Client()
    page.force_login(cast.users["facilitator"])
    detail = page.get(f"/w/acme/sessions/{session.pk}/").content.decode()
    assert 'Gina Globex <span class="badge badge-muted">archived</span>' in detail
    # No longer offered for outreach.
    assert cast.contact.pk not in [
        c.pk for c in customer_selectors_contacts(cast.viewer("facilitator"))
    ]
    with pytest.raises(ValidationFailed) as refused:
        services.request_outreach(cast.viewer("facilitator"), session=plan(cast), contact=contact)
    assert refused.value.errors == {
        "contact_id": ["Gina Globex is archived; restore them before inviting them."]
    }


def customer_selectors_contacts(viewer: Viewer) -> list[Contact]:
    from traction.customers import selectors as customer_selectors

    return list(customer_selectors.contacts(viewer))


@pytest.mark.parametrize(
    "doomed",
    ["contact", "customer", "session", "user", "program"],
)
def test_a_stray_delete_of_anything_with_history_is_refused(cast: Cast, doomed: str) -> None:
    session = plan(cast)
    invited(cast, session)
    services.add_participant(
        cast.viewer("facilitator"),
        session=session,
        user_id=cast.users["core_team"].pk,
        role="note_taker",
    )
    target: Any = {
        "contact": cast.contact,
        "customer": cast.customer,
        "session": session,
        "user": cast.users["core_team"],
        "program": cast.program,
    }[doomed]
    with pytest.raises(IntegrityError), transaction.atomic():
        target.delete()
    assert OutreachRequest.objects.filter(session=session).count() == 1
    assert Invitation.objects.filter(session=session).count() == 1
    assert Participant.objects.filter(session=session).count() == 1


def test_a_workspace_wipe_still_takes_all_of_its_rows(cast: Cast) -> None:
    session = plan(cast)
    invited(cast, session)
    acme = cast.acme.pk
    cast.acme.delete()
    assert not Session.objects.filter(pk=session.pk).exists()
    assert not Contact.objects.filter(workspace_id=acme).exists()


def test_api_delete_of_a_contact_with_history_archives_it(cast: Cast, api_client_for: Any) -> None:
    assert cast.contact is not None
    session = plan(cast)
    invited(cast, session)
    client: Client = api_client_for("facilitator")
    response = client.delete(f"/api/v1/contacts/{cast.contact.pk}")
    assert response.status_code == 204
    assert Contact.objects.get(pk=cast.contact.pk).archived_at is not None
    assert OutreachRequest.objects.filter(contact_id=cast.contact.pk).count() == 1
    assert Invitation.objects.filter(contact_id=cast.contact.pk).count() == 1


def test_archiving_a_customer_archives_its_contacts_and_restore_brings_them_back(
    cast: Cast,
) -> None:
    assert cast.customer is not None
    assert cast.contact is not None
    admin = cast.viewer("admin")
    invited(cast, plan(cast))
    customer_services.archive_customer(admin, customer=cast.customer)
    assert Contact.objects.get(pk=cast.contact.pk).archived_at is not None
    with pytest.raises(ValidationFailed):
        customer_services.restore_contact(admin, contact=Contact.objects.get(pk=cast.contact.pk))
    customer_services.restore_customer(admin, customer=Customer.objects.get(pk=cast.customer.pk))
    assert Contact.objects.get(pk=cast.contact.pk).archived_at is None
    assert list(
        AuditEvent.objects.filter(object_type="customers.contact", object_id=str(cast.contact.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["contact.created", "contact.archived", "contact.restored"]


# --- 3. approvals follow the account --------------------------------------------------------


def test_pending_outreach_moves_to_the_new_account_owner(cast: Cast, heard: Any) -> None:
    assert cast.contact is not None
    assert cast.customer is not None
    session = plan(cast)
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    assert request.account_owner_id == cast.users["account_owner"].pk
    customer_services.update_customer(
        cast.viewer("facilitator"),
        customer=cast.customer,
        changes={"account_owner_id": cast.users["sponsor"].pk},
    )
    request.refresh_from_db()
    assert request.account_owner_id == cast.users["sponsor"].pk
    assert [p for name, p in heard if name == "customer.owner_changed"] == [
        {
            "customer": Customer.objects.get(pk=cast.customer.pk),
            "old_owner_id": cast.users["account_owner"].pk,
            "new_owner_id": cast.users["sponsor"].pk,
        }
    ]
    # The former owner can neither see nor decide it; the new owner is told and decides.
    owen = cast.viewer("account_owner")
    with pytest.raises(PermissionDenied):
        services.decide_outreach(owen, request=request, approve=True)
    with pytest.raises(NotFound):
        selectors.outreach_request(owen, request.pk)
    request.refresh_from_db()
    assert request.status == OutreachStatus.PENDING
    notice = Notice.objects.filter(user=cast.users["sponsor"]).latest("id")
    assert notice.text == (
        "Approval needed (you now own Globex): invite Gina Globex to “Onboarding co-design”."
    )
    assert [r.pk for r in selectors.outreach_requests(cast.viewer("sponsor"), mine=True)] == [
        request.pk
    ]
    services.decide_outreach(cast.viewer("sponsor"), request=request, approve=True)
    event = AuditEvent.objects.get(action="outreach.reassigned")
    assert event.changes == {"owner": [cast.users["account_owner"].pk, cast.users["sponsor"].pk]}


def test_the_new_owner_gets_the_approval_email(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    assert cast.contact is not None
    assert cast.customer is not None
    services.request_outreach(cast.viewer("facilitator"), session=plan(cast), contact=cast.contact)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.update_customer(
            cast.viewer("facilitator"),
            customer=cast.customer,
            changes={"account_owner_id": cast.users["sponsor"].pk},
        )
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (
            ["Sam Sponsor <sam@acme.test>"],
            "Approval needed: invite Gina Globex from Globex to Onboarding co-design",
        )
    ]


def test_the_former_owner_cannot_decide_with_a_request_read_before_the_change(
    cast: Cast,
) -> None:
    """The owner opened the request, then the account moved: their stale object is refused."""
    assert cast.contact is not None
    assert cast.customer is not None
    request = services.request_outreach(
        cast.viewer("facilitator"), session=plan(cast), contact=cast.contact
    )
    stale = OutreachRequest.objects.get(pk=request.pk)
    customer_services.update_customer(
        cast.viewer("admin"),
        customer=cast.customer,
        changes={"account_owner_id": cast.users["sponsor"].pk},
    )
    with pytest.raises(PermissionDenied):
        services.decide_outreach(cast.viewer("account_owner"), request=stale, approve=True)
    assert OutreachRequest.objects.get(pk=request.pk).status == OutreachStatus.PENDING


# --- 4. a removed member leaves, and stays out when re-added ----------------------------------


def test_a_removed_member_leaves_sessions_and_teams_and_does_not_get_them_back(
    cast: Cast, heard: Any
) -> None:
    session = plan(cast)
    cora = cast.users["core_team"]
    services.add_participant(
        cast.viewer("facilitator"), session=session, user_id=cora.pk, role="note_taker"
    )
    membership = cast.membership("core_team")
    account_services.remove_member(cast.viewer("admin"), membership=membership, reason="Left")
    assert ("member.removed", {"user_id": cora.pk}) in heard
    archived = Membership.history.get(pk=membership.pk)
    assert archived.archived_at is not None
    assert not Membership.objects.filter(user=cora).exists()
    ended = Participant.history.get(session=session, user=cora)
    assert (ended.left_reason, ended.left_at is not None) == ("They left the workspace.", True)
    team = ProgramMember.history.get(program=cast.program, user=cora)
    assert team.left_at is not None
    # Re-added: a fresh membership, and nothing they left comes back.
    account_services.add_member(None, workspace=cast.acme, user=cora, role="core_team")
    assert Membership.objects.get(user=cora).pk != membership.pk
    again = Viewer(user=cora, workspace_id=cast.acme.pk, role="core_team")
    assert list(selectors.sessions(again)) == []
    assert list(program_selectors.programs(again)) == []
    assert Participant.objects.filter(user=cora).count() == 0
    assert Participant.history.filter(user=cora).count() == 1
    # Adding them to the session again makes a fresh participation beside the ended one.
    services.add_participant(
        cast.viewer("facilitator"), session=session, user_id=cora.pk, role="observer"
    )
    assert Participant.history.filter(user=cora).count() == 2
    assert [s.pk for s in selectors.sessions(again)] == [session.pk]


def test_a_removed_account_owner_re_added_does_not_see_their_old_approvals(cast: Cast) -> None:
    assert cast.contact is not None
    session = plan(cast)
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    owen = cast.viewer("account_owner")
    services.decide_outreach(owen, request=request, approve=True)
    assert [s.pk for s in selectors.sessions(owen)] == [session.pk]
    account_services.remove_member(
        cast.viewer("admin"), membership=cast.membership("account_owner")
    )
    account_services.add_member(
        None, workspace=cast.acme, user=cast.users["account_owner"], role="account_owner"
    )
    again = Viewer(
        user=cast.users["account_owner"], workspace_id=cast.acme.pk, role="account_owner"
    )
    assert list(selectors.sessions(again)) == []
    assert list(selectors.outreach_requests(again)) == []
    # History keeps who decided.
    assert (
        OutreachRequest.objects.get(pk=request.pk).decided_by_id == cast.users["account_owner"].pk
    )


def test_removing_an_account_owner_leaves_their_pending_approvals_to_nobody(cast: Cast) -> None:
    assert cast.contact is not None
    assert cast.customer is not None
    request = services.request_outreach(
        cast.viewer("facilitator"), session=plan(cast), contact=cast.contact
    )
    account_services.remove_member(
        cast.viewer("admin"), membership=cast.membership("account_owner")
    )
    assert Customer.objects.get(pk=cast.customer.pk).account_owner_id is None
    assert OutreachRequest.objects.get(pk=request.pk).account_owner_id is None


def test_removing_a_participant_ends_the_participation(cast: Cast) -> None:
    session = plan(cast)
    participant = services.add_participant(
        cast.viewer("facilitator"),
        session=session,
        user_id=cast.users["observer"].pk,
        role="observer",
    )
    services.remove_participant(cast.viewer("facilitator"), participant=participant)
    assert list(selectors.participants(session)) == []
    assert Participant.history.get(pk=participant.pk).left_at is not None


def test_removing_a_core_team_member_keeps_the_row(cast: Cast) -> None:
    from traction.programs import services as program_services

    program_services.set_core_team(cast.viewer("facilitator"), program=cast.program, user_ids=[])
    row = ProgramMember.history.get(program=cast.program, user=cast.users["core_team"])
    assert row.left_at is not None
    assert [m.user_id for m in cast.program.members.filter(kind="core_team")] == []  # type: ignore[union-attr]


# --- 5. cancel and decline are published -------------------------------------------------------


def test_cancelling_publishes_session_cancelled(cast: Cast, heard: Any) -> None:
    session = plan(cast)
    services.cancel_session(cast.viewer("facilitator"), session=session, reason="Snow")
    assert [(n, p["session"].pk) for n, p in heard if n == "session.cancelled"] == [
        ("session.cancelled", session.pk)
    ]


def test_an_rsvp_decline_publishes_participant_declined_once(cast: Cast, heard: Any) -> None:
    invitation = invited(cast, plan(cast))
    for _ in range(2):
        services.respond_rsvp(
            customer_principal(invitation.pk, invitation.contact_id), accept=False
        )
    declined = [(p["session"].pk, p["contact"].pk) for n, p in heard if n == "participant.declined"]
    assert declined == [(invitation.session_id, invitation.contact_id)]


def test_withdrawing_consent_declines_open_invitations(cast: Cast, heard: Any) -> None:
    assert cast.contact is not None
    invitation = invited(cast, plan(cast))
    services.respond_rsvp(customer_principal(invitation.pk, cast.contact.pk), accept=True)
    customer_services.update_contact(
        cast.viewer("facilitator"), contact=cast.contact, changes={"consent_to_contact": False}
    )
    assert Invitation.objects.get(pk=invitation.pk).rsvp == RsvpStatus.DECLINED
    assert [n for n, _ in heard if n == "participant.declined"] == ["participant.declined"]


def test_an_owner_withdrawing_an_approval_declines_the_accepted_invitation(
    cast: Cast, heard: Any
) -> None:
    invitation = invited(cast, plan(cast))
    services.respond_rsvp(customer_principal(invitation.pk, invitation.contact_id), accept=True)
    services.withdraw_approval(
        cast.viewer("account_owner"), request=invitation.outreach, reason="Contract dispute"
    )
    assert Invitation.objects.get(pk=invitation.pk).rsvp == RsvpStatus.DECLINED
    assert OutreachRequest.objects.get(pk=invitation.outreach_id).status == "declined"
    assert [(p["contact"].pk) for n, p in heard if n == "participant.declined"] == [
        invitation.contact_id
    ]
    assert AuditEvent.objects.get(action="outreach.withdrawn").reason == "Contract dispute"


def test_an_account_owner_sees_only_their_own_customers_in_a_session(
    cast: Cast, client_for: Any, api_client_for: Any
) -> None:
    """Owen (owner of Globex, not in the session's team) sees Gina, never Initech's Ian."""
    assert cast.other_contact is not None
    assert cast.other_customer is not None
    session = plan(cast)
    invited(cast, session)
    admin = cast.viewer("admin")
    customer_services.update_customer(
        admin, customer=cast.other_customer, changes={"account_owner_id": cast.users["admin"].pk}
    )
    customer_services.update_contact(
        admin, contact=cast.other_contact, changes={"consent_to_contact": True}
    )
    ian = services.request_outreach(admin, session=session, contact=cast.other_contact)
    services.send_invitation(admin, request=ian)
    page = client_for("account_owner").get(f"/w/acme/sessions/{session.pk}/").content.decode()
    assert "Gina Globex" in page
    assert "Initech" not in page
    listed = api_client_for("account_owner").get(f"/api/v1/sessions/{session.pk}/invitations")
    assert [i["contact_name"] for i in listed.json()["items"]] == ["Gina Globex"]
    team = api_client_for("core_team").get(f"/api/v1/sessions/{session.pk}/invitations")
    assert [i["contact_name"] for i in team.json()["items"]] == ["Gina Globex", "Ian Initech"]


def test_an_owner_withdraws_an_approval_on_the_web_and_the_api(
    cast: Cast, client_for: Any, api_client_for: Any, heard: Any
) -> None:
    invitation = invited(cast, plan(cast))
    url = f"/w/acme/sessions/outreach/{invitation.outreach_id}/"
    page = client_for("account_owner").get(url).content.decode()
    assert "Withdraw your approval" in page
    assert client_for("facilitator").post(url + "withdraw/", {"reason": "x"}).status_code == 403
    refused = client_for("account_owner").post(url + "withdraw/", {"reason": ""})
    assert refused.status_code == 200
    assert OutreachRequest.objects.get(pk=invitation.outreach_id).status == "approved"
    done = client_for("account_owner").post(url + "withdraw/", {"reason": "Contract dispute"})
    assert done.status_code == 302
    assert Invitation.objects.get(pk=invitation.pk).rsvp == RsvpStatus.DECLINED
    assert [n for n, _ in heard if n == "participant.declined"] == ["participant.declined"]
    again = api_client_for("account_owner").post(
        f"/api/v1/outreach-requests/{invitation.outreach_id}/withdrawal",
        {"reason": "Twice"},
        content_type="application/json",
    )
    assert again.status_code == 422
    assert again.json()["message"] == "Only an approval can be withdrawn."
