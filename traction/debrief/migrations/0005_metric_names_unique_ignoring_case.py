"""Metric names of a program are unique ignoring letter case and spacing; checkpoints only
for closed debriefs.

Until now two current metrics of a program could be named "Credit notes issued" and
"credit  notes issued" (the constraint compared names exactly), and the CSV import, which
finds a metric by its name ignoring case, put both metrics' values into one of them. Names
are now stored with any run of whitespace (no-break spaces included) as one space and none
at either end, and the constraint compares them in lower case (the service also compares
them casefolded: ``services.scorecards.metric_key``).

Existing names are tidied the same way. Where current metrics of a program share a name so
compared, the oldest keeps it and each later one is renamed with " (2)", " (3)"… Nothing is
deleted: each rename is a new version of the metric, audited as ``metric.changed`` with the
reason, so the trail tells what it was called.

Also, results checkpoints belong to debriefs that were closed (closing makes them). The
periodic job used to make them for any debrief whose session's end had passed, so late or
missed debriefs that never opened had some. Those of debriefs never closed that were never
reached (no event, no announcement: nothing refers to them) are removed; a reached one
stays, as the record of what was announced.

Reversing it restores the exact constraint; names stay as tidied (the audit trail keeps the
old ones) and removed checkpoints are not made again.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Lower

REASON = (
    "Metric names of a program must differ in more than letter case or spacing: "
    "renamed when that rule was introduced."
)
SPACING = "Metric names are stored with single spaces: tidied when that rule was introduced."
MAX_NAME = 160


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _audit(apps: Any, metric: Any, old: str, new: str, reason: str) -> None:
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditEvent.objects.create(
        workspace_id=metric.workspace_id,
        actor_id=None,
        actor_label="system",
        via="system",
        action="metric.changed",
        object_type="debrief.scorecardmetric",
        object_id=str(metric.pk),
        object_repr=new[:200],
        changes={
            "name": [old, new],
            "migration": "debrief.0005_metric_names_unique_ignoring_case",
        },
        reason=reason,
    )


def tidy_names(apps: Any, schema_editor: Any) -> None:
    Metric = apps.get_model("debrief", "ScorecardMetric")
    # Whitespace first (every metric, archived ones too: they may be restored).
    for metric in Metric.objects.order_by("pk").iterator():
        tidy = " ".join(metric.name.split())
        if tidy != metric.name:
            Metric.objects.filter(pk=metric.pk).update(name=tidy, version=F("version") + 1)
            _audit(apps, metric, metric.name, tidy, SPACING)
    # Then the current metrics of each program that share a name, oldest first.
    taken: dict[int, set[str]] = {}
    later: list[Any] = []
    for metric in Metric.objects.filter(archived_at__isnull=True).order_by(
        "program_id", "created_at", "pk"
    ):
        names = taken.setdefault(metric.program_id, set())
        if _key(metric.name) in names:
            later.append(metric)
        else:
            names.add(_key(metric.name))
    for metric in later:
        names = taken[metric.program_id]
        n = 2
        while True:
            suffix = f" ({n})"
            new = metric.name[: MAX_NAME - len(suffix)].rstrip() + suffix
            if _key(new) not in names:
                break
            n += 1
        names.add(_key(new))
        Metric.objects.filter(pk=metric.pk).update(name=new, version=F("version") + 1)
        _audit(apps, metric, metric.name, new, REASON)


def drop_checkpoints_never_due(apps: Any, schema_editor: Any) -> None:
    Checkpoint = apps.get_model("debrief", "Checkpoint")
    Checkpoint.objects.filter(reached_at__isnull=True, debrief__closed_at__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("debrief", "0004_action_recommendation_index"),
        ("core", "0002_stamps_ask_the_clock"),
    ]

    operations = [
        # The exact constraint goes first: tidying "a  b" may give another metric's "a b".
        migrations.RemoveConstraint(
            model_name="scorecardmetric", name="metric_name_unique_in_program"
        ),
        migrations.RunPython(tidy_names, migrations.RunPython.noop),
        migrations.RunPython(drop_checkpoints_never_due, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="scorecardmetric",
            constraint=models.UniqueConstraint(
                Lower("name"),
                "program",
                condition=models.Q(archived_at__isnull=True),
                name="metric_name_unique_in_program_ci",
                violation_error_message="A metric with this name already exists in this program.",
            ),
        ),
    ]
