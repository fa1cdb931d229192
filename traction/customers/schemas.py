"""API shapes for customers and contacts. No rules here: services and models hold them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from traction.core.api import (
    ABSENT,
    MAX_ID,
    FilterSchema,
    InputSchema,
    ObjectId,
    OneLine,
    OutputSchema,
    Text,
)
from traction.core.text import QUERY_MAX

from .models import Contact
from .services import NOTES_MAX

# Spelled out so the OpenAPI document lists them; a test keeps them equal to the models' choices.
SegmentValue = Literal["enterprise", "mid_market", "small_business", "public_sector"]
SizeValue = Literal["", "1-49", "50-249", "250-999", "1000-4999", "5000+"]
ChannelValue = Literal["email", "phone", "video", "portal"]
CadenceValue = Literal["as_needed", "monthly", "quarterly"]

VERSION_HELP = (
    "The version you read. If someone saved the record since, nothing changes and the "
    "answer is 409; leave it out to overwrite whatever is current."
)


# --- customers ------------------------------------------------------------------------------


class CustomerOut(OutputSchema):
    id: int
    name: str
    segment: str
    size: str
    region: str
    account_owner_id: int | None
    notes: str
    contact_count: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerCreateIn(InputSchema):
    name: OneLine = Field(min_length=1, max_length=160)
    segment: SegmentValue
    size: SizeValue = ""
    region: Text = Field("", max_length=80)
    account_owner_id: ObjectId | None = Field(None, description="A member of the workspace.")
    notes: Text = Field("", max_length=NOTES_MAX)


class CustomerUpdateIn(InputSchema):
    """Only the fields sent change; ``account_owner_id`` null clears the owner."""

    name: OneLine = Field(ABSENT, min_length=1, max_length=160)
    segment: SegmentValue = Field(ABSENT)
    size: SizeValue = Field(ABSENT)
    region: Text = Field(ABSENT, max_length=80)
    account_owner_id: ObjectId | None = Field(None, description="A member of the workspace.")
    notes: Text = Field(ABSENT, max_length=NOTES_MAX)
    version: int = Field(ABSENT, ge=1, le=MAX_ID, description=VERSION_HELP)


class CustomerFilters(FilterSchema):
    q: Text = Field("", max_length=QUERY_MAX, description="Words in the name, region or notes.")
    segment: Literal[SegmentValue, ""] = ""
    region: Text = Field("", max_length=QUERY_MAX, description="Exact region, any case.")
    account_owner_id: ObjectId = Field(ABSENT, description="Only customers this member owns.")
    archived: bool = Field(False, description="true: only archived customers (hidden by default).")


# --- contacts -------------------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    email: str
    title: str
    consent_to_contact: bool
    consent_recorded_at: dt.datetime | None
    preferred_channel: str
    update_cadence: str
    communication_notes: str
    archived_at: dt.datetime | None
    erased: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_erased(obj: Contact) -> bool:
        return obj.erased_at is not None

    @staticmethod
    def resolve_customer_id(obj: Contact) -> int:
        return int(obj.customer_id)


class ContactCreateIn(InputSchema):
    name: OneLine = Field(min_length=1, max_length=150)
    email: Text = Field(max_length=254, json_schema_extra={"format": "email"})
    title: OneLine = Field("", max_length=120)
    consent_to_contact: bool = False
    preferred_channel: ChannelValue = "email"
    update_cadence: CadenceValue = "as_needed"
    communication_notes: Text = Field("", max_length=300)


class ContactUpdateIn(InputSchema):
    """Only the fields sent change. Changing consent records when it was given or withdrawn."""

    name: OneLine = Field(ABSENT, min_length=1, max_length=150)
    email: Text = Field(ABSENT, max_length=254, json_schema_extra={"format": "email"})
    title: OneLine = Field(ABSENT, max_length=120)
    consent_to_contact: bool = Field(ABSENT)
    preferred_channel: ChannelValue = Field(ABSENT)
    update_cadence: CadenceValue = Field(ABSENT)
    communication_notes: Text = Field(ABSENT, max_length=300)
    version: int = Field(ABSENT, ge=1, le=MAX_ID, description=VERSION_HELP)


class ContactFilters(FilterSchema):
    q: Text = Field("", max_length=QUERY_MAX, description="Words in the name, email or title.")
    consent: bool = Field(ABSENT, description="Only contacts who did (true) or did not consent.")
    archived: bool = Field(False, description="true: only archived contacts (hidden by default).")


class ArchiveIn(InputSchema):
    reason: Text = Field("", max_length=300, description="Optional; kept in the audit trail.")


class EraseIn(InputSchema):
    reason: Text = Field(
        min_length=1, max_length=300, description="Why (e.g. the person's request); kept."
    )
