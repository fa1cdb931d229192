"""Erasure: an erased contact's name leaves every place insights kept it.

Subscribed to ``contact.erased`` (the customers app has already replaced the contact's
name and e-mail with a tombstone such as "Erased contact 14", in its rows, the audit trail and
queued tasks). What the contact said stays (their words, votes and the frozen rankings are
evidence); who they were does not.

Two kinds of names, replaced in two ways (one function, ``audit.replace_texts``, whole words):

- **Labels**: how the contact was written where the text *is* the speaker: ``speaker_name``
  of what they said, import speaker mappings pointing at them (``"Al" → c:14``), the speaker
  recorded in audit events about their insights and merges. A label is replaced there, and
  only there, however short ("Al", a sticky note's "G"): it never touches anyone's words.
- **Names in free text**: their full former name and address (from the publisher,
  ``contact.erasure_replacements``) and labels of two words or more ("Gina G."), replaced as
  whole words in texts and tags of insights (the full-text index follows: SQLite's triggers,
  PostgreSQL's expression index), import file names and mappings, scenario and step texts,
  and the audit trail. "Al also agrees" stays.

A higher app that keeps copies of these names (voting: frozen rankings, round reasons, link
delivery errors) adds an ``ErasureStep`` from its ``AppConfig.ready`` (``register``): it
names the labels it recorded and rewrites its rows within the same erasure, which is audited
once with every app's counts.

Rows are pre-filtered in the database (``audit.mentioning``): only candidates are loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from traction.core import audit
from traction.core.models import AuditEvent
from traction.core.permissions import Viewer
from traction.core.writes import bump_versions

from .models import ImportBatch, Insight, Scenario, Step

SCENARIO_TEXTS = ("title", "outcome", "context_who", "context_where", "context_when", "constraints")
MAX_TAGS_CHARS = 300


@dataclass(frozen=True)
class Erasing:
    """One contact's erasure, as a higher app's ``ErasureStep`` reads it."""

    contact: Any
    workspace_id: int
    spoken_ids: set[int]  # the insights the contact said
    free: dict[str, str]  # names to replace as whole words in free text: old -> new
    recorded: set[str]  # how the contact was written as the speaker of what they said
    tombstone: str


@dataclass(frozen=True)
class ErasureStep:
    """What a higher app does when a contact is erased: ``labels(contact)`` are the ways it
    recorded the contact as a speaker (read before insights rewrites its own), ``rewrite``
    replaces the names in its rows and returns its counts by kind."""

    labels: Callable[[Any], set[str]]
    rewrite: Callable[[Erasing], dict[str, int]]


_steps: list[ErasureStep] = []


def register(step: ErasureStep) -> None:
    """Add ``step`` to every erasure (idempotent)."""
    if step not in _steps:
        _steps.append(step)


def _is_full_name(label: str) -> bool:
    """A label specific enough to replace in free text: two words or more, or an address."""
    return len(label.split()) >= 2 or "@" in label


def _tag_forms(name: str) -> set[str]:
    """How a name can be written as tags: "gina globex", "gina-globex", "gina_globex"…"""
    words = name.lower().split()
    return {" ".join(words), "-".join(words), "_".join(words), "".join(words), ".".join(words)}


def _tags(tags: str, names: dict[str, str], tombstone_tag: str) -> str:
    replaced = audit.replace_texts(
        tags, {form: tombstone_tag for name in names for form in _tag_forms(name) if form}
    )
    if replaced == tags:
        return tags
    kept: list[str] = []
    for tag in dict.fromkeys(replaced.split()):
        if len(" ".join([*kept, tag])) > MAX_TAGS_CHARS:
            break
        kept.append(tag)
    return " ".join(kept)


def _labelled(value: Any, labels: set[str], tombstone: str) -> Any:
    """``value`` (JSON-like) with every string that *is* one of ``labels`` (the whole value,
    any case) replaced by the tombstone; text that merely contains a label is left alone."""
    if isinstance(value, str):
        return tombstone if value.strip().lower() in labels else value
    if isinstance(value, dict):
        return {k: _labelled(v, labels, tombstone) for k, v in value.items()}
    if isinstance(value, list):
        return [_labelled(v, labels, tombstone) for v in value]
    return value


def rewrite_texts(model: Any, rows: Any, fields: tuple[str, ...], free: dict[str, str]) -> int:
    """Whole-word replacement of ``free`` in ``fields`` of the candidate ``rows``."""
    changed = 0
    for row in rows.values("pk", *fields).iterator():
        new = {f: audit.replace_texts(row[f], free) for f in fields}
        new = {f: v for f, v in new.items() if v != row[f]}
        if new:
            model._base_manager.filter(pk=row["pk"]).update(**new)
            changed += 1
    return changed


@transaction.atomic
def erase_contact(actor: Viewer | None, *, contact: Any) -> dict[str, int]:
    """Replace the erased contact's labels and former name with ``contact.name`` (the
    tombstone) everywhere in insights; returns what changed, by kind (also audited, without
    names). Runs inside the erasing service's transaction."""
    tombstone = str(contact.name)
    ws = contact.workspace_id
    key = f"c:{contact.pk}"
    spoken = Insight.objects.filter(speaker_contact_id=contact.pk)
    spoken_ids = set(spoken.values_list("pk", flat=True))
    # Labels: every way the contact was written as a speaker.
    labels = {n for n in spoken.values_list("speaker_name", flat=True) if n}
    for step in _steps:
        labels |= step.labels(contact)
    # As recorded on what they said (their name when it was said): what frozen contributors hold.
    recorded = {n for n in labels if n.strip()}
    batches = list(
        ImportBatch.objects.filter(workspace_id=ws).filter(mapping__icontains=f'"{key}"')
    )
    for batch in batches:
        speakers = (batch.mapping or {}).get("speakers") or {}
        labels |= {name for name, value in speakers.items() if value == key}
    given: dict[str, str] = dict(getattr(contact, "erasure_replacements", {}) or {})
    labels = {n.strip() for n in labels if n and n.strip() and n.strip() != tombstone}
    labels |= {old for old, new in given.items() if new == tombstone and old.strip()}
    # Free text: the full former name and address, and labels of two words or more.
    free = {old: new for old, new in given.items() if old and old.strip() and old != new}
    free.update({n: tombstone for n in labels if _is_full_name(n) and n not in free})
    lowered = {n.lower() for n in labels}
    counts = dict.fromkeys(("speaker_names", "texts", "imports", "scenarios", "events"), 0)
    counts["speaker_names"] = bump_versions(
        spoken.exclude(speaker_name=tombstone), speaker_name=tombstone
    )
    tombstone_tag = "-".join(tombstone.lower().split())
    tag_names = [form for name in free for form in _tag_forms(name)]
    candidates = Insight.objects.filter(workspace_id=ws).filter(
        audit.mentioning(free, ["text"]) | audit.mentioning(tag_names, ["tags"])
    )
    for pk, text, tags in candidates.values_list("pk", "text", "tags").iterator():
        new_text, new_tags = audit.replace_texts(text, free), _tags(tags, free, tombstone_tag)
        if (new_text, new_tags) != (text, tags):
            # An UPDATE of text or tags: the SQLite FTS triggers re-index the row.
            bump_versions(Insight.objects.filter(pk=pk), text=new_text, tags=new_tags)
            counts["texts"] += 1
    erasing = Erasing(contact, ws, spoken_ids, free, recorded, tombstone)
    for step in _steps:
        counts.update(step.rewrite(erasing))
    for batch in ImportBatch.objects.filter(workspace_id=ws).filter(
        Q(pk__in=[b.pk for b in batches]) | audit.mentioning(free, ["filename"], ["mapping"])
    ):
        mapping = dict(batch.mapping or {})
        speakers = mapping.get("speakers")
        if isinstance(speakers, dict):
            mapping["speakers"] = {
                (tombstone if value == key or name.strip().lower() in lowered else name): value
                for name, value in speakers.items()
            }
        mapping = audit.replace_texts(mapping, free)
        filename = audit.replace_texts(batch.filename, free)[:255]
        if (mapping, filename) != (batch.mapping, batch.filename):
            ImportBatch.objects.filter(pk=batch.pk).update(mapping=mapping, filename=filename)
            counts["imports"] += 1
    scenarios = Scenario.objects.filter(workspace_id=ws)
    counts["scenarios"] = rewrite_texts(
        Scenario, scenarios.filter(audit.mentioning(free, SCENARIO_TEXTS)), SCENARIO_TEXTS, free
    )
    # Why words were entered for someone, or withdrawn ("Gina told me on the phone").
    counts["texts"] += rewrite_texts(
        Insight,
        Insight.objects.filter(workspace_id=ws).filter(
            audit.mentioning(free, ["behalf_reason", "withdraw_reason"])
        ),
        ("behalf_reason", "withdraw_reason"),
        free,
    )
    steps = Step.objects.filter(scenario__workspace_id=ws)
    counts["scenarios"] += rewrite_texts(
        Step, steps.filter(audit.mentioning(free, ["title"])), ("title",), free
    )
    counts["events"] = _events(ws, spoken_ids, free, given, lowered, tombstone)
    if any(counts.values()):
        with audit.channel("system"):
            audit.record(
                actor,
                action="insights.contact_erased",
                obj=contact,
                changes=counts,
                reason="The contact was erased: their name left insights and the records of "
                "the apps above (counts by kind); their words stay.",
            )
    return counts


def _events(
    ws: int,
    spoken_ids: set[int],
    free: dict[str, str],
    given: dict[str, str],
    lowered: set[str],
    tombstone: str,
) -> int:
    """The audit trail: the labels insights recorded as the speaker (captures, changes and
    merges of what the contact said), and the free-text names customers did not know."""
    changed = 0
    ids = [str(i) for i in sorted(spoken_ids)]
    if ids:
        about_them = AuditEvent.objects.filter(
            workspace_id=ws, object_type="insights.insight", object_id__in=ids
        ).filter(audit.mentioning(lowered, [], ["changes"]))
        changed += audit.redact_changes(
            about_them, lambda changes: _labelled(changes, lowered, tombstone)
        )

        def merged(changes: Any) -> Any:
            speakers = changes.get("speakers") if isinstance(changes, dict) else None
            if not isinstance(speakers, dict):
                return changes
            return {
                **changes,
                "speakers": {i: (tombstone if i in ids else s) for i, s in speakers.items()},
            }

        merges = AuditEvent.objects.filter(
            workspace_id=ws, action="insights.merged", changes__speakers__has_any_keys=ids
        )
        changed += audit.redact_changes(merges, merged)
    extra = {old: new for old, new in free.items() if old not in given}
    changed += audit.redact(ws, extra)
    return changed
