"""Erasure: an erased contact's name leaves what voting kept of it.

Voting adds a step to the insights erasure (``insights.erasure.ErasureStep``, registered in
``VotingConfig.ready``), so one erasure rewrites every copy and is audited once: the frozen
rankings (the speaker and each contributor who is the contact become the tombstone; their
former name leaves the texts), the reasons rounds were closed for, and the mail server's
refusals of voting links (which quote the address). The dots and the frozen figures stay.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from traction.core import audit
from traction.insights.erasure import Erasing, ErasureStep, rewrite_texts

from .models import FrozenCard, LinkDelivery, Vote, VotingRound


def recorded_labels(contact: Any) -> set[str]:
    """How the frozen rankings wrote the contact as the speaker of a card."""
    return set(
        FrozenCard.objects.filter(insight__speaker_contact_id=contact.pk).values_list(
            "speaker_name", flat=True
        )
    )


def erase(erasing: Erasing) -> dict[str, int]:
    """Rewrite the contact's names in voting's rows; the counts by kind."""
    free, ws = erasing.free, erasing.workspace_id
    rounds = VotingRound.objects.filter(workspace_id=ws)
    return {
        "frozen_cards": _frozen(erasing),
        "rounds": rewrite_texts(
            VotingRound,
            rounds.filter(audit.mentioning(free, ["close_reason"])),
            ("close_reason",),
            free,
        ),
        # Why dots were entered for someone, or withdrawn ("Gina asked us by phone").
        "votes": rewrite_texts(
            Vote,
            Vote.history.filter(workspace_id=ws).filter(
                audit.mentioning(free, ["behalf_reason", "withdraw_reason"])
            ),
            ("behalf_reason", "withdraw_reason"),
            free,
        ),
        # The mail server's refusal of their voting link quotes their address.
        "link_deliveries": rewrite_texts(
            LinkDelivery,
            LinkDelivery.objects.filter(workspace_id=ws).filter(audit.mentioning(free, ["error"])),
            ("error",),
            free,
        ),
    }


def _frozen(erasing: Erasing) -> int:
    """Frozen rankings: the speaker (and each contributor) who is the contact becomes the
    tombstone; their former name leaves the texts."""
    free, spoken_ids, tombstone = erasing.free, erasing.spoken_ids, erasing.tombstone
    changed = 0
    rows = FrozenCard.objects.filter(round__workspace_id=erasing.workspace_id).filter(
        Q(insight__speaker_contact_id=erasing.contact.pk)
        | audit.mentioning(free, ["text", "step_title", "scenario_title"])
        | audit.mentioning(erasing.recorded, [], ["contributors"])
    )
    for row in rows:
        before = (row.speaker_name, row.text, row.step_title, row.scenario_title, row.contributors)
        if row.insight_id in spoken_ids:
            row.speaker_name = tombstone
        row.text = audit.replace_texts(row.text, free)
        row.step_title = audit.replace_texts(row.step_title, free)[:160]
        row.scenario_title = audit.replace_texts(row.scenario_title, free)[:120]
        contributors = []
        for entry in row.contributors:
            entry = dict(entry)
            if entry.get("insight_id") in spoken_ids:
                entry["speaker_name"] = tombstone
            if "text" in entry:
                entry["text"] = audit.replace_texts(str(entry["text"]), free)
            contributors.append(entry)
        row.contributors = contributors
        after = (row.speaker_name, row.text, row.step_title, row.scenario_title, row.contributors)
        if after != before:
            row.save(
                update_fields=[
                    "speaker_name", "text", "step_title", "scenario_title", "contributors"
                ]
            )  # fmt: skip
            changed += 1
    return changed


STEP = ErasureStep(labels=recorded_labels, rewrite=erase)
