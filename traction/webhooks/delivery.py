"""Sending webhooks: claiming due deliveries, one signed POST each, retries, giving up.

A delivery is an outbox row written in the publisher's transaction. ``deliver_due`` claims
the rows that are due (on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED``, elsewhere one
conditional ``UPDATE`` per row, so two workers never take the same row), moves each claimed
row's ``next_attempt_at`` on by a lease (a worker that dies mid-attempt leaves the row due
again after it) and sends each one outside any transaction, so no lock is held while a
receiver answers. A 2xx answer is delivered; anything else (an error status, a redirect, a
refused connection, a timeout) is tried again on the schedule of
``TRACTION_WEBHOOK_RETRY_SCHEDULE`` (seconds, with ± ``TRACTION_WEBHOOK_RETRY_JITTER``) and
then given up. ``TRACTION_WEBHOOK_DISABLE_AFTER`` deliveries given up in a row (no success
between them) disable the endpoint and tell the workspace's admins.

Who runs it: after a publishing transaction commits, ``kick`` enqueues the
``deliver_due_webhooks`` task when the task backend can run work later (the database queue
of production, taken by ``traction worker``, which also runs each retry at its time);
otherwise (development's immediate backend, which would run the task inside the request) a
daemon thread delivers, so the request never waits for a receiver. ``traction webhooks
deliver`` does the same from cron.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import logging
import random
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, connections, transaction
from django.db.models import F
from django.urls import reverse

from traction.core import audit, clock

from . import crypto
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# 1, 5 and 15 minutes, then hourly for seven hours: given up about 7 h 20 min after the event.
DEFAULT_SCHEDULE = (60, 300, 900, 3600, 3600, 3600, 3600, 3600, 3600, 3600)
USER_AGENT = "Traction-Webhooks/1"
BATCH = 20
LOCKED_TRIES = 8


def setting(name: str, default: Any) -> Any:
    return getattr(settings, f"TRACTION_WEBHOOK_{name}", default)


def retry_schedule() -> list[float]:
    return [float(s) for s in setting("RETRY_SCHEDULE", DEFAULT_SCHEDULE)]


def retry_delay(attempts: int) -> timedelta | None:
    """How long after failed attempt number ``attempts`` to try again; None: give up."""
    schedule = retry_schedule()
    if attempts > len(schedule):
        return None
    base = schedule[attempts - 1]
    jitter = float(setting("RETRY_JITTER", 0.1))
    spread = base * random.uniform(-jitter, jitter) if jitter else 0.0  # noqa: S311 -- not secret
    return timedelta(seconds=max(0.0, base + spread))


def timeout() -> float:
    return float(setting("TIMEOUT", 5))


def disable_after() -> int:
    return int(setting("DISABLE_AFTER", 5))


# --- one attempt ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a 2xx: the signed body is never re-sent elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Refused(OSError):
    """The receiver's address is one this installation does not send to."""


def allow_private_networks() -> bool:
    return bool(setting("ALLOW_PRIVATE_NETWORKS", True))


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Cloud metadata services outside the link-local ranges (AWS's IPv6 one, Alibaba's).
METADATA = frozenset(map(ipaddress.ip_address, ("fd00:ec2::254", "100.100.100.200")))


# IPv6 prefixes whose addresses a gateway or the host turns into the IPv4 address they carry
# in their last 32 bits: NAT64 (RFC 6052's well-known prefix, RFC 8215's local-use one),
# SIIT (::ffff:0:0:0/96) and the old IPv4-compatible ::/96 (not :: and ::1 themselves).
# (IPv4-mapped and 6to4 are read by ``ipaddress`` itself.) Python calls most of them global.
CARRIES_IPV4 = tuple(
    map(ipaddress.ip_network, ("64:ff9b::/96", "64:ff9b:1::/48", "::ffff:0:0:0/96", "::/96"))
)
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # a private network's own translator


def carried(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address reaches through a translator or tunnel (mapped,
    NAT64, SIIT, 6to4, IPv4-compatible); any other address is itself."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return ip
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if int(ip) > 1 and any(ip in net for net in CARRIES_IPV4):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def is_public(ip: IPAddress) -> bool:
    """A public unicast address, judged by the IPv4 address it carries when it carries one."""
    inner = carried(ip)
    return (
        ip.is_global
        and inner.is_global
        and not ip.is_multicast
        and not inner.is_multicast
        and ip not in LOCAL_NAT64
    )


def never_sent_to(ip: IPAddress) -> bool:
    """Link-local (169.254.0.0/16, fe80::/10, where cloud metadata answers) and metadata
    addresses: never a webhook receiver, whatever TRACTION_WEBHOOK_ALLOW_PRIVATE_NETWORKS
    says (it opens loopback and private networks, for an internal receiver, not these).
    An IPv6 address carrying such an IPv4 address (``carried``) is refused too."""
    return any(a.is_link_local or a in METADATA for a in (ip, carried(ip)))


class _Deadline:
    """The one deadline of an attempt: every socket operation (connecting, the TLS handshake,
    sending, each read) may take only the time left, so a receiver that drips its answer a
    byte at a time cannot hold a delivery past ``timeout()`` in all. (The host name's lookup
    is the resolver's; it is not bounded here.)"""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.peer: IPAddress | None = None  # the address connected to, once connected

    def left(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"timed out after {self.seconds:g} s")
        return left

    def passed(self) -> bool:
        return time.monotonic() >= self.at


class _DeadlineMixin:
    """A socket whose operations each get the time left of its attempt as their timeout."""

    deadline: _Deadline | None = None

    def _arm(self) -> None:
        if self.deadline is not None:
            self.settimeout(self.deadline.left())  # type: ignore[attr-defined]

    def recv(self, *args: Any) -> Any:
        self._arm()
        return super().recv(*args)  # type: ignore[misc]

    def recv_into(self, *args: Any) -> Any:
        self._arm()
        return super().recv_into(*args)  # type: ignore[misc]

    def send(self, *args: Any) -> Any:
        self._arm()
        return super().send(*args)  # type: ignore[misc]

    def sendall(self, *args: Any) -> Any:
        self._arm()
        return super().sendall(*args)  # type: ignore[misc]


class _DeadlineSocket(_DeadlineMixin, socket.socket):
    pass


class _DeadlineSSLSocket(_DeadlineMixin, ssl.SSLSocket):
    pass


def _connect(
    address: tuple[str, int],
    timeout: Any = None,
    source_address: Any = None,
    *,
    deadline: _Deadline,
    public_only: bool,
) -> socket.socket:
    """``socket.create_connection`` within the attempt's deadline. ``public_only``: to a
    public address only: every address the name resolves to is checked at connect time (so a
    name cannot be re-pointed between a check and the connection), and loopback, private,
    link-local and other special ranges are refused."""
    host, port = address
    refused, never = [], []
    last: OSError | None = None
    for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if never_sent_to(ip):
            never.append(str(ip))
            continue
        if public_only and not is_public(ip):
            refused.append(str(ip))
            continue
        sock = _DeadlineSocket(family, kind, proto)
        try:
            sock.settimeout(deadline.left())  # the TLS handshake keeps this bound too
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            sock.deadline = deadline
            deadline.peer = ip
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    if last is not None:
        raise last
    if never:
        raise Refused(
            f"{host} is a link-local or cloud metadata address ({', '.join(never)}); webhooks "
            "are never sent there"
        )
    if refused:
        raise Refused(
            f"{host} is a private or local address ({', '.join(refused)}); this installation "
            "sends webhooks to public addresses only"
        )
    raise OSError(f"{host} has no address")


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, deadline: _Deadline, public_only: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(
            _connect, deadline=deadline, public_only=public_only
        )


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, deadline: _Deadline, public_only: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline
        self._create_connection = functools.partial(
            _connect, deadline=deadline, public_only=public_only
        )

    def connect(self) -> None:
        super().connect()
        if isinstance(self.sock, _DeadlineSSLSocket):
            self.sock.deadline = self._deadline


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline, public_only: bool) -> None:
        super().__init__()
        self.deadline, self.public_only = deadline, public_only

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(
            _HTTPConnection,  # type: ignore[arg-type]  # takes the two keywords it is given
            req, deadline=self.deadline, public_only=self.public_only,
        )  # fmt: skip


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline, public_only: bool) -> None:
        super().__init__()
        self.deadline, self.public_only = deadline, public_only
        self.tls = ssl.create_default_context()
        self.tls.sslsocket_class = _DeadlineSSLSocket

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(
            _HTTPSConnection,  # type: ignore[arg-type]  # takes the keywords it is given
            req, context=self.tls,
            deadline=self.deadline, public_only=self.public_only,
        )  # fmt: skip


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    # No proxy from the environment: a receiver is reached directly. Production sends to
    # public addresses only (TRACTION_WEBHOOK_ALLOW_PRIVATE_NETWORKS), so an endpoint cannot
    # be pointed at the server's own services or its private network. Every attempt has one
    # deadline in all (``_Deadline``), not urllib's timeout per socket operation.
    public_only = not allow_private_networks()
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _NoRedirects(),
        _HTTPHandler(deadline, public_only),
        _HTTPSHandler(deadline, public_only),
    )


def _snippet(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip().replace("\n", " ")[:200]


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url``; the status code, or why there is none. The receiver has
    ``timeout()`` seconds in all (connecting, sending, its status line and headers): an
    answer that comes later is a failure, tried again like any other."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    deadline = _Deadline(timeout())
    late = Answer(None, f"No answer in time: timed out after {deadline.seconds:g} s.")
    try:
        with _opener(deadline).open(request, timeout=deadline.seconds) as response:
            if deadline.passed():
                return late
            return Answer(response.status, "")
    except urllib.error.HTTPError as exc:
        try:
            text = _snippet(exc.read(400))
        except (OSError, http.client.HTTPException):
            text = ""
        if deadline.peer is not None and not is_public(deadline.peer):
            # An internal service's words are not shown to the workspace's admins: only
            # its status code (a receiver on a public address is quoted, to help fix it).
            text = ""
        reason = f"The receiver answered {exc.code}" + (f": {text}" if text else ".")
        return Answer(exc.code, reason)
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, Refused):
            return Answer(None, f"Not sent: {exc.reason}.")
        if isinstance(exc.reason, TimeoutError):
            return late
        return Answer(None, f"Could not connect: {exc.reason}.")
    except TimeoutError:
        return late
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if deadline.passed():
            return late
        return Answer(None, f"The request failed: {exc or type(exc).__name__}.")


def headers_for(delivery: WebhookDelivery, secret: str, body: bytes) -> dict[str, str]:
    timestamp = int(clock.now().timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Traction-Event": delivery.event.type,
        "Traction-Event-Id": str(delivery.event_id),
        "Traction-Delivery": str(delivery.pk),
        crypto.SIGNATURE_HEADER: crypto.signature_header(secret, timestamp, body),
    }


def attempt(delivery_id: uuid.UUID) -> WebhookDelivery | None:
    """Send one claimed delivery and record the answer; None if it is no longer pending."""
    delivery = (
        WebhookDelivery.objects.select_related("endpoint", "event")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if delivery is None:
        return None
    body = delivery.event.body.encode()
    started = time.monotonic()
    try:
        secret = crypto.decrypt(delivery.endpoint.secret_encrypted)
    except crypto.SecretUnreadable as exc:
        answer = Answer(None, str(exc))
    else:
        answer = post(delivery.endpoint.url, body, headers_for(delivery, secret, body))
    record(delivery, answer, duration_ms=round((time.monotonic() - started) * 1000))
    return delivery


@transaction.atomic
def record(delivery: WebhookDelivery, answer: Answer, *, duration_ms: int = 0) -> None:
    """The answer of one attempt: kept in the delivery's attempt log, and the delivery moves
    on (delivered, a retry scheduled, or given up)."""
    now = clock.now()
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery, number=delivery.attempts, at=now, duration_ms=max(0, duration_ms),
        status_code=answer.status_code, error=answer.error[:500],
    )  # fmt: skip
    delivery.last_attempt_at = now
    delivery.last_status_code = answer.status_code
    delivery.last_error = answer.error[:500]
    endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    if answer.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        endpoints.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
    else:
        delay = retry_delay(delivery.attempts)
        if delay is not None:
            delivery.next_attempt_at = now + delay
            schedule_retry(delivery.next_attempt_at)
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
            _disable_if_failing(delivery.endpoint_id, answer)
        logger.warning(
            "Webhook delivery %s to endpoint %s failed (attempt %d): %s",
            delivery.pk, delivery.endpoint_id, delivery.attempts,
            answer.error or answer.status_code,
        )  # fmt: skip
    delivery.save(
        update_fields=[
            "attempts", "last_attempt_at", "last_status_code", "last_error", "status",
            "delivered_at", "next_attempt_at",
        ]
    )  # fmt: skip


def disabled_notice_action(endpoint_id: int) -> str:
    return f"webhook.disabled:{endpoint_id}"


def _disable_if_failing(endpoint_id: int, answer: Answer) -> None:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if not endpoint.active or endpoint.consecutive_failures < disable_after():
        return
    from traction.accounts.models import Membership, Notice
    from traction.core.permissions import Role
    from traction.core.tasks import send_email_on_commit

    last = answer.error or f"HTTP {answer.status_code}"
    reason = (
        f"Disabled by Traction: {endpoint.consecutive_failures} deliveries in a row failed "
        f"every attempt (the last: {last})"
    )[:300]
    endpoint.active = False
    endpoint.disabled_at = clock.now()
    endpoint.disabled_reason = reason
    endpoint.version += 1
    endpoint.save(update_fields=["active", "disabled_at", "disabled_reason", "version",
                                 "updated_at"])  # fmt: skip
    with audit.channel("system"):
        audit.record(
            None, action="webhook.disabled", obj=endpoint,
            changes={"active": [True, False]}, reason=reason,
        )  # fmt: skip
    admins = list(
        Membership.objects.filter(
            workspace_id=endpoint.workspace_id, role=Role.ADMIN, user__is_active=True
        ).select_related("user", "workspace")
    )
    if not admins:
        return
    slug = admins[0].workspace.slug
    path = reverse("webhooks:detail", args=[slug, endpoint.pk])
    text = f"The webhook endpoint {endpoint} was disabled: its deliveries keep failing."
    for member in admins:
        Notice.objects.create(
            workspace_id=endpoint.workspace_id, user_id=member.user_id, text=text[:300],
            link=path, action=disabled_notice_action(endpoint.pk),
        )  # fmt: skip
    site = settings.TRACTION_SITE_URL.rstrip("/")
    send_email_on_commit(
        f"Webhook endpoint disabled: {endpoint}"[:200],
        f"{reason}.\n\nTraction stopped sending events to {endpoint.url}. Once the receiver "
        f"works again, enable the endpoint; the deliveries that gave up can be redelivered "
        f"from its page:\n\n{site}{path}\n",
        [m.user.email for m in admins],
    )


# --- claiming and running -------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=timeout() * 2 + 60)


def claim_due(limit: int = BATCH) -> list[uuid.UUID]:
    """Ids of up to ``limit`` due deliveries, claimed for this worker (see the module's doc)."""
    now = clock.now()
    leased = now + _lease()
    due = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
        endpoint__active=True,
        endpoint__archived_at__isnull=True,
    ).order_by("next_attempt_at", "created_at")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(
                due.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[
                    :limit
                ]
            )
            WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=leased)
        return ids
    claimed: list[uuid.UUID] = []
    for pk in due.values_list("pk", flat=True)[:limit]:
        # The row is ours only if it is still due as we take it (another worker may have).
        taken = WebhookDelivery.objects.filter(
            pk=pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=leased)
        if taken:
            claimed.append(pk)
    return claimed


@dataclass
class Run:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


def deliver_due(*, limit: int = 500) -> Run:
    """Attempt every due delivery (at most ``limit``), one after the other."""
    run = Run()
    while run.attempted < limit:
        ids = claim_due(min(BATCH, limit - run.attempted))
        if not ids:
            break
        for pk in ids:
            done = attempt(pk)
            if done is None:
                continue
            if done.status == DeliveryStatus.DELIVERED:
                run.delivered += 1
            elif done.status == DeliveryStatus.FAILED:
                run.failed += 1
            else:
                run.retrying += 1
    return run


def deliver_due_job() -> dict[str, int]:
    """``deliver_due`` as a periodic job (``core.periodic``: ``traction remind``)."""
    run = deliver_due()
    return {"delivered": run.delivered, "retrying": run.retrying, "failed": run.failed}


# --- after commit: a task, or a thread --------------------------------------------------------


def kick() -> None:
    """Start delivering once the current transaction commits (at once outside one)."""
    if setting("DELIVER_ON_COMMIT", True):
        transaction.on_commit(_start, robust=True)


def _backend_defers() -> bool:
    from .tasks import deliver_due_webhooks

    return bool(deliver_due_webhooks.get_backend().supports_defer)


def _start() -> None:
    from .tasks import deliver_due_webhooks

    if _backend_defers():
        deliver_due_webhooks.enqueue()
    else:
        background.start()


def schedule_retry(at: Any) -> None:
    """With a queue that can wait, a task at the retry's time (cron covers the others)."""
    if not setting("DELIVER_ON_COMMIT", True) or not _backend_defers():
        return
    from .tasks import deliver_due_webhooks

    transaction.on_commit(lambda: deliver_due_webhooks.using(run_after=at).enqueue(), robust=True)


class Background:
    """One daemon thread at a time delivers what is due; a kick while it runs makes it look
    again before it stops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self._idle = threading.Event()
        self._idle.set()

    def start(self) -> None:
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
            self._idle.clear()
        threading.Thread(target=self._loop, name="traction-webhooks", daemon=True).start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                self._again = False
            self._deliver()
            with self._lock:
                if not self._again:
                    self._running = False
                    self._idle.set()
                    return

    def _deliver(self) -> None:
        # SQLite refuses a write while another connection writes ("database is locked"):
        # try again shortly rather than leave the delivery for the next kick.
        for tries in range(1, LOCKED_TRIES + 1):
            try:
                deliver_due()
                return
            except OperationalError:
                if tries == LOCKED_TRIES:
                    logger.exception("Delivering webhooks failed: the database stayed busy.")
                    return
                time.sleep(0.1 * tries)
            except Exception:
                logger.exception("Delivering webhooks failed.")
                return
            finally:
                connections.close_all()  # this thread's own connection

    def wait(self, timeout: float | None = None) -> bool:
        """For tests: True once no delivery thread runs."""
        return self._idle.wait(timeout)


background = Background()
