"""The customer portal's sign-in: magic links (no password) and the requests for them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from traction.core import clock


class PortalLink(models.Model):
    """A signed-in link to the portal for one contact. Only a hash of its secret is kept:
    the token itself exists in the email (or the API answer) that carried it, nowhere else.

    A link works until ``expires_at`` or until it is revoked; revoking it also ends every
    portal session opened with it (each portal request re-reads its link). Signing out ends
    the sessions opened with it so far (``sessions_ended``: a session cookie carries the
    count it was opened under), not the link."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="portal_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    # A member who sent it, or nobody: the contact asked for it on the public page.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_contact = models.BooleanField(default=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # How many times someone signed out of a session opened with this link: a session cookie
    # made before the last sign-out opens nothing (a copy of it included).
    sessions_ended = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "contact"], name="portal_link_ws_contact")]

    def __str__(self) -> str:
        return f"Portal link #{self.pk}"

    @property
    def created_by_label(self) -> str:
        if self.requested_by_contact:
            return "Requested by the contact"
        return getattr(self.created_by, "email", "") or "A former member"

    def state(self, now: object = None) -> str:
        """ "active", "expired" or "revoked"."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or clock.now()):  # type: ignore[operator]
            return "expired"
        return "active"


class PortalLinkRequest(models.Model):
    """One use of the public "send me a link" page, kept for its rate limit (per address
    asked for and per client address) for an hour, whether or not a link was sent; a use
    over the limit is not kept (``services.request_link``)."""

    email = models.CharField(max_length=254)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["email", "at"], name="portal_request_email_at")]

    def __str__(self) -> str:
        return f"Portal link request at {self.at:%Y-%m-%d %H:%M}"
