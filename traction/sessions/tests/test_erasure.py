"""Erasing a contact: their name and email leave every text and JSON column of every model
of every app (customers, accounts, programs, sessions, insights, the audit trail, queued
tasks), and the first name they were written with alone as a speaker label leaves too;
their history stays."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pytest
from click.testing import CliRunner
from django.apps import apps
from django.db import models
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from traction.cli.main import cli
from traction.core import events
from traction.core.errors import PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.tasks import deliver_email
from traction.core.testing.cast import Cast
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.insights import imports
from traction.insights import services as insight_services
from traction.insights.imports import ImportOptions
from traction.insights.models import Insight
from traction.sessions import services
from traction.sessions.models import Invitation, OutreachRequest, OutreachStatus
from traction.sessions.rsvp import customer_principal

pytestmark = pytest.mark.django_db(transaction=False)

OLD_NAME = "Gina Globex"
OLD_EMAIL = "gina@globex.test"


def with_history(cast: Cast) -> Invitation:
    """Gina was asked for, approved, invited, answered, and mentioned in free text."""
    assert cast.contact is not None
    customer_services.update_contact(
        cast.viewer("facilitator"),
        contact=cast.contact,
        changes={"title": "Head of Billing", "communication_notes": "Prefers mornings"},
    )
    session = services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 12, 30),
        time_zone="Europe/Berlin",
    )
    request = services.request_outreach(
        cast.viewer("facilitator"),
        session=session,
        contact=cast.contact,
        message=f"{OLD_NAME} ran the pilot; write to {OLD_EMAIL}.",
    )
    services.decide_outreach(
        cast.viewer("account_owner"),
        request=request,
        approve=True,
        conditions=f"Ask {OLD_NAME} about invoices only.",
    )
    invitation = services.send_invitation(cast.viewer("facilitator"), request=request)
    services.respond_rsvp(
        customer_principal(invitation.pk, cast.contact.pk),
        accept=True,
        note=f"Yes! — {OLD_NAME}",
    )
    services.submit_question(
        cast.viewer("facilitator"), session=session, text=f"What would {OLD_NAME} drop first?"
    )
    # Insights: a transcript where she is "Gina" alone (a speaker label), in a file named
    # after her, tagged with her name; a colleague quotes her by full name.
    fran = cast.viewer("facilitator")
    imports.import_file(
        fran,
        session=session,
        stream=io.BytesIO(b"Gina: We print every invoice twice.\n"),
        filename=f"Workshop with {OLD_NAME}.txt",
        options=ImportOptions(speakers={"Gina": f"c:{cast.contact.pk}"}, accept=True),
    )
    insight_services.capture_insight(
        fran,
        session=session,
        kind="quote",
        text=f"{OLD_NAME} told us: write to {OLD_EMAIL}",
        speaker=f"c:{cast.contact.pk}",
        tags="billing gina-globex",
    )
    return invitation


def leftovers(*needles: str) -> list[str]:
    """Every (table.column, row) of every model's text and JSON columns holding a needle."""
    found = []
    lowered = [n.lower() for n in needles]
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model._base_manager.values("pk", *[f.attname for f in fields]):
            for f in fields:
                value = row[f.attname]
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if any(n in (text or "").lower() for n in lowered):
                    found.append(f"{model._meta.db_table}.{f.column} #{row['pk']}: {text}")
    return found


def test_erasure_leaves_no_trace_of_the_name_or_email_and_keeps_the_history(cast: Cast) -> None:
    assert cast.contact is not None
    invitation = with_history(cast)
    # An email to her still waiting in the database task queue.
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        deliver_email.enqueue("Hello", f"Dear {OLD_NAME}", [OLD_EMAIL])
    before = leftovers(OLD_NAME, OLD_EMAIL, "Gina")  # the test sees them before, insights too
    assert {row.split(".")[0] for row in before} >= {
        "insights_insight",
        "insights_importbatch",
        "core_auditevent",
        "cosessions_outreachrequest",
    }
    heard: list[Contact] = []

    def insights_stand_in(actor: Any, *, contact: Contact) -> None:
        heard.append(contact)

    events.subscribe("contact.erased", insights_stand_in)
    try:
        erased = customer_services.erase_contact(
            cast.viewer("admin"), contact=cast.contact, reason=f"{OLD_NAME} asked us to."
        )
    finally:
        events._handlers["contact.erased"].remove(insights_stand_in)

    pk = cast.contact.pk
    assert leftovers(OLD_NAME, OLD_EMAIL, "Head of Billing", "Prefers mornings") == []
    # "Gina" was written alone only as her speaker label: it is gone too.
    assert leftovers("Gina") == []
    assert leftovers("gina-globex") == []
    contact = Contact.objects.get(pk=pk)
    assert (contact.name, contact.email, contact.title, contact.communication_notes) == (
        f"Erased contact {pk}",
        f"contact-{pk}@erased.invalid",
        "",
        "",
    )
    assert contact.erased_at is not None
    assert contact.archived_at is not None
    assert contact.consent_to_contact is False
    assert heard == [erased]
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["args"] == [
        "Hello",
        f"Dear Erased contact {pk}",
        [f"contact-{pk}@erased.invalid"],
    ]
    # Their history stays: the approval, the invitation and its answer, the counts.
    request = OutreachRequest.objects.get(contact_id=pk)
    assert request.status == OutreachStatus.APPROVED
    assert (
        request.message
        == f"Erased contact {pk} ran the pilot; write to contact-{pk}@erased.invalid."
    )
    assert Invitation.objects.get(pk=invitation.pk).rsvp_note == f"Yes! — Erased contact {pk}"
    said = Insight.objects.filter(speaker_contact_id=pk).order_by("pk")
    assert [(i.speaker_name, i.text, i.tags) for i in said] == [
        (f"Erased contact {pk}", "We print every invoice twice.", ""),
        (
            f"Erased contact {pk}",
            f"Erased contact {pk} told us: write to contact-{pk}@erased.invalid",
            f"billing erased-contact-{pk}",
        ),
    ]
    event = AuditEvent.objects.get(action="contact.erased")
    assert (event.actor_label, event.reason) == (
        "alice@acme.test",
        f"Erased contact {pk} asked us to.",
    )
    created = AuditEvent.objects.get(action="contact.created", object_id=str(pk))
    assert created.changes["name"] == f"Erased contact {pk}"
    assert created.changes["email"] == f"contact-{pk}@erased.invalid"


def test_erasure_is_for_admins_with_a_reason_and_only_once(cast: Cast) -> None:
    assert cast.contact is not None
    with pytest.raises(PermissionDenied):
        customer_services.erase_contact(
            cast.viewer("facilitator"), contact=cast.contact, reason="x"
        )
    with pytest.raises(ValidationFailed) as no_reason:
        customer_services.erase_contact(cast.viewer("admin"), contact=cast.contact, reason=" ")
    assert no_reason.value.errors == {
        "reason": ["Say why (e.g. the person's request); it is kept."]
    }
    assert Contact.objects.get(pk=cast.contact.pk).name == OLD_NAME
    customer_services.erase_contact(cast.viewer("admin"), contact=cast.contact, reason="Asked")
    with pytest.raises(ValidationFailed):
        customer_services.erase_contact(cast.viewer("admin"), contact=cast.contact, reason="Again")
    with pytest.raises(ValidationFailed):
        customer_services.restore_contact(cast.viewer("admin"), contact=cast.contact)


def test_erase_through_the_api(cast: Cast, api_client_for: Any) -> None:
    assert cast.contact is not None
    url = f"/api/v1/contacts/{cast.contact.pk}/erase"
    refused = api_client_for("facilitator").post(
        url, {"reason": "Asked"}, content_type="application/json"
    )
    assert refused.status_code == 403
    response = api_client_for("admin").post(
        url, {"reason": "Asked"}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["email"], body["erased"]) == (
        f"Erased contact {cast.contact.pk}",
        f"contact-{cast.contact.pk}@erased.invalid",
        True,
    )


def test_erase_through_the_web_page(cast: Cast, client_for: Any) -> None:
    assert cast.contact is not None
    url = f"/w/acme/customers/contacts/{cast.contact.pk}/erase/"
    assert client_for("facilitator").get(url).status_code == 403
    client = client_for("admin")
    page = client.get(url).content.decode()
    assert "<h1>Erase Gina Globex?</h1>" in page
    assert "This cannot be undone." in page
    response = client.post(url, {"reason": "She asked"})
    assert response.status_code == 302
    assert Contact.objects.get(pk=cast.contact.pk).erased_at is not None


def test_erase_from_the_command_line(cast: Cast) -> None:
    assert cast.contact is not None
    result = CliRunner().invoke(
        cli,
        [
            "privacy",
            "erase",
            str(cast.contact.pk),
            "--reason",
            "Request by email",
            "--as",
            "alice@acme.test",
            "--yes",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Contact {cast.contact.pk} erased; it is now “Erased contact {cast.contact.pk}”.\n"
    )
    refused = CliRunner().invoke(
        cli,
        [
            "privacy",
            "erase",
            str(cast.other_contact.pk),
            "--reason",
            "x",
            "--as",
            "fran@acme.test",
            "--yes",
        ],  # type: ignore[union-attr]
    )
    assert refused.exit_code == 1
    too_big = CliRunner().invoke(
        cli, ["privacy", "erase", "9" * 30, "--reason", "x", "--as", "alice@acme.test"]
    )
    assert too_big.exit_code == 2
    assert "is not in the range" in too_big.output


def test_erasure_takes_the_name_out_of_the_agenda_and_the_session(cast: Cast) -> None:
    assert cast.contact is not None
    session = services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title=f"Onboarding co-design at {OLD_NAME}'s office",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 12, 30),
        location=f"Room 4, ask for {OLD_NAME}",
    )
    services.set_agenda(
        cast.viewer("facilitator"),
        session=session,
        items=[{"title": "Welcome", "minutes": 10, "notes": f"{OLD_NAME} opens"}],
    )
    customer_services.erase_contact(cast.viewer("admin"), contact=cast.contact, reason="Asked")
    assert leftovers(OLD_NAME) == []
