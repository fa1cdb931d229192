"""The reads of imports: the review queue without the rows of imports still being written.

``insights.selectors.review_queue`` lists a session's candidates; while an import writes its
rows in chunks, they are hidden until its last chunk is saved (``ImportBatch.visible_insights``),
so nobody reviews, accepts or merges half a file.
"""

from __future__ import annotations

from django.db.models import QuerySet

from traction.insights import selectors
from traction.insights.models import ImportBatch, Insight
from traction.sessions.models import Session


def review_queue(session: Session, batch_id: int | None = None) -> QuerySet[Insight]:
    """The session's candidates, or those of one import file (``batch_id``)."""
    queue = selectors.review_queue(session).filter(ImportBatch.visible_insights())
    return queue if batch_id is None else queue.filter(batch_id=batch_id)
