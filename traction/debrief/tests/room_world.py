"""A debrief to work in, for the room's tests: the voting tests' session (Globex's Gina and
Gus, Initech's Ian and Iris), with dots cast and the round closed, and its debrief."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.models import Debrief
from traction.insights.models import Insight
from traction.sessions.models import Session
from traction.voting import services as voting
from traction.voting.tests.test_voting import Room, add, build_room


@dataclass
class World:
    room: Room
    debrief: Debrief

    def card(self, name: str) -> Insight:
        return self.room.cards[name]


def make_debrief(cast: Cast, room: Room) -> Debrief:
    session = room.session
    end = session.ends_at
    return Debrief.objects.update_or_create(  # the debrief booked with the session
        session=session,
        defaults={
            "workspace_id": session.workspace_id,
            "program_id": session.program_id,
            "due_at": end + timedelta(hours=24),
            "starts_at": end + timedelta(hours=18),
            "ends_at": end + timedelta(hours=21),
        },
    )[0]


def build_world(cast: Cast, *, close: bool = True, budget: int = 3) -> World:
    """Votes: mot 3 (Gina 2, Ian 1), issue 3 (Gus), issue2 2 (Iris), idea 1 (Gina); the round
    closed (frozen) unless ``close`` is False."""
    room = build_room(cast)
    fran = cast.viewer("facilitator")
    voting.open_voting(fran, session=room.session, budget=budget)
    add(cast, room, room.gina, "mot", 2)
    add(cast, room, room.ian, "mot")
    add(cast, room, room.gus, "issue", 3)
    add(cast, room, room.iris, "issue2", 2)
    add(cast, room, room.gina, "idea")
    if close:
        voting.close_voting(fran, session=room.session)
    return World(room=room, debrief=make_debrief(cast, room))


def session_over(world: World) -> None:
    """For tests that cannot freeze the clock (a browser's): the session, planned for next
    week, took place this morning, so its debrief room may open. Its debrief keeps its
    booking (due well ahead: on time)."""
    now = clock.now()
    Session.objects.filter(pk=world.debrief.session_id).update(
        starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1)
    )
    world.debrief.session.refresh_from_db()


def later(days: int) -> object:
    return clock.today() + timedelta(days=days)
