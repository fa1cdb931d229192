"""Magic links to the customer portal: send, open, revoke, and the public "send me a link".

A token is ``<link id>.<secret>``; only the SHA-256 of the whole token is stored, so the
database never holds a working link. Opening a token checks it against its link's hash in
constant time. Every sign-in and every refusal is audited on the link it names (a token
naming no link at all belongs to no workspace: it is logged, not audited).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from traction.accounts import senders
from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.guard import whole_number
from traction.core.permissions import CustomerPrincipal, Viewer
from traction.core.proxies import limit_address
from traction.core.tasks import send_email_on_commit
from traction.customers import reach
from traction.customers.models import Contact

from .models import PortalLink, PortalLinkRequest

log = logging.getLogger(__name__)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def url_for(token: str) -> str:
    return settings.TRACTION_SITE_URL.rstrip("/") + reverse("portal:open", args=[token])


def _refusal(contact: Contact) -> str:
    """Why a portal link may not go to this contact ("" when it may)."""
    if contact.erased_at is not None:
        return "This contact was erased."
    if contact.archived_at is not None or contact.customer.archived_at is not None:
        return "This contact is archived; restore them first."
    if not contact.consent_to_contact:
        return "This contact has not consented to be contacted, so no link is emailed to them."
    stopped = reach.why_not_mail(contact)
    if stopped:
        return f"No link is emailed to {contact.name}: {stopped}."
    return ""


def _email(contact: Contact, token: str, link: PortalLink) -> None:
    workspace = contact.customer.workspace.name
    days = max(1, (link.expires_at - link.created_at).days)
    body = (
        f"Hello {contact.name},\n\n"
        f"Here is your personal link to {workspace}'s customer portal, where you can see the "
        "sessions you took part in and what you and your colleagues told us:\n\n"
        f"{url_for(token)}\n\n"
        f"The link works for {days} days and only for you: please do not forward it. "
        "If it has expired, you can ask for a new one from the same page.\n\n"
        "If you did not expect this email, you can ignore it.\n"
    )
    send_email_on_commit(
        f"Your link to {workspace}'s customer portal",
        body,
        [contact.email],
        from_email=senders.from_address(contact.customer.workspace),
        reply_to=senders.reply_to(contact.customer.workspace),
    )


@transaction.atomic
def _create(
    contact: Contact, *, by: Viewer | None, email: bool = True, reason: str = ""
) -> tuple[PortalLink, str]:
    now = clock.now()
    link = PortalLink.objects.create(
        workspace_id=contact.workspace_id,
        contact=contact,
        token_hash=secrets.token_hex(32),  # replaced below, once the id is known
        created_at=now,
        expires_at=now + timedelta(days=settings.TRACTION_PORTAL_LINK_DAYS),
        created_by_id=by.user_id if by is not None else None,
        requested_by_contact=by is None,
    )
    token = f"{link.pk}.{secrets.token_urlsafe(32)}"
    link.token_hash = _hash(token)
    link.save(update_fields=["token_hash"])
    audit.record(
        by,
        action="portal.link_created",
        obj=link,
        changes={"contact_id": contact.pk, "expires_at": link.expires_at},
        reason=reason or ("" if by is not None else "requested by the contact"),
    )
    if email:
        _email(contact, token, link)
    return link, token


def send_link(viewer: Viewer, *, contact: Contact) -> PortalLink:
    """Email the contact a new portal link (the caller fetched ``contact`` for the viewer).
    The token goes to the contact only: the member never sees it."""
    permissions.check(viewer, "portal_link.send", contact)
    why_not = _refusal(contact)
    if why_not:
        raise ValidationFailed.field("contact", why_not)
    link, _token = _create(contact, by=viewer)
    return link


def issue_link_for_demo(contact: Contact) -> str:
    """A working portal URL for a demo contact, emailed to nobody: the demo setup prints
    it (and tests open it). Never reachable from a page or the API."""
    _link, token = _create(contact, by=None, email=False, reason="demo link, not emailed")
    return url_for(token)


@transaction.atomic
def revoke_link(viewer: Viewer, *, link: PortalLink) -> PortalLink:
    """Revoke a link: it opens nothing from now on, and the sessions opened with it end
    (each portal request re-reads its link). Revoking a revoked link changes nothing."""
    permissions.check(viewer, "portal_link.revoke", link)
    link = PortalLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is None:
        link.revoked_at = clock.now()
        link.revoked_by_id = viewer.user_id
        link.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(viewer, action="portal.link_revoked", obj=link)
    return link


# --- signing in ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused(Exception):
    """A token or a portal session that opens nothing: ``reason`` is "tampered", "expired",
    "revoked", "gone" (the contact was archived or erased) or, for a session only,
    "signed_out" (someone signed out of a session of its link since it was opened)."""

    reason: str
    link: PortalLink | None = None


# A token's first part is only its link's number: anyone may open /portal/in/<n>.<junk>/.
# So a link's refusals are audited up to this many an hour, the rest only logged, rather than
# letting anonymous requests grow the append-only audit trail without end (so are a signed-in
# contact's requests for what is not theirs, ``denied``).
REFUSALS_AUDITED_PER_HOUR = audit.OUTSIDERS_AUDITED_PER_HOUR


def _audit_refusal(link: PortalLink | None, reason: str, where: str) -> None:
    if link is None:
        log.warning("Portal: refused a token naming no link (%s).", where)
        return
    principal = CustomerPrincipal(
        contact_id=link.contact_id, workspace_id=link.workspace_id, portal_link_id=link.pk
    )
    audit.record_refusal(principal, action="portal.refused", obj=link, reason=f"{reason} ({where})")


def _state(link: PortalLink) -> str:
    contact = link.contact
    if contact.erased_at is not None or contact.archived_at is not None:
        return "gone"
    if contact.customer.archived_at is not None:
        return "gone"
    return link.state(clock.now())


def _link(link_id: int) -> PortalLink | None:
    return (
        PortalLink.objects.select_related("contact__customer", "workspace")
        .filter(pk=link_id)
        .first()
    )


def open_link(token: str) -> CustomerPrincipal:
    """The portal principal a token signs in, or Refused (audited either way)."""
    head, _, _secret = token.partition(".")
    link_id = whole_number(head)
    link = _link(link_id) if link_id is not None and len(head) < 12 else None
    if link is None or not hmac.compare_digest(link.token_hash, _hash(token)):
        _audit_refusal(link, "tampered", "opening a link")
        raise Refused("tampered", link)
    state = _state(link)
    if state != "active":
        _audit_refusal(link, state, "opening a link")
        raise Refused(state, link)
    principal = CustomerPrincipal(
        contact_id=link.contact_id, workspace_id=link.workspace_id, portal_link_id=link.pk
    )
    with transaction.atomic():
        PortalLink.objects.filter(pk=link.pk).update(last_used_at=clock.now())
        audit.record(principal, action="portal.signed_in", obj=link)
    return principal


def refused_cookie(ip: str | None) -> None:
    """A portal session cookie whose signature does not hold: it names nothing trustworthy
    (no link, no workspace to audit it in), so it is logged for the operators."""
    log.warning("Portal: refused a session cookie with a bad signature (ip %s).", ip or "unknown")


def session_cookie(link_id: int) -> str:
    """The portal session cookie's value for a session opened now with the link:
    ``<link id>:<sign-outs so far>`` (signed by the view)."""
    ended = PortalLink.objects.values_list("sessions_ended", flat=True).get(pk=link_id)
    return f"{link_id}:{ended}"


def read_session_cookie(value: str | None) -> tuple[int, int] | None:
    """(link id, sign-outs it was opened under) of a verified cookie value; None when it
    is not one (a cookie from before sign-outs counted holds the link id alone: 0)."""
    head, _, ended = (value or "").partition(":")
    link_id = whole_number(head)
    count = whole_number(ended, low=0) if ended else 0
    if link_id is None or count is None:
        return None
    return link_id, count


def resume(link_id: int, ended: int = 0) -> CustomerPrincipal:
    """The principal of a portal session that stands on ``link_id``, or Refused (audited)
    when the link expired, was revoked or its contact is gone since, or someone signed out
    of a session of the link since this one was opened (``ended``: "signed_out")."""
    link = _link(link_id)
    if link is None:
        _audit_refusal(None, "tampered", "portal session on a link that does not exist")
        raise Refused("tampered")
    if link.sessions_ended != ended:
        _audit_refusal(link, "signed out", "portal session ended")
        raise Refused("signed_out", link)
    state = _state(link)
    if state != "active":
        _audit_refusal(link, state, "portal session ended")
        raise Refused(state, link)
    principal = CustomerPrincipal(
        contact_id=link.contact_id, workspace_id=link.workspace_id, portal_link_id=link.pk
    )
    permissions.get(principal, "portal.link.use", PortalLink.objects.all(), pk=link.pk)
    return principal


@transaction.atomic
def signed_out(principal: CustomerPrincipal) -> None:
    """Sign out: every portal session opened with the link until now ends (a copy of this
    one's cookie included); the link itself still opens a new one."""
    PortalLink.objects.filter(pk=principal.portal_link_id).update(
        sessions_ended=F("sessions_ended") + 1
    )
    link = PortalLink.objects.get(pk=principal.portal_link_id)
    audit.record(principal, action="portal.signed_out", obj=link)


def denied(principal: CustomerPrincipal, what: str) -> None:
    """Audit a portal visitor asking for something that is not theirs (answered 404)."""
    link = PortalLink.objects.get(pk=principal.portal_link_id)
    audit.record_refusal(principal, action="portal.denied", obj=link, reason=what[:500])


# --- "send me a link" ---------------------------------------------------------------------


def _normal(email: str) -> str:
    return email.strip().lower()[:254]


def request_throttled(email: str, ip: str | None) -> bool:
    since = clock.now() - timedelta(hours=1)
    recent = PortalLinkRequest.objects.filter(at__gte=since)
    if recent.filter(email=_normal(email)).count() >= settings.TRACTION_PORTAL_REQUESTS_PER_EMAIL:
        return True
    return bool(ip and recent.filter(ip=ip).count() >= settings.TRACTION_PORTAL_REQUESTS_PER_IP)


def with_portal_access(email: str) -> list[Contact]:
    """The contacts (of any workspace) this address may get a portal link for: consented,
    active, and either invited to a session they accepted or sent a link by a member."""
    from django.db.models import Exists, OuterRef, Q

    from traction.sessions.models import Invitation

    accepted = Invitation.objects.filter(contact_id=OuterRef("pk"), rsvp="accepted")
    granted = PortalLink.objects.filter(contact_id=OuterRef("pk"), requested_by_contact=False)
    return list(
        Contact.objects.select_related("customer__workspace")
        .filter(
            email__iexact=_normal(email),
            consent_to_contact=True,
            archived_at__isnull=True,
            erased_at__isnull=True,
            customer__archived_at__isnull=True,
        )
        .filter(Q(Exists(accepted)) | Q(Exists(granted)))
    )


def request_link(email: str, ip: str | None) -> None:
    """The public page's request: a link to each contact with portal access at this address,
    none otherwise; the caller answers the same either way. Over the hourly limit (per
    address, per client address) nothing is sent, and the answer is still the same. An IPv6
    client counts as its /64 network (``limit_address``)."""
    email = _normal(email)
    ip = limit_address(ip)
    # Rows count only for the hour: older ones go, so anonymous requests keep few.
    PortalLinkRequest.objects.filter(at__lt=clock.now() - timedelta(hours=1)).delete()
    if request_throttled(email, ip):
        # Not stored: it would change nothing (the limit is reached) but the table's size.
        log.warning("Portal: link requests over the limit (ip %s).", ip or "unknown")
        return
    PortalLinkRequest.objects.create(email=email, ip=ip or None)
    for contact in with_portal_access(email):
        _create(contact, by=None)
