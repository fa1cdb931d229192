"""Scoped reads of the debrief clock: the debriefs a viewer may see (with their answers
counted in the same query), one debrief, a session's debrief, the readiness check, the
program's and the home's summaries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from traction.core import clock, permissions
from traction.core.permissions import Viewer
from traction.debrief.models import (
    DEBRIEF_MISSED_AFTER,
    DEFAULT_DEBRIEF_KINDS,
    Attendee,
    Debrief,
    DebriefSettings,
    DebriefStatus,
    DecisionOutcome,
    Recommendation,
)
from traction.sessions.models import SessionKind
from traction.sessions.readiness import Check

TIMELINESS = {
    "due": "Due",
    "on_time": "On time",
    "late": "Late",
    "missed": "Missed",
    "cancelled": "Cancelled",
}


def timeliness_q(kind: str, now: datetime | None = None) -> Q:
    """``Debrief.timeliness == kind`` as a filter (the same rule, in the database)."""
    now = now or clock.now()
    live = ~Q(status=DebriefStatus.CANCELLED)
    opened = Q(opened_at__isnull=False)
    waiting = Q(opened_at__isnull=True)
    missed_at = F("due_at") + DEBRIEF_MISSED_AFTER
    if kind == "cancelled":
        return Q(status=DebriefStatus.CANCELLED)
    if kind == "on_time":
        return live & opened & Q(opened_at__lte=F("due_at"))
    if kind == "due":
        return live & waiting & Q(due_at__gte=now)
    if kind == "late":
        return live & (
            (opened & Q(opened_at__gt=F("due_at"), opened_at__lte=missed_at))
            | (waiting & Q(due_at__lt=now) & ~Q(due_at__lt=now - DEBRIEF_MISSED_AFTER))
        )
    if kind == "missed":
        return live & (
            (opened & Q(opened_at__gt=missed_at))
            | (waiting & Q(due_at__lt=now - DEBRIEF_MISSED_AFTER))
        )
    raise ValueError(f"Unknown timeliness {kind!r}; use one of {list(TIMELINESS)}.")


def with_answers(qs: QuerySet[Debrief]) -> QuerySet[Debrief]:
    """Debriefs with their invitees' answers counted, and, for a closed one, who the closing
    recorded as present (no query per row)."""
    return qs.annotate(
        invited_count=Count("attendees", distinct=True),
        accepted_count=Count("attendees", filter=Q(attendees__response="accepted"), distinct=True),
        present_count=Count("attendees", filter=Q(attendees__present=True), distinct=True),
        policy_maker_accepted=Exists(
            Attendee.objects.filter(
                debrief=OuterRef("pk"), is_policy_maker=True, response="accepted"
            )
        ),
        policy_maker_present=Exists(
            Attendee.objects.filter(debrief=OuterRef("pk"), is_policy_maker=True, present=True)
        ),
    )


def debriefs(
    viewer: Viewer, *, program_id: int | None = None, timeliness: str = ""
) -> QuerySet[Debrief]:
    """The debriefs the viewer may see, soonest due first among those waiting, then the
    latest."""
    qs = permissions.scope(viewer, "debrief.view", Debrief.objects.all())
    if program_id is not None:
        qs = qs.filter(program_id=program_id)
    if timeliness:
        qs = qs.filter(timeliness_q(timeliness))
    return with_answers(qs.select_related("session", "program")).order_by("-due_at", "-id")


def debrief(viewer: Viewer, debrief_id: int, action: str = "debrief.view") -> Debrief:
    """One debrief the viewer may see (else NotFound), and may ``action`` (else
    PermissionDenied)."""
    found = permissions.get(
        viewer,
        "debrief.view",
        with_answers(Debrief.objects.select_related("session__program", "program")),
        pk=debrief_id,
    )
    if action != "debrief.view":
        permissions.check(viewer, action, found)
    return found


def attendees(debrief_obj: Debrief) -> list[Attendee]:
    return list(debrief_obj.attendees.select_related("user"))


def my_attendance(viewer: Viewer, debrief_obj: Debrief) -> Attendee | None:
    return debrief_obj.attendees.filter(user_id=viewer.user_id).first()


def kinds_needing(workspace_id: int) -> list[str]:
    found = DebriefSettings.objects.filter(workspace_id=workspace_id).first()
    return list(found.kinds) if found is not None else list(DEFAULT_DEBRIEF_KINDS)


def session_debrief(viewer: Viewer, session: Any) -> dict[str, Any]:
    """The session page's debrief section: the debrief (or why there is none), its invitees
    and what the viewer may do."""
    found = (
        debriefs(viewer).filter(session_id=session.pk).select_related("session__program").first()
    )
    if found is None:
        return {
            "debrief": None,
            "session": session,
            "needed": session.kind in kinds_needing(session.workspace_id),
        }
    mine = my_attendance(viewer, found)
    return {
        "debrief": found,
        "session": session,
        "attendees": attendees(found),
        "mine": mine,
        "can_run": permissions.can(viewer, "debrief.run", found),
        # A closed or cancelled debrief's invitation is no longer answered: no buttons.
        "can_respond": mine is not None and not found.is_finished,
    }


PROGRAM_SHOWN = 10


def program_debriefs(viewer: Viewer, program: Any) -> dict[str, Any]:
    """The program page's section: each session's debrief status, latest first (not those
    cancelled with their session)."""
    qs = debriefs(viewer, program_id=program.pk).exclude(status=DebriefStatus.CANCELLED)
    shown = list(qs[:PROGRAM_SHOWN])
    return {
        "program": program,
        "debriefs": shown,
        "more": qs.count() > len(shown) if len(shown) == PROGRAM_SHOWN else False,
        "missed": qs.filter(timeliness_q("missed")).count(),
        "late": qs.filter(timeliness_q("late")).count(),
    }


HOME_SHOWN = 5


def home_debriefs(viewer: Viewer) -> list[Debrief]:
    """Debriefs whose session ended and whose room is not open, late ones included (not the
    missed ones, which the debrief list shows): what the home asks the viewer to hold. Asked of
    those who run debriefs and of those invited to it; a member who may only read the program
    (an observer not invited) is not asked to hold a debrief."""
    now = clock.now()
    visible = permissions.scope(viewer, "debrief.view", Debrief.objects.all())
    if not permissions.allows(viewer, "debrief.run"):
        visible = visible.filter(attendees__user_id=viewer.user_id)
    waiting = (
        visible.filter(status=DebriefStatus.BOOKED, opened_at__isnull=True)
        .filter(
            Q(session__actual_ends_at__lte=now)
            | Q(session__actual_ends_at__isnull=True, session__ends_at__lte=now)
        )
        .filter(due_at__gte=now - DEBRIEF_MISSED_AFTER)
        .select_related("session")
        .order_by("due_at", "id")
    )
    return list(waiting[:HOME_SHOWN])


def home_invitations(viewer: Viewer) -> list[Debrief]:
    """Debriefs the viewer is invited to and has not answered, while the answer still counts
    (booked, the room not open, its slot not over): soonest first. A policy maker's accepting
    is part of the session's readiness, so the home asks for the answer."""
    now = clock.now()
    asked = (
        permissions.scope(viewer, "debrief.view", Debrief.objects.all())
        .filter(status=DebriefStatus.BOOKED, opened_at__isnull=True, ends_at__gt=now)
        .filter(attendees__user_id=viewer.user_id, attendees__response="")
        .select_related("session")
        .order_by("starts_at", "id")
    )
    return list(asked[:HOME_SHOWN])


def home_decisions(viewer: Viewer) -> list[tuple[Debrief, int]]:
    """Debriefs with recommendations waiting for a decision the viewer may take (the sponsor
    or a named policy maker of their program; admins), with how many: a decider's next step
    on the home page. Drafts withdrawn (archived) are not waiting. Two queries."""
    if not permissions.allows(viewer, "recommendation.decide"):
        return []
    mine = permissions.scope(viewer, "recommendation.decide", Recommendation.objects.all())
    waiting = (
        Recommendation.objects.filter(pk__in=mine.values("pk"))
        .filter(outcome=DecisionOutcome.PENDING, archived_at=None)
        .values("debrief_id")
        .annotate(n=Count("id"))
        .order_by("debrief_id")
    )
    counts = {row["debrief_id"]: row["n"] for row in waiting[:HOME_SHOWN]}
    found = Debrief.objects.filter(pk__in=counts).select_related("session").order_by("due_at", "id")
    return [(d, counts[d.pk]) for d in found]


# --- the session's readiness ----------------------------------------------------------------


def annotate_sessions(qs: QuerySet[Any]) -> QuerySet[Any]:
    """What the readiness check needs, as annotations (constant queries for a list)."""
    live = Debrief.objects.filter(session=OuterRef("pk")).exclude(status=DebriefStatus.CANCELLED)
    annotated: QuerySet[Any] = qs.annotate(
        debrief_booked=Exists(live),
        debrief_policy_maker_accepted=Exists(
            Attendee.objects.filter(
                debrief__session=OuterRef("pk"), is_policy_maker=True, response="accepted"
            ).exclude(debrief__status=DebriefStatus.CANCELLED)
        ),
        debrief_kinds=Subquery(
            DebriefSettings.objects.filter(workspace_id=OuterRef("workspace_id")).values("kinds")[
                :1
            ],
            output_field=JSONField(),
        ),
    )
    return annotated


def readiness_check(session: Any) -> Check | None:
    """ "Debrief booked, at least one policy maker accepted", for sessions that need one."""
    if session.status == "cancelled":
        return None
    if not hasattr(session, "debrief_booked"):
        found = annotate_sessions(type(session).objects.filter(pk=session.pk)).values(
            "debrief_booked", "debrief_policy_maker_accepted", "debrief_kinds"
        )[0]
        booked, accepted, kinds = (
            found["debrief_booked"],
            found["debrief_policy_maker_accepted"],
            found["debrief_kinds"],
        )
    else:
        booked = session.debrief_booked
        accepted = session.debrief_policy_maker_accepted
        kinds = session.debrief_kinds
    if isinstance(kinds, str):  # a JSON text on some backends
        import json

        kinds = json.loads(kinds)
    needed = session.kind in (kinds if kinds is not None else DEFAULT_DEBRIEF_KINDS)
    if not booked and not needed:
        return None
    if not booked:
        detail = "Not booked yet (Traction books it; check the debrief settings)"
    elif accepted:
        detail = "Booked; a policy maker accepted"
    else:
        detail = "Booked; no policy maker has accepted yet"
    return Check(
        "debrief", "Debrief booked, at least one policy maker accepted", booked and accepted, detail
    )


def kinds_in_words(kinds: list[str]) -> str:
    """ "co-design sessions and customer advisory board meetings": the kinds, plural, in the
    order the session kinds are listed."""
    names = [
        f"{label[0].lower()}{label[1:]}s" for value, label in SessionKind.choices if value in kinds
    ]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def settings_section(viewer: Viewer, workspace: Any) -> dict[str, Any]:
    """The workspace settings page's "Debriefs" card: which session kinds need a debrief and
    the booked meeting's default length, with the way to change them."""
    from traction.debrief.services.clock import settings_of

    current = settings_of(viewer.workspace_id)
    return {
        "workspace_slug": workspace.slug,
        "kinds": kinds_in_words(current.kinds),
        "hours": current.default_minutes // 60,
        "minutes": current.default_minutes % 60,
    }
