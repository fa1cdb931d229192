"""Bounces and complaints from mail providers, as they send them, at the workspace's bounce
URL: an update is delivered through a real SMTP server (so each message has the Message-ID
we set), then Amazon SES (through SNS), Postmark, SendGrid and Mailgun report on it. Only
permanent bounces and complaints make a contact unreachable; temporary ones are recorded;
unknown messages are answered 200 "ignored"; malformed payloads 400 naming the problem.

The payloads are written here in the shape of each provider's public documentation."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from datetime import UTC
from typing import Any

import pytest
from django.test import Client

from traction.core import clock
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.loop import mailer
from traction.loop.models import BounceInbox, MailBounce, MessageState, UpdateRecipient
from traction.loop.services import bounces
from traction.loop.tests import mail_world as mw
from traction.loop.tests.signing import SnsSigner

from .conftest import SmtpServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast, smtp_server: SmtpServer) -> mw.MailWorld:
    found = mw.build(cast)
    assert mailer.deliver_update.call(found.update.pk) == 2
    found.gina.refresh_from_db()
    found.ian.refresh_from_db()
    assert found.gina.message_id.startswith("<")
    return found


@pytest.fixture
def secret(cast: Cast) -> str:
    return bounces.rotate(cast.viewer("admin"))[1]


Post = Callable[..., Any]


@pytest.fixture
def post(secret: str, sns_signer: SnsSigner) -> Post:
    """Post as the provider does; SNS messages are signed as Amazon SNS signs them (with a
    test certificate served on loopback)."""
    client = Client(enforce_csrf_checks=True)

    def send(provider: str, payload: Any, *, content_type: str = "application/json",
             raw: bytes | None = None, key: str | None = None) -> Any:  # fmt: skip
        if provider == "ses" and isinstance(payload, dict) and "Type" in payload:
            payload = sns_signer.sign(payload)
        body = raw if raw is not None else json.dumps(payload).encode()
        return client.generic(
            "POST", f"/hooks/mail/{provider}/{key or secret}/", body, content_type=content_type
        )

    return send


def contact(world: mw.MailWorld, who: str) -> Contact:
    return Contact.objects.get(pk=getattr(world, who).contact_id)


def message(world: mw.MailWorld, who: str) -> UpdateRecipient:
    return UpdateRecipient.objects.get(pk=getattr(world, who).pk)


# --- the providers' payloads ----------------------------------------------------------------


def ses_bounce(message_id: str, email: str, bounce_type: str = "Permanent") -> dict[str, Any]:
    """An SNS Notification whose Message is SES's bounce notification (with the headers)."""
    notification = {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": email,
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": f"smtp; 550 5.1.1 <{email}>... User unknown",
                }
            ],
            "timestamp": "2027-01-20T09:00:05.000Z",
            "feedbackId": "0102015fd91a6479-ae22395c-1f7d-4423-a9e5-e0715bffc731-000000",
            "reportingMTA": "dsn; a4-8.smtp-out.eu-west-1.amazonses.com",
        },
        "mail": {
            "timestamp": "2027-01-20T09:00:04.000Z",
            "source": "traction@localhost",
            "sourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/localhost",
            "messageId": "0102015fd91a5ca3-93c245fe-e333-46ae-8fed-96160d20cfab-000000",
            "destination": [email],
            "headersTruncated": False,
            "headers": [
                {"name": "From", "value": "Acme <traction@localhost>"},
                {"name": "Message-ID", "value": message_id},
            ],
            "commonHeaders": {
                "from": ["Acme <traction@localhost>"],
                "to": [email],
                "messageId": message_id,
                "subject": "What came of your input",
            },
        },
    }
    return sns(notification)


def sns_timestamp() -> str:
    """Now, as SNS writes its (signed) Timestamp: an older message than an hour is refused."""
    return clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def sns(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),  # each notification is its own event
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:ses-bounces",
        "Message": json.dumps(message),
        "Timestamp": sns_timestamp(),
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+...",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&x=1",
    }


def ses_complaint(message_id: str, email: str) -> dict[str, Any]:
    return sns(
        {
            "notificationType": "Complaint",
            "complaint": {
                "userAgent": "AnyCompany Feedback Loop (V0.01)",
                "complainedRecipients": [{"emailAddress": email}],
                "complaintFeedbackType": "abuse",
                "arrivalDate": "2027-01-20T09:10:00.000Z",
                "timestamp": "2027-01-20T09:10:01.000Z",
                "feedbackId": "000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000",
            },
            "mail": {
                "timestamp": "2027-01-20T09:00:04.000Z",
                "messageId": "000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000",
                "source": "traction@localhost",
                "destination": [email],
                "commonHeaders": {"messageId": message_id, "subject": "What came of your input"},
            },
        }
    )


POSTMARK_IDS = itertools.count(4323372036854775807)


def postmark(email: str, kind: str = "HardBounce", record: str = "Bounce") -> dict[str, Any]:
    return {
        "RecordType": record,
        "ID": next(POSTMARK_IDS),
        "Type": kind,
        "TypeCode": {"HardBounce": 1, "SoftBounce": 4096, "SpamComplaint": 512}[kind],
        "Name": {
            "HardBounce": "Hard bounce",
            "SoftBounce": "Soft bounce",
            "SpamComplaint": "Spam complaint",
        }[kind],
        "Tag": "update",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user, "
        "mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "traction@localhost",
        "BouncedAt": "2027-01-20T09:00:05.9070259Z",
        "DumpAvailable": True,
        "Inactive": kind != "SoftBounce",
        "CanActivate": True,
        "Subject": "What came of your input",
        "Content": "Return-Path:<>...",
    }


def sendgrid(event: str, email: str, smtp_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": email,
        "timestamp": 1800435605,
        "smtp-id": smtp_id,
        "event": event,
        "category": ["update"],
        "sg_event_id": uuid.uuid4().hex,
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        **extra,
    }


def mailgun(event: str, email: str, message_id: str, severity: str = "") -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": uuid.uuid4().hex[:22],
        "timestamp": 1800435605.0,
        "log-level": "error",
        "event": event,
        "recipient": email,
        "recipient-domain": email.split("@")[1],
        "message": {
            "headers": {
                "to": email,
                "message-id": message_id.strip("<>"),  # Mailgun's headers come without <>
                "from": "Acme <traction@localhost>",
                "subject": "What came of your input",
            },
            "attachments": [],
            "size": 1111,
        },
        "tags": [],
        "user-variables": {},
    }
    if event == "failed":
        data["severity"] = severity
        data["reason"] = "bounce" if severity == "permanent" else "generic"
        data["delivery-status"] = {
            "attempt-no": 1,
            "code": 550 if severity == "permanent" else 452,
            "message": "5.1.1 The email account that you tried to reach does not exist."
            if severity == "permanent"
            else "4.2.2 The email account that you tried to reach is over quota.",
            "description": "",
            "session-seconds": 0.43,
        }
    return {
        "signature": {
            "timestamp": "1800435605",
            "token": "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0",
            "signature": "d2271d12299f6592d9d44cd9d250f0704e4674c30d79d07c47a66f95ce71cf55",
        },
        "event-data": data,
    }


# --- the tests ------------------------------------------------------------------------------


def test_ses_permanent_bounce_matches_by_message_id_and_flags_the_contact(
    world: mw.MailWorld, post: Post
) -> None:
    # The bounce names Gina's message; its address is deliberately another case.
    response = post(
        "ses",
        ses_bounce(world.gina.message_id, world.gina.email.upper()),
        content_type="text/plain; charset=UTF-8",  # as SNS sends it
    )
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "recorded": 1, "flagged_contacts": 1, "ignored": 0, "duplicates": 0,
    }  # fmt: skip
    gina = message(world, "gina")
    assert gina.state == MessageState.BOUNCED
    assert gina.bounced_at is not None
    assert "550 5.1.1" in gina.last_error
    assert contact(world, "gina").unreachable_at is not None
    assert "Bounced (ses): Amazon SES: smtp; 550 5.1.1" in contact(world, "gina").unreachable_reason
    assert message(world, "ian").state == MessageState.SENT
    assert contact(world, "ian").unreachable_at is None
    row = MailBounce.objects.get()
    assert (row.provider, row.kind, row.recipient_id, row.flagged) == (
        "ses", "permanent", world.gina.pk, True,
    )  # fmt: skip
    assert AuditEvent.objects.filter(action="loop.bounce_reported").count() == 1
    assert AuditEvent.objects.filter(action="loop.message_bounced").count() == 1
    assert AuditEvent.objects.filter(action="contact.unreachable").count() == 1


def test_ses_transient_bounce_is_recorded_and_flags_nobody(world: mw.MailWorld, post: Post) -> None:
    response = post("ses", ses_bounce(world.ian.message_id, world.ian.email, "Transient"))
    assert response.json()["recorded"] == 1
    assert response.json()["flagged_contacts"] == 0
    assert message(world, "ian").state == MessageState.SENT
    assert contact(world, "ian").unreachable_at is None
    assert MailBounce.objects.get().kind == "transient"


def test_ses_complaint_flags_the_contact_and_subscription_confirmation_is_kept(
    world: mw.MailWorld, post: Post, client_for: Any
) -> None:
    response = post("ses", ses_complaint(world.ian.message_id, world.ian.email))
    assert response.json()["flagged_contacts"] == 1
    assert "Marked our email as spam" in contact(world, "ian").unreachable_reason
    assert message(world, "ian").state == MessageState.SENT  # it was delivered
    confirm = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a7",
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:ses-bounces",
        "Message": "You have chosen to subscribe to the topic ... To confirm the subscription, "
        "visit the SubscribeURL included in this message.",
        "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
        "&TopicArn=arn:aws:sns:eu-west-1:123456789012:ses-bounces&Token=2336412f37",
        "Timestamp": sns_timestamp(),
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+...",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem",
    }
    assert post("ses", confirm).json()["status"] == "ok"
    # The admin sees the confirmation link on the workspace settings page.
    page = client_for("admin").get(f"/w/{world.cast.acme.slug}/workspace-settings/")
    html = page.content.decode()
    assert "Amazon SNS asks you to confirm the subscription" in html
    assert "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription" in html
    # Once a notification comes through the topic, the subscription is confirmed.
    post("ses", ses_bounce("<nobody@localhost>", "stranger@nowhere.test", "Transient"))
    html = client_for("admin").get(f"/w/{world.cast.acme.slug}/workspace-settings/").content
    assert b"Amazon SNS asks you to confirm" not in html
    # A SubscribeURL elsewhere than Amazon SNS is refused (we would never open it).
    evil = {**confirm, "SubscribeURL": "https://attacker.example/?Action=ConfirmSubscription"}
    refused = post("ses", evil)
    assert refused.status_code == 400
    assert (
        "SubscribeURL must be an https URL of sns.<region>.amazonaws.com"
        in refused.content.decode()
    )


def test_postmark_hard_bounce_matches_by_address_soft_is_recorded_complaint_flags(
    world: mw.MailWorld, post: Post
) -> None:
    soft = post("postmark", postmark(world.ian.email, "SoftBounce"))
    assert soft.json()["recorded"] == 1
    assert contact(world, "ian").unreachable_at is None
    hard = post("postmark", postmark(world.gina.email, "HardBounce"))
    assert hard.json()["flagged_contacts"] == 1
    assert message(world, "gina").state == MessageState.BOUNCED  # matched by address
    spam = post("postmark", postmark(world.ian.email, "SpamComplaint", record="SpamComplaint"))
    assert spam.json()["flagged_contacts"] == 1
    kinds = sorted(MailBounce.objects.values_list("kind", flat=True))
    assert kinds == ["complaint", "permanent", "transient"]


def test_sendgrid_batch_by_smtp_id_with_other_events_ignored(
    world: mw.MailWorld, post: Post
) -> None:
    batch = [
        sendgrid("processed", world.gina.email, world.gina.message_id),
        sendgrid("delivered", world.gina.email, world.gina.message_id, response="250 OK"),
        sendgrid(
            "bounce",
            world.gina.email,
            world.gina.message_id,
            reason="500 unknown recipient",
            status="5.0.0",
            type="bounce",
        ),
        sendgrid(
            "bounce",
            world.ian.email,
            world.ian.message_id,
            reason="450 mailbox full",
            status="4.2.2",
            type="blocked",
        ),
        sendgrid("open", world.ian.email, world.ian.message_id, useragent="Mozilla/5.0"),
    ]
    response = post("sendgrid", batch)
    assert response.json() == {
        "status": "ok", "recorded": 2, "flagged_contacts": 1, "ignored": 3, "duplicates": 0,
    }  # fmt: skip
    assert contact(world, "gina").unreachable_at is not None
    assert contact(world, "ian").unreachable_at is None  # "blocked" is temporary
    assert (
        post("sendgrid", [sendgrid("spamreport", world.ian.email, world.ian.message_id)]).json()[
            "flagged_contacts"
        ]
        == 1
    )


def test_sendgrid_dropped_for_a_bounced_address_is_permanent(
    world: mw.MailWorld, post: Post
) -> None:
    event = sendgrid("dropped", world.gina.email, world.gina.message_id, reason="Bounced Address")
    assert post("sendgrid", [event]).json()["flagged_contacts"] == 1
    assert message(world, "gina").state == MessageState.BOUNCED


def test_mailgun_permanent_temporary_and_complained(world: mw.MailWorld, post: Post) -> None:
    temporary = post("mailgun", mailgun("failed", world.ian.email, world.ian.message_id,
                                        "temporary"))  # fmt: skip
    assert temporary.json()["flagged_contacts"] == 0
    assert temporary.json()["recorded"] == 1
    permanent = post("mailgun", mailgun("failed", world.gina.email, world.gina.message_id,
                                        "permanent"))  # fmt: skip
    assert permanent.json()["flagged_contacts"] == 1
    gina = message(world, "gina")
    assert gina.state == MessageState.BOUNCED
    assert "does not exist" in gina.last_error
    complained = post("mailgun", mailgun("complained", world.ian.email, world.ian.message_id))
    assert complained.json()["flagged_contacts"] == 1
    assert post("mailgun", mailgun("delivered", world.ian.email, "x")).json() == {
        "status": "ignored", "recorded": 0, "flagged_contacts": 0, "ignored": 1, "duplicates": 0,
    }  # fmt: skip


def test_unknown_messages_are_ignored_not_errors(world: mw.MailWorld, post: Post) -> None:
    response = post("ses", ses_bounce("<nobody@localhost>", "stranger@nowhere.test"))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert not MailBounce.objects.exists()
    # Another workspace's message is unknown here too (Rita is Rival's contact).
    response = post("postmark", postmark(world.cast.rival_contact.email))
    assert response.json()["status"] == "ignored"
    assert Contact.objects.get(pk=world.cast.rival_contact.pk).unreachable_at is None


@pytest.mark.parametrize(
    ("provider", "raw", "problem"),
    [
        ("ses", b"", "The request body is empty"),
        ("ses", b"{not json", "The request body is not JSON"),
        ("ses", b'{"Type": "Hello"}', "Type must be Notification, SubscriptionConfirmation"),
        ("ses", b'{"Type": "Notification", "Message": "oops"}', "Message is not JSON"),
        (
            "ses",
            json.dumps(
                sns(
                    {
                        "notificationType": "Bounce",
                        "bounce": {"bounceType": "Permanent"},
                        "mail": {},
                    }
                )
            ).encode(),
            "no bouncedRecipients",
        ),
        ("postmark", b'{"RecordType": "Bounce", "Type": "HardBounce"}', "has no Email"),
        ("sendgrid", b'{"event": "bounce"}', "a JSON array of events"),
        ("sendgrid", b'[{"event": "bounce"}]', "Event 1 (bounce) has no “email”"),
        ("mailgun", b'{"signature": {}}', "has no “event-data”"),
        (
            "mailgun",
            b'{"event-data": {"event": "failed", "recipient": "a@b.test"}}',
            "“severity” must be permanent or temporary",
        ),
    ],
)
def test_malformed_payloads_are_400_naming_the_problem(
    world: mw.MailWorld, post: Post, provider: str, raw: bytes, problem: str
) -> None:
    response = post(provider, None, raw=raw)
    assert response.status_code == 400
    text = response.content.decode()
    assert text.startswith(f"Malformed {provider} payload: ")
    assert problem in text
    assert contact(world, "gina").unreachable_at is None


def test_the_url_is_the_credential_post_only_size_limited_and_rotation_ends_the_old_one(
    world: mw.MailWorld, post: Post, secret: str, cast: Cast
) -> None:
    payload = postmark(world.gina.email)
    assert post("postmark", payload, key="bnc_wrong").status_code == 404
    assert post("unknown", payload).status_code == 404
    assert Client().get(f"/hooks/mail/postmark/{secret}/").status_code == 405
    big = b"[" + b" " * (1024 * 1024) + b"]"
    assert post("sendgrid", None, raw=big).status_code == 413
    # Only the fingerprint is stored.
    box = BounceInbox.objects.get(workspace=cast.acme)
    assert secret not in (box.secret_hash, box.hint)
    assert box.secret_hash == bounces.digest(secret)
    _, new = bounces.rotate(cast.viewer("admin"))
    assert post("postmark", payload).status_code == 404  # the old URL
    assert post("postmark", payload, key=new).json()["flagged_contacts"] == 1
    assert AuditEvent.objects.filter(action="loop.bounce_url_rotated").count() == 1


def test_erasing_a_contact_clears_their_address_from_the_bounce_records(
    world: mw.MailWorld, post: Post, cast: Cast
) -> None:
    post("postmark", postmark(world.gina.email))
    customer_services.erase_contact(
        cast.viewer("admin"), contact=contact(world, "gina"), reason="Asked us to."
    )
    row = MailBounce.objects.get()
    assert (row.email, row.reason) == ("", "(erased)")
