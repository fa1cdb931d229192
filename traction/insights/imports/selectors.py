"""The reads of imports: the review queue without the rows of imports still being written, and
whom a name written in a file may be credited to (``import_speakers``).

``insights.selectors.review_queue`` lists a session's candidates; while an import writes its
rows in chunks, they are hidden until its last chunk is saved (``ImportBatch.visible_insights``),
so nobody reviews, accepts or merges half a file.
"""

from __future__ import annotations

from django.db.models import QuerySet

from traction.accounts.models import Membership
from traction.insights import selectors
from traction.insights.models import ImportBatch, Insight
from traction.sessions.models import Session


def review_queue(session: Session, batch_id: int | None = None) -> QuerySet[Insight]:
    """The session's candidates, or those of one import file (``batch_id``)."""
    queue = selectors.review_queue(session).filter(ImportBatch.visible_insights())
    return queue if batch_id is None else queue.filter(batch_id=batch_id)


def import_speakers(session: Session, importer_id: int | None) -> list[selectors.Speaker]:
    """Whom an import may credit a name to: the session's speakers (``selectors.speakers``),
    then the members of the workspace who run it without being listed as its participants —
    the facilitator who planned the session and the member importing the file (whose own
    remarks are in the transcript too). Like internal participants, their lines are internal
    remarks, never customer input."""
    people = selectors.speakers(session)
    listed = {p.user_id for p in people if p.user_id}
    wanted = [u for u in dict.fromkeys([session.created_by_id, importer_id]) if u]
    members = {
        m.user_id: m.user
        for m in Membership.objects.filter(
            workspace_id=session.workspace_id, user_id__in=set(wanted) - listed
        ).select_related("user")
    }
    people += [
        selectors.Speaker(
            key=f"u:{user.pk}",
            name=user.full_name or user.email,
            internal=True,
            user_id=user.pk,
        )
        for user in (members[u] for u in wanted if u in members)
    ]
    return people
