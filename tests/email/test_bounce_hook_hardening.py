"""The bounce hook, hardened after a review: an Amazon SNS topic is pinned once known (another
topic's signed messages are refused, 403, and audited; an admin resets it on the settings
page), a signed SNS message older than an hour (or from the future) is refused, and every
error answer is a plain-text reason with its status, never Django's HTML page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from traction.core import clock
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.loop.models import BounceInbox
from traction.loop.tests import mail_world as mw
from traction.loop.tests.signing import SnsSigner

from .test_provider_bounces import sendgrid, ses_bounce, sns_timestamp
from .test_provider_signatures import Send, nothing_written, secret, send, world  # noqa: F401

pytestmark = pytest.mark.django_db

TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"
OTHER = "arn:aws:sns:eu-west-1:999999999999:someone-elses"


def confirm(topic: str) -> dict[str, Any]:
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a7",
        "TopicArn": topic,
        "Message": "You have chosen to subscribe to the topic ...",
        "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
        f"&TopicArn={topic}&Token=2336412f37",
        "Timestamp": sns_timestamp(),
    }


def test_the_first_topic_is_pinned_another_is_refused_and_an_admin_resets_it(
    world: mw.MailWorld,  # noqa: F811
    send: Send,  # noqa: F811
    sns_signer: SnsSigner,
    client_for: Any,
    cast: Cast,
) -> None:
    assert send("ses", sns_signer.sign(confirm(TOPIC))).json()["status"] == "ok"
    box = BounceInbox.objects.get()
    assert box.sns_topic_arn == TOPIC
    link = box.sns_subscribe_url
    # Someone else's topic, signed by SNS all right: refused, audited, nothing changes.
    foreign = sns_signer.sign(
        {**ses_bounce(world.gina.message_id, world.gina.email), "TopicArn": OTHER}
    )
    answer = send("ses", foreign)
    assert answer.status_code == 403
    assert answer["Content-Type"].startswith("text/plain")
    assert f"Amazon SNS topic {OTHER} is not this bounce URL's topic" in answer.content.decode()
    nothing_written(world)
    assert send("ses", sns_signer.sign(confirm(OTHER))).status_code == 403
    box.refresh_from_db()
    assert (box.sns_topic_arn, box.sns_subscribe_url) == (TOPIC, link)
    refused = AuditEvent.objects.filter(action="loop.bounce_topic_refused")
    assert refused.count() == 2
    assert refused.first().changes["topic"] == OTHER  # type: ignore[union-attr]
    # The pinned topic's notification goes through.
    ours = sns_signer.sign(ses_bounce(world.gina.message_id, world.gina.email))
    assert send("ses", ours).json()["recorded"] == 1
    # Only an admin resets it; then the other topic's confirmation pins that one.
    slug = cast.acme.slug
    settings_page = client_for("admin").get(f"/w/{slug}/workspace-settings/").content.decode()
    assert f"accepted from topic <code>{TOPIC}</code> only" in settings_page
    reset = f"/w/{slug}/loop/mail/bounce-topic/reset/"
    assert client_for("facilitator").post(reset).status_code == 403
    assert client_for("admin").post(reset).status_code == 302
    assert AuditEvent.objects.filter(action="loop.bounce_topic_reset").exists()
    assert send("ses", sns_signer.sign(confirm(OTHER))).json()["status"] == "ok"
    assert BounceInbox.objects.get().sns_topic_arn == OTHER


@pytest.mark.parametrize(
    ("shift", "said"),
    [
        (dt.timedelta(hours=-1, seconds=-1), "older than an hour"),
        (dt.timedelta(minutes=6), "is in the future"),
    ],
)
def test_a_signed_sns_message_out_of_its_time_is_refused(
    world: mw.MailWorld,  # noqa: F811
    send: Send,  # noqa: F811
    sns_signer: SnsSigner,
    shift: dt.timedelta,
    said: str,
) -> None:
    stamp = (clock.now() + shift).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    late = {**ses_bounce(world.gina.message_id, world.gina.email), "Timestamp": stamp}
    answer = send("ses", sns_signer.sign(late))
    assert answer.status_code == 403
    assert said in answer.content.decode()
    nothing_written(world)
    # Within the hour (and a few minutes' skew ahead) it goes through.
    fresh = {**late, "Timestamp": sns_timestamp()}
    assert send("ses", sns_signer.sign(fresh)).json()["recorded"] == 1


def test_a_nul_character_gets_a_plain_text_reason(
    world: mw.MailWorld,  # noqa: F811
    send: Send,  # noqa: F811
) -> None:
    event = sendgrid("bounce", world.gina.email, world.gina.message_id, reason="550 \x00 gone")
    answer = send("sendgrid", json.dumps([event]).encode())
    assert answer["Content-Type"].startswith("text/plain"), answer.content[:300]
    assert answer.status_code == 400, answer.content[:300]
    assert b"NUL" in answer.content
    assert b"<html" not in answer.content.lower()


def test_the_api_shows_the_pinned_topic_and_an_admin_resets_it(
    world: mw.MailWorld,  # noqa: F811
    send: Send,  # noqa: F811
    sns_signer: SnsSigner,
    api_client_for: Any,
) -> None:
    assert send("ses", sns_signer.sign(confirm(TOPIC))).json()["status"] == "ok"
    admin = api_client_for("admin")
    assert admin.get("/api/v1/mail/bounce-url").json()["sns_topic_arn"] == TOPIC
    assert (
        api_client_for("facilitator").delete("/api/v1/mail/bounce-url/sns-topic").status_code == 403
    )
    assert admin.delete("/api/v1/mail/bounce-url/sns-topic").status_code == 204
    shown = admin.get("/api/v1/mail/bounce-url").json()
    assert (shown["sns_topic_arn"], shown["sns_subscribe_url"]) == ("", "")
    assert AuditEvent.objects.filter(action="loop.bounce_topic_reset").count() == 1
    assert send("ses", sns_signer.sign(confirm(OTHER))).json()["status"] == "ok"
    assert BounceInbox.objects.get().sns_topic_arn == OTHER
