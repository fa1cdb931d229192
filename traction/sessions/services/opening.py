"""The invitation email's opening words, written per session by whoever sends invitations."""

from __future__ import annotations

from django.db import transaction

from traction.core import audit, permissions
from traction.core.permissions import Viewer
from traction.core.writes import expect_version, save_new_version
from traction.sessions import invitation_email
from traction.sessions.emails import organizer
from traction.sessions.models import Session

from .common import require_open
from .sessions import STALE_SESSION


@transaction.atomic
def set_invitation_opening(
    actor: Viewer, *, session: Session, text: str, version: int | None = None
) -> Session:
    """Set the opening of the session's invitation emails (invitations sent from now on).
    Empty, or the standard words unchanged, means the standard opening, which follows the
    session's title and kind."""
    permissions.check(actor, "invitation.send", session)
    text = invitation_email.clean_opening(text)
    session = Session.objects.select_for_update().get(pk=session.pk)
    expect_version(session, version, message=STALE_SESSION)
    require_open(session)
    if text == invitation_email.standard_opening(session, organizer(session)[0]):
        text = ""
    old = session.invitation_opening
    if text == old:
        return session
    session.invitation_opening = text
    save_new_version(session, fields=["invitation_opening"])
    audit.record(
        actor,
        action="session.invitation_opening_changed",
        obj=session,
        changes={"invitation_opening": [old, text]},
    )
    return session
