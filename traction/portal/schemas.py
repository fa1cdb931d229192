"""API shapes for members' portal links. The token is never part of any answer: a link goes
by email to its contact only."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from traction.core.api import InputSchema


class PortalLinkOut(Schema):
    id: int
    contact_id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    created_by: str = Field(
        description='Who sent it: a member\'s email, or "Requested by the contact".'
    )
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    state: str = Field(description='"active", "expired" or "revoked".')

    @staticmethod
    def resolve_created_by(obj: object) -> str:
        return obj.created_by_label  # type: ignore[attr-defined, no-any-return]

    @staticmethod
    def resolve_state(obj: object) -> str:
        return obj.state()  # type: ignore[attr-defined, no-any-return]


class BehalfEntryOut(Schema):
    kind: str = Field(description='"vote" (dots of a paper round) or "insight" (words).')
    id: int = Field(description="The vote's or the insight's id.")
    contact_id: int
    session_id: int
    session_title: str
    text: str = Field(
        description="The card the dots are on (empty when you may not read that card: an "
        "account owner reads only their own customers' words), or the words entered."
    )
    dots: int = Field(description="A vote's dots; 0 for an insight.")
    entered_by_id: int | None = Field(description="The member who entered it.")
    entered_by: str
    entered_at: dt.datetime
    reason: str = Field(description="Why the member entered it for the contact.")
    frozen_on: dt.datetime | None = Field(
        description="A vote of a closed round: when its ranking was frozen (that ranking "
        "still counts these dots, withdrawn or not)."
    )
    withdrawn_at: dt.datetime | None
    withdrawn_by_id: int | None = Field(
        description="The member who withdrew it; null with `withdrawn_at`: the contact did."
    )
    withdraw_reason: str


class WithdrawIn(InputSchema):
    reason: str = Field(max_length=300, description="Why it is withdrawn (required).")


class WithdrawOut(Schema):
    entry: BehalfEntryOut
    changed: bool = Field(description="false: it was already withdrawn; nothing changed.")
    message: str
