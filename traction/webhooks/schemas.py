"""API shapes for webhooks. No rules here: the services hold them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from ninja import Field, Schema

from traction.core.api import ABSENT, MAX_ID, FilterSchema, InputSchema, ObjectId, OneLine, Text

from .models import WebhookEndpoint
from .services import program_ids

VERSION_HELP = (
    "The version you read. If someone saved the endpoint since, nothing changes and the "
    "answer is 409; leave it out to overwrite whatever is current."
)


class WebhookEndpointOut(Schema):
    id: int
    url: str
    description: str
    all_events: bool
    event_types: list[str] = Field(description="The chosen events (when all_events is false).")
    all_programs: bool
    program_ids: list[int] = Field(description="The chosen programs (when all_programs is false).")
    active: bool
    secret_hint: str = Field(description="The signing secret's last four characters.")
    secret_rotated_at: dt.datetime
    consecutive_failures: int
    disabled_at: dt.datetime | None = Field(description="When Traction disabled it, if it did.")
    disabled_reason: str
    archived_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_program_ids(obj: WebhookEndpoint) -> list[int]:
        return program_ids(obj)


class WebhookEndpointWithSecretOut(WebhookEndpointOut):
    secret: str = Field(
        description="The signing secret: returned this once (on creation and rotation) only."
    )


class WebhookEndpointCreateIn(InputSchema):
    url: Text = Field(min_length=1, max_length=2000, description="An http(s) address.")
    description: OneLine = Field("", max_length=200)
    all_events: bool = True
    event_types: list[str] = Field([], max_length=100, description="Registered event types.")
    all_programs: bool = True
    program_ids: list[ObjectId] = Field([], max_length=500)
    active: bool = True


class WebhookEndpointUpdateIn(InputSchema):
    """Only the fields sent change."""

    url: Text = Field(ABSENT, min_length=1, max_length=2000)
    description: OneLine = Field(ABSENT, max_length=200)
    all_events: bool = Field(ABSENT)
    event_types: list[str] = Field(ABSENT, max_length=100)
    all_programs: bool = Field(ABSENT)
    program_ids: list[ObjectId] = Field(ABSENT, max_length=500)
    active: bool = Field(ABSENT, description="false disables, true enables (failures reset).")
    version: int = Field(ABSENT, ge=1, le=MAX_ID, description=VERSION_HELP)


class WebhookAttemptOut(Schema):
    number: int = Field(description="1 for the first try, then one more per retry.")
    at: dt.datetime
    duration_ms: int | None = Field(
        description="How long the receiver took to answer (null: not measured)."
    )
    status_code: int | None = Field(description="The receiver's HTTP status; null: no answer.")
    error: str = Field(description="Why it failed, in words; empty when it was delivered.")


class WebhookDeliveryOut(Schema):
    id: uuid.UUID
    endpoint_id: int
    event_id: uuid.UUID
    event_type: str
    status: str = Field(description="pending, delivered, failed (gave up) or cancelled.")
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: dt.datetime | None
    created_at: dt.datetime
    redelivery_of_id: uuid.UUID | None
    attempt_log: list[WebhookAttemptOut] = Field(
        description="Every attempt, first to last, with the receiver's answer."
    )

    @staticmethod
    def resolve_event_type(obj: object) -> str:
        return obj.event.type  # type: ignore[attr-defined,no-any-return]

    @staticmethod
    def resolve_attempt_log(obj: object) -> list[object]:
        return list(obj.attempt_log.all())  # type: ignore[attr-defined]


class WebhookDeliveryFilters(FilterSchema):
    status: Literal["", "pending", "delivered", "failed", "cancelled"] = Field(
        "", description="Only deliveries in this state (failed: given up); empty: all."
    )


class WebhookEventTypeOut(Schema):
    name: str
    version: int
    description: str
