"""Write use-cases for customers and contacts."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from traction.core import audit, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.writes import save_new, versioned_update

from .models import Contact, Customer

CUSTOMER_FIELDS = ["name", "segment", "size", "region", "account_owner_id", "notes"]
CONTACT_FIELDS = [
    "name",
    "email",
    "title",
    "consent_to_contact",
    "preferred_channel",
    "update_cadence",
    "communication_notes",
]


def _check_owner(actor: Viewer, owner_id: int | None) -> None:
    from traction.accounts.models import Membership

    if (
        owner_id is not None
        and not Membership.objects.filter(
            workspace_id=actor.workspace_id, user_id=owner_id
        ).exists()
    ):
        raise ValidationFailed.field(
            "account_owner_id", "The account owner must be a workspace member."
        )


@transaction.atomic
def create_customer(
    actor: Viewer,
    *,
    name: str,
    segment: str,
    size: str = "",
    region: str = "",
    account_owner_id: int | None = None,
    notes: str = "",
) -> Customer:
    permissions.check(actor, "customer.create")
    _check_owner(actor, account_owner_id)
    customer = save_new(
        Customer(
            workspace_id=actor.workspace_id,
            name=name.strip(),
            segment=segment,
            size=size,
            region=region.strip(),
            account_owner_id=account_owner_id,
            notes=notes,
        )
    )
    audit.record(
        actor,
        action="customer.created",
        obj=customer,
        changes=audit.snapshot(customer, CUSTOMER_FIELDS),
    )
    return customer


@transaction.atomic
def update_customer(
    actor: Viewer, *, customer: Customer, changes: dict[str, Any], version: int | None = None
) -> Customer:
    """Change some of a customer's fields; refused with Conflict if ``version`` is stale."""
    permissions.check(actor, "customer.change", customer)
    if "account_owner_id" in changes:
        # Reassigning the gatekeeper is a facilitator/admin decision, not the owner's own.
        if not permissions.can(actor, "customer.create"):
            raise ValidationFailed.field(
                "account_owner_id", "Only a facilitator or admin can reassign the account owner."
            )
        _check_owner(actor, changes["account_owner_id"])
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
    return versioned_update(
        actor,
        customer,
        changes=changes,
        allowed=CUSTOMER_FIELDS,
        expected_version=version,
        action="customer.changed",
    )


@transaction.atomic
def delete_customer(actor: Viewer, *, customer: Customer, reason: str = "") -> None:
    permissions.check(actor, "customer.delete", customer)
    audit.record(
        actor,
        action="customer.deleted",
        obj=customer,
        changes={"contacts": customer.contacts.count()},
        reason=reason,
    )
    customer.delete()


@transaction.atomic
def add_contact(
    actor: Viewer,
    *,
    customer: Customer,
    name: str,
    email: str,
    title: str = "",
    consent_to_contact: bool = False,
    preferred_channel: str = "email",
    update_cadence: str = "as_needed",
    communication_notes: str = "",
) -> Contact:
    permissions.check(actor, "contact.change")  # the role may add contacts at all …
    permissions.check(actor, "customer.change", customer)  # … and to this customer
    contact = save_new(
        Contact(
            workspace_id=customer.workspace_id,
            customer=customer,
            name=name.strip(),
            email=email.strip().lower(),
            title=title.strip(),
            consent_to_contact=consent_to_contact,
            consent_recorded_at=timezone.now() if consent_to_contact else None,
            preferred_channel=preferred_channel,
            update_cadence=update_cadence,
            communication_notes=communication_notes,
        )
    )
    audit.record(
        actor,
        action="contact.created",
        obj=contact,
        changes=audit.snapshot(contact, CONTACT_FIELDS),
    )
    return contact


@transaction.atomic
def update_contact(
    actor: Viewer, *, contact: Contact, changes: dict[str, Any], version: int | None = None
) -> Contact:
    permissions.check(actor, "contact.change", contact)
    if "email" in changes:
        changes["email"] = str(changes["email"]).strip().lower()
    if (
        "consent_to_contact" in changes
        and bool(changes["consent_to_contact"]) != contact.consent_to_contact
    ):
        # The moment consent was given (or withdrawn) is part of the record.
        contact.consent_recorded_at = timezone.now()
        Contact.objects.filter(pk=contact.pk).update(
            consent_recorded_at=contact.consent_recorded_at
        )
    return versioned_update(
        actor,
        contact,
        changes=changes,
        allowed=CONTACT_FIELDS,
        expected_version=version,
        action="contact.changed",
    )


@transaction.atomic
def delete_contact(actor: Viewer, *, contact: Contact, reason: str = "") -> None:
    permissions.check(actor, "contact.delete", contact)
    audit.record(
        actor,
        action="contact.deleted",
        obj=contact,
        changes={"email": contact.email},
        reason=reason,
    )
    contact.delete()
