"""The question-upvote rename (cosessions 0004) keeps every upvote, both ways."""

from __future__ import annotations

from datetime import datetime

import pytest

from traction.core.testing.cast import build_cast
from traction.core.testing.migrations import back_to_latest, migrate
from traction.sessions import services
from traction.sessions.models import QuestionUpvote

BEFORE = [("cosessions", "0003_notice_actions_backfilled")]
AFTER = [("cosessions", "0004_question_upvote")]


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_upvotes_survive_the_rename_and_its_reversal() -> None:
    cast = build_cast()
    fran, cora = cast.viewer("facilitator"), cast.viewer("core_team")
    session = services.plan_session(
        fran,
        program=cast.program,
        title="Upvoted",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 12, 30),
        time_zone="Europe/Berlin",
    )
    services.add_participant(
        fran, session=session, user_id=cast.users["core_team"].pk, role="observer"
    )
    question = services.submit_question(cora, session=session, text="What slows you down?")
    services.upvote_question(cora, question=question)
    services.upvote_question(fran, question=question)
    try:
        old = migrate(BEFORE).loader.project_state(BEFORE).apps
        QuestionVote = old.get_model("cosessions", "QuestionVote")
        assert sorted(QuestionVote.objects.values_list("question_id", "user_id")) == sorted(
            [(question.pk, cast.users["core_team"].pk), (question.pk, cast.users["facilitator"].pk)]
        )
        migrate(AFTER)
        assert sorted(QuestionUpvote.objects.values_list("question_id", "user_id")) == sorted(
            [(question.pk, cast.users["core_team"].pk), (question.pk, cast.users["facilitator"].pk)]
        )
        assert question.upvotes.count() == 2
    finally:
        # Back to the latest migrations (later ones too), whatever happened above.
        back_to_latest()


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_the_customer_facing_agenda_title_is_renamed_both_ways() -> None:
    """cosessions 0007: the template's "Top questions from internal participants" (read by
    customers in their invitation) becomes "Questions from our team"; other titles stay."""
    cast = build_cast()
    session = services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Renamed",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 12, 30),
    )
    before = [("cosessions", "0006_outreach_batch")]
    after = [("cosessions", "0007_invitation_opening")]
    try:
        old = migrate(before).loader.project_state(before).apps
        items = old.get_model("cosessions", "AgendaItem").objects
        items.filter(session_id=session.pk, position=5).update(
            title="Top questions from internal participants"
        )
        items.create(session_id=session.pk, position=9, title="Top questions (ours)", minutes=5)
        migrate(after)
        titles = list(session.agenda.values_list("title", flat=True))
        assert titles[4] == "Questions from our team"
        assert "Top questions from internal participants" not in titles
        assert titles[-1] == "Top questions (ours)"
        old = migrate(before).loader.project_state(before).apps
        back = old.get_model("cosessions", "AgendaItem").objects.filter(session_id=session.pk)
        assert back.filter(title="Top questions from internal participants").count() == 1
    finally:
        back_to_latest()
