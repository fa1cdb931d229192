"""`traction sessions`: no invitation without the account owner's approval, from the shell too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from django.core import mail
from django.utils import timezone

from traction.cli.main import cli
from traction.core.models import AuditEvent
from traction.customers import services as customers
from traction.sessions import services
from traction.sessions.models import Invitation, Session

pytestmark = pytest.mark.django_db


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def session(cast) -> Session:
    start = timezone.now() + timedelta(days=7)
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Shell session",
        starts_at=start,
        ends_at=start + timedelta(minutes=210),  # the co-design template: complete agenda
    )


def test_invite_refuses_a_contact_whose_owner_has_not_approved(cast, session):
    services.request_outreach(cast.viewer("facilitator"), session=session, contact=cast.contact)
    result = invoke(
        "sessions",
        "invite",
        str(session.pk),
        "--as",
        "fran@acme.test",
        "--contact",
        str(cast.contact.pk),
    )
    assert result.exit_code == 1
    assert "cannot be invited: the account owner has not approved" in result.stderr
    assert not Invitation.objects.exists()


def test_invite_sends_to_approved_contacts_only(cast, session):
    fran = cast.viewer("facilitator")
    pending = customers.add_contact(
        fran,
        customer=cast.customer,
        name="Pat Pending",
        email="pat@globex.test",
        consent_to_contact=True,
    )
    approved = services.request_outreach(fran, session=session, contact=cast.contact)
    services.decide_outreach(cast.viewer("account_owner"), request=approved, approve=True)
    services.request_outreach(fran, session=session, contact=pending)
    result = invoke("sessions", "invite", str(session.pk), "--as", "fran@acme.test")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Invited Gina Globex <gina@globex.test>.",
        "1 invitation(s) sent for “Shell session”.",
    ]
    assert [i.contact.email for i in Invitation.objects.all()] == ["gina@globex.test"]


def test_invite_is_for_planners_and_stays_in_the_workspace(cast, session):
    result = invoke("sessions", "invite", str(session.pk), "--as", "olive@acme.test")
    assert (result.exit_code, result.stderr.strip()) == (
        1,
        "Your role (Observer) does not allow this: “Send invitations to approved contacts.”",
    )
    result = invoke("sessions", "invite", str(session.pk), "--as", "stan@rival.test")
    assert (result.exit_code, result.stderr.strip()) == (1, "Session not found.")


def test_list_shows_state_and_readiness(cast, session):
    result = invoke("sessions", "list", "--as", "cora@acme.test")
    assert result.exit_code == 0
    (line,) = result.stdout.splitlines()
    assert line.split()[0] == str(session.pk)
    assert "upcoming" in line
    assert " 14% ready" in line  # the agenda: 1 of 7 checks (the debrief's too)
    assert line.endswith("Shell session")


def two_contacts(cast, session, *, approve_second: bool) -> tuple[int, int]:
    """Gina (approved) and Pat, whose approval is pending unless ``approve_second``."""
    fran, owen = cast.viewer("facilitator"), cast.viewer("account_owner")
    pat = customers.add_contact(
        fran, customer=cast.customer, name="Pat Second", email="pat@globex.test",
        consent_to_contact=True,
    )  # fmt: skip
    first = services.request_outreach(fran, session=session, contact=cast.contact)
    services.decide_outreach(owen, request=first, approve=True)
    second = services.request_outreach(fran, session=session, contact=pat)
    if approve_second:
        services.decide_outreach(owen, request=second, approve=True)
    return cast.contact.pk, pat.pk


def test_inviting_several_contacts_is_all_or_nothing(
    cast, session, django_capture_on_commit_callbacks
):
    gina, pat = two_contacts(cast, session, approve_second=False)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        result = invoke(
            "sessions", "invite", str(session.pk), "--as", "fran@acme.test",
            "--contact", str(gina), "--contact", str(pat),
        )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Pat Second cannot be invited: the account owner has not approved "
        "(waiting for the account owner)."
    )
    assert result.stdout == ""
    # Gina was approved and checked first: still no invitation for her and no email queued.
    assert not Invitation.objects.exists()
    assert queued == []
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="invitation.sent").exists()


def test_inviting_several_approved_contacts_sends_each_once(
    cast, session, django_capture_on_commit_callbacks
):
    gina, pat = two_contacts(cast, session, approve_second=True)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        result = invoke(
            "sessions", "invite", str(session.pk), "--as", "fran@acme.test",
            "--contact", str(pat), "--contact", str(gina), "--contact", str(pat),
        )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Invited Pat Second <pat@globex.test>.",
        "Invited Gina Globex <gina@globex.test>.",
        "2 invitation(s) sent for “Shell session”.",
    ]
    assert sorted(Invitation.objects.values_list("contact_id", flat=True)) == sorted([gina, pat])
    assert len(queued) == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "Gina Globex <gina@globex.test>",
        "Pat Second <pat@globex.test>",
    ]


def test_inviting_a_contact_without_outreach_names_it_and_sends_nothing(cast, session):
    gina, _pat = two_contacts(cast, session, approve_second=True)
    result = invoke(
        "sessions", "invite", str(session.pk), "--as", "fran@acme.test",
        "--contact", str(gina), "--contact", "999999",
    )  # fmt: skip
    assert (result.exit_code, result.stderr.strip()) == (
        1,
        "No outreach request for contact(s) [999999] in this session.",
    )
    assert not Invitation.objects.exists()
