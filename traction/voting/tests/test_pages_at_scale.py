"""The ranking page, ``GET /sessions/{id}/voting/results`` and the room show a page of cards
with "N more", their figures exact over every card, in the same number of queries whatever
the number of cards."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from traction.core.testing.cast import Cast
from traction.insights.models import Insight, InsightKind
from traction.voting import views
from traction.voting.services import close_voting, open_voting, reopen_voting
from traction.voting.tests.test_voting import Room, add, api_client, build_room, call, page, web

pytestmark = pytest.mark.django_db


@pytest.fixture
def voted(cast: Cast) -> Room:
    """Issue 3 dots (Ian), moment of truth 2 (Gina), idea 2 (Gus), second issue 1 (Iris)."""
    room = build_room(cast)
    open_voting(cast.viewer("facilitator"), session=room.session)
    add(cast, room, room.gina, "mot", 2)
    add(cast, room, room.ian, "issue", 3)
    add(cast, room, room.gus, "idea", 2)
    add(cast, room, room.iris, "issue2", 1)
    return room


def more_cards(room: Room, n: int) -> None:
    """``n`` more votable issues said by Gina, on the map's first step, no dots."""
    mot = room.cards["mot"]
    Insight.objects.bulk_create(
        Insight(
            workspace_id=mot.workspace_id,
            program_id=mot.program_id,
            session=room.session,
            scenario_id=mot.scenario_id,
            step_id=mot.step_id,
            kind=InsightKind.ISSUE,
            text=f"Extra issue {i}",
            speaker_contact=room.gina,
            speaker_name=room.gina.name,
            customer_id=room.gina.customer_id,
        )
        for i in range(n)
    )


def ranked(body: dict[str, Any]) -> list[tuple[int, str, int]]:
    return [(c["rank"], c["text"], c["dots"]) for c in body["overall"]]


def test_the_api_returns_a_page_of_each_list_with_every_figure_exact(
    cast: Cast, voted: Room
) -> None:
    api = api_client(cast, "facilitator")
    url = f"/sessions/{voted.session.pk}/voting/results"
    _, whole = call(api, "GET", url)
    _, first = call(api, "GET", url + "?page_size=2")
    _, second = call(api, "GET", url + "?page_size=2&page=2")
    _, beyond = call(api, "GET", url + "?page_size=2&page=3")
    assert ranked(whole) == [
        (1, "Approval takes three weeks", 3),
        (2, "The first invoice arrives", 2),
        (3, "Let us pay by card", 2),
        (4, "Nobody answers the phone", 1),
    ]
    assert ranked(first) == ranked(whole)[:2]
    assert ranked(second) == ranked(whole)[2:]
    assert ranked(beyond) == []
    for body in (whole, first, second, beyond):
        assert (body["overall_count"], body["dots_cast"], body["voted"]) == (4, 8, 4)
        assert [(k["kind"], k["count"]) for k in body["kinds"]] == [
            ("moment_of_truth", 1),
            ("issue", 2),
            ("idea", 1),
        ]
    assert [c["text"] for c in second["kinds"][1]["cards"]] == []
    assert [c["text"] for c in first["kinds"][1]["cards"]] == [
        "Approval takes three weeks",
        "Nobody answers the phone",
    ]
    # Every organisation that voted has its column, whether its cards are shown or not.
    by_org = {o["name"]: o["dots"] for o in first["overall"][1]["by_organisation"]}
    assert by_org == {"Globex": 2, "Initech": 0}
    status, body = call(api, "GET", url + "?page_size=0")
    assert status == 422


def test_the_ranking_page_shows_its_cards_and_counts_the_rest(
    cast: Cast, voted: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "RESULTS_PER_PAGE", 2)
    client = web(cast)
    body = client.get(page(cast, voted, "results/")).content.decode()
    overall = body[body.index('id="overall-title"') : body.index('id="kind-moment_of_truth"')]
    assert "Approval takes three weeks" in overall
    assert "The first invoice arrives" in overall
    assert "Let us pay by card" not in overall
    assert '2 more cards ranked after these: <a href="?page=2">the next page</a>' in overall
    second = client.get(page(cast, voted, "results/") + "?page=2").content.decode()
    overall = second[second.index('id="overall-title"') : second.index('id="kind-moment_of_truth"')]
    assert "<td>3</td>" in overall
    assert "Let us pay by card" in overall
    assert "Approval takes three weeks" not in overall
    assert "more cards ranked after these" not in overall
    assert '<a href="?page=1">← Cards ranked before these</a>' in second
    assert "1 moments of truth in all, none on this page." in second


def test_the_room_shows_a_page_of_each_group(
    cast: Cast, voted: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "ROOM_CARDS_PER_PAGE", 1)
    client = web(cast)
    url = page(cast, voted, "voting/room/") + f"?voter={voted.iris.pk}"
    body = client.get(url).content.decode()
    assert "Approval takes three weeks" in body
    assert "Nobody answers the phone" not in body
    link = f'<a href="?voter={voted.iris.pk}&amp;page=2">the next page</a>'
    assert f"1 more card in Team Blue · Issues: {link}" in body
    second = client.get(url + "&page=2").content.decode()
    assert "Nobody answers the phone" in second
    assert "Approval takes three weeks" not in second
    # A dot given on the second page comes back to it.
    response = client.post(
        page(cast, voted, "voting/room/dot/"),
        {
            "contact_id": voted.iris.pk,
            "insight_id": voted.cards["issue2"].pk,
            "change": "add",
            "page": "2",
        },
    )
    assert response["Location"].endswith(f"?voter={voted.iris.pk}&page=2")


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_the_pages_cost_the_same_queries_with_ten_or_a_hundred_times_the_cards(
    cast: Cast, voted: Room, closed: bool
) -> None:
    more_cards(voted, 6)
    client, api = web(cast), api_client(cast, "facilitator")
    urls = [
        page(cast, voted, "results/"),
        page(cast, voted, "voting/room/") + f"?voter={voted.gina.pk}",
    ]
    api_url = f"/api/v1/sessions/{voted.session.pk}/voting/results"
    if closed:
        close_voting(cast.viewer("facilitator"), session=voted.session)
    api.get(api_url)  # the token's first use is written once; not part of the page's cost
    few = [queries(client, u) for u in urls] + [queries(api, api_url)]
    if closed:  # a bigger frozen ranking: reopen, add cards, close again
        reopen_voting(cast.viewer("facilitator"), session=voted.session, reason="More cards")
    more_cards(voted, 600)
    if closed:
        close_voting(cast.viewer("facilitator"), session=voted.session)
    many = [queries(client, u) for u in urls] + [queries(api, api_url)]
    assert many == few
    body = client.get(urls[0]).content.decode()
    assert "560 more cards ranked after these" in body  # 610 cards, 50 shown
    found = api.get(api_url).json()
    assert (len(found["overall"]), found["overall_count"]) == (50, 610)
    assert [len(k["cards"]) for k in found["kinds"]] == [1, 50, 1]
