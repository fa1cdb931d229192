"""What the insight use-cases share: tag normalisation (`normalize_tags`) and its limit
(`MAX_TAGS`), used when capturing or correcting an insight, by imports, and when merging
insights in the review queue.
"""

from __future__ import annotations

from collections.abc import Iterable

from traction.core.errors import ValidationFailed
from traction.core.text import too_long

MAX_TAGS = 12
TAG_MAX = 40  # one tag's characters
TAGS_MAX = 300  # all of an insight's tags, space-separated (``Insight.tags``' column)


def normalize_tags(raw: str | Iterable[str], *, fit: bool = False) -> str:
    """ "Billing, #Onboarding billing" -> "billing onboarding": lower case, no "#", unique.

    A tag past ``TAG_MAX`` characters, or tags together past ``TAGS_MAX``, are refused on
    "tags" (never cut: a cut tag is another tag). ``fit`` is for tags already stored (a merge
    gathering several insights'): those that do not fit are left out instead."""
    words = raw.replace(",", " ").replace(";", " ").split() if isinstance(raw, str) else raw
    seen: dict[str, None] = {}
    for word in words:
        tag = word.strip().lstrip("#").lower()
        if len(tag) > TAG_MAX and not fit:
            raise ValidationFailed.field(
                "tags",
                f"Keep each tag to {TAG_MAX} characters or fewer (“{tag[:20]}…” has {len(tag):,}).",
            )
        if tag and len(tag) <= TAG_MAX:
            seen.setdefault(tag, None)
    if len(seen) > MAX_TAGS and not fit:
        raise ValidationFailed.field("tags", f"At most {MAX_TAGS} tags per insight.")
    if fit:
        kept: list[str] = []
        for tag in list(seen)[:MAX_TAGS]:
            if len(" ".join([*kept, tag])) <= TAGS_MAX:
                kept.append(tag)
        return " ".join(kept)
    joined = " ".join(seen)
    if len(joined) > TAGS_MAX:
        raise ValidationFailed.field("tags", too_long(TAGS_MAX, len(joined)))
    return joined
