"""The sessions app's data-keeping migrations, both ways: the question-upvote rename
(cosessions 0004) keeps every upvote, and the customer-facing agenda title is renamed
(cosessions 0007).

Each test empties the test database and walks it forwards to the migration before the one it
tests (``fresh_at``), makes its rows there with the historical models, applies the migration,
then unapplies it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from traction.core.testing.migrations import back_to_latest, fresh_at, migrate

BEFORE = [("cosessions", "0003_notice_actions_backfilled")]
AFTER = [("cosessions", "0004_question_upvote")]

OLD_TITLE = "Top questions from internal participants"
NEW_TITLE = "Questions from our team"


def _historical(targets: list[tuple[str, str]], *, fresh: bool = False) -> Any:
    """The historical apps at ``targets``, once the test database is there (walked from
    nothing when ``fresh``)."""
    executor = fresh_at(targets) if fresh else migrate(targets)
    return executor.loader.project_state(targets).apps


def _session(apps: Any, *users: Any) -> Any:
    """A planned session of a new workspace (members: ``users``), by the historical models."""
    get = apps.get_model
    workspace = get("accounts", "Workspace").objects.create(name="Acme", slug="acme")
    for user in users:
        get("accounts", "Membership").objects.create(
            workspace=workspace, user=user, role="facilitator"
        )
    program = get("programs", "Program").objects.create(
        workspace=workspace, name="Onboarding", goal="Faster first invoices"
    )
    return get("cosessions", "Session").objects.create(
        workspace=workspace,
        program=program,
        title="Upvoted",
        starts_at=datetime(2030, 7, 1, 7, 0, tzinfo=UTC),
        ends_at=datetime(2030, 7, 1, 10, 30, tzinfo=UTC),
    )


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_upvotes_survive_the_rename_and_its_reversal() -> None:
    try:
        old = _historical(BEFORE, fresh=True)
        users = old.get_model("accounts", "User").objects
        fran = users.create(email="fran@acme.test", full_name="Fran Facilitator", password="!")
        cora = users.create(email="cora@acme.test", full_name="Cora Core", password="!")
        session = _session(old, fran, cora)
        question = old.get_model("cosessions", "TopQuestion").objects.create(
            session=session, text="What slows you down?"
        )
        votes = old.get_model("cosessions", "QuestionVote").objects
        votes.create(question=question, user=cora)
        votes.create(question=question, user=fran)
        both = sorted([(question.pk, cora.pk), (question.pk, fran.pk)])

        new = _historical(AFTER)
        upvotes = new.get_model("cosessions", "QuestionUpvote").objects
        assert sorted(upvotes.values_list("question_id", "user_id")) == both
        renamed = new.get_model("cosessions", "TopQuestion").objects.get(pk=question.pk)
        assert renamed.upvotes.count() == 2

        old = _historical(BEFORE)
        votes = old.get_model("cosessions", "QuestionVote").objects
        assert sorted(votes.values_list("question_id", "user_id")) == both
    finally:
        # Back to the latest migrations (later ones too), whatever happened above.
        back_to_latest()


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_the_customer_facing_agenda_title_is_renamed_both_ways() -> None:
    """cosessions 0007: the template's "Top questions from internal participants" (read by
    customers in their invitation) becomes "Questions from our team"; other titles stay."""
    before = [("cosessions", "0006_outreach_batch")]
    after = [("cosessions", "0007_invitation_opening")]
    titles = ["Welcome", "Issues & vision discussion", "Prioritisation", "Next steps"]
    try:
        old = _historical(before, fresh=True)
        session = _session(old)
        items = old.get_model("cosessions", "AgendaItem").objects
        for position, title in enumerate([*titles[:3], OLD_TITLE, titles[3]], start=1):
            items.create(session_id=session.pk, position=position, title=title, minutes=15)
        items.create(session_id=session.pk, position=9, title="Top questions (ours)", minutes=5)

        def agenda(apps: Any) -> list[str]:
            found = apps.get_model("cosessions", "AgendaItem").objects
            return list(
                found.filter(session_id=session.pk)
                .order_by("position")
                .values_list("title", flat=True)
            )

        assert agenda(_historical(after)) == [
            *titles[:3],
            NEW_TITLE,
            titles[3],
            "Top questions (ours)",
        ]
        assert agenda(_historical(before)) == [
            *titles[:3],
            OLD_TITLE,
            titles[3],
            "Top questions (ours)",
        ]
    finally:
        back_to_latest()
