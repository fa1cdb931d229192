"""Nothing of the loop reads a whole list for one page: an update's candidates and approvals
(nested as a first page with counts, and paged as sub-resources), the communication plan's
rows (paged and filtered by the database), the pickers of the propose and delivery forms
(searched, at most a page of matches) and the time to action's medians (computed by the
database). Each is checked the same way: the same number of queries at two sizes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.customers.models import Contact, Customer
from traction.loop import api_updates
from traction.loop.models import Approval, Update
from traction.loop.services import updates as update_services
from traction.voting.models import Vote

from . import world as w

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(cast: Cast) -> Iterator[w.World]:
    with clock.frozen(NOW):
        yield w.build(cast)


def counted(client: Client, path: str) -> tuple[int, Any]:
    """The queries of a warm GET of ``path`` and its JSON."""
    client.get(path)
    with CaptureQueriesContext(connection) as seen:
        answer = client.get(path)
    assert answer.status_code == 200, answer.content
    return len(seen), answer.json()


def walk(client: Client, path: str, key: str) -> list[Any]:
    """Every item of a paged API list, page by page (``path`` has a query already)."""
    seen: list[Any] = []
    page = 1
    while True:
        items = client.get(f"{path}&page={page}").json()["items"]
        if not items:
            return seen
        seen += [i[key] for i in items]
        page += 1


# --- an update's candidates and approvals ---------------------------------------------------


def add_voters(world: w.World, n: int) -> None:
    """``n`` more Globex contacts (with consent) who put a dot on Gina's card."""
    cast = world.cast
    start = Contact.objects.filter(name__startswith="Voter ").count()
    for i in range(start, start + n):
        contact = Contact.objects.create(
            workspace=cast.acme,
            customer=cast.customer,
            name=f"Voter {i:03d}",
            email=f"voter{i}@globex.example",
            consent_to_contact=True,
        )
        Vote.objects.create(
            workspace=cast.acme,
            session=world.session,
            insight=world.card,
            contact=contact,
            dots=1,
            channel="room",
        )


def program_update(world: w.World) -> Update:
    with clock.frozen(NOW):
        return update_services.compose(
            world.cast.viewer("facilitator"), world.cast.program, audience="program"
        )


def add_approvals(world: w.World, update: Update, n: int) -> None:
    """``n`` more organisations asked to approve ``update`` (Owen owns them all), each with a
    version 1 approved and a version 2 waiting: what changed is shown on each."""
    cast = world.cast
    start = Customer.objects.filter(name__startswith="Org ").count()
    for i in range(start, start + n):
        customer = Customer.objects.create(
            workspace=cast.acme, name=f"Org {i:03d}", account_owner=cast.users["account_owner"]
        )
        common = {
            "workspace": cast.acme,
            "program": cast.program,
            "subject_kind": "update",
            "update": update,
            "customer": customer,
            "account_owner": cast.users["account_owner"],
        }
        Approval.objects.create(
            **common,
            version=1,
            state="approved",
            at=NOW,
            superseded_at=NOW,
            snapshot={"subject": "Hello", "body": "Old text.", "recipients": []},
        )
        Approval.objects.create(
            **common,
            version=2,
            snapshot={
                "subject": "Hello",
                "body": "New text.",
                "recipients": [{"contact_id": 1000 + i, "name": f"Pat {i}"}],
            },
        )


def test_an_update_nests_a_first_page_of_candidates_with_their_count(
    world: w.World, api_client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    add_voters(world, 3)
    update = program_update(world)
    client = api_client_for("facilitator")
    few, small = counted(client, f"/api/v1/updates/{update.pk}")
    assert small["candidates_count"] == 5  # Gina, 3 voters, Ian (no consent: with why)
    assert len(small["candidates"]) == 5
    add_voters(world, 60)
    with django_assert_num_queries(few):
        large = client.get(f"/api/v1/updates/{update.pk}").json()
    assert api_updates.DETAIL_ROWS == 50
    assert large["candidates_count"] == 65
    assert len(large["candidates"]) == 50
    assert large["candidates"][0]["name"] == "Gina Globex"
    assert (large["approvals"], large["approvals_count"]) == ([], 0)


def test_an_updates_candidates_page_with_the_same_queries_and_cover_everyone(
    world: w.World, api_client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    add_voters(world, 3)
    update = program_update(world)
    client = api_client_for("facilitator")
    path = f"/api/v1/updates/{update.pk}/candidates?page_size=4"
    few, small = counted(client, path)
    assert small["count"] == 5
    add_voters(world, 40)
    with django_assert_num_queries(few):
        large = client.get(path).json()
    assert large["count"] == 45
    assert [c["name"] for c in large["items"]] == [
        "Gina Globex",
        "Voter 000",
        "Voter 001",
        "Voter 002",
    ]
    everyone = walk(client, path, "contact_id")
    assert len(everyone) == len(set(everyone)) == 45
    ian = client.get(f"{path}&page=12").json()["items"]
    assert [(c["name"], c["excluded"]) for c in ian] == [
        ("Ian Initech", "No consent to contact on record")
    ]
    assert client.get(path.replace("page_size=4", "page_size=201")).status_code == 422


def test_an_account_owner_pages_only_the_candidates_they_may_identify(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    add_voters(world, 2)
    update = program_update(world)
    Approval.objects.create(  # Owen reads an update that asks him to approve it
        workspace=cast.acme,
        program=cast.program,
        subject_kind="update",
        update=update,
        version=update.version,
        customer=cast.customer,
        account_owner=cast.users["account_owner"],
    )
    listed = (
        api_client_for("account_owner")
        .get(f"/api/v1/updates/{update.pk}/candidates?page_size=50")
        .json()
    )
    assert listed["count"] == 3  # Globex's Gina and two voters; Initech's Ian is not theirs
    assert {c["customer_id"] for c in listed["items"]} == {cast.customer.pk}


def test_an_updates_approvals_page_with_what_changed_and_the_same_queries(
    world: w.World, api_client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    update = program_update(world)
    add_approvals(world, update, 3)
    client = api_client_for("facilitator")
    path = f"/api/v1/updates/{update.pk}/approvals?page_size=2"
    few, small = counted(client, path)
    assert small["count"] == 3  # the current ones: the superseded version 1 is not listed
    add_approvals(world, update, 30)
    with django_assert_num_queries(few):
        large = client.get(path).json()
    assert large["count"] == 33
    first = large["items"][0]
    assert (first["customer"], first["version"], first["state"]) == ("Org 000", 2, "pending")
    assert first["changes"]["since_version"] == 1
    assert "+New text." in first["changes"]["text"]
    assert first["changes"]["added"] == [{"contact_id": 1000, "name": "Pat 0"}]
    names = walk(client, path, "customer")
    assert names == [f"Org {i:03d}" for i in range(33)]
    # The update nests the first 50 with the count, in as many queries at both sizes.
    nested_few, nested = counted(client, f"/api/v1/updates/{update.pk}")
    assert nested["approvals_count"] == 33
    assert [a["customer"] for a in nested["approvals"]] == names
    add_approvals(world, update, 30)
    with django_assert_num_queries(nested_few):
        again = client.get(f"/api/v1/updates/{update.pk}").json()
    assert again["approvals_count"] == 63
    assert len(again["approvals"]) == 50


def test_the_sub_resources_of_an_update_nobody_may_read_are_not_found(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    update = program_update(world)
    client = api_client_for("facilitator")
    for tail in ("candidates", "approvals"):
        assert client.get(f"/api/v1/updates/{update.pk + 999}/{tail}").status_code == 404
