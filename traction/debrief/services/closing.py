"""Closing a debrief, sending its pack and the account owners' digests (docs/debrief.md,
"Closing the debrief and the debrief pack").

``close_debrief`` records who attended, the closing note, the top priorities left undecided
with their revisit dates (``Undecided`` rows) and, for a debrief with no decision, why; it
closes the debrief once and makes its results checkpoints. ``send_pack`` emails the pack to
the attendees and the program's policy makers (never the workspace, never customers);
``send_digests`` (the periodic job) emails each account owner whose customers took part the
decisions touching them, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from django.db import transaction

from traction.accounts.models import Membership
from traction.core import audit, clock, permissions
from traction.core.dates import window_refusal
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import check_length
from traction.core.writes import expect_version, save_new_version
from traction.debrief import outbound, selectors_pack
from traction.debrief.models import Attendee, ClockEvent, Debrief, DebriefStatus, Undecided
from traction.debrief.services import scorecards
from traction.debrief.services.clock import on_debrief_closed, record_clock_event

NOTE_MAX = 5000
UNDECIDED_NOTE_MAX = 300
ATTENDANCE_MAX = 1000  # people listed as attending or not
UNDECIDED_MAX = 1000  # undecided top priorities given a revisit date


@dataclass(frozen=True)
class Revisit:
    """An undecided top priority and when to look at it again."""

    insight_id: int
    revisit_on: date | None
    note: str = ""


def payload(debrief: Debrief) -> dict[str, Any]:
    """The ``debrief.closed`` event's data: stable JSON (ids, ISO dates, names)."""
    return {
        "debrief_id": debrief.pk,
        "session_id": debrief.session_id,
        "session_title": debrief.session.title,
        "program_id": debrief.program_id,
        "program_name": debrief.program.name,
        "status": debrief.status,
        "closed_at": clock.iso_utc(debrief.closed_at) if debrief.closed_at else None,
        "closed_by": (debrief.closed_by.full_name or debrief.closed_by.email)
        if debrief.closed_by
        else None,
        "closing_note": debrief.closing_note,
        "empty_reason": debrief.empty_reason,
        "attended": sorted(
            Attendee.objects.filter(debrief=debrief, present=True).values_list("user_id", flat=True)
        ),
        "undecided": [
            {"insight_id": u.insight_id, "revisit_on": u.revisit_on.isoformat(), "note": u.note}
            for u in Undecided.objects.filter(debrief=debrief).order_by("revisit_on", "pk")
        ],
    }


def _record_clock_event(debrief: Debrief, kind: str, note: str = "") -> ClockEvent | None:
    # The clock area's record (idempotent: "closed" once per debrief).
    return record_clock_event(debrief, kind, note)


def _attendance(
    debrief: Debrief, attendance: Mapping[int, bool], errors: dict[str, list[str]]
) -> dict[int, bool]:
    """Presence per user: every attendee row answered (absent unless said present), and
    anyone added must be a current member of the workspace. An error on one person is named
    by their position in ``attendance`` (``attendance.1.user_id``, as the API's list)."""
    asked = set(Attendee.objects.filter(debrief=debrief).values_list("user_id", flat=True))
    position: dict[int, int] = {}
    for n, u in enumerate(attendance):
        position.setdefault(int(u), n)
    extra = set(position) - asked
    members = set(
        Membership.objects.filter(workspace_id=debrief.workspace_id, user_id__in=extra).values_list(
            "user_id", flat=True
        )
    )
    for user_id in sorted(extra - members, key=position.__getitem__):
        errors.setdefault(f"attendance.{position[user_id]}.user_id", []).append(
            f"User {user_id} is not a member of this workspace: only members can be recorded "
            "as attending."
        )
    answered = {u: bool(attendance.get(u, False)) for u in asked}
    answered.update({u: bool(attendance[u]) for u in extra & members})
    if not any(answered.values()):
        errors.setdefault("attendance", []).append("Mark at least one person as present.")
    return answered


def _undecided(
    actor: Viewer, debrief: Debrief, undecided: list[Revisit], errors: dict[str, list[str]]
) -> list[Revisit]:
    """Every top priority without a decision needs a revisit date, today or later. Errors are
    named by the row's position in ``undecided`` (``undecided.0.revisit_on``, as the API's
    list); a priority missing from it on ``undecided``, with its insight id."""
    given: dict[int, tuple[int, Revisit]] = {}
    for n, r in enumerate(undecided):
        given.setdefault(r.insight_id, (n, r))
    needed = selectors_pack.undecided_priorities(actor, debrief)
    today = clock.today()
    rows = []
    for card in needed:
        if card.insight_id not in given:
            errors.setdefault("undecided", []).append(
                f"“{card.text[:80]}” (insight {card.insight_id}) has no decision: give a date "
                "to revisit it."
            )
            continue
        n, row = given[card.insight_id]
        key = f"undecided.{n}.revisit_on"
        if row.revisit_on is None:
            errors.setdefault(key, []).append(
                f"“{card.text[:80]}” has no decision: give a date to revisit it."
            )
            continue
        if row.revisit_on < today:
            errors.setdefault(key, []).append("The revisit date cannot be in the past.")
            continue
        if problem := window_refusal(row.revisit_on):  # a placeholder years away (core.dates)
            errors.setdefault(key, []).append(problem)
            continue
        note = " ".join(row.note.split())
        if len(note) > UNDECIDED_NOTE_MAX:
            check_length(errors, f"undecided.{n}.note", note, UNDECIDED_NOTE_MAX)
            continue
        rows.append(Revisit(card.insight_id, row.revisit_on, note))
    listed = {card.insight_id for card in needed}
    for insight_id, (n, _) in sorted(given.items(), key=lambda item: item[1][0]):
        if insight_id not in listed:
            errors.setdefault(f"undecided.{n}.insight_id", []).append(
                f"Insight {insight_id} is not a top priority left without a decision: only "
                "those are listed as undecided."
            )
    return rows


def close_debrief(
    actor: Viewer,
    *,
    debrief: Debrief,
    attendance: Mapping[int, bool],
    note: str,
    undecided: list[Revisit],
    empty_reason: str = "",
    version: int | None = None,
) -> Debrief:
    """Close the debrief: who attended, the closing note (required), the undecided top
    priorities with revisit dates, and why it decided nothing if it did not. Once."""
    permissions.check(actor, "debrief.run", debrief)
    with transaction.atomic():
        debrief = (
            Debrief.objects.select_for_update()
            .select_related("session", "program")
            .get(pk=debrief.pk)
        )
        expect_version(debrief, version)
        if debrief.status == DebriefStatus.CLOSED:
            raise ValidationFailed.field("__all__", "This debrief is already closed.")
        if debrief.status == DebriefStatus.CANCELLED:
            raise ValidationFailed.field(
                "__all__", "This debrief was cancelled with its session; it cannot be closed."
            )
        # A debrief that opened is of a session that took place (opening checks it).
        if debrief.opened_at is None and (early := debrief.too_early()):
            raise ValidationFailed.field("__all__", early)
        errors: dict[str, list[str]] = {}
        note = note.strip()
        empty_reason = empty_reason.strip()
        if not note:
            errors["note"] = ["Write a closing note: what the debrief decided and what is next."]
        else:
            check_length(errors, "note", note, NOTE_MAX)
        if not selectors_pack.has_decision(debrief) and not empty_reason:
            errors["empty_reason"] = [
                "No recommendation was decided: say why before closing this debrief."
            ]
        else:
            check_length(errors, "empty_reason", empty_reason, NOTE_MAX)
        # Capped before any is looked at: a list of thousands is nobody's debrief, and would
        # be one query with a parameter per id and an answer with an error per row.
        check_length(errors, "attendance", attendance, ATTENDANCE_MAX)
        check_length(errors, "undecided", undecided, UNDECIDED_MAX)
        if "attendance" in errors or "undecided" in errors:
            raise ValidationFailed(errors)
        present = _attendance(debrief, attendance, errors)
        revisits = _undecided(actor, debrief, undecided, errors)
        if errors:
            raise ValidationFailed(errors)
        deciders = selectors_pack.policy_maker_ids(debrief)
        existing = {a.user_id: a for a in Attendee.objects.filter(debrief=debrief)}
        for user_id, here in present.items():
            row = existing.get(user_id)
            if row is None:
                Attendee.objects.create(
                    debrief=debrief,
                    user_id=user_id,
                    is_policy_maker=user_id in deciders,
                    present=here,
                )
            elif row.present != here:
                row.present = here
                row.save(update_fields=["present"])
        Undecided.objects.bulk_create(
            [
                Undecided(
                    debrief=debrief, insight_id=r.insight_id, revisit_on=r.revisit_on, note=r.note
                )
                for r in revisits
                if r.revisit_on is not None
            ]
        )
        before = debrief.status
        debrief.status = DebriefStatus.CLOSED
        debrief.closed_at = clock.now()
        debrief.closed_by_id = actor.user_id
        debrief.closing_note = note
        debrief.empty_reason = empty_reason
        save_new_version(
            debrief,
            fields=["status", "closed_at", "closed_by", "closing_note", "empty_reason"],
        )
        _record_clock_event(debrief, ClockEvent.Kind.CLOSED)
        on_debrief_closed(debrief)  # a slot still ahead leaves the invitees' calendars
        # Its results checkpoints (3, 6 and 12 months after the session), now rather than
        # at the next periodic run; ensure_checkpoints makes each once.
        scorecards.ensure_checkpoints(debrief)
        audit.record(
            actor,
            action="debrief.closed",
            obj=debrief,
            changes={
                "status": [before, debrief.status],
                "present": sorted(u for u, here in present.items() if here),
                "absent": sorted(u for u, here in present.items() if not here),
                "undecided": {str(r.insight_id): str(r.revisit_on) for r in revisits},
                "empty_reason": empty_reason,
            },
            reason=note[:300],
        )
        outbound.announce(
            workspace_id=debrief.workspace_id,
            event="debrief.closed",
            program_id=debrief.program_id,
            data=payload(debrief),
        )
    return debrief


# --- sending the pack ----------------------------------------------------------------------------


def send_pack(
    actor: Viewer, *, debrief: Debrief, resend: bool = False
) -> list[selectors_pack.Recipient]:
    """Email the pack (text, HTML and the PDF) to each recipient (``recipients``). Sending
    again must be asked for (``resend``). Each email is sent after the transaction commits,
    rendered for its recipient as they may see it."""
    from traction.debrief import pack_mail

    permissions.check(actor, "debrief.run", debrief)
    with transaction.atomic():
        debrief = (
            Debrief.objects.select_for_update()
            .select_related("session", "program")
            .get(pk=debrief.pk)
        )
        if debrief.status != DebriefStatus.CLOSED:
            raise ValidationFailed.field("__all__", "Close the debrief before sending its pack.")
        if debrief.pack_sent_at is not None and not resend:
            raise ValidationFailed.field(
                "__all__",
                "The pack was already sent. Choose “Send again” to send it once more.",
            )
        to = selectors_pack.recipients(debrief)
        if not to:
            raise ValidationFailed.field("__all__", "Nobody to send the pack to.")
        before = debrief.pack_sent_at
        debrief.pack_sent_at = clock.now()
        save_new_version(debrief, fields=["pack_sent_at"])
        audit.record(
            actor,
            action="debrief.pack_resent" if resend and before else "debrief.pack_sent",
            obj=debrief,
            changes={"recipients": [r.user_id for r in to]},
        )
        for r in to:
            transaction.on_commit(
                partial(pack_mail.deliver_pack.enqueue, debrief.pk, r.user_id, actor.user_id)
            )
    return to


# --- the account owners' digests -----------------------------------------------------------------


def send_digests() -> dict[str, int]:
    """The periodic job: for each closed debrief whose digests have not gone, email each
    account owner the decisions touching their customers (none if nothing touches them),
    and mark the debrief (``digests_sent_at``) so nothing goes twice."""
    from traction.debrief import pack_mail

    debriefs = sent = 0
    pending = Debrief.objects.filter(
        status=DebriefStatus.CLOSED, digests_sent_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(pending):
        with transaction.atomic():
            debrief = (
                Debrief.objects.select_for_update(skip_locked=True)
                .select_related("session", "program")
                .filter(pk=pk, digests_sent_at__isnull=True)
                .first()
            )
            if debrief is None:  # another run took it
                continue
            found = selectors_pack.digests(debrief)
            debrief.digests_sent_at = clock.now()
            save_new_version(debrief, fields=["digests_sent_at"])
            audit.record(
                None,
                action="debrief.digests_sent",
                obj=debrief,
                changes={"account_owners": [d.owner_id for d in found]},
            )
            for digest in found:
                transaction.on_commit(
                    partial(pack_mail.deliver_digest.enqueue, debrief.pk, digest.owner_id)
                )
            debriefs += 1
            sent += len(found)
    return {"debriefs": debriefs, "digests": sent}
