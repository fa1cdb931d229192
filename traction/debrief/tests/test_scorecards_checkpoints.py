"""The results checkpoints on the program's scorecard (counts, the next due, the latest
reached) and their full list (50 a page, filtered reached or ahead, an empty state), each row
linking to the checkpoint's page; both pages cost the same queries however many there are."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.models import Checkpoint
from traction.debrief.services import scorecards
from traction.sessions.models import Session

from .scorecard_helpers import make_debrief

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
FIRST_END = datetime(2026, 10, 1, 17, 0, tzinfo=UTC)
ClientFor = Callable[[str], Client]


def held(cast: Cast, n: int, *, program: Any = None, start: int = 0) -> None:
    """``n`` more held sessions a fortnight apart from 1 Oct 2026 with their closed debriefs
    and checkpoints, those whose day has come by ``NOW`` reached (the periodic job). Those
    after ``NOW`` are marked held and closed too (only a closed debrief has checkpoints):
    these tests count and page many checkpoints, not a calendar."""
    for k in range(start, start + n):
        ends_at = FIRST_END + timedelta(days=14 * k)
        debrief = make_debrief(cast, ends_at=ends_at, program=program, closed=True)
        Session.objects.filter(pk=debrief.session_id).update(
            title=f"Co-design {k + 1:02d}", held_at=ends_at
        )
    with clock.frozen(NOW):
        scorecards.reach_checkpoints()


def scorecard_url(cast: Cast) -> str:
    return f"/w/{cast.acme.slug}/debriefs/programs/{cast.program.pk}/scorecard/"


def list_url(cast: Cast, query: str = "") -> str:
    return scorecard_url(cast) + "checkpoints/" + (f"?{query}" if query else "")


def linked(cast: Cast, html: str) -> list[int]:
    """The checkpoints the page links to, in order."""
    base = re.escape(scorecard_url(cast) + "checkpoints/")
    return [int(pk) for pk in re.findall(base + r"(\d+)/", html)]


def test_the_scorecard_shows_counts_the_next_due_and_the_latest_reached(
    cast: Cast, client_for: ClientFor
) -> None:
    held(cast, 8)  # 24 checkpoints: every 3-month one and the 6-month ones to 27 May reached
    reached = Checkpoint.objects.filter(reached_at__isnull=False)
    ahead = Checkpoint.objects.filter(reached_at__isnull=True)
    assert (reached.count(), ahead.count()) == (13, 11)
    html = client_for("observer").get(scorecard_url(cast)).content.decode()
    assert "24 checkpoints: 13 reached, 11 still to come." in html
    upcoming = list(ahead.order_by("on", "id").values_list("pk", flat=True)[:5])
    latest = list(reached.order_by("-on", "-id").values_list("pk", flat=True)[:5])
    assert linked(cast, html) == upcoming + latest
    assert f'href="{list_url(cast)}"' in html
    assert f'href="{list_url(cast, "state=ahead")}">All 11 still to come' in html
    assert f'href="{list_url(cast, "state=reached")}">All 13 reached' in html
    # The next due is the 6-month checkpoint of the sixth session (10 Jun 2027).
    assert "10 Jun 2027" in html
    client = client_for("observer")
    for pk in (upcoming[0], latest[0]):
        assert client.get(scorecard_url(cast) + f"checkpoints/{pk}/").status_code == 200


def test_the_scorecard_without_checkpoints_or_with_none_reached(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for("observer")
    html = client.get(scorecard_url(cast)).content.decode()
    assert (
        "Each debrief gets its checkpoints when it is closed: 3, 6 and 12 months after its session."
        in html
    )
    assert linked(cast, html) == []
    make_debrief(cast, ends_at=datetime(2027, 5, 1, 17, tzinfo=UTC), closed=True)
    with clock.frozen(NOW):
        scorecards.reach_checkpoints()
    html = client.get(scorecard_url(cast)).content.decode()
    assert "3 checkpoints: 0 reached, 3 still to come." in html
    # The section says what a checkpoint is, not only how many there are.
    assert (
        "3, 6 and 12 months after each debriefed session, a checkpoint reads the program's "
        "metrics against their forecast and target." in html
    )
    assert "None reached yet" in html
    assert len(linked(cast, html)) == 3
    assert "All 3 still to come" not in html  # all of them are shown already


def test_the_full_list_is_paginated_by_50_soonest_first(cast: Cast, client_for: ClientFor) -> None:
    held(cast, 20)  # 60 checkpoints
    # Another program's: not listed.
    elsewhere = make_debrief(cast, program=cast.other_program, closed=True)
    with clock.frozen(NOW):  # its session (31 Jan 2027) is over
        scorecards.ensure_checkpoints(elsewhere)
    client = client_for("admin")
    everything = list(
        Checkpoint.objects.filter(debrief__program=cast.program)
        .order_by("on", "id")
        .values_list("pk", flat=True)
    )
    assert Checkpoint.objects.count() == 63
    first = client.get(list_url(cast)).content.decode()
    assert "60 checkpoints, 1–50 shown, soonest first." in first
    assert linked(cast, first) == everything[:50]
    assert "Page 1 of 2 (60 in all)" in first
    second = client.get(list_url(cast, "page=2")).content.decode()
    assert linked(cast, second) == everything[50:]
    assert 'rel="prev"' in second


def test_the_full_list_filters_reached_and_ahead(cast: Cast, client_for: ClientFor) -> None:
    held(cast, 8)
    client = client_for("observer")
    reached = client.get(list_url(cast, "state=reached")).content.decode()
    assert linked(cast, reached) == list(
        Checkpoint.objects.filter(reached_at__isnull=False)
        .order_by("-on", "-id")
        .values_list("pk", flat=True)
    )
    assert "13 checkpoints, newest first." in reached
    assert re.search(r'state=reached"\s+aria-current="true">Reached <strong>13</strong>', reached)
    ahead = client.get(list_url(cast, "state=ahead")).content.decode()
    assert linked(cast, ahead) == list(
        Checkpoint.objects.filter(reached_at__isnull=True)
        .order_by("on", "id")
        .values_list("pk", flat=True)
    )
    assert "11 checkpoints, soonest first." in ahead
    # An unknown state lists them all.
    assert len(linked(cast, client.get(list_url(cast, "state=nope")).content.decode())) == 24


def test_the_full_list_pages_keep_the_filter(cast: Cast, client_for: ClientFor) -> None:
    held(cast, 23)  # 69 checkpoints, 53 of them ahead
    ahead = list(
        Checkpoint.objects.filter(reached_at__isnull=True)
        .order_by("on", "id")
        .values_list("pk", flat=True)
    )
    assert len(ahead) == 53
    client = client_for("observer")
    html = client.get(list_url(cast, "state=ahead")).content.decode()
    assert "53 checkpoints, 1–50 shown, soonest first." in html
    assert 'href="?state=ahead&amp;page=2"' in html
    second = client.get(list_url(cast, "state=ahead&page=2")).content.decode()
    assert linked(cast, second) == ahead[50:]
    assert 'href="?state=ahead&amp;page=1"' in second


def test_the_full_list_empty_states(cast: Cast, client_for: ClientFor) -> None:
    client = client_for("observer")
    html = client.get(list_url(cast)).content.decode()
    assert "No checkpoints yet." in html
    assert "All <strong>0</strong>" in html
    make_debrief(cast, ends_at=datetime(2027, 5, 1, 17, tzinfo=UTC), closed=True)
    with clock.frozen(NOW):
        scorecards.reach_checkpoints()
    html = client.get(list_url(cast, "state=reached")).content.decode()
    assert "No checkpoint reached yet." in html
    assert f'href="{list_url(cast, "state=ahead")}">see the 3 still to come' in html
    Checkpoint.objects.update(reached_at=NOW)
    html = client.get(list_url(cast, "state=ahead")).content.decode()
    assert "No checkpoint still to come." in html
    assert f'href="{list_url(cast, "state=reached")}">see the 3 reached' in html


def _queries(client: Client, target: str, shown: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(target)
    assert page.status_code == 200
    assert len(re.findall(r'/checkpoints/\d+/"', page.content.decode())) == shown
    return len(queries)


def test_both_pages_cost_the_same_queries_for_6_and_66_checkpoints(
    cast: Cast, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    client = client_for("core_team")
    held(cast, 2)  # 6 checkpoints: 4 reached, 2 ahead
    few = (_queries(client, scorecard_url(cast), 6), _queries(client, list_url(cast), 6))
    held(cast, 20, start=2)  # 66
    many = (_queries(client, scorecard_url(cast), 10), _queries(client, list_url(cast), 50))
    assert few == many
    with django_assert_max_num_queries(few[0]):
        client.get(scorecard_url(cast))
    with django_assert_max_num_queries(few[1]):
        client.get(list_url(cast, "state=reached&page=2"))
