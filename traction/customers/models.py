"""Customer organisations and their contacts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property

from traction.core.models import WorkspaceRecord


class Segment(models.TextChoices):
    ENTERPRISE = "enterprise", "Enterprise"
    MID_MARKET = "mid_market", "Mid-market"
    SMALL_BUSINESS = "small_business", "Small business"
    PUBLIC_SECTOR = "public_sector", "Public sector"


class Size(models.TextChoices):
    S_1_49 = "1-49", "1–49 employees"
    S_50_249 = "50-249", "50–249 employees"
    S_250_999 = "250-999", "250–999 employees"
    S_1000_4999 = "1000-4999", "1,000–4,999 employees"
    S_5000 = "5000+", "5,000+ employees"


class CustomerQuerySet(models.QuerySet["Customer"]):
    """Rows with history are archived, never deleted: ``active()`` is what pickers and default
    lists show, ``archived()`` what the "Archived" filter lists."""

    def active(self) -> CustomerQuerySet:
        return self.filter(archived_at__isnull=True)

    def archived(self) -> CustomerQuerySet:
        return self.filter(archived_at__isnull=False)


class ContactQuerySet(models.QuerySet["Contact"]):
    def active(self) -> ContactQuerySet:
        return self.filter(archived_at__isnull=True)

    def archived(self) -> ContactQuerySet:
        return self.filter(archived_at__isnull=False)


class Customer(WorkspaceRecord):
    """A customer organisation. Its account owner is the gatekeeper for outreach to it.

    Never deleted once it exists: archiving hides it (and its contacts) from pickers and
    default lists and keeps everything said, voted and approved about it.
    """

    name = models.CharField(max_length=160)
    segment = models.CharField(max_length=20, choices=Segment.choices)
    size = models.CharField(max_length=12, choices=Size.choices, blank=True)
    region = models.CharField(max_length=80, blank=True)
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    notes = models.TextField(blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="customer_name_unique_in_workspace"
            )
        ]
        # Lists: the count and the page by name of a workspace's active customers, both read
        # from this index (the unique constraint already indexes workspace and name).
        indexes = [
            models.Index(fields=["workspace", "archived_at", "name"], name="customer_listed_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} (archived)" if self.archived_at else self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @cached_property
    def contact_count(self) -> int:
        """How many active (not archived) contacts it has. Lists read it with their rows: the
        selector's annotation of the same name sets it in the same query."""
        return self.contacts.active().count()


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video call"
    PORTAL = "portal", "Customer portal"


class Cadence(models.TextChoices):
    AS_NEEDED = "as_needed", "Only when there is news"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


# Where placeholder addresses live (RFC 6761: ".invalid" never resolves, so nothing sent
# there reaches anyone).
PLACEHOLDER_DOMAIN = "unknown.invalid"


class Contact(WorkspaceRecord):
    """A person at a customer. Never contacted without consent and the owner's approval.

    Never deleted: archiving hides them from pickers and lists and keeps their words, votes
    and approvals; erasing (``services.erase_contact``) replaces their identity by a tombstone.
    RESTRICT (not CASCADE) on every history row that points here: a stray ``delete()`` is
    refused instead of silently taking votes and approvals with it.
    """

    customer = models.ForeignKey(Customer, on_delete=models.RESTRICT, related_name="contacts")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    title = models.CharField(max_length=120, blank=True)
    consent_to_contact = models.BooleanField(default=False)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    preferred_channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    update_cadence = models.CharField(
        max_length=12, choices=Cadence.choices, default=Cadence.AS_NEEDED
    )
    communication_notes = models.CharField(max_length=300, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the person's identity was erased (name and email are a tombstone since).
    erased_at = models.DateTimeField(null=True, blank=True)
    # Mail to them bounced (or was refused for good): nothing is sent until someone enters a
    # working address; the communication plan counts them as not hearing from us.
    unreachable_at = models.DateTimeField(null=True, blank=True)
    unreachable_reason = models.CharField(max_length=300, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "email"], name="contact_email_unique_per_customer"
            )
        ]

    def __str__(self) -> str:
        label = f"{self.name} ({self.customer.name})" if self.customer_id else self.name
        return f"{label} (archived)" if self.archived_at and not self.erased_at else label

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def has_address(self) -> bool:
        """Is ``email`` a real address? Contacts made from a transcript that named someone
        new get a placeholder under PLACEHOLDER_DOMAIN until someone enters theirs."""
        domain = self.email.rpartition("@")[2].lower()
        return bool(domain) and domain not in (PLACEHOLDER_DOMAIN, ERASED_DOMAIN)


# An erased contact's address: unique per contact, under a domain that never resolves.
ERASED_DOMAIN = "erased.invalid"


def tombstone(contact_id: int) -> tuple[str, str]:
    """(name, email) that replace an erased contact's identity."""
    return f"Erased contact {contact_id}", f"contact-{contact_id}@{ERASED_DOMAIN}"
