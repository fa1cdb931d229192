"""The bounce URL proves nothing alone: each provider proves its posts the way it documents.
Amazon SNS's signature is always checked (against a certificate fetched from the SNS host;
here a real self-signed certificate served on loopback); Mailgun's HMAC, SendGrid's ECDSA
signature and Postmark's basic auth are required once an admin set that provider's key. A
refused post writes nothing. The same provider event reported twice is recorded once.

All keys are generated in the test; posts are real HTTP requests to the app."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from traction.core import clock
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.loop import mailer
from traction.loop.models import BounceInbox, BounceKey, BounceNonce, MailBounce, MessageState
from traction.loop.services import bounces
from traction.loop.tests import mail_world as mw
from traction.loop.tests.signing import (
    CertServer,
    SendGridKey,
    SnsSigner,
    mailgun_key,
    mailgun_sign,
    self_signed,
)

from .conftest import SmtpServer
from .test_provider_bounces import (
    contact,
    mailgun,
    message,
    postmark,
    sendgrid,
    ses_bounce,
    sns,
    sns_timestamp,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast, smtp_server: SmtpServer) -> mw.MailWorld:
    found = mw.build(cast)
    assert mailer.deliver_update.call(found.update.pk) == 2
    found.gina.refresh_from_db()
    found.ian.refresh_from_db()
    return found


@pytest.fixture
def secret(cast: Cast) -> str:
    return bounces.rotate(cast.viewer("admin"))[1]


Send = Callable[..., Any]


@pytest.fixture
def send(secret: str) -> Send:
    """POST a body as it is (already signed, or not) to the workspace's bounce URL."""
    client = Client(enforce_csrf_checks=True)

    def post(provider: str, body: bytes | dict[str, Any] | list[Any], **headers: str) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return client.generic(
            "POST", f"/hooks/mail/{provider}/{secret}/", raw, content_type="application/json",
            **headers,
        )  # fmt: skip

    return post


def nothing_written(world: mw.MailWorld) -> None:
    assert not MailBounce.objects.exists()
    assert message(world, "gina").state == MessageState.SENT
    assert contact(world, "gina").unreachable_at is None
    assert not AuditEvent.objects.filter(action="loop.bounce_reported").exists()


def now_ts() -> int:
    return int(clock.now().timestamp())


# --- Amazon SNS: always checked -------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "2"])
def test_sns_signature_v1_and_v2_verify_and_the_certificate_is_fetched_once(
    world: mw.MailWorld, send: Send, sns_signer: SnsSigner, cert_server: CertServer, version: str
) -> None:
    first = sns_signer.sign(ses_bounce(world.gina.message_id, world.gina.email), version=version)
    assert send("ses", first).json()["recorded"] == 1
    second = sns_signer.sign(ses_bounce(world.ian.message_id, world.ian.email, "Transient"),
                             version=version)  # fmt: skip
    assert send("ses", second).json()["recorded"] == 1
    assert cert_server.requests == ["/SimpleNotificationService-test.pem"]  # cached
    assert contact(world, "gina").unreachable_at is not None


def test_sns_refuses_tampered_foreign_unsigned_and_raw_messages_writing_nothing(
    world: mw.MailWorld, send: Send, sns_signer: SnsSigner, caplog: pytest.LogCaptureFixture
) -> None:
    signed = sns_signer.sign(ses_bounce(world.gina.message_id, world.gina.email))
    # The Message changed after signing (another address).
    tampered = {**signed, "Message": signed["Message"].replace(world.gina.email, "x@y.test")}
    refused = send("ses", tampered)
    assert refused.status_code == 403
    assert refused.content.decode().startswith("Refused: Amazon SNS signature does not match")
    assert "refused: Amazon SNS signature does not match" in caplog.text  # logged
    # Signed with another key than the certificate's.
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = sns_signer.sign(ses_bounce(world.gina.message_id, world.gina.email), key=other)
    assert send("ses", forged).status_code == 403
    # No signature at all.
    unsigned = {
        k: v
        for k, v in ses_bounce(world.gina.message_id, world.gina.email).items()
        if k not in ("Signature", "SigningCertURL", "SignatureVersion")
    }
    missing = send("ses", unsigned)
    assert missing.status_code == 403
    assert "Amazon SNS signature missing" in missing.content.decode()
    # Raw message delivery (the SES notification itself) carries no signature.
    raw = json.loads(unsigned["Message"])
    raw_answer = send("ses", raw)
    assert raw_answer.status_code == 403
    assert "raw message delivery is not signed" in raw_answer.content.decode()
    # An unknown signature version.
    v3 = {**signed, "SignatureVersion": "3"}
    assert "SignatureVersion must be 1 or 2" in send("ses", v3).content.decode()
    nothing_written(world)
    assert BounceInbox.objects.get().last_received_at is None


def test_sns_certificate_url_must_be_amazons_and_is_refused_before_any_fetch(
    world: mw.MailWorld, send: Send, sns_signer: SnsSigner, cert_server: CertServer
) -> None:
    elsewhere = CertServer()  # a real server the settings do not allow
    try:
        url = elsewhere.serve("/cert.pem", self_signed(sns_signer.key))
        for cert_url in (
            url,
            "https://attacker.example/SimpleNotificationService-x.pem",
            "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem",  # not https
            "https://sns.eu-west-1.amazonaws.com.attacker.example/x.pem",
            "https://user@sns.eu-west-1.amazonaws.com/x.pem",
        ):
            signed = sns_signer.sign(ses_bounce(world.gina.message_id, world.gina.email))
            answer = send("ses", {**signed, "SigningCertURL": cert_url})
            assert answer.status_code == 403, cert_url
            assert "SigningCertURL must be an https URL of sns.<region>.amazonaws.com" in (
                answer.content.decode()
            )
        assert elsewhere.requests == []  # never fetched
        assert cert_server.requests == []
    finally:
        elsewhere.close()
    nothing_written(world)


def test_sns_expired_certificate_and_one_that_is_not_a_certificate_are_refused(
    world: mw.MailWorld, send: Send, sns_signer: SnsSigner, cert_server: CertServer
) -> None:
    import datetime as dt

    old = self_signed(sns_signer.key, days=30, start=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    signed = sns_signer.sign(ses_bounce(world.gina.message_id, world.gina.email))
    expired = {**signed, "SigningCertURL": cert_server.serve("/old.pem", old)}
    answer = send("ses", expired)
    assert answer.status_code == 403
    assert "not valid now" in answer.content.decode()
    missing = {**signed, "SigningCertURL": cert_server.origin + "/nothing.pem"}
    assert "could not be fetched" in send("ses", missing).content.decode()
    nothing_written(world)


def test_sns_subscription_confirmation_is_shown_to_the_admin_only_when_signed(
    world: mw.MailWorld, send: Send, sns_signer: SnsSigner, client_for: Any
) -> None:
    confirm = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a7",
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:ses-bounces",
        "Message": "You have chosen to subscribe to the topic ...",
        "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
        "&TopicArn=arn:aws:sns:eu-west-1:123456789012:ses-bounces&Token=2336412f37",
        "Timestamp": sns_timestamp(),
    }
    settings_page = f"/w/{world.cast.acme.slug}/workspace-settings/"
    assert send("ses", {**confirm, "SignatureVersion": "1", "Signature": "AAAA",
                        "SigningCertURL": sns_signer.cert_url}).status_code == 403  # fmt: skip
    assert b"Amazon SNS asks you to confirm" not in client_for("admin").get(settings_page).content
    assert send("ses", sns_signer.sign(confirm, version="2")).json()["status"] == "ok"
    html = client_for("admin").get(settings_page).content.decode()
    assert "Amazon SNS asks you to confirm the subscription" in html
    assert "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription" in html


# --- Mailgun: HMAC with the signing key, fresh, once ----------------------------------------


def test_mailgun_signature_required_once_the_key_is_set(
    world: mw.MailWorld, send: Send, cast: Cast
) -> None:
    payload = mailgun("failed", world.gina.email, world.gina.message_id, "permanent")
    unsigned = {k: v for k, v in payload.items() if k != "signature"}
    key = mailgun_key()
    bounces.set_key(cast.viewer("admin"), "mailgun", signing_key=key)
    missing = send("mailgun", unsigned)
    assert missing.status_code == 403
    assert "Mailgun signature missing" in missing.content.decode()
    wrong = send("mailgun", mailgun_sign(unsigned, mailgun_key(), timestamp=now_ts()))
    assert wrong.status_code == 403
    assert "does not match the webhook signing key" in wrong.content.decode()
    stale = send("mailgun", mailgun_sign(unsigned, key, timestamp=now_ts() - 6 * 60))
    assert stale.status_code == 403
    assert "Mailgun signature is stale" in stale.content.decode()
    future = send("mailgun", mailgun_sign(unsigned, key, timestamp=now_ts() + 6 * 60))
    assert "stale" in future.content.decode()
    nothing_written(world)
    signed = mailgun_sign(unsigned, key, timestamp=now_ts() - 4 * 60)  # within 5 minutes
    accepted = send("mailgun", signed)
    assert accepted.status_code == 200
    assert accepted.json()["flagged_contacts"] == 1
    # The very same signed post again is a replay: refused, nothing more written.
    replay = send("mailgun", signed)
    assert replay.status_code == 403
    assert "Mailgun signature was used before: a replay." in replay.content.decode()
    assert MailBounce.objects.count() == 1
    assert AuditEvent.objects.filter(action="loop.bounce_reported").count() == 1
    assert BounceNonce.objects.count() == 1


def test_a_key_set_for_one_provider_is_not_bypassed_by_posting_as_another(
    world: mw.MailWorld, send: Send, cast: Cast
) -> None:
    """Attacker's review: with only Mailgun's key set, the same secret URL with another
    provider's name in it (``/hooks/mail/postmark/<secret>/``) took a forged, unsigned
    report: the proof the admin asked for was skipped by changing one word. Once any key is
    set, a post as a provider without one is refused, writing nothing."""
    bounces.set_key(cast.viewer("admin"), "mailgun", signing_key=mailgun_key())
    forged = send("postmark", postmark(world.gina.email))
    assert forged.status_code == 403
    assert "no key is set for Postmark" in forged.content.decode()
    forged = send("sendgrid", [sendgrid("bounce", world.gina.email, world.gina.message_id)])
    assert forged.status_code == 403
    nothing_written(world)
    # Without any key, the URL alone still takes posts (as documented), of every provider.
    bounces.remove_key(cast.viewer("admin"), "mailgun")
    assert send("postmark", postmark(world.gina.email)).status_code == 200


def test_mailgun_keeps_tokens_only_while_they_could_be_replayed(
    world: mw.MailWorld, send: Send, cast: Cast
) -> None:
    import datetime as dt

    key = mailgun_key()
    bounces.set_key(cast.viewer("admin"), "mailgun", signing_key=key)
    event = mailgun("delivered", world.ian.email, "x")
    with clock.frozen(dt.datetime(2027, 1, 20, 9, 0, tzinfo=dt.UTC)) as frozen:
        assert send("mailgun", mailgun_sign(event, key, timestamp=now_ts())).status_code == 200
        frozen.advance(minutes=11)
        assert send("mailgun", mailgun_sign(event, key, timestamp=now_ts())).status_code == 200
    assert BounceNonce.objects.count() == 1  # the first one was pruned


# --- SendGrid: ECDSA over timestamp + body ----------------------------------------------------


def test_sendgrid_signed_event_webhook(world: mw.MailWorld, send: Send, cast: Cast) -> None:
    key = SendGridKey()
    bounces.set_key(cast.viewer("admin"), "sendgrid", public_key=key.public)
    batch = [sendgrid("bounce", world.gina.email, world.gina.message_id, reason="550 unknown",
                      status="5.0.0", type="bounce")]  # fmt: skip
    body = json.dumps(batch).encode()
    missing = send("sendgrid", body)
    assert missing.status_code == 403
    assert "X-Twilio-Email-Event-Webhook-Signature" in missing.content.decode()
    headers = key.headers(body, now_ts())
    changed = body.replace(b"550 unknown", b"250 all fine")
    assert send("sendgrid", changed, **headers).status_code == 403
    other = SendGridKey().headers(body, now_ts())
    wrong = send("sendgrid", body, **other)
    assert wrong.status_code == 403
    assert "does not match the verification key" in wrong.content.decode()
    moved = {**headers, "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": str(now_ts() + 1)}
    assert send("sendgrid", body, **moved).status_code == 403  # the timestamp is signed too
    garbled = {**headers, "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": "not base64!"}
    assert "not base64" in send("sendgrid", body, **garbled).content.decode()
    nothing_written(world)
    ok = send("sendgrid", body, **headers)
    assert ok.status_code == 200
    assert ok.json()["flagged_contacts"] == 1
    # SendGrid retries the same events: recorded once.
    again = send("sendgrid", body, **headers)
    assert again.json() == {
        "status": "duplicate", "recorded": 0, "flagged_contacts": 0, "ignored": 0,
        "duplicates": 1,
    }  # fmt: skip
    assert MailBounce.objects.count() == 1


# --- Postmark: HTTP basic auth ------------------------------------------------------------


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_postmark_basic_auth_required_once_set(world: mw.MailWorld, send: Send, cast: Cast) -> None:
    password = "pm-" + "x7Qa9" * 4
    bounces.set_key(cast.viewer("admin"), "postmark", username="postmark", password=password)
    payload = postmark(world.gina.email)
    challenged = send("postmark", payload)
    assert challenged.status_code == 401
    assert challenged["WWW-Authenticate"].startswith("Basic ")
    assert "Postmark basic auth missing" in challenged.content.decode()
    wrong = send("postmark", payload, **basic("postmark", password + "!"))
    assert wrong.status_code == 403
    assert "does not match the user name and password" in wrong.content.decode()
    assert send("postmark", payload, **basic("someone", password)).status_code == 403
    nothing_written(world)
    assert send("postmark", payload, **basic("postmark", password)).json()["recorded"] == 1
    assert send("postmark", payload, **basic("postmark", password)).json()["status"] == (
        "duplicate"
    )


# --- the same event recorded once ---------------------------------------------------------


def test_the_same_event_is_recorded_once_per_provider(
    world: mw.MailWorld, send: Send, sns_signer: SnsSigner
) -> None:
    notification = sns_signer.sign(ses_bounce(world.gina.message_id, world.gina.email))
    assert send("ses", notification).json()["recorded"] == 1
    box = BounceInbox.objects.get()
    again = send("ses", notification)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert BounceInbox.objects.get().last_received_at == box.last_received_at
    # Mailgun (no key set) and Postmark: the same event id again.
    event = mailgun("failed", world.ian.email, world.ian.message_id, "temporary")
    assert send("mailgun", event).json()["recorded"] == 1
    assert send("mailgun", event).json()["status"] == "duplicate"
    soft = postmark(world.ian.email, "SoftBounce")
    assert send("postmark", soft).json()["recorded"] == 1
    assert send("postmark", soft).json()["duplicates"] == 1
    # A spam complaint about the same message is another event (another RecordType).
    spam = {**soft, "RecordType": "SpamComplaint", "Type": "SpamComplaint"}
    assert send("postmark", spam).json()["flagged_contacts"] == 1
    assert MailBounce.objects.count() == 4
    assert AuditEvent.objects.filter(action="loop.bounce_reported").count() == 4
    assert AuditEvent.objects.filter(action="loop.message_bounced").count() == 1
    # A batch repeating one event records it once.
    twice = sendgrid("spamreport", world.gina.email, world.gina.message_id)
    assert send("sendgrid", [twice, twice]).json()["duplicates"] == 1
    assert MailBounce.objects.filter(provider="sendgrid").count() == 1


def test_one_notification_for_two_recipients_records_both(
    world: mw.MailWorld, send: Send, sns_signer: SnsSigner
) -> None:
    notification = ses_bounce(world.gina.message_id, world.gina.email)
    inner = json.loads(notification["Message"])
    inner["bounce"]["bouncedRecipients"].append({"emailAddress": world.ian.email})
    signed = sns_signer.sign(sns(inner))
    assert send("ses", signed).json()["recorded"] == 2
    ids = sorted(MailBounce.objects.values_list("event_id", flat=True))
    assert ids == [f"{signed['MessageId']}/1", f"{signed['MessageId']}/2"]
    assert send("ses", signed).json()["duplicates"] == 2


def test_older_rows_without_an_event_id_stay_valid_and_the_database_refuses_a_second_row(
    world: mw.MailWorld, cast: Cast
) -> None:
    gina = contact(world, "gina")
    common = {"workspace": cast.acme, "provider": "postmark", "kind": "permanent",
              "contact": gina, "email": gina.email}  # fmt: skip
    MailBounce.objects.create(**common)
    MailBounce.objects.create(**common)  # before event ids were kept: no constraint
    MailBounce.objects.create(**common, event_id="Bounce:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        MailBounce.objects.create(**common, event_id="Bounce:1")
    assert MailBounce.objects.count() == 3


# --- the keys on the settings page ----------------------------------------------------------

KEY_PAGE = "/w/acme/loop/mail/bounce-keys/{}/"
SETTINGS = "/w/acme/workspace-settings/"


def test_the_admin_sets_replaces_and_removes_a_key_never_shown_back(
    world: mw.MailWorld, send: Send, client_for: Any
) -> None:
    admin = client_for("admin")
    page = admin.get(SETTINGS).content.decode()
    assert "Proof from your provider" in page
    assert "Nothing yet: the URL alone lets its posts in." in page
    form = admin.get(KEY_PAGE.format("mailgun")).content.decode()
    assert "Mailgun webhook signing key" in form
    key = mailgun_key()
    done = admin.post(KEY_PAGE.format("mailgun"), {"signing_key": key}, follow=True)
    assert "Mailgun webhook signing key set: posts from Mailgun without it are now refused." in (
        done.content.decode()
    )
    stored = BounceKey.objects.get(provider="mailgun")
    assert key not in stored.secret  # encrypted
    assert stored.hint == key[-4:]
    for html in (admin.get(SETTINGS).content.decode(),
                 admin.get(KEY_PAGE.format("mailgun")).content.decode()):  # fmt: skip
        assert key not in html
        assert f"…{key[-4:]}" in html
    event = mailgun("delivered", world.ian.email, "x")
    assert send("mailgun", event).status_code == 403
    assert send("mailgun", mailgun_sign(event, key, timestamp=now_ts())).status_code == 200
    # Rotated at Mailgun, replaced here: the old key no longer passes.
    new = mailgun_key()
    admin.post(KEY_PAGE.format("mailgun"), {"signing_key": new})
    assert send("mailgun", mailgun_sign(event, key, timestamp=now_ts())).status_code == 403
    assert send("mailgun", mailgun_sign(event, new, timestamp=now_ts())).status_code == 200
    removed = admin.post(KEY_PAGE.format("mailgun") + "remove/", follow=True).content.decode()
    assert "removed: the bounce URL alone lets posts in again" in removed
    assert send("mailgun", event).status_code == 200
    actions = list(
        AuditEvent.objects.filter(action__startswith="loop.bounce_key")
        .order_by("pk")
        .values_list("action", "changes")
    )
    assert [a for a, _ in actions] == [
        "loop.bounce_key_set", "loop.bounce_key_replaced", "loop.bounce_key_removed",
    ]  # fmt: skip
    assert all(key not in json.dumps(c) and new not in json.dumps(c) for _, c in actions)


def test_bad_keys_are_refused_beside_the_field(world: mw.MailWorld, client_for: Any) -> None:
    admin = client_for("admin")
    bad = admin.post(KEY_PAGE.format("sendgrid"), {"public_key": "hello"})
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "field-invalid" in html
    assert "This is not a public key" in html
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    p384 = (
        ec.generate_private_key(ec.SECP384R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    wrong_curve = admin.post(KEY_PAGE.format("sendgrid"),
                             {"public_key": base64.b64encode(p384).decode()})  # fmt: skip
    assert "is an elliptic-curve P-256 key; this is not" in wrong_curve.content.decode()
    short = admin.post(KEY_PAGE.format("postmark"), {"username": "a:b", "password": "short"})
    assert short.status_code == 422
    text = short.content.decode()
    assert "without “:”" in text
    assert "At least 16 characters" in text
    assert admin.post(KEY_PAGE.format("mailgun"), {"signing_key": "abc"}).status_code == 422
    assert not BounceKey.objects.exists()
    assert admin.get(KEY_PAGE.format("ses")).status_code == 404
    good = SendGridKey()
    assert admin.post(KEY_PAGE.format("sendgrid"), {"public_key": good.public}).status_code == 302
    assert BounceKey.objects.get().secret == good.public


def test_only_admins_manage_keys(world: mw.MailWorld, client_for: Any, cast: Cast) -> None:
    facilitator = client_for("facilitator")
    assert facilitator.get(KEY_PAGE.format("mailgun")).status_code == 403
    assert (
        facilitator.post(KEY_PAGE.format("mailgun"), {"signing_key": mailgun_key()}).status_code
        == 403
    )
    assert facilitator.post(KEY_PAGE.format("mailgun") + "remove/").status_code == 403
    assert not BounceKey.objects.exists()


def test_erasing_a_contact_leaves_the_provider_keys_and_event_ids_alone(
    world: mw.MailWorld, send: Send, cast: Cast
) -> None:
    from traction.customers import services as customer_services

    gina = contact(world, "gina")
    password = "pm-" + "x7Qa9" * 4
    # A user name that happens to be the contact's address: a credential, not prose.
    bounces.set_key(cast.viewer("admin"), "postmark", username=gina.email, password=password)
    payload = postmark(gina.email)
    assert send("postmark", payload, **basic(gina.email, password)).json()["recorded"] == 1
    event_id = MailBounce.objects.get().event_id
    customer_services.erase_contact(cast.viewer("admin"), contact=gina, reason="Asked us to.")
    assert BounceKey.objects.get().username == gina.email
    assert MailBounce.objects.get().event_id == event_id
    again = send("postmark", payload, **basic(gina.email, password))
    assert again.json()["status"] == "duplicate"
