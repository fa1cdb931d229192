"""Use-cases for a session's top questions: submit a question, upvote it (or take the upvote
back), and let the facilitator pick which questions are asked and in what order.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from traction.core import audit, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import require_length
from traction.sessions.models import QuestionUpvote, Session, TopQuestion

from .common import require_open

# --- top questions ----------------------------------------------------------------------------


@transaction.atomic
def submit_question(actor: Viewer, *, session: Session, text: str) -> TopQuestion:
    permissions.check(actor, "question.ask", session)
    require_open(session)
    text = text.strip()
    if not text:
        raise ValidationFailed.field("text", "Write the question you want to ask the customers.")
    require_length("text", text, 300)
    question = TopQuestion.objects.create(session=session, author_id=actor.user_id, text=text)
    audit.record(actor, action="question.submitted", obj=session, changes={"question": text})
    return question


@transaction.atomic
def upvote_question(actor: Viewer, *, question: TopQuestion, up: bool = True) -> int:
    """Upvote (or take back the upvote of) a question; returns its number of upvotes."""
    permissions.check(actor, "question.ask", question.session)
    if up:
        QuestionUpvote.objects.get_or_create(question=question, user_id=actor.user_id)
    else:
        QuestionUpvote.objects.filter(question=question, user_id=actor.user_id).delete()
    return question.upvotes.count()


@transaction.atomic
def pick_questions(
    actor: Viewer, *, session: Session, question_ids: Sequence[int]
) -> list[TopQuestion]:
    """The facilitator picks which questions are asked, in this order; the rest are not."""
    permissions.check(actor, "question.pick", session)
    ids = list(dict.fromkeys(question_ids))
    known = set(session.questions.filter(pk__in=ids).values_list("pk", flat=True))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValidationFailed.field("question_ids", f"Not questions of this session: {unknown}.")
    session.questions.update(picked=False, position=None)
    for position, qid in enumerate(ids, start=1):
        TopQuestion.objects.filter(pk=qid).update(picked=True, position=position)
    audit.record(actor, action="questions.picked", obj=session, changes={"picked": ids})
    return list(session.questions.filter(picked=True).order_by("position"))
