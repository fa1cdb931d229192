"""Taking a wrong import back: ``discard_import`` discards a whole batch at once.

Its rows still waiting in the review queue are discarded; an import made with "accept every
row onto the map" (``accept``) also takes its accepted rows off the map, as long as nothing
was built on them yet: no dots, no evidence, no merge, no loop priority or scorecard link
(``_why_kept``). Otherwise the batch stays and the refusal says why, so that nobody's votes
or decisions lose what they point to. Rows a reviewer already discarded, merged or withdrew
stay as they are. The batch is marked discarded (``ImportBatch.discarded_at``) and one audit
event records it; the same file may then be imported again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import ManyToOneRel, OneToOneRel, Q

from traction.core import audit, clock, permissions
from traction.core.errors import Conflict, NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.core.writes import bump_versions
from traction.insights.models import ImportBatch, Insight, InsightStatus, SearchIndexRow
from traction.sessions.models import Session


@dataclass(frozen=True)
class Discarded:
    batch: ImportBatch
    candidates: int  # rows taken out of the review queue
    accepted: int  # rows taken off the map (an import made with ``accept``)
    kept: int  # accepted rows that stay on the map (placed by type and step, or reviewed)

    @property
    def summary(self) -> str:
        parts = [f"{self.candidates:,} waiting for review"]
        if self.accepted:
            parts.append(f"{self.accepted:,} on the map")
        text = f"Discarded the import of {self.batch.filename}: {' and '.join(parts)}."
        if self.kept:
            text += (
                f" {self.kept:,} accepted row{'s' if self.kept != 1 else ''} stay on the map; "
                "discard them one by one if they are wrong."
            )
        return text


def counts(batch: ImportBatch) -> tuple[int, int, int]:
    """(candidates, accepted rows it would take off the map, accepted rows that stay), for
    the confirmation before ``discard_import``."""
    rows = Insight.objects.filter(batch=batch)
    candidates = rows.filter(status=InsightStatus.CANDIDATE).count()
    accepted = rows.filter(status=InsightStatus.ACCEPTED).count()
    if batch.mapping.get("accept"):
        return candidates, accepted, 0
    return candidates, 0, accepted


def get_batch(session: Session, batch_id: int) -> ImportBatch:
    found = ImportBatch.objects.filter(session=session, pk=batch_id).first()
    if found is None:
        raise NotFound("No such import in this session.")
    return found


# What the apps above insights keep about a card, in words (any other: its models' name).
_USED_BY = {
    "voting": "customers voted on some of its rows, or a closed round's ranking holds them",
    "debrief": "some of its rows are evidence, decisions or scorecard links of a debrief",
    "loop": "some of its rows are customer priorities followed in the loop",
}


def _why_kept(rows: Q) -> str:
    """Why accepted rows must stay ("" when nothing refers to any of them): whatever any app
    stores about an insight (dots, a frozen ranking, evidence of a recommendation, a loop
    priority, a scorecard link, a merge into it), found from the models' own relations so
    that every new reference is counted without this module importing the apps above it."""
    ids = Insight.objects.filter(rows).values("pk")
    for rel in Insight._meta.get_fields(include_hidden=True):
        if not isinstance(rel, ManyToOneRel) or isinstance(rel, OneToOneRel):
            continue
        model = rel.related_model
        if isinstance(model, str):  # "self": only unresolved models name themselves so
            continue
        created_by = model._meta.auto_created  # a many-to-many's own table: its model
        owner = created_by if isinstance(created_by, type) else model
        if model is SearchIndexRow or (owner is Insight and model is not Insight):
            continue  # the search index, and the insights' own links between themselves
        if model._base_manager.filter(**{f"{rel.field.name}__in": ids}).exists():
            if model is Insight:
                return "other insights were merged into some of its rows"
            return _USED_BY.get(
                owner._meta.app_label,
                f"some of its rows are used by {owner._meta.verbose_name_plural}",
            )
    return ""


@transaction.atomic
def discard_import(actor: Viewer, *, session: Session, batch_id: int) -> Discarded:
    """Discard an import batch as a whole (see the module); one audit event."""
    permissions.check(actor, "insight.import", session)
    batch = ImportBatch.objects.select_for_update().filter(session=session, pk=batch_id).first()
    if batch is None:
        raise NotFound("No such import in this session.")
    if batch.in_progress:
        raise Conflict(f"{batch.filename} is still being imported; discard it when it is done.")
    if batch.discarded_at is not None:
        raise Conflict(f"The import of {batch.filename} was already discarded.")
    waiting = Q(batch=batch, status=InsightStatus.CANDIDATE)
    on_map = Q(batch=batch, status=InsightStatus.ACCEPTED)
    taking_off = bool(batch.mapping.get("accept"))
    if taking_off:
        why = _why_kept(on_map)
        if why:
            raise ValidationFailed.field(
                "import",
                f"This import cannot be discarded as a whole: {why}. Discard its other rows "
                "in the review queue, or on the map one by one.",
            )
    accepted = (
        bump_versions(Insight.objects.filter(on_map), status=InsightStatus.DISCARDED)
        if (taking_off)
        else 0
    )
    candidates = bump_versions(Insight.objects.filter(waiting), status=InsightStatus.DISCARDED)
    kept = 0 if taking_off else Insight.objects.filter(on_map).count()
    batch.discarded_at = clock.now()
    batch.discarded_by_id = actor.user_id
    batch.save(update_fields=["discarded_at", "discarded_by"])
    audit.record(
        actor,
        action="insights.import_discarded",
        obj=batch,
        changes={
            "filename": batch.filename,
            "sha256": batch.sha256,
            "candidates": candidates,
            "accepted": accepted,
            "kept_on_map": kept,
        },
    )
    return Discarded(batch=batch, candidates=candidates, accepted=accepted, kept=kept)
