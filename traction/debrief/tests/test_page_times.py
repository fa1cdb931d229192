"""Every time a debrief page shows is in the session's time zone and says which (review 18
#2): the room (due, opened, closed, the decisions, the closing panel), the brief's earlier
decisions, the list, the booking, the answer page, the close and send pages, the decide and
edit pages of a recommendation, the checkpoint page. Berlin and New York, on both sides of
the autumn change of the clocks (Berlin 25 October 2026, New York 1 November 2026): the same
UTC hour shows a different local hour before and after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import dateformat

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.core.testing.zones import AUTUMN_CHANGE
from traction.debrief.models import (
    Checkpoint,
    ClockEvent,
    Debrief,
    DebriefStatus,
    DecisionOutcome,
    Recommendation,
)
from traction.sessions import services as sessions
from traction.sessions.models import Session

from .pack_data import PackWorld, build_pack_world, decide, recommend

pytestmark = pytest.mark.django_db

TIMES = AUTUMN_CHANGE  # (zone, the instant in UTC, the wall clock there)

# An instant whose calendar day differs between UTC and the zone (pages showing a day only).
DAYS = [
    pytest.param(
        "Europe/Berlin",
        datetime(2026, 10, 24, 22, 30, tzinfo=UTC),
        "25 Oct 2026",  # 00:30 in Berlin (summer time)
        id="berlin",
    ),
    pytest.param(
        "America/New_York",
        datetime(2026, 11, 2, 3, 30, tzinfo=UTC),
        "1 Nov 2026",  # 22:30 in New York (standard time, the day after the change)
        id="new-york",
    ),
]


def built(cast: Cast, zone: str, at: datetime) -> PackWorld:
    """The pack's world in ``zone``, built at ``at``: its decisions (append-only) are dated
    then."""
    with clock.frozen(at):
        w = build_pack_world(cast)
    Session.objects.filter(pk=w.session.pk).update(time_zone=zone)
    return w


def page(w: PackWorld, url: str, who: str = "facilitator") -> str:
    client = Client()
    client.force_login(w.cast.users[who])
    answer = client.get(url)
    assert answer.status_code == 200, url
    return str(answer.content.decode())


def closed_at(w: PackWorld, at: datetime) -> None:
    Debrief.objects.filter(pk=w.debrief.pk).update(
        status=DebriefStatus.CLOSED,
        due_at=at,
        opened_at=at,
        closed_at=at,
        closed_by=w.cast.users["facilitator"],
        pack_sent_at=at,
    )


@pytest.mark.parametrize(("zone", "at", "local"), TIMES)
def test_the_room_shows_due_opened_closed_and_decisions_in_the_sessions_zone(
    cast: Cast, zone: str, at: datetime, local: datetime
) -> None:
    world = built(cast, zone, at)
    closed_at(world, at)
    html = page(world, world.url)

    def f(fmt: str) -> str:
        return dateformat.format(local, fmt)

    assert f'<dt>Due</dt><dd>{f("D j M Y, H:i")} <span class="muted">({zone})</span>' in html
    assert f"· opened {f('D j M, H:i')} ({zone})" in html
    assert f'Closed on {f("D j M Y, H:i")} <span class="muted">({zone})</span>' in html
    assert f"<p>Closed {f('j F Y, H:i')} ({zone}). The pack was sent {f('j F Y')}." in html
    assert f'<li>{f("j M Y, H:i")} <span class="muted">({zone})</span>: <strong>' in html


@pytest.mark.parametrize(("zone", "at", "local"), TIMES)
def test_the_close_and_send_pages_show_when_in_the_sessions_zone(
    cast: Cast, zone: str, at: datetime, local: datetime
) -> None:
    world = built(cast, zone, at)
    closed_at(world, at)
    when = dateformat.format(local, "j F Y, H:i")
    assert f"It was closed {when} ({zone}) by" in page(world, world.url + "close/")
    assert f"<strong>Sent {when} ({zone}).</strong>" in page(world, world.url + "send/")


@pytest.mark.parametrize(("zone", "at", "local"), TIMES)
def test_the_decide_and_edit_pages_date_decisions_in_the_sessions_zone(
    cast: Cast, zone: str, at: datetime, local: datetime
) -> None:
    world = built(cast, zone, at)
    rec = world.recs["invoice"]
    entry = f'<li>{dateformat.format(local, "j M Y, H:i")} <span class="muted">({zone})</span>:'
    base = f"{world.url}recommendations/{rec.pk}/"
    assert entry in page(world, base)
    assert entry in page(world, base + "decide/", who="sponsor")  # a policy maker decides


@pytest.mark.parametrize(("zone", "at", "local"), TIMES)
def test_the_list_booking_and_answer_pages_use_the_sessions_zone_not_yours(
    cast: Cast, zone: str, at: datetime, local: datetime
) -> None:
    world = built(cast, zone, at)
    Debrief.objects.filter(pk=world.debrief.pk).update(due_at=at, opened_at=at)
    with clock.frozen(at):
        ClockEvent.objects.create(
            workspace=world.cast.acme, debrief=world.debrief, kind="held", due_at=at
        )
    slug = world.cast.acme.slug

    listed = page(world, f"/w/{slug}/debriefs/")
    due = dateformat.format(local, "D j M Y, H:i")
    assert f'{due}<div class="muted small">{zone}</div>' in listed
    assert "your time zone" not in listed

    booking = page(world, f"/w/{slug}/debriefs/{world.debrief.pk}/booking/")
    assert f"Room opened {dateformat.format(local, 'l j F Y, H:i')} ({zone})" in booking
    assert f"{dateformat.format(local, 'j M Y, H:i')} ({zone})</span>" in booking  # its record
    assert "your time zone" not in booking

    answer = page(world, f"/w/{slug}/debriefs/{world.debrief.pk}/respond/")
    assert "your time zone" not in answer
    assert f"({zone})" in answer


@pytest.mark.parametrize(("zone", "at", "day"), DAYS)
def test_the_brief_and_the_checkpoint_date_decisions_in_the_sessions_zone(
    cast: Cast, zone: str, at: datetime, day: str
) -> None:
    world = built(cast, zone, at)
    # An earlier debrief of the program decided on a card this session ranks.
    earlier_session = sessions.plan_session(
        world.cast.viewers["facilitator"],
        program=world.cast.program,  # type: ignore[arg-type]
        title="An earlier co-design",
        starts_at=datetime(2026, 9, 1, 9, 0),
        ends_at=datetime(2026, 9, 1, 12, 0),
        time_zone=zone,
    )
    earlier = Debrief.objects.get(session=earlier_session)
    rec = recommend(
        earlier, "Invoice on day one", world.cards["mot"], world.cast.users["core_team"]
    )
    decide(rec, world.cast.users["sponsor"], "sponsor", DecisionOutcome.APPROVED, "Agreed")
    Recommendation.objects.filter(pk__in=[rec.pk, world.recs["invoice"].pk]).update(decided_at=at)
    utc_day = dateformat.format(at, "j M Y")
    assert utc_day != day

    brief = page(world, world.url)
    assert f"“Invoice on day one” — approved {day}</span>" in brief

    cp = Checkpoint.objects.create(
        debrief=world.debrief, months=3, on=(at + timedelta(days=90)).date()
    )
    slug, program = world.cast.acme.slug, world.cast.program
    assert program is not None
    report = page(world, f"/w/{slug}/debriefs/programs/{program.pk}/scorecard/checkpoints/{cp.pk}/")
    assert f"<strong>Approved</strong> {day}" in report
    assert f"<strong>Approved</strong> {utc_day}" not in report
