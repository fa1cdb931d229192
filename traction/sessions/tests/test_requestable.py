"""Who may be requested for a session is ONE rule, ``services.why_not_requestable``: the
outreach form greys a contact out with its text, and ``request_outreach`` refuses with the
same text. For every reason, the row and the refusal say the same thing."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from traction.core.errors import ValidationFailed
from traction.core.testing.cast import Cast
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.sessions import services
from traction.sessions.models import Session, SessionKind

pytestmark = pytest.mark.django_db


def plan(cast: Cast, **fields: Any) -> Session:
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 12, 30),
        time_zone="Europe/Berlin",
        **fields,
    )


def row_reason(page: str, contact: Contact) -> str | None:
    """The reason the form gives beside a greyed-out contact (None: the contact may be
    chosen; the checkbox is enabled)."""
    box = re.search(rf'<input type="checkbox" name="contacts" value="{contact.pk}"[^>]*>', page)
    assert box is not None, f"{contact.name} is not on the form"
    found = re.search(rf'<span class="muted small" id="why-{contact.pk}">(.*?)</span>', page)
    if found is None:
        assert " disabled" not in box.group(0)
        return None
    assert " disabled" in box.group(0)
    return html.unescape(found.group(1))


def refusal(cast: Cast, session: Session, contact: Contact) -> str | None:
    try:
        services.request_outreach(cast.viewer("facilitator"), session=session, contact=contact)
    except ValidationFailed as exc:
        (messages,) = exc.errors.values()
        return " ".join(messages)
    return None


def _no_consent(cast: Cast, session: Session) -> Contact:
    assert cast.customer is not None
    return customer_services.add_contact(
        cast.viewer("admin"), customer=cast.customer, name="Nora Noconsent",
        email="nora@globex.test",
    )  # fmt: skip


def _no_owner(cast: Cast, session: Session) -> Contact:
    assert cast.other_contact is not None
    return customer_services.update_contact(
        cast.viewer("admin"), contact=cast.other_contact, changes={"consent_to_contact": True}
    )


def _neither(cast: Cast, session: Session) -> Contact:
    assert cast.other_contact is not None
    return cast.other_contact  # Ian: no consent, and Initech has no account owner


def _requested(decision: str) -> Callable[[Cast, Session], Contact]:
    def make(cast: Cast, session: Session) -> Contact:
        assert cast.contact is not None
        request = services.request_outreach(
            cast.viewer("facilitator"), session=session, contact=cast.contact
        )
        if decision == "approved":
            services.decide_outreach(cast.viewer("account_owner"), request=request, approve=True)
        elif decision == "declined":
            services.decide_outreach(
                cast.viewer("account_owner"), request=request, approve=False, reason="Busy."
            )
        elif decision == "waived":
            services.waive_outreach(cast.viewer("admin"), request=request, reason="Away.")
        return cast.contact

    return make


REASONS = {
    "no consent": (
        _no_consent,
        "Nora Noconsent has not agreed to be contacted; record their consent first.",
    ),
    "no account owner": (
        _no_owner,
        "Initech has no account owner to approve outreach; assign one first.",
    ),
    "neither": (
        _neither,
        "Ian Initech has not agreed to be contacted; record their consent first. "
        "Initech has no account owner to approve outreach; assign one first.",
    ),
    "requested, pending": (
        _requested("pending"),
        "Gina Globex has already been requested for this session (waiting for the account owner).",
    ),
    "requested, approved": (
        _requested("approved"),
        "Gina Globex has already been requested for this session (approved).",
    ),
    "requested, declined": (
        _requested("declined"),
        "Gina Globex has already been requested for this session (declined).",
    ),
    "requested, waived": (
        _requested("waived"),
        "Gina Globex has already been requested for this session (waived by an admin).",
    ),
}


@pytest.mark.parametrize("reason", list(REASONS))
def test_the_row_and_the_refusal_say_the_same(
    cast: Cast, client_for: Callable[[str], Client], reason: str
) -> None:
    session = plan(cast)
    make, text = REASONS[reason]
    contact = make(cast, session)
    page = client_for("facilitator").get(
        reverse("sessions:outreach_new", args=[cast.acme.slug, session.pk])
    )

    assert row_reason(page.content.decode(), contact) == text
    assert refusal(cast, session, contact) == text
    assert (
        services.why_not_requestable(
            session, contact, requested=services.requested_statuses(session).get(contact.pk)
        )
        == text
    )


def test_a_contact_who_may_be_requested_is_neither_greyed_nor_refused(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    session = plan(cast)
    assert cast.contact is not None
    page = client_for("facilitator").get(
        reverse("sessions:outreach_new", args=[cast.acme.slug, session.pk])
    )
    assert row_reason(page.content.decode(), cast.contact) is None
    assert refusal(cast, session, cast.contact) is None


def test_an_archived_contact_is_off_the_form_and_refused_with_the_rule(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    """Pickers hide archived contacts, so the form has no row to grey; the service refuses
    with the rule's words."""
    session = plan(cast)
    assert cast.contact is not None
    contact = customer_services.archive_contact(cast.viewer("admin"), contact=cast.contact)
    page = client_for("facilitator").get(
        reverse("sessions:outreach_new", args=[cast.acme.slug, session.pk])
    )
    assert f'value="{contact.pk}"' not in page.content.decode()
    text = "Gina Globex is archived; restore them before inviting them."
    assert refusal(cast, session, contact) == text
    assert services.why_not_requestable(session, contact, requested=None) == text


def test_a_practice_session_has_no_rows_and_refuses_with_the_rule(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    """A practice session asks no customers: the form is not offered at all (the session
    page says why, in the rule's words) and the service refuses every contact."""
    session = plan(cast, kind=SessionKind.PRACTICE)
    assert cast.contact is not None
    response = client_for("facilitator").get(
        reverse("sessions:outreach_new", args=[cast.acme.slug, session.pk]), follow=True
    )
    text = Session.PRACTICE_REFUSAL
    assert html.escape(text, quote=False) in response.content.decode()
    assert refusal(cast, session, cast.contact) == text
    assert services.why_not_requestable(session, cast.contact, requested=None) == text
