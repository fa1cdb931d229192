"""What the insight use-cases share: tag normalisation (`normalize_tags`) and its limit
(`MAX_TAGS`), used when capturing or correcting an insight, by imports, and when merging
insights in the review queue.
"""

from __future__ import annotations

from collections.abc import Iterable

from traction.core.errors import ValidationFailed

MAX_TAGS = 12


def normalize_tags(raw: str | Iterable[str]) -> str:
    """ "Billing, #Onboarding billing" -> "billing onboarding": lower case, no "#", unique."""
    words = raw.replace(",", " ").replace(";", " ").split() if isinstance(raw, str) else raw
    seen: dict[str, None] = {}
    for word in words:
        tag = word.strip().lstrip("#").lower()[:40]
        if tag:
            seen.setdefault(tag, None)
    if len(seen) > MAX_TAGS:
        raise ValidationFailed.field("tags", f"At most {MAX_TAGS} tags per insight.")
    return " ".join(seen)
