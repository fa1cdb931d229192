"""Who hears about what (docs/loop.md, "Who hears what").

Three audiences per priority: its **raisers** (their own words are in the card or a card
merged into it), its **voters** (they put dots on it) and its **followers** (they asked,
``Follow``). The facts record the first two (the insight, the vote), so their reason and
"since" are read from them, never copied. A session's customer participants (they accepted
its invitation) hear about the session.

An ``Unsubscribe`` beats all three, whatever its date: a later vote never undoes it. Only an
explicit follow made after a priority-scoped unsubscribe brings that one priority back (the
contact asked again). Nothing goes to a contact who is archived or erased, has no real
address, has no consent to contact on record, or whose mail bounced (unreachable).

``audience(...)`` answers with every candidate, the excluded ones included with why, so the
account owner approves the exact list and sees who is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from traction.core import dates
from traction.customers.models import Contact
from traction.insights.models import Insight, not_withdrawn
from traction.loop.models import Follow, RecipientReason, Unsubscribe, UnsubscribeScope
from traction.sessions.models import Invitation, RsvpStatus
from traction.voting.models import Vote


@dataclass(frozen=True)
class Why:
    """One reason a contact hears about something, and since when."""

    reason: str  # RecipientReason
    since: datetime
    priority_id: int | None = None  # None: a session's participant
    session_id: int | None = None

    @property
    def label(self) -> str:
        return RecipientReason(self.reason).label


@dataclass
class Candidate:
    contact: Contact
    whys: list[Why] = field(default_factory=list)
    excluded: str = ""  # why nothing is sent to them; "" when they get it

    @property
    def included(self) -> bool:
        return not self.excluded

    @property
    def reasons(self) -> list[str]:
        """The distinct reasons, in RecipientReason order."""
        found = {w.reason for w in self.whys}
        return [r for r in RecipientReason.values if r in found]

    @property
    def priority_ids(self) -> list[int]:
        return sorted({w.priority_id for w in self.whys if w.priority_id is not None})

    @property
    def why_summary(self) -> str:
        """Each reason once, in RecipientReason order, with how many priorities it covers and
        since when (the earliest): "Their words are in it (4 priorities, since 7 Dec 2026);
        They voted on it (since 1 Dec 2026)". One line per reason, never one per priority."""
        parts = []
        for reason in self.reasons:
            mine = [w for w in self.whys if w.reason == reason]
            count = len({w.priority_id for w in mine if w.priority_id is not None})
            since = f"since {dates.short(min(w.since for w in mine))}"
            detail = f"{count} priorities, {since}" if count > 1 else since
            parts.append(f"{RecipientReason(reason).label} ({detail})")
        return "; ".join(parts)


def subscribers(priority_ids: Iterable[int]) -> dict[int, list[Why]]:
    """Contact id → why they hear about any of ``priority_ids`` (raiser, voter, follower)."""
    ids = set(priority_ids)
    found: dict[int, list[Why]] = {}
    said = (
        Insight.objects.filter(Q(pk__in=ids) | Q(merged_into_id__in=ids))
        .filter(not_withdrawn(), speaker_contact__isnull=False, internal=False)
        .values_list("pk", "merged_into_id", "speaker_contact_id", "created_at")
    )
    for pk, merged_into, contact_id, at in said:
        card = pk if pk in ids else merged_into
        found.setdefault(contact_id, []).append(Why(RecipientReason.RAISER, at, card))
    votes = Vote.objects.filter(insight_id__in=ids, dots__gt=0).values_list(
        "contact_id", "insight_id", "updated_at"
    )
    for contact_id, card, at in votes:
        found.setdefault(contact_id, []).append(Why(RecipientReason.VOTER, at, card))
    follows = Follow.objects.filter(priority_id__in=ids, ended_at__isnull=True).values_list(
        "contact_id", "priority_id", "since"
    )
    for contact_id, card, at in follows:
        found.setdefault(contact_id, []).append(Why(RecipientReason.FOLLOWER, at, card))
    return found


def participants(session_id: int) -> dict[int, list[Why]]:
    """Contact id → their taking part in the session (they accepted its invitation)."""
    rows = Invitation.objects.filter(session_id=session_id, rsvp=RsvpStatus.ACCEPTED)
    return {
        contact_id: [Why(RecipientReason.PARTICIPANT, at or sent, session_id=session_id)]
        for contact_id, at, sent in rows.values_list("contact_id", "responded_at", "sent_at")
    }


def _excluded(contact: Contact, whys: list[Why], unsubscribes: list[Unsubscribe]) -> str:
    if contact.erased_at is not None:
        return "Erased"
    if contact.archived_at is not None:
        return "Archived"
    if not contact.has_address:
        return "No email address on record"
    if contact.unreachable_at is not None:
        return f"Unreachable since {dates.short(contact.unreachable_at)} (mail bounced)"
    if not contact.consent_to_contact:
        return "No consent to contact on record"
    for gone in unsubscribes:
        if gone.scope == UnsubscribeScope.ALL:
            return f"Unsubscribed from all mail on {dates.short(gone.at)}"
        if gone.scope == UnsubscribeScope.PROGRAM:
            return f"Unsubscribed from this program on {dates.short(gone.at)}"
    stopped = {u.priority_id: u.at for u in unsubscribes if u.scope == UnsubscribeScope.PRIORITY}
    still = [
        w
        for w in whys
        if w.priority_id is None
        or w.priority_id not in stopped
        or (w.reason == RecipientReason.FOLLOWER and w.since > stopped[w.priority_id])
    ]
    if not still:
        last = max(stopped[w.priority_id] for w in whys if w.priority_id is not None)
        return f"Unsubscribed from these priorities (last on {dates.short(last)})"
    return ""


def audience(
    program_id: int,
    *,
    priority_ids: Iterable[int] = (),
    session_id: int | None = None,
    customer_id: int | None = None,
) -> list[Candidate]:
    """Everyone who would hear about ``priority_ids`` (and, with ``session_id``, the session's
    participants), limited to one organisation with ``customer_id``; excluded candidates
    say why. Ordered by organisation, then name."""
    whys = subscribers(priority_ids)
    if session_id is not None:
        for contact_id, more in participants(session_id).items():
            whys.setdefault(contact_id, []).extend(more)
    contacts = Contact.objects.filter(pk__in=whys).select_related("customer")
    if customer_id is not None:
        contacts = contacts.filter(customer_id=customer_id)
    gone: dict[int, list[Unsubscribe]] = {}
    stops = Unsubscribe.objects.filter(contact_id__in=whys).filter(
        Q(scope=UnsubscribeScope.ALL)
        | Q(scope=UnsubscribeScope.PROGRAM, program_id=program_id)
        | Q(scope=UnsubscribeScope.PRIORITY)
    )
    for stop in stops:
        gone.setdefault(stop.contact_id, []).append(stop)
    found = [
        Candidate(c, sorted(whys[c.pk], key=lambda w: w.since), "")
        for c in contacts.order_by("customer__name", "name", "pk")
    ]
    for candidate in found:
        candidate.excluded = _excluded(
            candidate.contact, candidate.whys, gone.get(candidate.contact.pk, [])
        )
    return found


__all__ = ["Candidate", "Why", "audience", "participants", "subscribers"]
