"""The API of delivery and subscriptions (mounted by ``loop.api``): each sent update's
messages and their outcomes, retrying and resending, bounces reported by a mail provider,
and what a contact hears (subscriptions, unsubscribes, follows, unreachable). Parse, call one
selector or service, shape."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from traction.core.api import ErrorOut, InputSchema, ObjectId, OneLine, responses, viewer
from traction.customers import selectors as customer_selectors

from . import mail_selectors, mailer
from .models import Follow, Unsubscribe, UpdateRecipient
from .services import bounces, subscriptions
from .services.subscriptions import WHY_MAX

router = Router()  # tagged "loop" by the loop router it is mounted on


class UpdateMessageOut(Schema):
    id: int
    update_id: int
    contact_id: int
    customer_id: int
    name: str
    email: str
    reasons: list[str]
    state: str
    outcome: str
    unknown: bool
    attempts: int
    last_error: str
    claimed_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    message_id: str
    bounced_at: dt.datetime | None
    read_in_portal_at: dt.datetime | None


def _message(row: mail_selectors.MessageRow) -> dict[str, Any]:
    r = row.recipient
    return {
        "id": r.pk,
        "update_id": r.update_id,
        "contact_id": r.contact_id,
        "customer_id": r.customer_id,
        "name": r.name,
        "email": r.email,
        "reasons": list(r.reasons),
        "state": r.state,
        "outcome": row.label,
        "unknown": row.unknown,
        "attempts": r.attempts,
        "last_error": r.last_error,
        "claimed_at": r.claimed_at,
        "next_attempt_at": r.next_attempt_at,
        "sent_at": r.sent_at,
        "message_id": r.message_id,
        "bounced_at": r.bounced_at,
        "read_in_portal_at": r.read_in_portal_at,
    }


def _one(recipient: UpdateRecipient) -> dict[str, Any]:
    rows = mail_selectors.message_rows(recipient.update)
    return _message(next(r for r in rows if r.recipient.pk == recipient.pk))


@router.get(
    "/updates/{update_id}/messages",
    response=responses({200: list[UpdateMessageOut]}, object_path=True),
    operation_id="list_update_messages",
    summary="A sent update's messages, one per recipient, with their delivery outcome",
)
def list_update_messages(request: HttpRequest, update_id: int) -> list[dict[str, Any]]:
    """``unknown`` marks a message whose sending started and never finished: check with the
    recipient before resending it."""
    v = viewer(request)
    update = mail_selectors.update_for_mail(v, update_id)
    return [_message(r) for r in mail_selectors.message_rows(update)]


class RetriedOut(Schema):
    retried: int


@router.post(
    "/updates/{update_id}/messages/retry",
    response=responses({200: RetriedOut}, object_path=True),
    operation_id="retry_update_messages",
    summary="Try an update's failed messages again now",
)
def retry_update_messages(request: HttpRequest, update_id: int) -> dict[str, int]:
    v = viewer(request)
    update = mail_selectors.update_for_mail(v, update_id)
    return {"retried": mailer.retry_failed_now(v, update)}


@router.post(
    "/update-messages/{message_id}/resend",
    response=responses({200: UpdateMessageOut}, object_path=True),
    operation_id="resend_update_message",
    summary="Resend one message that failed, was given up, or whose outcome is unknown",
)
def resend_update_message(request: HttpRequest, message_id: int) -> dict[str, Any]:
    v = viewer(request)
    recipient = mail_selectors.recipient_for_mail(v, message_id)
    return _one(mailer.resend(v, recipient))


class BounceIn(InputSchema):
    message_id: OneLine = Field("", max_length=255)  # the columns looked up and kept
    email: OneLine = Field("", max_length=254)
    reason: OneLine = Field(max_length=WHY_MAX)


class BounceOut(Schema):
    messages: list[int]
    flagged_contact_ids: list[int]


@router.post(
    "/mail/bounces",
    response={**responses({200: BounceOut}, body=True), 404: ErrorOut},
    operation_id="report_bounce",
    summary="Report a bounce (e.g. from a mail provider's webhook): the contact becomes "
    "unreachable",
)
def report_bounce(request: HttpRequest, payload: BounceIn) -> dict[str, Any]:
    """Name the message by its ``Message-ID`` (as sent), or the address: every message sent
    to it becomes bounced, and its contacts are flagged unreachable. 404 when nothing in the
    workspace matches."""
    v = viewer(request)
    found = subscriptions.record_bounce(
        v, message_id=payload.message_id, email=payload.email, reason=payload.reason
    )
    return {"messages": [m.pk for m in found.messages], "flagged_contact_ids": found.flagged}


class MailBounceOut(Schema):
    id: int
    provider: str
    kind: str
    email: str
    message_id: str
    update_message_id: int | None
    contact_id: int | None
    reason: str
    flagged: bool
    received_at: dt.datetime


class BounceKeyOut(Schema):
    provider: str
    set: bool
    hint: str  # the key's last characters (Mailgun, SendGrid); never the key
    username: str  # Postmark's basic-auth user name
    set_at: dt.datetime | None


class BounceUrlOut(Schema):
    exists: bool
    hint: str
    rotated_at: dt.datetime | None
    last_received_at: dt.datetime | None
    sns_subscribe_url: str
    sns_topic_arn: str = Field(
        description="The Amazon SNS topic the bounce URL is pinned to (the first signed "
        "message's); messages of any other topic are refused. Empty: none yet."
    )
    keys: list[BounceKeyOut]
    recent: list[MailBounceOut]


def _key_out(provider: str, key: Any) -> dict[str, Any]:
    return {
        "provider": provider,
        "set": key is not None,
        "hint": key.hint if key else "",
        "username": key.username if key else "",
        "set_at": key.set_at if key else None,
    }


class BounceUrlsOut(Schema):
    hint: str
    rotated_at: dt.datetime
    urls: dict[str, str]


@router.get(
    "/mail/bounce-url",
    response=responses({200: BounceUrlOut}),
    operation_id="get_bounce_url",
    summary="The workspace's bounce URL for its mail provider (never the secret) and the "
    "latest bounces and complaints reported there",
)
def get_bounce_url(request: HttpRequest) -> dict[str, Any]:
    v = viewer(request)
    box = bounces.inbox(v)
    return {
        "exists": box is not None,
        "hint": box.hint if box else "",
        "rotated_at": box.rotated_at if box else None,
        "last_received_at": box.last_received_at if box else None,
        "sns_subscribe_url": box.sns_subscribe_url if box else "",
        "sns_topic_arn": box.sns_topic_arn if box else "",
        "keys": [_key_out(k.provider, k.key) for k in bounces.keys(v)],
        "recent": [
            {
                "id": b.pk,
                "provider": b.provider,
                "kind": b.kind,
                "email": b.email,
                "message_id": b.message_id,
                "update_message_id": b.recipient_id,
                "contact_id": b.contact_id,
                "reason": b.reason,
                "flagged": b.flagged,
                "received_at": b.received_at,
            }
            for b in bounces.recent(v)
        ],
    }


@router.post(
    "/mail/bounce-url/rotate",
    response=responses({200: BounceUrlsOut}),
    operation_id="rotate_bounce_url",
    summary="Make or rotate the workspace's bounce URL; the URLs, one per provider, are "
    "returned this once",
)
def rotate_bounce_url(request: HttpRequest) -> dict[str, Any]:
    """The previous URL stops working at once: paste the new one at your provider."""
    v = viewer(request)
    box, secret = bounces.rotate(v)
    return {"hint": box.hint, "rotated_at": box.rotated_at, "urls": bounces.urls(secret)}


class WhyOut(Schema):
    reason: str
    since: dt.datetime


class SubscriptionOut(Schema):
    priority_id: int
    text: str
    whys: list[WhyOut]
    unsubscribed_at: dt.datetime | None


class UnsubscribeOut(Schema):
    id: int
    scope: str
    program_id: int | None
    priority_id: int | None
    at: dt.datetime
    via_message_id: int | None
    recorded_by_id: int | None


class ContactHearsOut(Schema):
    contact_id: int
    unreachable_at: dt.datetime | None
    unreachable_reason: str
    subscriptions: list[SubscriptionOut]
    unsubscribes: list[UnsubscribeOut]


def _unsubscribe(u: Unsubscribe) -> dict[str, Any]:
    return {
        "id": u.pk,
        "scope": u.scope,
        "program_id": u.program_id,
        "priority_id": u.priority_id,
        "at": u.at,
        "via_message_id": u.via_id,
        "recorded_by_id": u.recorded_by_id,
    }


@router.get(
    "/contacts/{contact_id}/subscriptions",
    response=responses({200: ContactHearsOut}, object_path=True),
    operation_id="contact_subscriptions",
    summary="What a contact hears and why (raiser, voter, follower), their unsubscribes, "
    "and whether they are reachable",
)
def contact_subscriptions(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    v = viewer(request)
    contact = customer_selectors.contact(v, contact_id, action="loop.subscriptions")
    return {
        "contact_id": contact.pk,
        "unreachable_at": contact.unreachable_at,
        "unreachable_reason": contact.unreachable_reason,
        "subscriptions": [
            {
                "priority_id": s.priority.pk,
                "text": s.priority.text,
                "whys": [{"reason": w.reason, "since": w.since} for w in s.whys],
                "unsubscribed_at": s.stopped_at,
            }
            for s in mail_selectors.subscriptions(v, contact)
        ],
        "unsubscribes": [_unsubscribe(u) for u in mail_selectors.unsubscribes(v, contact)],
    }


class UnsubscribeIn(InputSchema):
    scope: Literal["priority", "program", "all"]
    program_id: ObjectId | None = None
    priority_id: ObjectId | None = None
    why: OneLine = Field(max_length=WHY_MAX)


@router.post(
    "/contacts/{contact_id}/unsubscribes",
    response=responses({201: list[UnsubscribeOut]}, body=True, object_path=True),
    operation_id="record_unsubscribe",
    summary="Record an unsubscribe on a contact's behalf, with why",
)
def record_unsubscribe(
    request: HttpRequest, contact_id: int, payload: UnsubscribeIn
) -> Status[list[dict[str, Any]]]:
    """An unsubscribe is dated and beats raising, voting and following; nothing undoes it.
    Recording the same one again adds nothing (an empty list)."""
    v = viewer(request)
    contact = customer_selectors.contact(v, contact_id, action="loop.subscriptions")
    made = subscriptions.record_unsubscribe(
        v,
        contact=contact,
        scope=payload.scope,
        why=payload.why,
        program_id=payload.program_id,
        priority_id=payload.priority_id,
    )
    return Status(201, [_unsubscribe(u) for u in made])


class FollowIn(InputSchema):
    priority_id: ObjectId
    why: OneLine = Field(max_length=WHY_MAX)


class FollowOut(Schema):
    id: int
    contact_id: int
    priority_id: int
    program_id: int
    since: dt.datetime
    added_by_id: int | None
    why: str


@router.post(
    "/contacts/{contact_id}/follows",
    response=responses({201: FollowOut}, body=True, object_path=True),
    operation_id="add_follower",
    summary="Make a contact a follower of a priority on their behalf, with why",
)
def add_follower(request: HttpRequest, contact_id: int, payload: FollowIn) -> Status[Follow]:
    v = viewer(request)
    contact = customer_selectors.contact(v, contact_id, action="loop.subscriptions")
    found = subscriptions.add_follower(
        v, contact=contact, priority_id=payload.priority_id, why=payload.why
    )
    return Status(201, found)


@router.delete(
    "/contacts/{contact_id}/follows/{priority_id}",
    response=responses({204: None}, object_path=True),
    operation_id="remove_follower",
    summary="End a contact's follow of a priority (kept, dated)",
)
def remove_follower(request: HttpRequest, contact_id: int, priority_id: int) -> Status[None]:
    v = viewer(request)
    contact = customer_selectors.contact(v, contact_id, action="loop.subscriptions")
    subscriptions.remove_follower(v, contact=contact, priority_id=priority_id)
    return Status(204, None)


class UnreachableIn(InputSchema):
    reason: OneLine = Field(max_length=WHY_MAX)


class ReachOut(Schema):
    contact_id: int
    unreachable_at: dt.datetime | None
    unreachable_reason: str


def _reach(contact: Any) -> dict[str, Any]:
    return {
        "contact_id": contact.pk,
        "unreachable_at": contact.unreachable_at,
        "unreachable_reason": contact.unreachable_reason,
    }


@router.post(
    "/contacts/{contact_id}/unreachable",
    response=responses({200: ReachOut}, body=True, object_path=True),
    operation_id="mark_contact_unreachable",
    summary="Mark a contact unreachable (no update goes to them), with why",
)
def mark_contact_unreachable(
    request: HttpRequest, contact_id: int, payload: UnreachableIn
) -> dict[str, Any]:
    v = viewer(request)
    contact = customer_selectors.contact(v, contact_id, action="loop.subscriptions")
    return _reach(subscriptions.mark_unreachable(v, contact=contact, reason=payload.reason))


@router.post(
    "/contacts/{contact_id}/reachable",
    response=responses({200: ReachOut}, object_path=True),
    operation_id="mark_contact_reachable",
    summary="Mark a contact reachable again (their address was checked or fixed)",
)
def mark_contact_reachable(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    v = viewer(request)
    contact = customer_selectors.contact(v, contact_id, action="loop.subscriptions")
    return _reach(subscriptions.mark_reachable(v, contact=contact))


KeyedProvider = Literal["mailgun", "sendgrid", "postmark"]


class BounceKeyIn(InputSchema):
    """Mailgun: ``signing_key``; SendGrid: ``public_key`` (the verification key, base64);
    Postmark: ``username`` and ``password``."""

    signing_key: str = ""
    public_key: str = ""
    username: OneLine = ""
    password: str = ""


@router.put(
    "/mail/bounce-keys/{provider}",
    response=responses({200: BounceKeyOut}, body=True),
    operation_id="set_bounce_key",
    summary="Set or replace what a mail provider must prove its posts to the bounce URL with "
    "(never returned)",
)
def set_bounce_key(
    request: HttpRequest, provider: KeyedProvider, payload: BounceKeyIn
) -> dict[str, Any]:
    """From now on a post from the provider without a matching signature (Mailgun, SendGrid)
    or basic auth (Postmark) is refused. 422 names a key that is not the provider's."""
    v = viewer(request)
    found = bounces.set_key(v, provider, **payload.model_dump())
    return _key_out(provider, found)


@router.delete(
    "/mail/bounce-url/sns-topic",
    response=responses({204: None}),
    operation_id="reset_bounce_sns_topic",
    summary="Forget the Amazon SNS topic the bounce URL is pinned to (the next signed "
    "message pins its own)",
)
def reset_bounce_sns_topic(request: HttpRequest) -> Status[None]:
    """For moving to another SNS topic: the waiting confirmation link goes too. Audited."""
    bounces.reset_topic(viewer(request))
    return Status(204, None)


@router.delete(
    "/mail/bounce-keys/{provider}",
    response=responses({204: None}),
    operation_id="remove_bounce_key",
    summary="Stop requiring a mail provider's key (the bounce URL alone lets it in again)",
)
def remove_bounce_key(request: HttpRequest, provider: KeyedProvider) -> Status[None]:
    bounces.remove_key(viewer(request), provider)
    return Status(204, None)
