"""Write use-cases for customers and contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from traction.core import audit, clock, events, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import require_changed_lengths, require_length, require_one_line
from traction.core.writes import save_new, save_new_version, versioned_update

from .models import Contact, Customer, tombstone

NOTES_MAX = 10_000  # a customer's notes: long free text, capped where written

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


REASSIGN_REFUSAL = "Only a facilitator or admin can reassign the account owner."


def _refuse_archived_customer(customer: Customer, doing: str) -> None:
    """Archived is enforced here, whatever interface asked (not only by hiding buttons)."""
    if Customer.objects.filter(pk=customer.pk, archived_at__isnull=False).exists():
        raise ValidationFailed.field(
            "__all__", f"{customer.name} is archived; restore the customer first to {doing}."
        )


def _refuse_archived_contact(contact: Contact) -> None:
    stored = Contact.objects.filter(pk=contact.pk).values("archived_at", "erased_at").get()
    if stored["erased_at"] is not None:
        raise ValidationFailed.field(
            "__all__",
            "This contact was erased; their identity cannot be given back. "
            "Add the person again as a new contact if they agree.",
        )
    if stored["archived_at"] is not None:
        raise ValidationFailed.field(
            "__all__", f"{contact.name} is archived; restore the contact first to change it."
        )


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
    if account_owner_id is not None:
        permissions.check(actor, "customer.reassign_owner")  # choosing the gatekeeper
    require_one_line(name=name)
    require_length("notes", notes, NOTES_MAX)
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
    _refuse_archived_customer(customer, "change it")
    require_one_line(**{k: v for k, v in changes.items() if k == "name"})
    require_changed_lengths(customer, changes, notes=NOTES_MAX)
    if "account_owner_id" in changes:
        # Refused beside the field (the rest of the form is the owner's to change).
        if not permissions.can(actor, "customer.reassign_owner", customer):
            raise ValidationFailed.field("account_owner_id", REASSIGN_REFUSAL)
        _check_owner(actor, changes["account_owner_id"])
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
    old_owner_id = customer.account_owner_id
    updated = versioned_update(
        actor,
        customer,
        changes=changes,
        allowed=CUSTOMER_FIELDS,
        expected_version=version,
        action="customer.changed",
    )
    if updated.account_owner_id != old_owner_id:
        # Pending approvals follow the account (sessions moves them to the new owner).
        events.publish(
            "customer.owner_changed",
            actor,
            customer=updated,
            old_owner_id=old_owner_id,
            new_owner_id=updated.account_owner_id,
        )
    return updated


@transaction.atomic
def archive_customer(actor: Viewer, *, customer: Customer, reason: str = "") -> Customer:
    """Archive a customer and its contacts: hidden from pickers and default lists, every
    session, approval, word and vote about them kept. Nothing is deleted."""
    permissions.check(actor, "customer.archive", customer)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.is_archived:
        return customer
    now = clock.now()
    contacts = list(customer.contacts.active().select_for_update())
    customer.archived_at = now
    customer.archived_by_id = actor.user_id
    save_new_version(customer, fields=["archived_at", "archived_by"])
    audit.record(
        actor,
        action="customer.archived",
        obj=customer,
        changes={"contacts": [c.pk for c in contacts]},
        reason=reason.strip(),
    )
    for contact in contacts:
        _archive_contact(actor, contact, now, reason="Its customer was archived.")
    return customer


@transaction.atomic
def restore_customer(actor: Viewer, *, customer: Customer) -> Customer:
    """Bring an archived customer back, with the contacts archived along with it."""
    permissions.check(actor, "customer.archive", customer)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customer.is_archived:
        return customer
    with_it = list(customer.contacts.filter(archived_at=customer.archived_at, erased_at=None))
    customer.archived_at = None
    customer.archived_by = None
    save_new_version(customer, fields=["archived_at", "archived_by"])
    audit.record(
        actor,
        action="customer.restored",
        obj=customer,
        changes={"contacts": [c.pk for c in with_it]},
    )
    for contact in with_it:
        _restore_contact(actor, contact)
    return customer


def release_ownerships(actor: Viewer, *, user_id: int) -> None:
    """``member.removed``: a former member owns no customer (ownership grants access and
    decides outreach). Each customer they owned has no owner until someone is assigned; their
    pending approvals follow (``customer.owner_changed``)."""
    for customer in Customer.objects.select_for_update().filter(
        workspace_id=actor.workspace_id, account_owner_id=user_id
    ):
        customer.account_owner = None
        save_new_version(customer, fields=["account_owner"])
        audit.record(
            actor,
            action="customer.changed",
            obj=customer,
            changes={"account_owner_id": [user_id, None]},
            reason="The account owner left the workspace.",
        )
        events.publish(
            "customer.owner_changed",
            actor,
            customer=customer,
            old_owner_id=user_id,
            new_owner_id=None,
        )


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
    _refuse_archived_customer(customer, "add contacts to it")
    require_one_line(name=name, title=title)
    contact = save_new(
        Contact(
            workspace_id=customer.workspace_id,
            customer=customer,
            name=name.strip(),
            email=email.strip().lower(),
            title=title.strip(),
            consent_to_contact=consent_to_contact,
            consent_recorded_at=clock.now() if consent_to_contact else None,
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
    _refuse_archived_contact(contact)
    require_one_line(**{k: v for k, v in changes.items() if k in ("name", "title")})
    if "email" in changes:
        changes["email"] = str(changes["email"]).strip().lower()
    if (
        "consent_to_contact" in changes
        and bool(changes["consent_to_contact"]) != contact.consent_to_contact
    ):
        # The moment consent was given (or withdrawn) is part of the record.
        contact.consent_recorded_at = clock.now()
        Contact.objects.filter(pk=contact.pk).update(
            consent_recorded_at=contact.consent_recorded_at
        )
    had_consent = contact.consent_to_contact
    old_email = contact.email
    updated = versioned_update(
        actor,
        contact,
        changes=changes,
        allowed=CONTACT_FIELDS,
        expected_version=version,
        action="contact.changed",
    )
    if had_consent and not updated.consent_to_contact:
        events.publish("contact.consent_withdrawn", actor, contact=updated)
    if updated.email != old_email and updated.unreachable_at is not None:
        # A new address is worth trying: mail to the old one bounced, not to this one.
        Contact.objects.filter(pk=updated.pk).update(unreachable_at=None, unreachable_reason="")
        updated.unreachable_at, updated.unreachable_reason = None, ""
        audit.record(actor, action="contact.reachable", obj=updated, reason="email changed")
    return updated


def _archive_contact(actor: Viewer, contact: Contact, when: datetime, *, reason: str) -> None:
    contact.archived_at = when
    contact.archived_by_id = actor.user_id
    save_new_version(contact, fields=["archived_at", "archived_by"])
    audit.record(actor, action="contact.archived", obj=contact, reason=reason)
    events.publish("contact.archived", actor, contact=contact)


def _restore_contact(actor: Viewer, contact: Contact) -> None:
    contact.archived_at = None
    contact.archived_by = None
    save_new_version(contact, fields=["archived_at", "archived_by"])
    audit.record(actor, action="contact.restored", obj=contact)


@transaction.atomic
def archive_contact(actor: Viewer, *, contact: Contact, reason: str = "") -> Contact:
    """Archive a contact: no longer offered for outreach or shown in lists; what they said,
    voted and were approved for stays, under their name."""
    permissions.check(actor, "contact.archive", contact)
    contact = Contact.objects.select_for_update().select_related("customer").get(pk=contact.pk)
    if not contact.is_archived:
        _archive_contact(actor, contact, clock.now(), reason=reason.strip())
    return contact


@transaction.atomic
def restore_contact(actor: Viewer, *, contact: Contact) -> Contact:
    """Bring an archived contact back (not an erased one: their identity is gone)."""
    permissions.check(actor, "contact.archive", contact)
    contact = Contact.objects.select_for_update().select_related("customer").get(pk=contact.pk)
    if contact.is_erased:
        raise ValidationFailed.field(
            "__all__", "This contact was erased; add the person again as a new contact."
        )
    if contact.customer.is_archived:
        raise ValidationFailed.field(
            "__all__", f"{contact.customer.name} is archived; restore the customer first."
        )
    if contact.is_archived:
        _restore_contact(actor, contact)
    return contact


def _former_identities(contact: Contact) -> tuple[list[str], list[str]]:
    """The emails and names the contact had, from the ``changes`` of its own audit events
    (``contact.created`` holds values, ``contact.changed`` holds [old, new] pairs)."""
    from traction.core.models import AuditEvent

    found: dict[str, list[str]] = {"email": [], "name": []}
    events = AuditEvent.objects.filter(
        object_type=contact._meta.label_lower, object_id=str(contact.pk)
    ).values_list("changes", flat=True)
    for changes in events:
        if not isinstance(changes, dict):
            continue
        for field, kept in found.items():
            value = changes.get(field)
            items = value if isinstance(value, list) else [value]
            kept += [v for v in items if isinstance(v, str) and v.strip() and v not in kept]
    return found["email"], found["name"]


@transaction.atomic
def erase_contact(actor: Viewer, *, contact: Contact, reason: str) -> Contact:
    """Erase a person's identity for good (e.g. a data-protection request).

    Name and email become a tombstone ("Erased contact 14", an address under
    ``erased.invalid``); title and notes are cleared; consent is withdrawn; the contact is
    archived. Their words, votes, approvals and every count stay. The old name and email are
    also rewritten in the workspace's audit trail, in-app notices and stored background tasks,
    and every higher app redacts its own data on ``contact.erased``.
    """
    from traction.accounts.models import Membership, Notice

    permissions.check(actor, "contact.erase", contact)
    if not reason.strip():
        raise ValidationFailed.field("reason", "Say why (e.g. the person's request); it is kept.")
    contact = Contact.objects.select_for_update().select_related("customer").get(pk=contact.pk)
    if contact.is_erased:
        raise ValidationFailed.field("__all__", "This contact is already erased.")
    name, email = tombstone(contact.pk)
    former_email = contact.email
    replacements = {contact.email: email, contact.name: name}
    private: dict[str, str] = {contact.title: "", contact.communication_notes: ""}
    # Names and addresses they had before a change are in their own events: those go too.
    emails, names = _former_identities(contact)
    replacements.update({e: email for e in emails if e not in replacements})
    # A former name of two words or more is replaced everywhere; a single word ("Gina") only
    # in the contact's own events, never inside other people's words.
    replacements.update({n: name for n in names if len(n.split()) >= 2 and n not in replacements})
    private.update({n: name for n in names if n not in replacements})
    now = clock.now()
    contact.name, contact.email = name, email
    contact.title = ""
    contact.communication_notes = ""
    contact.consent_to_contact = False
    contact.consent_recorded_at = now
    contact.erased_at = now
    if contact.archived_at is None:
        contact.archived_at = now
        contact.archived_by_id = actor.user_id
    save_new_version(contact)
    # The trail of this contact's own events also held their title and notes.
    audit.redact_object(contact, private)
    audit.redact(contact.workspace_id, replacements)
    members = Membership.objects.filter(workspace_id=contact.workspace_id)
    audit.redact_queued_tasks(
        replacements,
        address=former_email,
        audience=members.values_list("user__email", flat=True),
    )
    for notice in Notice.objects.filter(workspace_id=contact.workspace_id).filter(
        audit.mentioning(replacements, ["text"])
    ):
        text = audit.replace_texts(notice.text, replacements)
        if text != notice.text:
            Notice.objects.filter(pk=notice.pk).update(text=text[:300])
    # Subscribers that stored the old name or email in free text replace them using this.
    contact.erasure_replacements = replacements  # type: ignore[attr-defined]
    events.publish("contact.erased", actor, contact=contact)
    audit.record(
        actor,
        action="contact.erased",
        obj=contact,
        reason=audit.replace_texts(reason.strip(), replacements),
    )
    return contact
