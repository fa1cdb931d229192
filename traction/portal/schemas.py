"""API shapes for members' portal links. The token is never part of any answer: a link goes
by email to its contact only."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


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
