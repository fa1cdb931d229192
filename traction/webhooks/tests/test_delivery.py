"""Publishing and delivering webhooks to a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction

from traction.accounts.models import Notice
from traction.core import clock
from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.webhooks import crypto, delivery, events, services
from traction.webhooks.delivery import Answer
from traction.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from traction.webhooks.receiver import VERIFY_SNIPPET
from traction.webhooks.tests.receivers import Dripper, Receiver, closed_port_url


def documented_verify() -> Any:
    """The receiver's check exactly as docs/webhooks.md and the guide page show it."""
    namespace: dict[str, Any] = {}
    exec(VERIFY_SNIPPET, namespace)  # noqa: S102 -- our own documented snippet
    return namespace["verify"]


def endpoint(cast: Cast, url: str, **options: Any) -> tuple[WebhookEndpoint, str]:
    return services.create_endpoint(cast.viewer("admin"), url=url, **options)


def publish(cast: Cast, event: str = "testing.item_done", **kwargs: Any) -> WebhookEvent | None:
    return services.publish(
        workspace_id=cast.acme.pk, event=event, data=kwargs.pop("data", {"n": 1}), **kwargs
    )


pytestmark = pytest.mark.usefixtures("test_events")


@pytest.mark.django_db
def test_a_failing_receiver_gets_three_attempts_with_the_same_event_and_body(
    cast: Cast, receiver: Receiver, fast_retries: list[int]
) -> None:
    hook, secret = endpoint(cast, receiver.url)
    receiver.statuses.extend([500, 500, 200])
    with clock.frozen(clock.now()) as frozen:
        event = publish(cast, program_id=cast.program.pk, data={"title": "Fix the invoice"})
        assert event is not None
        assert delivery.deliver_due().retrying == 1
        assert delivery.deliver_due().attempted == 0  # the retry is not due yet
        frozen.advance(seconds=9)
        assert delivery.deliver_due().attempted == 0
        frozen.advance(seconds=1)
        assert delivery.deliver_due().retrying == 1
        frozen.advance(seconds=20)
        assert delivery.deliver_due().delivered == 1
        frozen.advance(hours=9)
        assert delivery.deliver_due().attempted == 0

    assert len(receiver.requests) == 3
    bodies = {r.body for r in receiver.requests}
    assert bodies == {event.body.encode()}
    payload = json.loads(event.body)
    assert payload == {
        "id": str(event.pk),
        "type": "testing.item_done",
        "version": 1,
        "occurred_at": payload["occurred_at"],
        "workspace": cast.acme.slug,
        "program": cast.program.pk,
        "data": {"title": "Fix the invoice"},
    }
    assert payload["occurred_at"].endswith("Z")
    verify = documented_verify()
    for request in receiver.requests:
        assert request.headers["Traction-Event"] == "testing.item_done"
        assert request.headers["Traction-Event-Id"] == str(event.pk)
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"].startswith("Traction-Webhooks/")
        assert verify(secret, request.headers["Traction-Signature"], request.body)
        assert not verify("whsec_wrong", request.headers["Traction-Signature"], request.body)
        assert not verify(secret, request.headers["Traction-Signature"], request.body + b" ")
    assert len({r.headers["Traction-Delivery"] for r in receiver.requests}) == 1
    done = WebhookDelivery.objects.get()
    assert (done.status, done.attempts, done.last_status_code) == ("delivered", 3, 200)
    assert done.next_attempt_at is None
    # Every attempt is kept, in order, with its answer and how long it took.
    log = list(done.attempt_log.all())
    assert [(a.number, a.status_code) for a in log] == [(1, 500), (2, 500), (3, 200)]
    assert [a.at for a in log] == sorted(a.at for a in log)
    assert all(a.duration_ms is not None and a.duration_ms >= 0 for a in log)
    assert "500" in log[0].error
    assert log[2].error == ""
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0


@pytest.mark.django_db
def test_the_schedule_gives_up_and_only_repeated_failures_disable_the_endpoint(
    cast: Cast, receiver: Receiver, fast_retries: list[int], settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    settings.TRACTION_WEBHOOK_DISABLE_AFTER = 2
    hook, _ = endpoint(cast, receiver.url, description="Jira")
    receiver.default_status = 410

    def run_schedule_out(frozen: clock.FrozenClock) -> None:
        for _ in range(3):
            delivery.deliver_due()
            frozen.advance(seconds=30)

    with clock.frozen(clock.now()) as frozen:
        publish(cast)
        run_schedule_out(frozen)
        hook.refresh_from_db()
        assert (hook.active, hook.consecutive_failures) == (True, 1)  # one is never enough
        first = WebhookDelivery.objects.get()
        assert (first.status, first.attempts, first.last_status_code) == ("failed", 3, 410)
        # A loopback receiver: its status only, not its body (review 20 finding 16).
        assert first.last_error == "The receiver answered 410."

        # A success in between starts the count again.
        receiver.statuses.append(200)
        publish(cast)
        run_schedule_out(frozen)
        hook.refresh_from_db()
        assert (hook.active, hook.consecutive_failures) == (True, 0)

        publish(cast)
        run_schedule_out(frozen)
        hook.refresh_from_db()
        assert (hook.active, hook.consecutive_failures) == (True, 1)
        publish(cast)
        with django_capture_on_commit_callbacks(execute=True):
            run_schedule_out(frozen)
    hook.refresh_from_db()
    assert hook.active is False
    assert hook.disabled_at is not None
    assert "2 deliveries in a row failed" in hook.disabled_reason
    notice = Notice.objects.get(user=cast.users["admin"])
    assert "Jira" in notice.text
    assert notice.link == f"/w/{cast.acme.slug}/webhooks/{hook.pk}/"
    assert [m.to for m in mail.outbox] == [["alice@acme.test"]]
    assert "Webhook endpoint disabled" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="webhook.disabled", object_id=str(hook.pk)).exists()
    # Disabled: new events are not even written for it.
    assert publish(cast) is None

    # The admin enables it again: the notice is resolved, the count starts again.
    services.set_active(cast.viewer("admin"), endpoint=hook, active=True)
    hook.refresh_from_db()
    assert (hook.active, hook.consecutive_failures, hook.disabled_reason) == (True, 0, "")
    notice.refresh_from_db()
    assert notice.resolved_at is not None


@pytest.mark.django_db
def test_filters_choose_the_endpoints_and_all_share_one_event(
    cast: Cast, receiver: Receiver
) -> None:
    every, _ = endpoint(cast, receiver.url + "/every")
    done_only, _ = endpoint(
        cast, receiver.url + "/done", all_events=False, event_types=["testing.item_done"]
    )
    onboarding, _ = endpoint(
        cast, receiver.url + "/onboarding", all_programs=False, program_ids=[cast.program.pk]
    )
    endpoint(cast, receiver.url + "/off", active=False)
    archived, _ = endpoint(cast, receiver.url + "/archived")
    services.archive_endpoint(cast.viewer("admin"), endpoint=archived)
    endpoint_rival = services.create_endpoint(cast.viewer("stranger"), url=receiver.url + "/rival")

    def targets(event: WebhookEvent | None) -> set[int]:
        assert event is not None
        return set(event.deliveries.values_list("endpoint_id", flat=True))

    done = publish(cast, "testing.item_done", program_id=cast.program.pk)
    assert targets(done) == {every.pk, done_only.pk, onboarding.pk}
    created = publish(cast, "testing.item_created", program_id=cast.other_program.pk)
    assert targets(created) == {every.pk}
    no_program = publish(cast, "testing.item_created")
    assert targets(no_program) == {every.pk}

    delivery.deliver_due()
    paths = sorted(r.path for r in receiver.requests)
    assert paths == ["/hook/done", "/hook/every", "/hook/every", "/hook/every", "/hook/onboarding"]
    # One event, one body: every endpoint's delivery of it carries the same id.
    done_bodies = {r.body for r in receiver.requests if r.path != "/hook/every"}
    assert done_bodies == {done.body.encode()}
    assert not WebhookDelivery.objects.filter(endpoint=endpoint_rival[0]).exists()


@pytest.mark.django_db
def test_no_endpoint_no_rows_and_unknown_events_are_refused(cast: Cast) -> None:
    assert publish(cast) is None
    assert WebhookEvent.objects.count() == 0
    endpoint(cast, "https://example.test/hook")
    with pytest.raises(LookupError, match="register it"):
        publish(cast, "nobody.registered_this")
    with pytest.raises(TypeError):
        services.publish(workspace_id=cast.acme.pk, event="testing.item_done", data=[1, 2])  # type: ignore[arg-type]


@pytest.mark.django_db
def test_a_rolled_back_change_sends_nothing(
    cast: Cast, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint(cast, receiver.url)

    def change_that_fails() -> None:
        with transaction.atomic():
            publish(cast)
            raise RuntimeError("the caller's change failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        change_that_fails()
    assert callbacks == []
    assert WebhookEvent.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0
    assert delivery.deliver_due().attempted == 0
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_never_answers_does_not_hold_up_the_change(
    cast: Cast, receiver: Receiver, fast_retries: list[int]
) -> None:
    receiver.holding = True
    endpoint(cast, receiver.url)
    with transaction.atomic():
        event = publish(cast)
    # The service call is back while the receiver still holds the request it was sent.
    assert receiver.arrived.wait(10), "the delivery thread never reached the receiver"
    assert not receiver.release.is_set()
    sent = WebhookDelivery.objects.get(event=event)
    assert sent.status == DeliveryStatus.PENDING
    receiver.release.set()
    assert delivery.background.wait(10)
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == ("delivered", 1)


@pytest.mark.django_db(transaction=True)
def test_a_closed_port_is_a_failed_attempt_to_retry(cast: Cast, fast_retries: list[int]) -> None:
    endpoint(cast, closed_port_url())
    event = publish(cast)
    assert delivery.background.wait(10)
    sent = WebhookDelivery.objects.get(event=event)
    assert (sent.status, sent.attempts, sent.last_status_code) == ("pending", 1, None)
    assert sent.last_error.startswith("Could not connect")
    assert sent.next_attempt_at is not None


@pytest.mark.django_db
def test_a_receiver_that_times_out_is_retried(
    cast: Cast, receiver: Receiver, settings: Any
) -> None:
    settings.TRACTION_WEBHOOK_TIMEOUT = 0.5
    receiver.holding = True
    endpoint(cast, receiver.url)
    publish(cast)
    assert delivery.deliver_due().retrying == 1
    receiver.release.set()
    sent = WebhookDelivery.objects.get()
    assert sent.last_error.startswith(("No answer in time", "Could not connect", "The request"))
    assert sent.status == "pending"


@pytest.mark.django_db
def test_a_receiver_that_drips_its_answer_gets_one_deadline_in_all(
    cast: Cast, settings: Any
) -> None:
    """A byte every 0.2 s never trips a per-read timeout; the attempt's deadline (1 s here,
    5 s by default) bounds the whole answer, and a late answer is a failure, retried."""
    settings.TRACTION_WEBHOOK_TIMEOUT = 1
    dripper = Dripper(interval=0.2)  # the whole answer would take about 14 s
    try:
        started = time.monotonic()
        answer = delivery.post(dripper.url, b"{}", {"Content-Type": "application/json"})
        took = time.monotonic() - started
        assert answer == Answer(None, "No answer in time: timed out after 1 s.")
        assert 0.9 <= took < 2.5

        endpoint(cast, dripper.url)
        publish(cast)
        started = time.monotonic()
        assert delivery.deliver_due().retrying == 1
        assert time.monotonic() - started < 2.5
    finally:
        dripper.stop()
    sent = WebhookDelivery.objects.get()
    assert (sent.status, sent.attempts, sent.last_status_code) == ("pending", 1, None)
    assert sent.last_error == "No answer in time: timed out after 1 s."
    assert sent.attempt_log.get().duration_ms < 2500


@pytest.mark.django_db
def test_redeliver_sends_the_same_event_again_as_a_new_delivery(
    cast: Cast, receiver: Receiver
) -> None:
    endpoint(cast, receiver.url)
    event = publish(cast)
    delivery.deliver_due()
    first = WebhookDelivery.objects.get()
    with pytest.raises(ValidationFailed):  # only an admin's... and a finished delivery
        services.redeliver(cast.viewer("admin"), delivery_row=_pending_copy(first))
    again = services.redeliver(cast.viewer("admin"), delivery_row=first)
    assert (again.event_id, again.attempts, again.status) == (event.pk, 0, "pending")
    assert again.redelivery_of_id == first.pk
    delivery.deliver_due()
    assert [r.body for r in receiver.requests] == [event.body.encode()] * 2
    ids = [r.headers["Traction-Delivery"] for r in receiver.requests]
    assert ids == [str(first.pk), str(again.pk)]
    assert AuditEvent.objects.filter(action="webhook.redelivered").count() == 1


def _pending_copy(done: WebhookDelivery) -> WebhookDelivery:
    pending = WebhookDelivery.objects.create(
        workspace_id=done.workspace_id, endpoint=done.endpoint, event=done.event,
        next_attempt_at=clock.now() + timedelta(hours=1),
    )  # fmt: skip
    return WebhookDelivery.objects.select_related("endpoint", "event").get(pk=pending.pk)


@pytest.mark.django_db
def test_a_test_event_reaches_only_that_endpoint(cast: Cast, receiver: Receiver) -> None:
    hook, secret = endpoint(cast, receiver.url, all_events=False, event_types=["testing.item_done"])
    endpoint(cast, receiver.url + "/other")
    sent = services.send_test(cast.viewer("admin"), endpoint=hook)
    delivery.deliver_due()
    assert [r.path for r in receiver.requests] == ["/hook"]
    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "webhook.test"
    assert body["program"] is None
    assert documented_verify()(
        secret, receiver.requests[0].headers["Traction-Signature"], receiver.requests[0].body
    )
    sent.refresh_from_db()
    assert sent.status == "delivered"


@pytest.mark.django_db
def test_the_secret_is_stored_encrypted_and_rotation_replaces_it(
    cast: Cast, receiver: Receiver
) -> None:
    hook, secret = endpoint(cast, receiver.url)
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secret_encrypted FROM webhooks_webhookendpoint WHERE id = %s", [hook.pk]
        )
        (raw,) = cursor.fetchone()
    assert secret not in raw
    assert crypto.decrypt(raw) == secret
    assert hook.secret_hint == secret[-4:]

    _, rotated = services.rotate_secret(cast.viewer("admin"), endpoint=hook)
    assert rotated != secret
    publish(cast)
    delivery.deliver_due()
    verify = documented_verify()
    request = receiver.requests[0]
    assert verify(rotated, request.headers["Traction-Signature"], request.body)
    assert not verify(secret, request.headers["Traction-Signature"], request.body)
    trail = json.dumps(list(AuditEvent.objects.values("changes", "reason", "object_repr")))
    assert secret not in trail
    assert rotated not in trail
    assert AuditEvent.objects.filter(action="webhook.secret_rotated").count() == 1


@pytest.mark.django_db
def test_a_secret_encrypted_under_another_key_fails_the_attempt_with_a_reason(
    cast: Cast, receiver: Receiver, settings: Any
) -> None:
    endpoint(cast, receiver.url)
    settings.TRACTION_WEBHOOK_KEY = "a-new-key-nobody-told-the-endpoint-about"
    publish(cast)
    delivery.deliver_due()
    assert receiver.requests == []
    assert "cannot be decrypted" in WebhookDelivery.objects.get().last_error
    # The old key as a fallback reads it again.
    settings.TRACTION_WEBHOOK_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.TRACTION_WEBHOOK_KEY = ""
    assert crypto.decrypt(WebhookEndpoint.objects.get().secret_encrypted).startswith("whsec_")


@pytest.mark.django_db
def test_urls_must_be_http_and_https_where_required(cast: Cast, settings: Any) -> None:
    for bad in ["ftp://example.test/x", "example.test/hook", "https://", "javascript:alert(1)"]:
        with pytest.raises(ValidationFailed) as refused:
            endpoint(cast, bad)
        assert "url" in refused.value.errors
    settings.TRACTION_WEBHOOK_REQUIRE_HTTPS = True
    with pytest.raises(ValidationFailed, match="https"):
        endpoint(cast, "http://example.test/hook")
    assert endpoint(cast, "https://example.test/hook")[0].pk


@pytest.mark.django_db
def test_filters_need_a_choice_and_known_names(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as refused:
        endpoint(cast, "https://example.test", all_events=False, event_types=[])
    assert "event_types" in refused.value.errors
    with pytest.raises(ValidationFailed, match="Unknown events"):
        endpoint(cast, "https://example.test", all_events=False, event_types=["no.such"])
    # Attacker's review: the refusal quoted every unknown name sent back; 10 are named now.
    names = [f"no.such{n}" for n in range(50_000)]
    with pytest.raises(ValidationFailed) as refused:
        endpoint(cast, "https://example.test", all_events=False, event_types=names)
    [message] = refused.value.errors["event_types"]
    assert message.endswith(" and 49,990 more.")
    assert len(message) < 300
    with pytest.raises(ValidationFailed) as refused:
        endpoint(
            cast, "https://example.test", all_programs=False, program_ids=[cast.rival_program.pk]
        )
    assert "program_ids" in refused.value.errors


@pytest.mark.django_db
def test_only_admins_manage_endpoints(cast: Cast) -> None:
    from traction.core.errors import PermissionDenied

    for principal in ["facilitator", "core_team", "sponsor", "account_owner", "observer"]:
        with pytest.raises(PermissionDenied):
            services.create_endpoint(cast.viewer(principal), url="https://example.test/hook")
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
def test_archiving_keeps_the_history_and_cancels_what_waits(cast: Cast, receiver: Receiver) -> None:
    hook, _ = endpoint(cast, receiver.url)
    publish(cast)
    services.archive_endpoint(cast.viewer("admin"), endpoint=hook)
    assert delivery.deliver_due().attempted == 0
    kept = WebhookDelivery.objects.get()
    assert kept.status == DeliveryStatus.CANCELLED
    hook.refresh_from_db()
    assert hook.archived_at is not None
    assert not hook.active
    with pytest.raises(ValidationFailed, match="archived"):
        services.send_test(cast.viewer("admin"), endpoint=hook)


@pytest.mark.django_db
def test_a_disabled_endpoint_keeps_its_waiting_deliveries_until_enabled(
    cast: Cast, receiver: Receiver
) -> None:
    hook, _ = endpoint(cast, receiver.url)
    publish(cast)
    services.set_active(cast.viewer("admin"), endpoint=hook, active=False)
    assert delivery.deliver_due().attempted == 0
    services.set_active(cast.viewer("admin"), endpoint=hook, active=True)
    assert delivery.deliver_due().delivered == 1


@pytest.mark.django_db
def test_a_claimed_delivery_is_not_taken_twice(cast: Cast, receiver: Receiver) -> None:
    endpoint(cast, receiver.url)
    publish(cast)
    with clock.frozen(clock.now()) as frozen:
        claimed = delivery.claim_due()
        assert len(claimed) == 1
        assert delivery.claim_due() == []  # another worker finds nothing
        frozen.advance(minutes=5)  # the first worker died: the lease ran out
        assert delivery.claim_due() == claimed


@pytest.mark.django_db
def test_the_cli_delivers_what_is_due(cast: Cast, receiver: Receiver) -> None:
    from click.testing import CliRunner

    from traction.cli.main import cli

    endpoint(cast, receiver.url)
    publish(cast)
    result = CliRunner().invoke(cli, ["webhooks", "deliver"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.strip() == "1 delivered, 0 to try again later, 0 given up."
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_the_periodic_jobs_deliver_what_is_due(cast: Cast, receiver: Receiver) -> None:
    from traction.core import periodic

    assert "webhooks.deliver" in [p.name for p in periodic.jobs()]
    endpoint(cast, receiver.url)
    publish(cast)
    assert periodic.run_all()["webhooks.deliver"] == {"delivered": 1, "retrying": 0, "failed": 0}
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_production_refuses_receivers_on_local_and_private_addresses(
    cast: Cast, receiver: Receiver, settings: Any
) -> None:
    settings.TRACTION_WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    endpoint(cast, receiver.url)
    endpoint(cast, receiver.url.replace("127.0.0.1", "localhost"))
    publish(cast)
    assert delivery.deliver_due().retrying == 2
    assert receiver.requests == []
    errors = sorted(WebhookDelivery.objects.values_list("last_error", flat=True))
    assert all(e.startswith("Not sent: ") for e in errors), errors
    assert "127.0.0.1 is a private or local address" in errors[0]
    settings.TRACTION_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    with clock.frozen(clock.now() + timedelta(minutes=2)):
        assert delivery.deliver_due().delivered == 2


@pytest.mark.django_db
def test_link_local_and_metadata_addresses_are_never_receivers(cast: Cast, settings: Any) -> None:
    """Review 20 finding 16: allowing private networks (for an internal receiver) does not
    open cloud metadata: refused when the endpoint is saved, and when connecting (a name, or
    an address written otherwise, resolving there)."""
    settings.TRACTION_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://[fd00:ec2::254]/latest/",
        "http://[::ffff:169.254.169.254]/",
    ):
        with pytest.raises(ValidationFailed) as exc:
            services.check_url(url)
        assert "never sent there" in exc.value.errors["url"][0], url
    assert delivery.never_sent_to(delivery.ipaddress.ip_address("100.100.100.200"))
    assert not delivery.never_sent_to(delivery.ipaddress.ip_address("10.1.2.3"))
    answer = delivery.post("http://0xa9fea9fe/latest/", b"{}", {})  # 169.254.169.254
    assert answer.status_code is None
    assert answer.error.startswith("Not sent: 0xa9fea9fe is a link-local or cloud metadata")


@pytest.mark.django_db
def test_an_internal_receivers_answer_is_not_quoted(cast: Cast, receiver: Receiver) -> None:
    """Review 20 finding 16: a receiver on a private or loopback address gets only its
    status code recorded, not its body (an internal service's words)."""
    endpoint(cast, receiver.url)
    receiver.statuses.append(403)
    publish(cast)
    delivery.deliver_due()
    sent = WebhookDelivery.objects.get()
    assert (sent.last_status_code, sent.last_error) == (403, "The receiver answered 403.")
    assert "receiver says no" not in sent.last_error


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_counts_as_a_failure(cast: Cast, receiver: Receiver) -> None:
    endpoint(cast, receiver.url)
    receiver.statuses.append(302)
    publish(cast)
    assert delivery.deliver_due().retrying == 1
    sent = WebhookDelivery.objects.get()
    assert (sent.status, sent.last_status_code) == ("pending", 302)
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_deliveries_tried_before_the_log_keep_their_last_attempt(
    cast: Cast, receiver: Receiver
) -> None:
    """The attempt log's migration: what was known (the last attempt) is kept, nothing made up."""
    import importlib

    from django.apps import apps

    from traction.webhooks.models import WebhookAttempt

    backfill = importlib.import_module("traction.webhooks.migrations.0002_attempt_log")
    endpoint(cast, receiver.url)
    publish(cast)
    publish(cast)
    tried, untried = WebhookDelivery.objects.order_by("created_at", "id")
    at = clock.now()
    WebhookDelivery.objects.filter(pk=tried.pk).update(
        attempts=4,
        last_attempt_at=at,
        last_status_code=502,
        last_error="The receiver answered 502.",
    )
    backfill.last_attempts(apps, None)
    [kept] = WebhookAttempt.objects.all()
    assert (kept.delivery_id, kept.number, kept.at, kept.status_code, kept.duration_ms) == (
        tried.pk, 4, at, 502, None,
    )  # fmt: skip
    assert kept.error == "The receiver answered 502."
    assert not WebhookAttempt.objects.filter(delivery=untried).exists()


def test_every_moment_in_a_body_has_the_form_of_occurred_at() -> None:
    """One form for every datetime of a payload (docs/webhooks.md): UTC, milliseconds, Z."""
    at = datetime(2026, 12, 6, 15, 35, 58, 63973, tzinfo=UTC)
    body = json.loads(
        services.render_body(
            event_id=uuid.uuid4(),
            event=events.registered()[0],
            occurred_at=at,
            workspace_slug="acme",
            program_id=None,
            data={
                "at": at,
                "rows": [{"done_at": at.replace(microsecond=0)}],
                "on": date(2026, 12, 6),
            },
        )
    )
    assert body["occurred_at"] == body["data"]["at"] == "2026-12-06T15:35:58.063Z"
    assert body["data"]["rows"] == [{"done_at": "2026-12-06T15:35:58.000Z"}]
    assert body["data"]["on"] == "2026-12-06"  # a day stays a day


@pytest.mark.django_db
def test_ipv6_addresses_that_carry_an_ipv4_address_are_judged_by_it(
    cast: Cast, settings: Any
) -> None:
    """An IPv6 address that a gateway turns into an IPv4 one (NAT64 64:ff9b::/96 and its
    local-use 64:ff9b:1::/48, 6to4 2002::/16, IPv4-compatible ::/96, SIIT ::ffff:0:0:0/96) is
    refused like the IPv4 address it carries: Python calls them all global, so without this a
    name with such an AAAA record reached cloud metadata or the private network."""
    settings.TRACTION_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    for metadata in (
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::a9fe:a9fe",
        "2002:a9fe:a9fe::1",
        "::a9fe:a9fe",
        "::ffff:0:a9fe:a9fe",
    ):
        with pytest.raises(ValidationFailed) as exc:
            services.check_url(f"http://[{metadata}]/latest/meta-data/")
        assert "never sent there" in exc.value.errors["url"][0], metadata
        answer = delivery.post(f"http://[{metadata}]/latest/", b"{}", {})
        assert answer.error.startswith(f"Not sent: {metadata} is a link-local"), answer
    settings.TRACTION_WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    for private in ("64:ff9b::7f00:1", "64:ff9b::a00:1", "2002:c0a8:101::1", "::7f00:1"):
        answer = delivery.post(f"http://[{private}]/hook", b"{}", {})
        assert answer.error.startswith(f"Not sent: {private} is a private or local"), answer
    # A public IPv4 address behind NAT64 stays a public receiver (refused here only by the
    # network, not by the address check).
    answer = delivery.post("http://[64:ff9b::5db8:d822]:9/hook", b"{}", {})
    assert not answer.error.startswith("Not sent:"), answer
