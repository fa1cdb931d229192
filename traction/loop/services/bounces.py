"""Bounces and complaints from the workspace's mail provider (docs/loop.md, "Bounces from
your mail provider").

Each workspace may have one inbound bounce URL, ``/hooks/mail/<provider>/<secret>/``:
providers cannot send our bearer token, so the secret in the URL is the credential. Only its
SHA-256 is kept; it is shown once when an admin makes or rotates it (the old URL stops
working at once). What arrives is read by ``bounce_parsers`` and matched to the workspace's
messages by Message-ID first, then by address:

- a **permanent** bounce marks the matching messages bounced and flags the contact
  unreachable (nothing more is sent to them until a member marks them reachable);
- a **complaint** (marked as spam) flags the contact unreachable;
- a **temporary** bounce is recorded and flags nobody.

Every match is kept as a ``MailBounce`` and audited; a report matching nothing is ignored
(answered 200, so the provider does not retry it).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from traction.core import audit, clock, permissions
from traction.core.permissions import Viewer
from traction.customers.models import Contact
from traction.loop import bounce_parsers, mailer
from traction.loop.models import (
    BounceInbox,
    BounceKind,
    MailBounce,
    MessageState,
    UpdateRecipient,
)

PREFIX = "bnc_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hook_url(provider: str, secret: str) -> str:
    path = reverse("loop_public:bounce_hook", args=[provider, secret])
    return settings.TRACTION_SITE_URL.rstrip("/") + path


def urls(secret: str) -> dict[str, str]:
    """The inbound URL for each provider."""
    return {p: hook_url(p, secret) for p in bounce_parsers.PROVIDERS}


def inbox(viewer: Viewer) -> BounceInbox | None:
    """The workspace's bounce URL (its hint and dates), for admins."""
    permissions.check(viewer, "loop.bounce_inbox")
    return BounceInbox.objects.filter(workspace_id=viewer.workspace_id).first()


@transaction.atomic
def rotate(viewer: Viewer) -> tuple[BounceInbox, str]:
    """A new secret for the workspace's bounce URL, returned this once (the previous URL
    stops working at once). Audited."""
    permissions.check(viewer, "loop.bounce_inbox")
    secret = PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    found, created = BounceInbox.objects.select_for_update().get_or_create(
        workspace_id=viewer.workspace_id,
        defaults={"secret_hash": digest(secret), "hint": secret[-4:], "rotated_at": now,
                  "rotated_by_id": viewer.user_id},
    )  # fmt: skip
    if not created:
        found.secret_hash, found.hint = digest(secret), secret[-4:]
        found.rotated_at, found.rotated_by_id = now, viewer.user_id
        found.sns_subscribe_url = found.sns_topic_arn = ""
        found.save()
    audit.record(
        viewer, action="loop.bounce_url_created" if created else "loop.bounce_url_rotated",
        obj=found, changes={"hint": found.hint},
    )  # fmt: skip
    return found, secret


def inbox_for(secret: str) -> BounceInbox | None:
    """The inbox a hook's secret opens (None: no such URL, or an old one)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    return (
        BounceInbox.objects.select_related("workspace").filter(secret_hash=digest(secret)).first()
    )


def recent(viewer: Viewer, limit: int = 20) -> list[MailBounce]:
    permissions.check(viewer, "loop.bounce_inbox")
    return list(
        MailBounce.objects.filter(workspace_id=viewer.workspace_id)
        .select_related("contact")
        .order_by("-received_at", "-pk")[:limit]
    )


def settings_section(viewer: Viewer, _workspace: object) -> dict[str, object]:
    """The workspace settings page's "Bounces from your mail provider" section."""
    box = inbox(viewer)
    return {"box": box, "recent": recent(viewer)}


def forget_erased_contact(actor: Viewer | None, *, contact: Contact) -> None:
    """An erased contact's address leaves the bounce records (the reports stay, counted)."""
    MailBounce.objects.filter(contact_id=contact.pk).update(
        email="", message_id="", reason="(erased)"
    )


@dataclass
class Outcome:
    flagged: list[int] = field(default_factory=list)  # contacts flagged unreachable now
    recorded: int = 0  # reports that matched (kept as MailBounce rows)
    ignored: int = 0  # reports or events that matched nothing, or are of no interest
    subscription: bool = False  # an SNS subscription confirmation was kept

    @property
    def status(self) -> str:
        return "ok" if self.recorded or self.subscription else "ignored"


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


def _matches(
    workspace_id: int, report: bounce_parsers.Report
) -> tuple[list[UpdateRecipient], list[int]]:
    """The workspace's messages and contacts a report names: by Message-ID first, then by
    the address (its sent messages and its contacts)."""
    mine = UpdateRecipient.objects.filter(workspace_id=workspace_id)
    bare = _bare(report.message_id)
    found: list[UpdateRecipient] = []
    if bare:
        found = list(mine.filter(Q(message_id=f"<{bare}>") | Q(message_id=bare)))
    email = report.email.strip()
    if found:
        return found, sorted({r.contact_id for r in found})
    if not email:
        return [], []
    found = list(mine.filter(email__iexact=email, state=MessageState.SENT))
    contacts = {r.contact_id for r in found} | set(
        Contact.objects.filter(workspace_id=workspace_id, email__iexact=email).values_list(
            "pk", flat=True
        )
    )
    return found, sorted(contacts)


@transaction.atomic
def receive(box: BounceInbox, provider: str, parsed: bounce_parsers.Parsed) -> Outcome:
    """Apply what a provider reported to the inbox's workspace (the hook's one write)."""
    box = BounceInbox.objects.select_for_update().get(pk=box.pk)
    now = clock.now()
    outcome = Outcome(ignored=parsed.ignored)
    box.last_received_at = now
    fields = ["last_received_at"]
    if parsed.subscribe_url:
        box.sns_subscribe_url, box.sns_topic_arn = parsed.subscribe_url, parsed.topic_arn
        fields += ["sns_subscribe_url", "sns_topic_arn"]
        outcome.subscription = True
        audit.record(
            None, action="loop.bounce_subscription", obj=box, workspace_id=box.workspace_id,
            changes={"topic": parsed.topic_arn},
        )  # fmt: skip
    elif provider == "ses" and box.sns_subscribe_url:
        # A notification came through the topic: the subscription is confirmed.
        box.sns_subscribe_url = ""
        fields.append("sns_subscribe_url")
    box.save(update_fields=fields)
    ws = box.workspace_id
    for report in parsed.reports:
        messages, contacts = _matches(ws, report)
        if not contacts:
            outcome.ignored += 1
            continue
        outcome.recorded += 1
        hard = report.kind in (bounce_parsers.PERMANENT, bounce_parsers.COMPLAINT)
        if report.kind == bounce_parsers.PERMANENT:
            for r in messages:
                UpdateRecipient.objects.filter(pk=r.pk).update(
                    state=MessageState.BOUNCED, bounced_at=now,
                    last_error=f"Bounced: {report.reason}"[:500],
                )  # fmt: skip
                audit.record(
                    None, action="loop.message_bounced", obj=r.update, workspace_id=ws,
                    reason=report.reason, changes={"recipient": r.pk, "provider": provider},
                )  # fmt: skip
        for contact_id in contacts:
            message = next((m for m in messages if m.contact_id == contact_id), None)
            flagged = hard and mailer.flag_unreachable(
                None,
                contact_id,
                ("Marked our email as spam" if report.kind == bounce_parsers.COMPLAINT
                 else "Bounced") + f" ({provider}): {report.reason}",
            )  # fmt: skip
            if flagged:
                outcome.flagged.append(contact_id)
            row = MailBounce.objects.create(
                workspace_id=ws,
                provider=provider,
                kind=BounceKind(report.kind),
                email=report.email[:254],
                message_id=report.message_id[:255],
                recipient=message,
                contact_id=contact_id,
                reason=report.reason[:500],
                flagged=bool(flagged),
                received_at=now,
            )
            audit.record(
                None, action="loop.bounce_reported", obj=row, workspace_id=ws,
                reason=report.reason,
                changes={"provider": provider, "kind": report.kind, "contact": contact_id,
                         "flagged": bool(flagged)},
            )  # fmt: skip
    return outcome
