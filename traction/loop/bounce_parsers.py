"""The bounce and complaint webhooks of mail providers, read as they send them (docs/loop.md,
"Bounces from your mail provider"). Pure: bytes in, ``Parsed`` out, or ``Malformed`` naming
what is wrong. Each provider's events become ``Report`` rows of one of three kinds:

- **permanent**: the address does not exist or refuses us for good (SES ``bounceType``
  Permanent; Postmark ``HardBounce``, ``BadEmailAddress``; SendGrid ``bounce`` other than
  ``blocked``, ``dropped`` for a bounced or invalid address; Mailgun ``failed`` with
  ``severity`` permanent);
- **complaint**: the recipient marked our mail as spam (SES Complaint, Postmark
  ``SpamComplaint``, SendGrid ``spamreport``, Mailgun ``complained``);
- **transient**: a temporary bounce (recorded, flags nobody).

Any other event (deliveries, opens, clicks, deferrals) is counted as ignored. The Message-ID
is the one we set (SES: the original headers; SendGrid: ``smtp-id``; Mailgun: the
``message-id`` header; Postmark sends its own ``MessageID``, so its bounces match by address).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

PERMANENT = "permanent"
TRANSIENT = "transient"
COMPLAINT = "complaint"

PROVIDERS = ("ses", "postmark", "sendgrid", "mailgun")


class Malformed(ValueError):
    """The payload is not what the provider sends; the message names the problem."""


@dataclass(frozen=True)
class Report:
    kind: str  # PERMANENT, TRANSIENT or COMPLAINT
    email: str
    message_id: str
    reason: str
    # The provider's id of the event (SNS MessageId, with the recipient's number when one
    # notification names several; Mailgun's event id; SendGrid's sg_event_id; Postmark's
    # RecordType:ID): the same event reported again is recorded once. "" when absent.
    event_id: str = ""


@dataclass
class Parsed:
    reports: list[Report] = field(default_factory=list)
    ignored: int = 0  # events of no interest (deliveries, opens, ...)
    # Amazon SNS asks to confirm a new subscription by opening this URL.
    subscribe_url: str = ""
    topic_arn: str = ""  # the SNS topic of the message (Amazon SES only)


def parse(provider: str, body: bytes) -> Parsed:
    if provider not in PROVIDERS:
        raise Malformed(f"Unknown provider “{provider}”; use one of {', '.join(PROVIDERS)}.")
    data = _json(body)
    return {"ses": _ses, "postmark": _postmark, "sendgrid": _sendgrid, "mailgun": _mailgun}[
        provider
    ](data)


def _json(body: bytes) -> Any:
    if not body.strip():
        raise Malformed("The request body is empty; the provider sends JSON.")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Malformed("The request body is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise Malformed(f"The request body is not JSON ({exc.msg} at line {exc.lineno}).") from None


def _text(value: Any, limit: int = 500) -> str:
    return " ".join(str(value).split())[:limit] if value not in (None, "") else ""


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(f"{what} must be a JSON object.")
    return value


# --- Amazon SES through SNS ---------------------------------------------------------------

SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")


def _ses(data: Any) -> Parsed:
    data = _obj(data, "An Amazon SNS message")
    if "notificationType" in data or "eventType" in data:
        return _ses_message(data, "")  # SNS "raw message delivery": the SES message itself
    kind = data.get("Type")
    if kind == "SubscriptionConfirmation":
        url = str(data.get("SubscribeURL") or "")
        parts = urlsplit(url)
        if parts.scheme != "https" or not SNS_HOST.match(parts.hostname or ""):
            raise Malformed("SubscribeURL must be an https URL of sns.<region>.amazonaws.com.")
        return Parsed(subscribe_url=url, topic_arn=_text(data.get("TopicArn"), 300))
    topic = _text(data.get("TopicArn"), 300)
    if kind == "UnsubscribeConfirmation":
        return Parsed(ignored=1, topic_arn=topic)
    if kind != "Notification":
        raise Malformed(
            "Not an Amazon SNS message: Type must be Notification, SubscriptionConfirmation "
            "or UnsubscribeConfirmation."
        )
    message = data.get("Message")
    if not isinstance(message, str):
        raise Malformed("The SNS Notification has no Message (the SES notification as JSON).")
    try:
        inner = json.loads(message)
    except json.JSONDecodeError:
        raise Malformed("The SNS Notification's Message is not JSON.") from None
    found = _ses_message(
        _obj(inner, "The SNS Notification's Message"), _text(data.get("MessageId"), 100)
    )
    found.topic_arn = topic  # the topic it came through (pinned once one is known)
    return found


def _ses_message_id(mail: dict[str, Any]) -> str:
    common = mail.get("commonHeaders")
    if isinstance(common, dict) and common.get("messageId"):
        return _text(common["messageId"], 255)
    for header in mail.get("headers") or []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == "message-id":
            return _text(header.get("value"), 255)
    return ""  # mail.messageId is SES's own id, not the Message-ID we set


def _numbered(event_id: str, n: int, of: int) -> str:
    return f"{event_id}/{n}" if event_id and of > 1 else event_id


def _ses_message(message: dict[str, Any], event_id: str) -> Parsed:
    kind = message.get("notificationType") or message.get("eventType")
    mail = message.get("mail") if isinstance(message.get("mail"), dict) else {}
    message_id = _ses_message_id(mail)  # type: ignore[arg-type]
    found = Parsed()
    if kind == "Bounce":
        bounce = _obj(message.get("bounce"), "The bounce notification's bounce")
        recipients = bounce.get("bouncedRecipients")
        if not isinstance(recipients, list) or not recipients:
            raise Malformed("The bounce notification has no bouncedRecipients.")
        bounce_type = str(bounce.get("bounceType") or "")
        how = PERMANENT if bounce_type == "Permanent" else TRANSIENT
        for n, r in enumerate(recipients, start=1):
            r = _obj(r, "Each of bouncedRecipients")
            email = _text(r.get("emailAddress"), 254)
            if not email:
                raise Malformed("A bounced recipient has no emailAddress.")
            why = _text(r.get("diagnosticCode")) or (
                f"{bounce_type} bounce ({_text(bounce.get('bounceSubType')) or 'General'})"
            )
            found.reports.append(
                Report(how, email, message_id, f"Amazon SES: {why}",
                       _numbered(event_id, n, len(recipients)))
            )  # fmt: skip
        return found
    if kind == "Complaint":
        complaint = _obj(message.get("complaint"), "The complaint notification's complaint")
        recipients = complaint.get("complainedRecipients")
        if not isinstance(recipients, list) or not recipients:
            raise Malformed("The complaint notification has no complainedRecipients.")
        feedback = _text(complaint.get("complaintFeedbackType")) or "abuse"
        for n, r in enumerate(recipients, start=1):
            r = _obj(r, "Each of complainedRecipients")
            email = _text(r.get("emailAddress"), 254)
            if not email:
                raise Malformed("A complained recipient has no emailAddress.")
            found.reports.append(
                Report(COMPLAINT, email, message_id, f"Amazon SES: marked as spam ({feedback})",
                       _numbered(event_id, n, len(recipients)))
            )  # fmt: skip
        return found
    if not kind:
        raise Malformed("The SES notification has no notificationType (or eventType).")
    found.ignored = 1  # Delivery, Send, Open, ...
    return found


# --- Postmark -------------------------------------------------------------------------------

POSTMARK_PERMANENT = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated"}


def _postmark(data: Any) -> Parsed:
    data = _obj(data, "A Postmark webhook")
    record = data.get("RecordType")
    kind = str(data.get("Type") or "")
    if record not in (None, "Bounce", "SpamComplaint"):
        return Parsed(ignored=1)  # Delivery, Open, Click, SubscriptionChange
    if not kind:
        raise Malformed("The Postmark bounce has no Type (e.g. HardBounce).")
    email = _text(data.get("Email"), 254)
    if not email:
        raise Malformed("The Postmark bounce has no Email.")
    if kind == "SpamComplaint" or record == "SpamComplaint":
        how = COMPLAINT
    elif kind in POSTMARK_PERMANENT:
        how = PERMANENT
    else:
        how = TRANSIENT  # SoftBounce, Transient, DnsError, AutoResponder, ...
    why = _text(data.get("Description")) or _text(data.get("Name")) or kind
    details = _text(data.get("Details"))
    reason = f"Postmark {kind}: {why}" + (f" ({details})" if details and details != why else "")
    record_id = _text(data.get("ID"), 100) or _text(data.get("MessageID"), 100)
    event_id = f"{record or 'Bounce'}:{record_id}" if record_id else ""
    return Parsed(
        reports=[Report(how, email, _text(data.get("MessageID"), 255), reason[:500], event_id)]
    )


# --- SendGrid -------------------------------------------------------------------------------

SENDGRID_DROPPED_PERMANENT = ("bounced address", "invalid")


def _sendgrid(data: Any) -> Parsed:
    if not isinstance(data, list):
        raise Malformed("SendGrid's event webhook sends a JSON array of events.")
    found = Parsed()
    for n, event in enumerate(data, start=1):
        if not isinstance(event, dict):
            raise Malformed(f"Event {n} is not a JSON object.")
        name = event.get("event")
        if not name:
            raise Malformed(f"Event {n} has no “event”.")
        if name not in ("bounce", "dropped", "spamreport"):
            found.ignored += 1  # processed, delivered, deferred, open, click, ...
            continue
        email = _text(event.get("email"), 254)
        if not email:
            raise Malformed(f"Event {n} ({name}) has no “email”.")
        message_id = _text(event.get("smtp-id"), 255)
        reason = _text(event.get("reason")) or _text(event.get("response"))
        if name == "spamreport":
            how, why = COMPLAINT, "marked as spam"
        elif name == "bounce":
            blocked = event.get("type") == "blocked"
            how = TRANSIENT if blocked else PERMANENT
            status = _text(event.get("status"))
            why = f"{'blocked' if blocked else 'bounced'}: {reason or status or 'no reason'}"
        else:
            permanent = reason.lower() in SENDGRID_DROPPED_PERMANENT
            how = PERMANENT if permanent else TRANSIENT
            why = f"dropped: {reason or 'no reason'}"
        found.reports.append(
            Report(how, email, message_id, f"SendGrid {why}"[:500],
                   _text(event.get("sg_event_id"), 200))
        )  # fmt: skip
    return found


# --- Mailgun --------------------------------------------------------------------------------


def _mailgun(data: Any) -> Parsed:
    data = _obj(data, "A Mailgun webhook")
    if "event-data" not in data:
        raise Malformed("The Mailgun webhook has no “event-data”.")
    event = _obj(data["event-data"], "“event-data”")
    name = event.get("event")
    if name not in ("failed", "complained"):
        if not name:
            raise Malformed("The Mailgun “event-data” has no “event”.")
        return Parsed(ignored=1)
    email = _text(event.get("recipient"), 254)
    if not email:
        raise Malformed(f"The Mailgun {name} event has no “recipient”.")
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    headers = message.get("headers") if isinstance(message.get("headers"), dict) else {}  # type: ignore[union-attr]
    message_id = _text(headers.get("message-id"), 255)  # type: ignore[union-attr]
    event_id = _text(event.get("id"), 200)
    if name == "complained":
        return Parsed(
            reports=[Report(COMPLAINT, email, message_id, "Mailgun: marked as spam", event_id)]
        )
    severity = event.get("severity")
    if severity not in ("permanent", "temporary"):
        raise Malformed("The Mailgun failed event's “severity” must be permanent or temporary.")
    status = event.get("delivery-status") if isinstance(event.get("delivery-status"), dict) else {}
    why = (
        _text(status.get("description"))  # type: ignore[union-attr]
        or _text(status.get("message"))  # type: ignore[union-attr]
        or _text(event.get("reason"))
        or "failed"
    )
    how = PERMANENT if severity == "permanent" else TRANSIENT
    return Parsed(
        reports=[
            Report(how, email, message_id, f"Mailgun {severity} failure: {why}"[:500], event_id)
        ]
    )
