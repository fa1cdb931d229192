"""The loop's lists page: the priorities, deliveries, updates and reason-text pages (25 or 50
a page, the pagination links keeping the filter, the same queries whatever the number of
rows) and the API's lists (``{"items", "count"}``, ``page`` and ``page_size``, the same
queries whatever the number of rows, a stable order)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.insights.models import Insight
from traction.loop import views
from traction.loop.models import Delivery, DeliveryPriority, ReasonText, Update
from traction.loop.services import publishing

from . import world as w

NOW = w.NOW  # the shared world fixture (conftest.py) freezes the clock there


def url(cast: Cast, name: str, **kw: object) -> str:
    return reverse(f"loop:{name}", kwargs={"workspace_slug": cast.acme.slug, **kw})


def add_priorities(world: w.World, n: int) -> None:
    """``n`` more voted ideas of Globex, each with a pending status (its approval)."""
    cast = world.cast
    for _ in range(n):
        card = w.said(world, f"Paged idea {Insight.objects.count()}")
        w.vote(world, card, cast.contact)
        publishing.propose_status(
            cast.viewer("facilitator"), cast.program, priority_id=card.pk, status="heard"
        )


def add_deliveries(world: w.World, n: int) -> None:
    """``n`` deliveries on the same day (the id orders them), each touching both cards."""
    cast = world.cast
    for _ in range(n):
        d = Delivery.objects.create(
            workspace=cast.acme,
            program=cast.program,
            on=date(2027, 1, 10),
            title=f"Release {Delivery.objects.count() + 1}",
        )
        for card in (world.card, world.quiet):
            DeliveryPriority.objects.create(delivery=d, priority=card)


def add_updates(world: w.World, n: int, state: str = "draft") -> None:
    cast = world.cast
    for _ in range(n):
        Update.objects.create(
            workspace=cast.acme,
            program=cast.program,
            audience="customer",
            customer=cast.customer,
            subject=f"Update {Update.objects.count() + 1}",
            body="What we did.",
            state=state,
        )


def add_reasons(world: w.World, n: int) -> None:
    for _ in range(n):
        ReasonText.objects.create(
            workspace=world.cast.acme, title="Security", text="It conflicts with our policy."
        )


def queries(client: Client, path: str) -> tuple[int, Any]:
    """The queries a page (or an API list) costs once warm (the session, the menu), and it."""
    client.get(path)
    with CaptureQueriesContext(connection) as seen:
        answer = client.get(path)
    assert answer.status_code == 200, answer.content
    return len(seen), answer


def same_queries(
    client: Client, path: str, grow: Callable[[], None], assert_num: Any
) -> tuple[Any, Any]:
    """The page at its size now and after ``grow``: the same number of queries."""
    few, small = queries(client, path)
    with assert_num(few):
        client.get(path)
    grow()
    client.get(path)
    with assert_num(few):
        large = client.get(path)
    assert large.status_code == 200
    return small, large


# --- pages ----------------------------------------------------------------------------------


def test_the_priorities_page_pages_25_ranked_with_the_same_queries(
    world: w.World, client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    path = url(cast, "priorities", program_id=cast.program.pk)
    add_priorities(world, 1)
    _small, large = same_queries(
        client, path, lambda: add_priorities(world, 30), django_assert_num_queries
    )
    html = large.content.decode()
    assert views.PRIORITIES_PAGE == 25
    assert html.count('class="card priority"') == 25
    assert "Page 1 of 2 (33 in all)" in html
    assert "33 priorities, most dots first." in html
    assert 'href="?page=2"' in html
    second = client.get(path + "?page=2").content.decode()
    assert second.count('class="card priority"') == 8
    assert '<ol class="priority-list" start="26">' in second
    assert '<span class="muted">#26</span>' in second
    assert '<span class="muted">#33</span>' in second
    # Ties (one dot each) keep capture order: the last captured comes last.
    last = Insight.objects.filter(text__startswith="Paged idea").order_by("-pk").first()
    assert last is not None
    assert second.index(last.text) > second.index("#32")
    with django_assert_num_queries(queries(client, path + "?page=2")[0]):
        client.get(path + "?page=2")


def test_the_deliveries_page_pages_50_with_credits_and_the_same_queries(
    world: w.World, client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    path = url(cast, "deliveries", program_id=cast.program.pk)
    add_deliveries(world, 2)
    _small, large = same_queries(
        client, path, lambda: add_deliveries(world, 60), django_assert_num_queries
    )
    html = large.content.decode()
    assert html.count("<tr><td>10 Jan 2027</td>") == 50
    assert "Page 1 of 2 (62 in all)" in html
    assert "62 deliveries, newest first." in html
    assert html.count("Globex, Initech") == 50
    # Newest first: the same day, the latest recorded first.
    assert html.index("Release 62") < html.index("Release 13")
    second = client.get(path + "?page=2").content.decode()
    assert second.count("<tr><td>10 Jan 2027</td>") == 12
    assert "Release 1<" in second
    assert "Release 13<" not in second


def test_an_account_owner_is_credited_only_their_own_customers_on_a_page(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    add_priorities(world, 1)  # Owen (Globex's owner) is asked to approve: he sees the program
    add_deliveries(world, 1)
    html = (
        client_for("account_owner")
        .get(url(cast, "deliveries", program_id=cast.program.pk))
        .content.decode()
    )
    assert "Globex" in html
    assert "Initech" not in html


def test_the_updates_page_pages_50_and_keeps_the_state_filter(
    world: w.World, client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    path = url(cast, "updates", program_id=cast.program.pk)
    add_updates(world, 2)
    add_updates(world, 3, state="sent")
    _small, large = same_queries(
        client, path + "?state=draft", lambda: add_updates(world, 60), django_assert_num_queries
    )
    html = large.content.decode()
    assert html.count('<span class="badge">Draft</span>') == 50
    assert "Page 1 of 2 (62 in all)" in html
    assert 'href="?state=draft&amp;page=2"' in html
    second = client.get(path + "?state=draft&page=2").content.decode()
    assert second.count('<span class="badge">Draft</span>') == 12
    assert "Sent</span>" not in second.split("<tbody>")[1]
    assert 'href="?state=draft&amp;page=1"' in second


def test_the_reason_texts_page_pages_50_in_title_order(
    world: w.World, client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    path = url(cast, "reasons")
    add_reasons(world, 1)
    _small, large = same_queries(
        client, path, lambda: add_reasons(world, 55), django_assert_num_queries
    )
    html = large.content.decode()
    assert html.count("<strong>Security</strong>") == 50
    assert "Page 1 of 2 (56 in all)" in html
    assert client.get(path + "?page=2").content.decode().count("<strong>Security</strong>") == 6


def test_empty_lists_say_how_rows_arrive(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    other = cast.other_program.pk
    assert (
        "No customer priorities yet."
        in client.get(url(cast, "priorities", program_id=other)).content.decode()
    )
    assert (
        "No deliveries recorded yet."
        in client.get(url(cast, "deliveries", program_id=other)).content.decode()
    )
    updates = client.get(url(cast, "updates", program_id=other) + "?state=sent")
    assert "No update is in this state." in updates.content.decode()
    assert "No reason texts yet." in client.get(url(cast, "reasons")).content.decode()
    # A page past the last shows the last page, not an error.
    page = client.get(url(cast, "priorities", program_id=cast.program.pk) + "?page=99")
    assert page.status_code == 200
    assert "Invoice approval takes three weeks" in page.content.decode()


# --- the API --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("list_path", "grow", "key"),
    [
        ("/programs/{program}/priorities", add_priorities, "text"),
        ("/programs/{program}/deliveries", add_deliveries, "title"),
        ("/programs/{program}/updates", add_updates, "subject"),
        ("/reason-texts", add_reasons, "id"),
    ],
)
def test_the_api_lists_page_with_the_same_queries(
    world: w.World,
    api_client_for: Callable[[str], Client],
    django_assert_num_queries: Any,
    list_path: str,
    grow: Callable[[w.World, int], None],
    key: str,
) -> None:
    client = api_client_for("facilitator")
    path = "/api/v1" + list_path.format(program=world.cast.program.pk) + "?page_size=5"
    grow(world, 2)
    few, answer = queries(client, path)
    small = answer.json()
    grow(world, 40)
    with django_assert_num_queries(few):
        large = client.get(path).json()
    assert len(large["items"]) == 5
    assert large["count"] == small["count"] + 40
    # The pages cover every row once, in a stable order.
    seen = []
    for page in range(1, large["count"] // 5 + 2):
        seen += [r[key] for r in client.get(f"{path}&page={page}").json()["items"]]
    again = []
    for page in range(1, large["count"] // 5 + 2):
        again += [r[key] for r in client.get(f"{path}&page={page}").json()["items"]]
    assert len(seen) == large["count"]
    assert seen == again
    if key == "id":
        assert len(set(seen)) == len(seen)
    assert client.get(f"{path}&page=999").json() == {"items": [], "count": large["count"]}
    assert client.get(path.replace("page_size=5", "page_size=201")).status_code == 422


def test_the_api_ranks_across_pages_and_credits_per_page(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    add_priorities(world, 3)
    add_deliveries(world, 3)
    client = api_client_for("facilitator")
    base = f"/api/v1/programs/{cast.program.pk}"
    second = client.get(f"{base}/priorities?page=2&page_size=2").json()
    assert second["count"] == 5
    assert [p["rank"] for p in second["items"]] == [3, 4]
    assert all(p["pending"] is not None for p in second["items"])
    deliveries = client.get(f"{base}/deliveries?page=2&page_size=2").json()
    assert deliveries["count"] == 3
    assert [d["title"] for d in deliveries["items"]] == ["Release 1"]
    assert deliveries["items"][0]["credited"] == ["Globex", "Initech"]
    assert sorted(deliveries["items"][0]["priority_ids"]) == sorted([world.card.pk, world.quiet.pk])
    rows = client.get(f"{base}/comms-plan/rows?page_size=1").json()
    assert rows["count"] >= 1
    assert len(rows["items"]) == 1


def test_days_apart_deliveries_are_newest_first_in_the_api(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    for n in range(3):
        Delivery.objects.create(
            workspace=cast.acme,
            program=cast.program,
            on=date(2027, 1, 1) + timedelta(days=n),
            title=f"Day {n}",
        )
    listed = (
        api_client_for("observer")
        .get(f"/api/v1/programs/{cast.program.pk}/deliveries?page_size=2")
        .json()
    )
    assert [d["title"] for d in listed["items"]] == ["Day 2", "Day 1"]


# --- an update's recipients -----------------------------------------------------------------


def add_voters(world: w.World, n: int) -> list[Any]:
    """``n`` more Globex contacts (with consent) who put a dot on Gina's card."""
    from traction.customers.models import Contact

    cast = world.cast
    made = []
    for i in range(n):
        contact = Contact.objects.create(
            workspace=cast.acme,
            customer=cast.customer,
            name=f"Voter {i:03d}",
            email=f"voter{i}@globex.example",
            consent_to_contact=True,
        )
        w.vote(world, world.card, contact)
        made.append(contact)
    return made


def test_a_long_recipient_list_is_summarised_and_paged_and_approval_holds_everyone(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    from traction.loop.models import Approval
    from traction.loop.services import updates as services

    cast = world.cast
    voters = add_voters(world, 70)
    with clock.frozen(NOW):
        update = services.compose(cast.viewer("facilitator"), cast.program, audience="program")
    everyone = services.candidates(update)
    assert len(everyone) == 72  # Gina, 70 voters, Ian (no consent: left out)
    client = client_for("facilitator")
    path = url(cast, "update", update_id=update.pk)
    first = client.get(path).content.decode()
    assert "72 people: 71 get it, 1 left out; 1–50 shown." in first
    assert first.count("<li>Voter ") == 49  # Gina first (by name), then 49 voters
    assert 'href="?recipients=2#recipients-head"' in first
    second = client.get(path + "?recipients=2").content.decode()
    assert "51–72 shown" in second
    assert "Voter 069" in second
    assert "Voter 000" not in second
    # Leave out one person from each page: a save changes only the people its page showed.
    form = client.get(path).context["form"]
    shown_first = form["shown"].value()
    assert str(voters[0].pk) in shown_first.split()
    assert str(voters[69].pk) not in shown_first.split()
    base = {"version": update.version, "subject": update.subject, "body": update.body}
    with clock.frozen(NOW):
        saved = client.post(
            url(cast, "update-edit", update_id=update.pk),
            {**base, "shown": shown_first, "left_out": [voters[0].pk]},
        )
        assert saved.status_code == 302
        update.refresh_from_db()
        shown_second = client.get(path + "?recipients=2").context["form"]["shown"].value()
        saved = client.post(
            url(cast, "update-edit", update_id=update.pk),
            {**base, "version": update.version, "shown": shown_second, "left_out": [voters[69].pk]},
        )
        assert saved.status_code == 302
    update.refresh_from_db()
    assert update.sources["left_out"] == sorted([voters[0].pk, voters[69].pk])
    # Unticking on page 2 takes back only page 2's person.
    with clock.frozen(NOW):
        client.post(
            url(cast, "update-edit", update_id=update.pk),
            {**base, "version": update.version, "shown": shown_second, "left_out": []},
        )
    update.refresh_from_db()
    assert update.sources["left_out"] == [voters[0].pk]
    # Asking for approval: Globex's snapshot holds all 70 who get it (not a page of them).
    with clock.frozen(NOW):
        services.submit(cast.viewer("facilitator"), update)
    approval = Approval.objects.get(update=update, customer=cast.customer, superseded_at=None)
    names = [r["name"] for r in approval.snapshot["recipients"]]
    assert len(names) == 70
    assert "Voter 000" not in names
    assert "Voter 069" in names
    html = client.get(path).content.decode()
    assert "Recipients it approves (70):" in html
    assert "Show all 70 recipients it approves" in html
