"""debrief 0005: current metrics of a program whose names differ only in letter case or
spacing are renamed (the oldest keeps its name; later ones get " (2)", " (3)"…), every
name is stored with single spaces, each change audited; nothing is deleted. Unreached
checkpoints of debriefs never closed are removed; reached ones and closed debriefs' stay.
Only the debrief app's last migration is walked back and forth."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from traction.core import clock
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.core.testing.migrations import back_to_latest, migrate
from traction.debrief.models import Checkpoint, ScorecardMetric

from .scorecard_helpers import make_debrief

BEFORE = [("debrief", "0004_action_recommendation_index")]
AFTER = [("debrief", "0005_metric_names_unique_ignoring_case")]
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_metrics_named_alike_are_renamed_and_checkpoints_never_due_removed(cast: Cast) -> None:
    closed = make_debrief(cast, ends_at=datetime(2027, 1, 31, 17, tzinfo=UTC), closed=True)
    missed = make_debrief(cast, ends_at=datetime(2026, 12, 31, 17, tzinfo=UTC))
    try:
        migrate(BEFORE)
        with clock.frozen(NOW):

            def metric(name: str, program: object = cast.program, **extra: object) -> int:
                return ScorecardMetric.objects.create(
                    workspace_id=cast.acme.pk, program=program, name=name, **extra
                ).pk

            oldest = metric("Credit notes issued")
            lower = metric("credit notes issued")
            spaced = metric("\u00a0Credit  notes issued ")
            suffixed = metric("Credit notes issued (2)")  # its name is taken by none: kept
            archived = metric("CREDIT NOTES ISSUED", archived_at=NOW)
            elsewhere = metric("credit notes issued", program=cast.other_program)
        for debrief in (closed, missed):
            Checkpoint.objects.create(debrief=debrief, months=3, on=date(2027, 4, 30))
            Checkpoint.objects.create(debrief=debrief, months=6, on=date(2027, 7, 31))
        Checkpoint.objects.filter(debrief=missed, months=3).update(reached_at=NOW)
        migrate(AFTER)
        names = dict(ScorecardMetric.objects.values_list("pk", "name"))
        assert names == {
            oldest: "Credit notes issued",
            lower: "credit notes issued (3)",
            spaced: "Credit notes issued (4)",
            suffixed: "Credit notes issued (2)",
            archived: "CREDIT NOTES ISSUED",
            elsewhere: "credit notes issued",
        }
        assert ScorecardMetric.objects.get(pk=spaced).version == 3  # tidied, then renamed
        renamed = AuditEvent.objects.filter(action="metric.changed").order_by("pk")
        assert [(e.object_id, e.changes["name"]) for e in renamed] == [
            (str(spaced), ["\u00a0Credit  notes issued ", "Credit notes issued"]),
            (str(lower), ["credit notes issued", "credit notes issued (3)"]),
            (str(spaced), ["Credit notes issued", "Credit notes issued (4)"]),
        ]
        assert all(e.via == "system" and e.reason for e in renamed)
        kept = Checkpoint.objects.order_by("debrief_id", "months")
        assert [(c.debrief_id, c.months) for c in kept] == [
            (closed.pk, 3),
            (closed.pk, 6),
            (missed.pk, 3),  # reached: announced, it stays
        ]
    finally:
        # Walking back at the start ran 0005's reversal: nothing is left to apply here
        # unless the test stopped short.
        back_to_latest()
