"""The board at scale: each cell shows its top cards and "N more", which opens the whole
cell a page at a time; the board's query count does not grow with the session's cards."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from traction.insights import selectors
from traction.insights.models import Insight, Step
from traction.insights.tests.conftest import Room
from traction.voting.models import Vote

pytestmark = pytest.mark.django_db


def url(name: str, *args: object) -> str:
    return reverse(f"insights:{name}", args=["acme", *args])


def client_for(room: Room, principal: str = "facilitator") -> Client:
    client = Client()
    client.force_login(room.cast.users[principal])
    return client


def cards(
    room: Room,
    n: int,
    *,
    kind: str = "issue",
    step: Step | None = None,
    scenario: bool = True,
    internal: bool = False,
    who: str = "gina",
    text: str = "Card",
) -> list[Insight]:
    """``n`` accepted cards, one a minute apart (capture order is their number)."""
    contact = getattr(room, who)
    start = timezone.now() - timedelta(days=1)
    return Insight.objects.bulk_create(
        Insight(
            workspace_id=room.session.workspace_id,
            program_id=room.session.program_id,
            session=room.session,
            scenario=room.scenario if scenario else None,
            step=step,
            kind=kind,
            text=f"{text} {i:03d}",
            speaker_contact=None if internal else contact,
            speaker_user=room.cast.users["core_team"] if internal else None,
            customer=None if internal else contact.customer,
            internal=internal,
            created_at=start + timedelta(minutes=len(text) * 1000 + i),
        )
        for i in range(n)
    )


def vote(room: Room, card: Insight, dots: int) -> None:
    Vote.objects.create(
        workspace_id=card.workspace_id,
        session=room.session,
        insight=card,
        contact=room.gina,
        dots=dots,
        channel="room",
    )


def shown(page: str, prefix: str) -> list[str]:
    """The texts of the cards on ``page`` that start with ``prefix``, in page order."""
    return re.findall(rf'(?:<p class="note-text">|<span class="quote">“)({prefix} \d\d\d)', page)


def test_a_cell_shows_its_top_five_by_dots_then_newest_in_capture_order(room: Room) -> None:
    billing = room.steps[1]
    made = cards(room, 8, step=billing, text="Billing issue")
    vote(room, made[0], 3)
    vote(room, made[2], 1)
    page = client_for(room).get(url("board", room.session.pk)).content.decode()
    # Voted first (000 with 3 dots, 002 with 1), then the newest (007, 006, 005); shown in
    # the order they were captured.
    assert shown(page, "Billing issue") == [f"Billing issue {i:03d}" for i in (0, 2, 5, 6, 7)]
    cell = (
        f"{url('board_cell', room.session.pk)}?scenario={room.scenario.pk}"
        f"&amp;step={billing.pk}&amp;kind=issue"
    )
    assert f'<a class="more-link" href="{cell}">3 more' in page
    listed = client_for(room).get(cell.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert shown(listed.content.decode(), "Billing issue") == [
        f"Billing issue {i:03d}" for i in range(8)
    ]


def test_a_cell_with_five_cards_or_fewer_has_no_more_link(room: Room) -> None:
    cards(room, 5, step=room.steps[0], kind="idea", text="Idea")
    page = client_for(room).get(url("board", room.session.pk)).content.decode()
    assert shown(page, "Idea") == [f"Idea {i:03d}" for i in range(5)]
    assert "more-link" not in page


def test_the_lists_beside_the_grid_show_their_top_cards_and_how_many_more(room: Room) -> None:
    cards(room, 7, kind="quote", text="Quote")
    cards(room, 6, internal=True, kind="issue", text="Remark", scenario=False)
    cards(room, 9, kind="idea", text="Loose idea")  # a grid kind on no step
    cards(room, 6, kind="outcome", text="Outcome quote")  # quoted beside the outcome
    page = client_for(room).get(url("board", room.session.pk)).content.decode()
    base = f"{url('board_cell', room.session.pk)}?scenario={room.scenario.pk}&amp;list="
    for name, prefix, more in (
        ("others", "Quote", 2),
        ("internal", "Remark", 1),
        ("unplaced", "Loose idea", 4),
        ("outcome", "Outcome quote", 1),
    ):
        assert len(shown(page, prefix)) == 5, prefix
        assert f'href="{base}{name}">{more} more' in page, name
        listed = client_for(room).get((base + name).replace("&amp;", "&")).content.decode()
        assert len(shown(listed, prefix)) == 5 + more, name
    # A loose idea is listed once, under "Not on a step yet" (not again among the quotes).
    assert page.count('id="insight-') == 5 * 3


def test_the_cell_page_lists_every_card_a_page_at_a_time(room: Room) -> None:
    step = room.steps[2]
    cards(room, selectors.CELL_PAGE + 3, step=step, kind="customer_metric", text="Metric")
    cell = (
        f"{url('board_cell', room.session.pk)}?scenario={room.scenario.pk}"
        f"&step={step.pk}&kind=customer_metric"
    )
    first = client_for(room).get(cell).content.decode()
    assert shown(first, "Metric") == [f"Metric {i:03d}" for i in range(selectors.CELL_PAGE)]
    assert f"Page 1 of 2 ({selectors.CELL_PAGE + 3} in all)" in first
    assert "Customer metrics · 3. First invoice" in first
    second = client_for(room).get(cell + "&page=2", headers={"HX-Request": "true"})
    body = second.content.decode()
    assert shown(body, "Metric") == [f"Metric {i:03d}" for i in range(50, 53)]
    assert "<html" not in body  # htmx gets the list alone
    assert body.lstrip().startswith('<div id="cell"')
    # The pager keeps the cell's address and drops only the page.
    query = cell.split("?")[1].replace("&", "&amp;")
    assert f'href="?{query}&amp;page=1" rel="prev"' in body
    again = client_for(room).get(cell.replace("?", "?page=2&")).content.decode()
    assert f'href="?{query}&amp;page=1" rel="prev"' in again


@pytest.mark.parametrize(
    "query",
    [
        "kind=issue",
        "step=1&kind=issue",
        "scenario={scenario}&step={step}&kind=quote",
        "scenario={scenario}&step={other_step}&kind=issue",
        "scenario={scenario}&list=nowhere",
        "scenario=999999&list=others",
        "scenario=abc&list=others",
        "list=unplaced",
        "scenario={scenario}&step=&list=others",
    ],
)
def test_a_cell_that_is_not_on_the_board_is_not_found(room: Room, query: str) -> None:
    other = Step.objects.exclude(scenario=room.scenario).first()
    filled = query.format(
        scenario=room.scenario.pk,
        step=room.steps[0].pk,
        other_step=other.pk if other else 999999,
    )
    response = client_for(room).get(f"{url('board_cell', room.session.pk)}?{filled}")
    assert response.status_code == 404


def test_an_account_owner_counts_and_lists_only_their_customers_cards(room: Room) -> None:
    step = room.steps[0]
    cards(room, 7, step=step, text="Gina said", who="gina")
    cards(room, 4, step=step, text="Ivy said", who="ivy")
    cell = (
        f"{url('board_cell', room.session.pk)}?scenario={room.scenario.pk}"
        f"&step={step.pk}&kind=issue"
    )
    owen = client_for(room, "account_owner")
    page = owen.get(url("board", room.session.pk)).content.decode()
    assert "Ivy said" not in page
    assert ">2 more" in page  # 7 of Gina's, 5 shown
    listed = owen.get(cell).content.decode()
    assert len(shown(listed, "Gina said")) == 7
    assert "Ivy said" not in listed


def _board_queries(room: Room, client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url("board", room.session.pk))
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_the_board_costs_the_same_queries_at_10_and_at_200_cards(room: Room) -> None:
    client = client_for(room)
    client.get(url("board", room.session.pk))  # the session's and the user's first loads
    per_step = [cards(room, 2, step=s, text=f"Step {n}") for n, s in enumerate(room.steps)]
    cards(room, 4, kind="quote", text="Quote")
    vote(room, per_step[0][0], 2)
    at_10 = _board_queries(room, client)
    for n, s in enumerate(room.steps):
        for kind in ("issue", "idea", "moment_of_truth", "customer_metric"):
            cards(room, 14, step=s, kind=kind, text=f"More {kind} {n}")
    cards(room, 20, kind="quote", text="More quote")
    assert Insight.objects.filter(session=room.session).count() == 10 + 3 * 4 * 14 + 20
    at_200 = _board_queries(room, client)
    assert len(at_200) == len(at_10)
    # One query ranks the cards and counts each cell (then the shown cards are read whole).
    assert sum("ROW_NUMBER()" in sql for sql in at_200) == 1


# --- the API: the map with its counts, and a whole cell a page at a time ----------------------


def test_the_api_map_gives_each_cell_its_top_cards_and_total(
    room: Room, api_client_for: Callable[[str], Client]
) -> None:
    billing = room.steps[1]
    made = cards(room, 8, step=billing, text="Billing issue")
    vote(room, made[3], 2)
    cards(room, 3, kind="quote", text="Quote")
    response = api_client_for("observer").get(f"/api/v1/scenarios/{room.scenario.pk}/map?top=2")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [s["id"] for s in body["steps"]] == [s.pk for s in room.steps]
    assert body["max_dots"] == 2
    cells = {(c["step_id"], c["kind"]): c for c in body["cells"]}
    assert len(cells) == 3 * 4
    cell = cells[(billing.pk, "issue")]
    assert cell["total"] == 8
    assert [(c["text"], c["dots"]) for c in cell["cards"]] == [
        ("Billing issue 003", 2),
        ("Billing issue 007", 0),
    ]
    assert cells[(billing.pk, "idea")] == {
        "step_id": billing.pk,
        "kind": "idea",
        "total": 0,
        "cards": [],
    }
    lists = {x["name"]: x for x in body["lists"]}
    assert list(lists) == ["outcome", "context", "unplaced", "others", "internal"]
    assert lists["others"]["total"] == 3
    assert [c["text"] for c in lists["others"]["cards"]] == ["Quote 001", "Quote 002"]
    whole = api_client_for("observer").get(
        f"/api/v1/sessions/{room.session.pk}/insights",
        {"step": billing.pk, "kind": "issue", "internal": "false", "page_size": 5, "page": 2},
    )
    assert whole.status_code == 200
    assert whole.json()["count"] == 8
    assert [i["text"] for i in whole.json()["items"]] == [
        f"Billing issue {i:03d}" for i in (5, 6, 7)
    ]


def test_the_api_map_refuses_more_than_fifty_cards_a_cell(
    room: Room, api_client_for: Callable[[str], Client]
) -> None:
    response = api_client_for("facilitator").get(f"/api/v1/scenarios/{room.scenario.pk}/map?top=51")
    assert response.status_code == 422


# --- the session's index ----------------------------------------------------------------------


def _plans_of_session_reads(run: Callable[[], object]) -> list[tuple[str, list[str]]]:
    """What SQLite's planner does for each query ``run`` makes that picks a session's cards."""
    with CaptureQueriesContext(connection) as ctx:
        run()
    found = []
    with connection.cursor() as cursor:
        for q in ctx.captured_queries:
            if '"insights_insight"."session_id" =' in q["sql"]:
                cursor.execute("EXPLAIN QUERY PLAN " + q["sql"])
                found.append((q["sql"], [str(row[3]) for row in cursor.fetchall()]))
    return found


def test_a_sessions_reads_use_the_session_index_not_the_workspaces(room: Room) -> None:
    """Every session-scoped read also filters on the workspace (the policy's wall); SQLite's
    planner, without statistics, must still walk the session's index, so an empty session's
    pages cost the same in any workspace. (PostgreSQL chooses by its statistics of a full
    table: see the plans bench/session10k.py prints.)"""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's plans depend on the statistics of a full table")
    cards(room, 3, step=room.steps[0])
    fran = room.cast.viewer("facilitator")
    client = client_for(room)
    reads = [
        *_plans_of_session_reads(lambda: selectors.session_summary(fran, room.session)),
        *_plans_of_session_reads(lambda: client.get(url("board", room.session.pk))),
        *_plans_of_session_reads(lambda: client.get(url("review", room.session.pk))),
    ]
    assert len(reads) >= 4
    for sql, plan in reads:
        walked = [line for line in plan if re.match(r"(SEARCH|SCAN) insights_insight\b", line)]
        assert walked, (sql, plan)
        for line in walked:  # an index that starts with the session, never the workspace's
            assert re.search(r"USING (COVERING )?INDEX \w+ \(session_id=\?", line), (sql, plan)
    assert any(
        "insight_session_ws_status (session_id=? AND workspace_id=?" in p
        for _, ps in reads
        for p in ps
    )
