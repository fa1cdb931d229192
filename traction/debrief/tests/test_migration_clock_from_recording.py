"""debrief 0006: a debrief whose clock ran from the session's recording was marked only by
the note of its first deadline; the migration sets ``clock_from_recording`` for those, and
for no other. Only the debrief app's last migration is walked back and forth."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from traction.core.testing.cast import Cast
from traction.core.testing.migrations import back_to_latest, migrate
from traction.debrief.models import ClockEvent, Debrief

from .scorecard_helpers import make_debrief

BEFORE = [("debrief", "0005_metric_names_unique_ignoring_case")]
AFTER = [("debrief", "0006_debrief_clock_from_recording")]
NOTE = "Recorded after the session ended: due 24 hours after it was recorded."


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_debriefs_whose_first_deadline_says_recorded_afterwards_are_marked(cast: Cast) -> None:
    afterwards = make_debrief(cast, ends_at=datetime(2027, 1, 31, 17, tzinfo=UTC))
    ahead = make_debrief(cast, ends_at=datetime(2027, 2, 28, 17, tzinfo=UTC))
    try:
        migrate(BEFORE)
        for debrief, note in ((afterwards, NOTE), (ahead, "")):
            ClockEvent.objects.create(
                workspace_id=cast.acme.pk,
                debrief_id=debrief.pk,
                kind="due",
                due_at=debrief.due_at,
                note=note,
            )
        migrate(AFTER)
        marked = dict(Debrief.objects.values_list("pk", "clock_from_recording"))
        assert marked[afterwards.pk] is True
        assert marked[ahead.pk] is False
    finally:
        back_to_latest()
