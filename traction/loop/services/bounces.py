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
(answered 200, so the provider does not retry it). The same provider event (its id) is
recorded once: reported again, it is a duplicate and changes nothing.

Beyond the URL, each provider proves its posts the way it documents (``bounce_signatures``):
Amazon SNS's signature is always checked; Mailgun's signature, SendGrid's signature and
Postmark's basic auth are required once an admin set that provider's key (``BounceKey``,
never shown back whole, audited). A post that fails is refused and nothing is written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.customers.models import Contact
from traction.loop import bounce_parsers, bounce_signatures, mailer
from traction.loop.bounce_signatures import Refused
from traction.loop.models import (
    BounceInbox,
    BounceKey,
    BounceKind,
    BounceNonce,
    BounceProvider,
    MailBounce,
    MessageState,
    UpdateRecipient,
)
from traction.webhooks import crypto

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
    return {"box": box, "recent": recent(viewer), "keys": keys(viewer)}


# --- the providers' keys ------------------------------------------------------------------

KEYED = ("mailgun", "sendgrid", "postmark")  # SNS needs no key: its certificate signs
KEY_ACTIONS = {"mailgun": "Mailgun webhook signing key", "sendgrid": "SendGrid verification key",
               "postmark": "Postmark basic auth"}  # fmt: skip
MIN_PASSWORD = 16


@dataclass(frozen=True)
class KeyStatus:
    provider: str
    label: str
    key: BounceKey | None


def keys(viewer: Viewer) -> list[KeyStatus]:
    """Each keyed provider and its key (hint, when and by whom), for admins."""
    permissions.check(viewer, "loop.bounce_inbox")
    found = {
        k.provider: k
        for k in BounceKey.objects.filter(workspace_id=viewer.workspace_id).select_related("set_by")
    }
    return [KeyStatus(p, KEY_ACTIONS[p], found.get(p)) for p in KEYED]


def key(viewer: Viewer, provider: str) -> BounceKey | None:
    permissions.check(viewer, "loop.bounce_inbox")
    return BounceKey.objects.filter(workspace_id=viewer.workspace_id, provider=provider).first()


def _secret_of(
    provider: str, signing_key: str, public_key: str, username: str, password: str
) -> tuple[str, str, str]:
    """(what is stored, the hint, the user name), or ValidationFailed naming the field."""
    if provider == "mailgun":
        signing_key = signing_key.strip()
        if not signing_key:
            raise ValidationFailed.field("signing_key", "Paste Mailgun's webhook signing key.")
        if len(signing_key) < 16 or len(signing_key) > 200 or any(c.isspace() for c in signing_key):
            raise ValidationFailed.field(
                "signing_key",
                "This does not look like a Mailgun webhook signing key (16 to 200 characters, "
                "no spaces): copy it from Sending → Webhooks → HTTP webhook signing key.",
            )
        return crypto.encrypt(signing_key), signing_key[-4:], ""
    if provider == "sendgrid":
        try:
            loaded = bounce_signatures.sendgrid_key(public_key)
        except ValueError as exc:
            raise ValidationFailed.field("public_key", str(exc)) from None
        der = loaded.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        text = base64.b64encode(der).decode()
        return text, text.rstrip("=")[-4:], ""
    if provider == "postmark":
        username = username.strip()
        problems: dict[str, list[str]] = {}
        if not username or ":" in username or len(username) > 100:
            problems["username"] = ["A user name of up to 100 characters, without “:”."]
        if len(password) < MIN_PASSWORD:
            problems["password"] = [f"At least {MIN_PASSWORD} characters (make it random)."]
        if problems:
            raise ValidationFailed(problems)
        return make_password(password), "", username
    raise ValidationFailed.field("provider", "Amazon SNS needs no key: its signature is checked.")


@transaction.atomic
def set_key(
    viewer: Viewer,
    provider: str,
    *,
    signing_key: str = "",
    public_key: str = "",
    username: str = "",
    password: str = "",
) -> BounceKey:
    """Set (or replace) what a provider must prove its posts with; from now on a post
    without it is refused. Audited with the hint only."""
    permissions.check(viewer, "loop.bounce_inbox")
    secret, hint, user = _secret_of(provider, signing_key, public_key, username, password)
    now = clock.now()
    found, created = BounceKey.objects.select_for_update().get_or_create(
        workspace_id=viewer.workspace_id, provider=provider,
        defaults={"secret": secret, "hint": hint, "username": user, "set_at": now,
                  "set_by_id": viewer.user_id},
    )  # fmt: skip
    if not created:
        found.secret, found.hint, found.username = secret, hint, user
        found.set_at, found.set_by_id = now, viewer.user_id
        found.save()
    audit.record(
        viewer, action="loop.bounce_key_set" if created else "loop.bounce_key_replaced",
        obj=found, changes={"provider": provider, "hint": hint, "username": user},
    )  # fmt: skip
    return found


@transaction.atomic
def remove_key(viewer: Viewer, provider: str) -> bool:
    """Stop requiring the provider's key (the URL alone lets it in again). Audited."""
    permissions.check(viewer, "loop.bounce_inbox")
    found = (
        BounceKey.objects.select_for_update()
        .filter(workspace_id=viewer.workspace_id, provider=provider)
        .first()
    )
    if found is None:
        return False
    audit.record(
        viewer, action="loop.bounce_key_removed", obj=found,
        changes={"provider": provider, "hint": found.hint, "username": found.username},
    )  # fmt: skip
    found.delete()
    return True


def check(box: BounceInbox, provider: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Check that a post to the hook comes from the provider: Amazon SNS's signature always,
    the others' once their key is set. Once any provider's key is set, a post as a provider
    without one is refused: the URL's provider is the poster's word, so it must not skip the
    proof the admin asked for. Returns a token to refuse if seen again (Mailgun's), else "".
    Raises ``Refused`` saying why."""
    now = clock.now()
    if provider == "ses":
        bounce_signatures.sns(body, now)
        return ""
    keys = {k.provider: k for k in BounceKey.objects.filter(workspace_id=box.workspace_id)}
    found = keys.get(provider)
    if found is None:
        if keys:
            label = BounceProvider(provider).label
            named = ", ".join(BounceProvider(p).label for p in sorted(keys))
            raise Refused(
                f"This bounce URL needs proof from the provider, and no key is set for {label} "
                f"(only for {named}): an admin sets {label}'s key, or it posts as the provider "
                "whose key is set."
            )
        return ""
    if provider == "mailgun":
        try:
            signing_key = crypto.decrypt(found.secret)
        except crypto.SecretUnreadable:
            raise Refused(
                "The Mailgun signing key stored for this workspace cannot be read (the server's "
                "key changed): an admin must set it again."
            ) from None
        return bounce_signatures.mailgun(signing_key, body, now)
    if provider == "sendgrid":
        bounce_signatures.sendgrid(found.secret, headers, body)
        return ""
    given = bounce_signatures.basic_auth(headers.get("Authorization", ""))
    if given is None:
        raise Refused(
            "Postmark basic auth missing: this bounce URL needs the user name and password set "
            "in Traction (https://user:password@… in Postmark's webhook URL).",
            challenge=True,
        )
    user_ok = hmac.compare_digest(given[0].encode(), found.username.encode())
    if not (check_password(given[1], found.secret) and user_ok):
        raise Refused("Postmark basic auth does not match the user name and password set.")
    return ""


def check_topic(box: BounceInbox, provider: str, parsed: bounce_parsers.Parsed) -> None:
    """Amazon SNS: once a topic is known for the inbox (the first subscription confirmation
    or notification signed by SNS), messages of any other topic are refused (``Refused``,
    403) and the refusal is audited (``loop.bounce_topic_refused``), in its own transaction:
    a signed message proves it comes from SNS, not from the workspace's topic. An admin who
    moves to another topic resets it (``reset_topic``) or rotates the URL."""
    if provider != "ses" or not parsed.topic_arn:
        return
    pinned = BounceInbox.objects.values_list("sns_topic_arn", flat=True).get(pk=box.pk)
    if not pinned or parsed.topic_arn == pinned:
        return
    audit.record(
        None, action="loop.bounce_topic_refused", obj=box, workspace_id=box.workspace_id,
        changes={"topic": parsed.topic_arn, "pinned": pinned},
    )  # fmt: skip
    raise Refused(
        f"Amazon SNS topic {parsed.topic_arn} is not this bounce URL's topic ({pinned}); an "
        "admin can reset the topic in the workspace settings."
    )


@transaction.atomic
def reset_topic(viewer: Viewer) -> BounceInbox | None:
    """An admin forgets the Amazon SNS topic the bounce URL is pinned to (and any waiting
    confirmation link): the next signed subscription confirmation or notification pins its
    topic. Audited."""
    permissions.check(viewer, "loop.bounce_inbox")
    found = BounceInbox.objects.select_for_update().filter(workspace_id=viewer.workspace_id).first()
    if found is None or not (found.sns_topic_arn or found.sns_subscribe_url):
        return found
    old = found.sns_topic_arn
    found.sns_topic_arn = found.sns_subscribe_url = ""
    found.save(update_fields=["sns_topic_arn", "sns_subscribe_url"])
    audit.record(viewer, action="loop.bounce_topic_reset", obj=found, changes={"topic": old})
    return found


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
    duplicates: int = 0  # reports of events already recorded (nothing changed)

    @property
    def status(self) -> str:
        if self.recorded or self.subscription:
            return "ok"
        return "duplicate" if self.duplicates else "ignored"


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


NONCE_KEPT = 2 * bounce_signatures.MAILGUN_MAX_AGE


def _seen(workspace_id: int, provider: str, event_id: str) -> bool:
    return (
        bool(event_id)
        and MailBounce.objects.filter(
            workspace_id=workspace_id, provider=provider, event_id=event_id
        ).exists()
    )


@transaction.atomic
def receive(
    box: BounceInbox, provider: str, parsed: bounce_parsers.Parsed, *, nonce: str = ""
) -> Outcome:
    """Apply what a provider reported to the inbox's workspace (the hook's one write).
    ``nonce`` (Mailgun's signed token) is refused when seen before: ``Refused``, nothing
    written. A report of an event already recorded is a duplicate and changes nothing."""
    box = BounceInbox.objects.select_for_update().get(pk=box.pk)
    now = clock.now()
    ws = box.workspace_id
    if nonce:
        BounceNonce.objects.filter(workspace_id=ws, seen_at__lt=now - NONCE_KEPT).delete()
        _, fresh = BounceNonce.objects.get_or_create(
            workspace_id=ws, provider=provider, value=nonce, defaults={"seen_at": now}
        )
        if not fresh:
            raise Refused(f"{BounceProvider(provider).label} signature was used before: a replay.")
    outcome = Outcome(ignored=parsed.ignored)
    reports, ids = [], set()
    for report in parsed.reports:
        if report.event_id in ids or _seen(ws, provider, report.event_id):
            outcome.duplicates += 1
        else:
            reports.append(report)
            if report.event_id:
                ids.add(report.event_id)
    if outcome.duplicates and not reports and not parsed.subscribe_url:
        return outcome  # all seen before: nothing changes
    box.last_received_at = now
    fields = ["last_received_at"]
    if provider == "ses" and parsed.topic_arn and not box.sns_topic_arn:
        box.sns_topic_arn = parsed.topic_arn  # pinned from now on (``check_topic``)
        fields.append("sns_topic_arn")
    if parsed.subscribe_url:
        # Only of the pinned topic (``check_topic`` refused any other): a fresh link.
        box.sns_subscribe_url = parsed.subscribe_url
        fields.append("sns_subscribe_url")
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
    for report in reports:
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
            fields_of_row = {
                "kind": BounceKind(report.kind),
                "email": report.email[:254],
                "message_id": report.message_id[:255],
                "recipient": message,
                "reason": report.reason[:500],
                "flagged": bool(flagged),
                "received_at": now,
            }
            if report.event_id:  # once per event and contact (the constraint's backstop)
                row, _ = MailBounce.objects.get_or_create(
                    workspace_id=ws, provider=provider, event_id=report.event_id[:300],
                    contact_id=contact_id, defaults=fields_of_row,
                )  # fmt: skip
            else:
                row = MailBounce.objects.create(
                    workspace_id=ws, provider=provider, contact_id=contact_id, **fields_of_row
                )
            audit.record(
                None, action="loop.bounce_reported", obj=row, workspace_id=ws,
                reason=report.reason,
                changes={"provider": provider, "kind": report.kind, "contact": contact_id,
                         "flagged": bool(flagged)},
            )  # fmt: skip
    return outcome
