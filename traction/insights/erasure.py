"""Erasure: an erased contact's name leaves every place insights kept it.

Subscribed to ``contact.erased`` (the customers app has already replaced the contact's
name and e-mail with a tombstone such as "Erased contact 14"). What the contact said stays
(their words, votes and the frozen rankings are evidence); who they were does not:

- ``speaker_name`` of every insight they spoke becomes the tombstone;
- their former name, written in any insight's text of the workspace (a transcript line,
  "as Gina said…"), becomes the tombstone: the full-text index (SQLite's FTS5 triggers,
  PostgreSQL's expression index) follows the text, so searching the old name finds nothing;
- the same in the frozen rankings (speaker, text and each contributor);
- import records: a speaker mapping entry naming them ("Gina" → their contact) is renamed.

The former name and e-mail come from the publisher (``contact.erasure_replacements``), and
from what insights recorded for the contact (speaker names as written, import mappings that
pointed at them).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import F

from traction.core import audit
from traction.core.permissions import Viewer

from .models import FrozenCard, ImportBatch, Insight


def _replace(text: str, former: dict[str, str]) -> str:
    """Each former name or address (longest first) replaced by its tombstone, any case."""
    for old in sorted(former, key=len, reverse=True):
        new = former[old]
        text = re.sub(re.escape(old), lambda _m: new, text, flags=re.IGNORECASE)  # noqa: B023
    return text


@transaction.atomic
def erase_contact(actor: Viewer | None, *, contact: Any) -> dict[str, int]:
    """Replace the erased contact's former name with ``contact.name`` (the tombstone)
    everywhere in insights; returns what changed, by kind (also audited, without names)."""
    tombstone = str(contact.name)
    spoken = Insight.objects.filter(speaker_contact_id=contact.pk)
    spoken_ids = set(spoken.values_list("pk", flat=True))
    names = set(spoken.values_list("speaker_name", flat=True))
    batches = list(ImportBatch.objects.filter(workspace_id=contact.workspace_id))
    key = f"c:{contact.pk}"
    for batch in batches:
        speakers = (batch.mapping or {}).get("speakers") or {}
        names |= {name for name, value in speakers.items() if value == key}
    for row in FrozenCard.objects.filter(insight_id__in=spoken_ids):
        names.add(row.speaker_name)
    # The publisher hands over what it replaced: {old name: tombstone, old e-mail: tombstone}.
    given: dict[str, str] = dict(getattr(contact, "erasure_replacements", {}) or {})
    former = {n: tombstone for n in names if n and n.strip() and n != tombstone}
    former.update({old: new for old, new in given.items() if old and old.strip() and old != new})
    counts = {"speaker_names": 0, "texts": 0, "frozen_cards": 0, "import_mappings": 0}
    counts["speaker_names"] = spoken.exclude(speaker_name=tombstone).update(
        speaker_name=tombstone, version=F("version") + 1
    )
    if former:
        pattern = re.compile("|".join(re.escape(n) for n in former), re.IGNORECASE)
        candidates = Insight.objects.filter(workspace_id=contact.workspace_id)
        for insight in candidates.only("pk", "text").iterator():
            if pattern.search(insight.text):
                Insight.objects.filter(pk=insight.pk).update(
                    text=_replace(insight.text, former), version=F("version") + 1
                )
                counts["texts"] += 1
    frozen = FrozenCard.objects.filter(round__workspace_id=contact.workspace_id)
    for row in frozen:
        before = (row.speaker_name, row.text, row.contributors)
        if row.insight_id in spoken_ids:
            row.speaker_name = tombstone
        row.text = _replace(row.text, former)
        contributors = []
        for entry in row.contributors:
            entry = dict(entry)
            if entry.get("insight_id") in spoken_ids:
                entry["speaker_name"] = tombstone
            entry["text"] = _replace(str(entry.get("text", "")), former)
            contributors.append(entry)
        row.contributors = contributors
        if (row.speaker_name, row.text, row.contributors) != before:
            row.save(update_fields=["speaker_name", "text", "contributors"])
            counts["frozen_cards"] += 1
    for batch in batches:
        speakers = (batch.mapping or {}).get("speakers") or {}
        renamed = {
            (tombstone if value == key or name in former else name): value
            for name, value in speakers.items()
        }
        if renamed != speakers:
            ImportBatch.objects.filter(pk=batch.pk).update(
                mapping={**batch.mapping, "speakers": renamed}
            )
            counts["import_mappings"] += 1
    if any(counts.values()):
        with audit.channel("system"):
            audit.record(
                actor,
                action="insights.contact_erased",
                obj=contact,
                changes=counts,
                reason="The contact was erased: their name left insights; their words stay.",
            )
    return counts
