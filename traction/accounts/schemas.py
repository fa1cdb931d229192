"""API shapes for the signed-in viewer, members, invitations and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from traction.core.api import ABSENT, MAX_ID, FilterSchema, InputSchema, Text, UtcDateTime
from traction.core.text import QUERY_MAX

# Spelled out so the OpenAPI document lists them; a test keeps them equal to Role.values.
RoleValue = Literal["admin", "facilitator", "core_team", "sponsor", "account_owner", "observer"]
# Spelled out so the OpenAPI document lists them; a test keeps them equal to the model's choices.
FunctionValue = Literal[
    "product",
    "engineering",
    "design",
    "support",
    "success",
    "sales",
    "marketing",
    "finance",
    "operations",
    "legal",
    "other",
]
FUNCTION_HELP = "The part of the company they work in; empty: not stated."
VERSION_HELP = (
    "The version you read. If someone changed the member's role or function since, nothing "
    "changes and the answer is 409; leave it out to overwrite whatever is current."
)


class UserRefOut(Schema):
    id: int
    email: str
    full_name: str


class WorkspaceOut(Schema):
    id: int
    name: str
    slug: str


class MeOut(Schema):
    user: UserRefOut
    workspace: WorkspaceOut
    role: str


# --- members --------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int = Field(description="The membership id (not the user id).")
    user: UserRefOut
    role: str
    function: str = Field(description=FUNCTION_HELP)
    created_at: dt.datetime
    version: int = Field(description="Send it back with a change (PATCH): 409 if stale.")
    removed_at: dt.datetime | None = Field(
        None, description="When they were removed (former members only); null for a member."
    )

    @staticmethod
    def resolve_removed_at(obj: Any) -> dt.datetime | None:
        value: dt.datetime | None = getattr(obj, "archived_at", None)
        return value


class MemberUpdateIn(InputSchema):
    """Only the fields sent change."""

    role: RoleValue = Field(ABSENT)
    function: Literal[FunctionValue, ""] = Field(ABSENT, description=FUNCTION_HELP)
    version: int = Field(ABSENT, ge=1, le=MAX_ID, description=VERSION_HELP)


class MemberFilters(FilterSchema):
    role: Literal[RoleValue, ""] = ""
    q: Text = Field("", max_length=QUERY_MAX, description="Words in the member's name or email.")
    removed: bool = Field(False, description="true: former members (removed, kept as history).")


# --- invitations ----------------------------------------------------------------------------


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    function: str = Field(description=FUNCTION_HELP)
    status: str = Field(description="pending, accepted, revoked or expired.")
    invited_by_id: int | None
    created_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    revoked_at: dt.datetime | None


class InvitationCreatedOut(InvitationOut):
    accept_url: str = Field(
        description="The one-time link, also emailed to the invitee. Shown only here, once."
    )


class InvitationCreateIn(InputSchema):
    email: Text = Field(max_length=254, json_schema_extra={"format": "email"})
    role: RoleValue
    function: Literal[FunctionValue, ""] = Field("", description=FUNCTION_HELP)


# --- audit trail ----------------------------------------------------------------------------


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_label: str
    via: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    reason: str


class AuditFilters(FilterSchema):
    action: Text = Field(
        "", max_length=QUERY_MAX, description="Actions starting with this, e.g. 'customer.'."
    )
    actor_email: Text = Field("", max_length=QUERY_MAX, description="Exactly this actor, any case.")
    object_type: Text = Field("", max_length=QUERY_MAX, description="e.g. 'customers.customer'.")
    since: UtcDateTime = Field(ABSENT, description="At or after (naive times are UTC).")
    until: UtcDateTime = Field(ABSENT, description="Before (naive times are UTC).")
