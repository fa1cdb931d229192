"""Write use-cases for webhooks, and ``publish``, which other apps call from their services.

``publish`` takes no viewer: it is called by a service that has already checked and made the
change, inside that service's transaction, and writes only the outbox (an event and one
delivery per endpoint that wants it). Everything else here is an admin's use-case: checked,
written in one transaction and audited (never with the secret).
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch

from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import require_one_line
from traction.core.writes import save_new, save_new_version, versioned_update

from . import crypto, delivery, events
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

FIELDS = ["url", "description", "all_events", "event_types", "all_programs", "active"]
CHANGEABLE = ["url", "description", "all_events", "event_types", "all_programs"]


# --- publishing -----------------------------------------------------------------------------


def _payload_time(value: datetime) -> str:
    return clock.iso_utc(value)


def _times(value: Any) -> Any:
    """``value`` with every moment (a ``datetime``) in the payloads' one form (``iso_utc``);
    the publishing apps write theirs so already, this catches any other."""
    if isinstance(value, datetime):
        return clock.iso_utc(value)
    if isinstance(value, Mapping):
        return {k: _times(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_times(v) for v in value]
    return value


def render_body(
    *, event_id: uuid.UUID, event: events.EventType, occurred_at: Any, workspace_slug: str,
    program_id: int | None, data: Mapping[str, Any],
) -> str:  # fmt: skip
    """The JSON every delivery of the event sends, byte for byte (docs/webhooks.md)."""
    payload = {
        "id": str(event_id),
        "type": event.name,
        "version": event.version,
        "occurred_at": _payload_time(occurred_at),
        "workspace": workspace_slug,
        "program": program_id,
        "data": _times(dict(data)),
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _write_event(
    workspace_id: int, event: events.EventType, program_id: int | None, data: Mapping[str, Any]
) -> WebhookEvent:
    from traction.accounts.models import Workspace

    if not isinstance(data, Mapping):
        raise TypeError("webhook data must be a mapping (a JSON object)")
    slug = Workspace.objects.values_list("slug", flat=True).get(pk=workspace_id)
    occurred_at = clock.now()
    event_id = uuid.uuid4()
    body = render_body(
        event_id=event_id, event=event, occurred_at=occurred_at, workspace_slug=slug,
        program_id=program_id, data=data,
    )  # fmt: skip
    return WebhookEvent.objects.create(
        id=event_id, workspace_id=workspace_id, type=event.name, version=event.version,
        program_id=program_id, occurred_at=occurred_at, body=body,
    )  # fmt: skip


def _deliveries(
    event: WebhookEvent,
    endpoints: Iterable[WebhookEndpoint],
    redelivery_of: WebhookDelivery | None = None,
) -> list[WebhookDelivery]:
    now = clock.now()
    return WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            workspace_id=event.workspace_id,
            endpoint=e,
            event=event,
            next_attempt_at=now,
            redelivery_of=redelivery_of,
        )
        for e in endpoints
    )


def publish(
    *,
    workspace_id: int,
    event: str,
    data: Mapping[str, Any],
    program_id: int | None = None,
) -> WebhookEvent | None:
    """Tell the workspace's webhook endpoints that ``event`` happened.

    Call it from the service that made the change, inside its transaction: the event and one
    delivery per active endpoint whose filters take it (the event type; the program, where
    ``program_id`` is given) are written in that transaction, so a change rolled back sends
    nothing, and delivery starts only after it commits, never inside the request. ``data`` is
    the event's JSON object (dates, decimals and UUIDs are written as strings). Returns the
    event (its ``id`` is in every payload), or None when no endpoint wants it (nothing is
    written). The event type must be registered (``traction.webhooks.events.register``).
    """
    event_type = events.get(event)
    endpoints = (
        WebhookEndpoint.objects.filter(
            workspace_id=workspace_id, active=True, archived_at__isnull=True
        )
        .only("id", "all_events", "event_types", "all_programs")
        .prefetch_related(Prefetch("programs", to_attr="chosen_programs"))
    )
    wanted = [
        e
        for e in endpoints
        if e.wants(event, program_id, {p.pk for p in getattr(e, "chosen_programs", [])})
    ]
    if not wanted:
        return None
    with transaction.atomic():
        written = _write_event(workspace_id, event_type, program_id, data)
        _deliveries(written, wanted)
        delivery.kick()
    return written


# --- endpoints ------------------------------------------------------------------------------


def require_https() -> bool:
    return bool(getattr(settings, "TRACTION_WEBHOOK_REQUIRE_HTTPS", False))


def _never_sent_to(hostname: str) -> bool:
    """An address written as such (not a name: names are checked when connecting) that
    ``delivery.never_sent_to`` refuses."""
    try:
        return delivery.never_sent_to(ipaddress.ip_address(hostname.strip("[]").split("%", 1)[0]))
    except ValueError:
        return False


def check_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        # "http://[::1" (an unclosed IPv6 address), "http://[zz]/", "https://host:99999/".
        raise ValidationFailed.field(
            "url", "That address cannot be read: check the host name and the port."
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed.field(
            "url",
            "Enter the receiver's address, starting with https://."
            if require_https()
            else "Enter the receiver's address, starting with https:// (or http://).",
        )
    if port == 0:
        raise ValidationFailed.field("url", "Port 0 is no port a receiver listens on.")
    if "@" in parts.netloc:
        # Shown in plain text in the list, the API and the audit log (the secret is not):
        # the signature is how a receiver knows the request is Traction's.
        raise ValidationFailed.field(
            "url",
            "Leave the user name and password out of the address (user:password@): Traction "
            "would show them to every admin. The receiver checks the Traction-Signature "
            "header instead.",
        )
    if _never_sent_to(parts.hostname):
        raise ValidationFailed.field(
            "url",
            "That is a link-local or cloud metadata address: webhooks are never sent there.",
        )
    if parts.scheme == "http" and require_https():
        raise ValidationFailed.field(
            "url", "Use an https:// address: webhooks carry your workspace's data."
        )
    return url


def _check_events(all_events: bool, event_types: Iterable[str]) -> list[str]:
    chosen = sorted(set(event_types))
    unknown = [e for e in chosen if not events.is_registered(e)]
    if unknown:
        more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
        shown = ", ".join(e[:60] for e in unknown[:10])
        raise ValidationFailed.field("event_types", f"Unknown events: {shown}{more}.")
    if not all_events and not chosen:
        raise ValidationFailed.field(
            "event_types", "Choose at least one event, or send every event."
        )
    return [] if all_events else chosen


def _check_programs(actor: Viewer, all_programs: bool, program_ids: Iterable[int]) -> list[int]:
    from traction.programs.models import Program

    chosen = sorted(set(program_ids))
    found = set(
        Program.objects.filter(workspace_id=actor.workspace_id, pk__in=chosen).values_list(
            "pk", flat=True
        )
    )
    missing = [p for p in chosen if p not in found]
    if missing:
        raise ValidationFailed.field("program_ids", f"No such programs here: {missing}.")
    if not all_programs and not chosen:
        raise ValidationFailed.field(
            "program_ids", "Choose at least one program, or send events of every program."
        )
    return [] if all_programs else chosen


def _audit_programs(
    actor: Viewer, endpoint: WebhookEndpoint, before: list[int], after: list[int]
) -> None:
    if before != after:
        audit.record(
            actor, action="webhook.changed", obj=endpoint,
            changes={"program_ids": [before, after]},
        )  # fmt: skip


def program_ids(endpoint: WebhookEndpoint) -> list[int]:
    return sorted(endpoint.programs.values_list("pk", flat=True))


@transaction.atomic
def create_endpoint(
    actor: Viewer,
    *,
    url: str,
    description: str = "",
    all_events: bool = True,
    event_types: Iterable[str] = (),
    all_programs: bool = True,
    program_ids: Iterable[int] = (),
    active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, which is shown this once (stored encrypted)."""
    permissions.check(actor, "webhook.manage")
    require_one_line(description=description)
    secret = crypto.new_secret()
    endpoint = save_new(
        WebhookEndpoint(
            workspace_id=actor.workspace_id,
            url=check_url(url),
            description=description.strip(),
            all_events=all_events,
            event_types=_check_events(all_events, event_types),
            all_programs=all_programs,
            active=active,
            secret_encrypted=crypto.encrypt(secret),
            secret_hint=crypto.hint(secret),
            created_by_id=actor.user_id,
        )
    )
    chosen = _check_programs(actor, all_programs, program_ids)
    endpoint.programs.set(chosen)
    audit.record(
        actor, action="webhook.created", obj=endpoint,
        changes={**audit.snapshot(endpoint, FIELDS), "program_ids": chosen},
    )  # fmt: skip
    return endpoint, secret


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


def _not_archived(endpoint: WebhookEndpoint) -> None:
    if endpoint.archived_at is not None:
        raise ValidationFailed.field("__all__", "This endpoint is archived.")


@transaction.atomic
def update_endpoint(
    actor: Viewer,
    *,
    endpoint: WebhookEndpoint,
    changes: Mapping[str, Any],
    version: int | None = None,
) -> WebhookEndpoint:
    """Change the address, description or filters (``program_ids`` for the chosen programs;
    ``active`` goes through ``set_active``)."""
    permissions.check(actor, "webhook.manage", endpoint)
    endpoint = _locked(endpoint)
    _not_archived(endpoint)
    changes = dict(changes)
    active = changes.pop("active", None)
    chosen_programs = changes.pop("program_ids", None)
    if "url" in changes:
        changes["url"] = check_url(changes["url"])
    if "description" in changes:
        require_one_line(description=changes["description"])
        changes["description"] = changes["description"].strip()
    if {"all_events", "event_types"} & set(changes):
        all_events = changes.get("all_events", endpoint.all_events)
        changes["event_types"] = _check_events(
            all_events, changes.get("event_types", endpoint.event_types)
        )
    if chosen_programs is not None or "all_programs" in changes:
        all_programs = changes.get("all_programs", endpoint.all_programs)
        before = program_ids(endpoint)
        after = _check_programs(
            actor, all_programs, before if chosen_programs is None else chosen_programs
        )
    endpoint = versioned_update(
        actor, endpoint, changes=changes, allowed=CHANGEABLE, expected_version=version,
        action="webhook.changed",
    )  # fmt: skip
    if chosen_programs is not None or "all_programs" in changes:
        endpoint.programs.set(after)
        _audit_programs(actor, endpoint, before, after)
    if active is not None:
        endpoint = set_active(actor, endpoint=endpoint, active=active)
    return endpoint


@transaction.atomic
def rotate_secret(actor: Viewer, *, endpoint: WebhookEndpoint) -> tuple[WebhookEndpoint, str]:
    """A new signing secret, shown this once; deliveries sign with it from now on (retries of
    earlier events included)."""
    permissions.check(actor, "webhook.manage", endpoint)
    endpoint = _locked(endpoint)
    _not_archived(endpoint)
    secret = crypto.new_secret()
    endpoint.secret_encrypted = crypto.encrypt(secret)
    endpoint.secret_hint = crypto.hint(secret)
    endpoint.secret_rotated_at = clock.now()
    save_new_version(endpoint, fields=["secret_encrypted", "secret_hint", "secret_rotated_at"])
    audit.record(actor, action="webhook.secret_rotated", obj=endpoint)
    return endpoint, secret


@transaction.atomic
def set_active(actor: Viewer, *, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    """Disable (nothing is sent; deliveries wait) or enable (they resume; the failure count
    starts again, and the notices of an automatic disabling are resolved)."""
    permissions.check(actor, "webhook.manage", endpoint)
    endpoint = _locked(endpoint)
    _not_archived(endpoint)
    if endpoint.active == active:
        return endpoint
    endpoint.active = active
    fields = ["active"]
    if active:
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
        fields += ["consecutive_failures", "disabled_at", "disabled_reason"]
    save_new_version(endpoint, fields=fields)
    audit.record(
        actor, action="webhook.enabled" if active else "webhook.disabled", obj=endpoint,
        changes={"active": [not active, active]},
    )  # fmt: skip
    if active:
        from traction.accounts.models import Notice

        Notice.objects.filter(
            action=delivery.disabled_notice_action(endpoint.pk), resolved_at__isnull=True
        ).update(resolved_at=clock.now())
        if WebhookDelivery.objects.filter(
            endpoint=endpoint, status=DeliveryStatus.PENDING
        ).exists():
            delivery.kick()
    return endpoint


@transaction.atomic
def archive_endpoint(actor: Viewer, *, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop using an endpoint for good: it leaves the list; its deliveries stay as the record
    of what was sent (those still waiting are cancelled)."""
    permissions.check(actor, "webhook.manage", endpoint)
    endpoint = _locked(endpoint)
    _not_archived(endpoint)
    endpoint.active = False
    endpoint.archived_at = clock.now()
    save_new_version(endpoint, fields=["active", "archived_at"])
    cancelled = WebhookDelivery.objects.filter(
        endpoint=endpoint, status=DeliveryStatus.PENDING
    ).update(
        status=DeliveryStatus.CANCELLED, next_attempt_at=None,
        last_error="The endpoint was archived.",
    )  # fmt: skip
    audit.record(
        actor, action="webhook.archived", obj=endpoint,
        changes={"archived": [False, True], "deliveries_cancelled": cancelled},
    )  # fmt: skip
    return endpoint


@transaction.atomic
def restore_endpoint(actor: Viewer, *, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Bring an archived endpoint back, disabled: nothing is sent until the admin enables it.
    Deliveries cancelled by the archiving stay cancelled; the admin may redeliver them."""
    permissions.check(actor, "webhook.manage", endpoint)
    endpoint = _locked(endpoint)
    if endpoint.archived_at is None:
        raise ValidationFailed.field("__all__", "This endpoint is not archived.")
    endpoint.archived_at = None
    endpoint.active = False
    endpoint.disabled_at = clock.now()
    endpoint.disabled_reason = "Restored from the archive, and disabled until you enable it"
    save_new_version(endpoint, fields=["archived_at", "active", "disabled_at", "disabled_reason"])
    audit.record(actor, action="webhook.restored", obj=endpoint,
                 changes={"archived": [True, False]})  # fmt: skip
    return endpoint


def _require_sendable(endpoint: WebhookEndpoint) -> None:
    _not_archived(endpoint)
    if not endpoint.active:
        raise ValidationFailed.field("__all__", "This endpoint is disabled: enable it first.")


@transaction.atomic
def send_test(actor: Viewer, *, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``webhook.test`` event to this endpoint only, whatever its filters."""
    permissions.check(actor, "webhook.manage", endpoint)
    endpoint = _locked(endpoint)
    _require_sendable(endpoint)
    event = _write_event(
        actor.workspace_id,
        events.get(events.TEST_EVENT),
        None,
        {"message": "A test event from Traction.", "endpoint": endpoint.pk},
    )
    (sent,) = _deliveries(event, [endpoint])
    audit.record(actor, action="webhook.test_sent", obj=endpoint, changes={"event_id": event.pk})
    delivery.kick()
    return sent


@transaction.atomic
def redeliver(actor: Viewer, *, delivery_row: WebhookDelivery) -> WebhookDelivery:
    """Send an event to the endpoint again: a new delivery with a fresh attempt sequence, the
    same event id and body."""
    endpoint = delivery_row.endpoint
    permissions.check(actor, "webhook.manage", endpoint)
    endpoint = _locked(endpoint)
    _require_sendable(endpoint)
    if delivery_row.status == DeliveryStatus.PENDING:
        raise ValidationFailed.field(
            "__all__", "This delivery is still being tried: wait for it to finish."
        )
    (again,) = _deliveries(delivery_row.event, [endpoint], redelivery_of=delivery_row)
    audit.record(
        actor, action="webhook.redelivered", obj=endpoint,
        changes={"event_id": delivery_row.event_id, "delivery_id": again.pk,
                 "redelivery_of": delivery_row.pk},
    )  # fmt: skip
    delivery.kick()
    return again
