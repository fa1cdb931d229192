"""Customer organisations and their contacts."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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


class Customer(models.Model):
    """A customer organisation. Its account owner is the gatekeeper for outreach to it."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
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
    # Optimistic concurrency: an edit based on an older version is refused, never lost.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"], name="customer_name_unique_in_workspace"
            )
        ]
        indexes = [models.Index(fields=["workspace", "name"])]

    def __str__(self) -> str:
        return self.name


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


class Contact(models.Model):
    """A person at a customer. Never contacted without consent and the owner's approval."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
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
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "email"], name="contact_email_unique_per_customer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer})" if self.customer_id else self.name

    @property
    def has_address(self) -> bool:
        """Is ``email`` a real address? Contacts made from a transcript that named someone
        new get a placeholder under PLACEHOLDER_DOMAIN until someone enters theirs."""
        domain = self.email.rpartition("@")[2].lower()
        return bool(domain) and domain != PLACEHOLDER_DOMAIN
