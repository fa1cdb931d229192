"""The pack area's emails: the debrief pack (text, HTML and the PDF attached) to each
recipient, and each account owner's read-only digest of the decisions touching their
customers. Rendered from ``debrief/pack/email/*``; sent by tasks queued when the service's
transaction commits (tasks take ids only and send what is true when they run).

Each recipient's pack is rendered as they may see it (their own ``Viewer``), so the email
carries nothing the policy would not show them in the app.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from traction.accounts.models import Membership
from traction.core import clock, mail
from traction.core.errors import NotFound
from traction.core.permissions import Viewer
from traction.core.tasks import EMAIL_RETRY_DELAYS, is_transient

from . import pack as documents
from . import selectors_pack
from .models import Debrief

logger = logging.getLogger(__name__)


def absolute(link: str) -> str:
    return settings.TRACTION_SITE_URL.rstrip("/") + link


def _viewer(debrief: Debrief, user_id: int) -> Viewer | None:
    membership = (
        Membership.objects.filter(
            workspace_id=debrief.workspace_id, user_id=user_id, user__is_active=True
        )
        .select_related("user")
        .first()
    )
    if membership is None:
        return None
    return Viewer(user=membership.user, workspace_id=debrief.workspace_id, role=membership.role)


def _debrief(debrief_id: int) -> Debrief | None:
    return (
        Debrief.objects.select_related("session", "program", "closed_by", "workspace")
        .filter(pk=debrief_id)
        .first()
    )


def pack_message(debrief: Debrief, viewer: Viewer, sender_name: str) -> EmailMultiAlternatives:
    """The pack for one recipient: a short text and HTML body and the PDF of the pack as
    they may see it."""
    user: Any = viewer.user
    context = {
        "debrief": debrief,
        "recipient": user.full_name or user.email,
        "sender": sender_name,
        "pack": selectors_pack.pack(viewer, debrief, now=clock.now()),
        "link": absolute(
            reverse(
                "debrief:pack", kwargs={"workspace_slug": debrief.workspace.slug, "pk": debrief.pk}
            )
        ),
        "zone": documents.zone(debrief),
    }
    subject = f"Debrief pack: {debrief.session.title}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("debrief/pack/email/pack.txt", context).strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((user.full_name or "", user.email))],
    )
    message.attach_alternative(
        render_to_string("debrief/pack/email/pack.html", context), "text/html"
    )
    message.attach(
        documents.filename(debrief, "pdf"), documents.render_pdf(viewer, debrief), "application/pdf"
    )
    return message


def digest_message(
    debrief: Debrief, digest: selectors_pack.Digest, owner: object
) -> EmailMultiAlternatives:
    name = getattr(owner, "full_name", "") or getattr(owner, "email", "")
    context = {
        "debrief": debrief,
        "digest": digest,
        "recipient": name,
        "zone": documents.zone(debrief),
    }
    message = EmailMultiAlternatives(
        subject=f"Decisions touching your customers: {debrief.session.title}",
        body=render_to_string("debrief/pack/email/digest.txt", context).strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((name, getattr(owner, "email", "")))],
    )
    message.attach_alternative(
        render_to_string("debrief/pack/email/digest.html", context), "text/html"
    )
    return message


def _send(
    message: EmailMultiAlternatives, what: str, retry: object, attempt: int, *args: int
) -> int:
    try:
        return mail.outgoing(message).send()
    except (smtplib.SMTPException, OSError) as exc:
        again = is_transient(exc) and attempt <= len(EMAIL_RETRY_DELAYS)
        runner = getattr(retry, "using", None)
        if again and runner is not None and retry.get_backend().supports_defer:  # type: ignore[attr-defined]
            delay = EMAIL_RETRY_DELAYS[attempt - 1]
            runner(run_after=clock.now() + timedelta(seconds=delay)).enqueue(*args, attempt + 1)
            logger.warning(
                "%s not sent (attempt %d: %s); trying again in %d s.", what, attempt, exc, delay
            )
        else:
            logger.error("%s not sent (attempt %d: %s); giving up.", what, attempt, exc)
        raise


@task()
def deliver_pack(debrief_id: int, user_id: int, sender_id: int, attempt: int = 1) -> int:
    """Email the pack to one recipient, rendered as they may see it."""
    debrief = _debrief(debrief_id)
    viewer = _viewer(debrief, user_id) if debrief else None
    if debrief is None or viewer is None:
        logger.info("Debrief pack %s: recipient %s is gone; nothing sent.", debrief_id, user_id)
        return 0
    sender = get_user_model().objects.filter(pk=sender_id).first()
    sender_name = (sender.full_name or sender.email) if sender else "Traction"
    try:
        message = pack_message(debrief, viewer, sender_name)
    except NotFound:  # they may no longer see the debrief
        logger.info("Debrief pack %s: user %s may not see it; nothing sent.", debrief_id, user_id)
        return 0
    what = f"Debrief pack {debrief_id} to user {user_id}"
    return _send(message, what, deliver_pack, attempt, debrief_id, user_id, sender_id)


@task()
def deliver_digest(debrief_id: int, owner_id: int, attempt: int = 1) -> int:
    """Email an account owner the decisions of the debrief touching their customers, as
    they stand when it runs (nothing if nothing touches them any more)."""
    debrief = _debrief(debrief_id)
    if debrief is None:
        return 0
    digest = next((d for d in selectors_pack.digests(debrief) if d.owner_id == owner_id), None)
    owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first()
    if digest is None or owner is None:
        return 0
    what = f"Digest of debrief {debrief_id} to user {owner_id}"
    return _send(
        digest_message(debrief, digest, owner), what, deliver_digest, attempt, debrief_id, owner_id
    )
