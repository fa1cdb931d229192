"""Nothing of the loop reads a whole list for one page: an update's candidates and approvals
(nested as a first page with counts, and paged as sub-resources), the communication plan's
rows (paged and filtered by the database), the pickers of the propose and delivery forms
(searched, at most a page of matches) and the time to action's medians (computed by the
database). Each is checked the same way: the same number of queries at two sizes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.core import clock
from traction.customers.models import Contact, Customer
from traction.insights.models import Insight
from traction.loop import api_updates, plan, selectors, update_selectors
from traction.loop.models import (
    Approval,
    AtRisk,
    CommsOwner,
    Delivery,
    PriorityStatus,
    Update,
    UpdateRecipient,
)
from traction.loop.services import updates as update_services
from traction.sessions.models import Session
from traction.voting.models import Vote

from . import world as w

NOW = w.NOW  # the shared world fixture (conftest.py) freezes the clock there


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
    # As asking for approval leaves it: an account owner never reads a program's draft.
    Update.objects.filter(pk=update.pk).update(state="awaiting")
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


# --- the pickers of the propose and delivery forms ------------------------------------------


def add_cards(world: w.World, n: int, text: str = "Paged idea") -> list[Insight]:
    """``n`` more customer priorities: Globex ideas Gina put a dot on."""
    cast = world.cast
    made = []
    for _ in range(n):
        card = Insight.objects.create(
            workspace=cast.acme,
            program=cast.program,
            session=world.session,
            kind="idea",
            text=f"{text} {Insight.objects.count()}",
            speaker_contact=cast.contact,
            customer=cast.customer,
        )
        Vote.objects.create(
            workspace=cast.acme,
            session=world.session,
            insight=card,
            contact=cast.contact,
            dots=1,
            channel="room",
        )
        made.append(card)
    return made


def page_url(world: w.World, name: str) -> str:
    cast = world.cast
    return reverse(f"loop:{name}", args=[cast.acme.slug, cast.program.pk])


def html_queries(client: Client, path: str, **headers: Any) -> tuple[int, str]:
    client.get(path, **headers)
    with CaptureQueriesContext(connection) as seen:
        answer = client.get(path, **headers)
    assert answer.status_code == 200
    return len(seen), answer.content.decode()


def options(html: str, name: str) -> list[int]:
    return [int(v) for v in re.findall(rf'name="{name}" value="(\d+)"', html)]


@pytest.mark.parametrize(
    ("name", "field"), [("propose", "priority"), ("delivery_new", "priorities")]
)
def test_a_picker_offers_a_page_of_priorities_with_the_same_queries(
    world: w.World,
    client_for: Callable[[str], Client],
    django_assert_num_queries: Any,
    name: str,
    field: str,
) -> None:
    client = client_for("facilitator")
    path = page_url(world, name)
    add_cards(world, 3)
    few, small = html_queries(client, path)
    assert len(options(small, field)) == 5  # the two of the world, three more
    assert 'id="picker-more"' not in small
    add_cards(world, 40)
    with django_assert_num_queries(few):
        large = client.get(path).content.decode()
    assert selectors.PICKER_ROWS == 20
    assert len(options(large, field)) == 20
    assert "More priorities match: only the first 20 are shown." in large
    # The oldest first: the world's two cards lead.
    assert options(large, field)[:2] == [world.card.pk, world.quiet.pk]


@pytest.mark.parametrize(
    ("name", "field"), [("propose", "priority"), ("delivery_new", "priorities")]
)
def test_a_picker_searches_by_words_or_number_and_keeps_the_chosen_ones(
    world: w.World, client_for: Callable[[str], Client], name: str, field: str
) -> None:
    client = client_for("facilitator")
    path = page_url(world, name)
    add_cards(world, 30)
    [needle] = add_cards(world, 1, text="Export to the ERP")
    found = client.get(path, {"q": "erp"}).content.decode()
    assert options(found, field) == [needle.pk]
    # "#2" is the rank on the priorities page (Initech's idea, 2 dots), never the id.
    rank = selectors.priority_ranks(world.cast.viewer("facilitator"), world.cast.program)
    assert rank[world.quiet.pk] == 2
    by_rank = client.get(path, {"q": "#2"}).content.decode()
    assert options(by_rank, field) == [world.quiet.pk]
    assert "#2 Idea: Let us approve invoices from the phone" in by_rank
    # As htmx asks it (typing): only the options, the chosen one first and checked.
    partial = client.get(
        path, {"q": "erp", field: str(world.card.pk)}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert partial.lstrip().startswith('<div id="picker-options"')
    assert "<form" not in partial
    assert options(partial, field) == [world.card.pk, needle.pk]
    assert re.search(rf'value="{world.card.pk}"[^>]*checked', partial)
    nothing = client.get(path, {"q": "no such words"}).content.decode()
    assert "No customer priority matches “no such words”." in nothing


def test_proposing_for_a_priority_outside_the_policy_is_refused_beside_the_field(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    hidden = Insight.objects.create(  # internal: never a customer priority
        workspace=cast.acme,
        program=cast.program,
        session=world.session,
        kind="idea",
        text="An internal note",
        internal=True,
    )
    client = client_for("facilitator")
    for wrong in (str(hidden.pk), "99999999", "abc"):
        answer = client.post(page_url(world, "propose"), {"priority": wrong, "status": "heard"})
        assert answer.status_code == 200
        html = answer.content.decode()
        field_html = html.split('id="picker-options"')[1].split("</div>\n</div>")[0]
        assert "Choose one of this program&#x27;s customer priorities." in field_html
    ok = client.post(page_url(world, "propose"), {"priority": world.card.pk, "status": "heard"})
    assert ok.status_code == 302


def test_a_delivery_linking_a_priority_outside_the_policy_is_refused_beside_the_field(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    elsewhere = Insight.objects.create(  # nobody voted, nothing cites it: not a priority
        workspace=cast.acme,
        program=cast.program,
        session=world.session,
        kind="idea",
        text="Nobody voted for it",
    )
    client = client_for("facilitator")
    data = {"on": "2027-01-10", "title": "Release 7", "q": ""}
    refused = client.post(
        page_url(world, "delivery_new"), {**data, "priorities": [world.card.pk, elsewhere.pk]}
    )
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "A priority chosen is not one of this program&#x27;s customer priorities." in html
    assert f"#{elsewhere.pk}" not in html
    # The chosen one stays chosen, the refused one is not offered.
    assert re.search(rf'value="{world.card.pk}"[^>]*checked', html)
    assert options(html, "priorities").count(elsewhere.pk) == 0
    assert not Delivery.objects.filter(title="Release 7").exists()
    made = client.post(page_url(world, "delivery_new"), {**data, "priorities": [world.quiet.pk]})
    assert made.status_code == 302
    assert list(
        Delivery.objects.get(title="Release 7").links.values_list("priority_id", flat=True)
    ) == [world.quiet.pk]


def test_without_scripts_the_search_button_keeps_what_was_typed(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    """The Search button submits the form by GET: the page comes back with the matches and
    the fields as they were."""
    add_cards(world, 1, text="Export to the ERP")
    html = (
        client_for("facilitator")
        .get(
            page_url(world, "delivery_new"),
            {"title": "Release 8", "q": "erp", "priorities": str(world.card.pk)},
        )
        .content.decode()
    )
    assert 'value="Release 8"' in html
    assert 'formmethod="get"' in html
    assert len(options(html, "priorities")) == 2
    assert re.search(rf'value="{world.card.pk}"[^>]*checked', html)


# --- the communication plan's rows ----------------------------------------------------------


def sent_to(world: w.World, contact: Contact, on: datetime, **extra: Any) -> None:
    """A sent update of the program that reached ``contact`` at ``on``."""
    cast = world.cast
    update = Update.objects.create(
        workspace=cast.acme,
        program=cast.program,
        audience="customer",
        customer=contact.customer,
        subject="What we did",
        body="Thank you.",
        state="sent",
        sent_at=on,
    )
    UpdateRecipient.objects.create(
        workspace=cast.acme,
        update=update,
        contact=contact,
        customer=contact.customer,
        name=contact.name,
        email=contact.email,
        state="sent",
        sent_at=on,
        **extra,
    )


def varied_plan(world: w.World) -> None:
    """Organisations in every state of the plan: a promise answered, one not (an update
    before the session), a bounced update, one taking part only in a session to come, a named
    teller, and the world's Globex and Initech."""
    cast = world.cast
    Session.objects.filter(pk=world.session.pk).update(hear_back_by=date(2027, 1, 28))
    answered = w.add_organisation(world, "Answered", "pat@answered.example")
    sent_to(world, answered, datetime(2027, 1, 16, 9, 0, tzinfo=UTC))
    early = w.add_organisation(world, "Early", "pat@early.example")
    sent_to(world, early, datetime(2027, 1, 10, 9, 0, tzinfo=UTC))
    bounced = w.add_organisation(world, "bounced", "pat@bounced.example")
    sent_to(world, bounced, datetime(2027, 1, 16, 9, 0, tzinfo=UTC), bounced_at=NOW)
    named = w.add_organisation(world, "Named", "pat@named.example")
    CommsOwner.objects.create(
        program=cast.program,
        customer=named.customer,
        teller=cast.users["core_team"],
    )
    later = Session.objects.create(
        workspace=cast.acme,
        program=cast.program,
        title="Next co-design",
        starts_at=datetime(2027, 3, 1, 9, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
        hear_back_by=date(2027, 3, 10),
        created_by=cast.users["facilitator"],
    )
    future = Customer.objects.create(workspace=cast.acme, name="Future")
    contact = Contact.objects.create(
        workspace=cast.acme, customer=future, name="Fay Future", email="fay@future.example"
    )
    Insight.objects.create(  # taking part: it raised an insight in a session to come
        workspace=cast.acme,
        program=cast.program,
        session=later,
        kind="idea",
        text="Fay's idea",
        speaker_contact=contact,
        customer=future,
    )


def agree(world: w.World, day: date) -> None:
    """The database's rows (order, next due, teller, every filter) are ``compute``'s."""
    cast = world.cast
    viewer = cast.viewer("facilitator")
    with clock.frozen(datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)):
        computed = plan.compute(cast.program, today=day)
        found = list(plan.plan_rows(viewer, cast.program, today=day))
        assert [c.pk for c in found] == [r.customer.pk for r in computed], day
        assert [c.next_due for c in found] == [r.next_due for r in computed], day
        assert [c.teller_id for c in found] == [r.teller.pk if r.teller else None for r in computed]
        wanted = {
            plan.RowState.OVERDUE: lambda r: r.overdue,
            plan.RowState.DUE_SOON: lambda r: r.due_soon,
            plan.RowState.SILENT: lambda r: r.silent,
            plan.RowState.PROMISE: lambda r: r.promise is not None,
        }
        summary = plan.summary(
            plan.plan_rows(viewer, cast.program, today=day),
            plan.plan_of(cast.program.pk).silence_days,
            today=day,
        )
        for state, holds in wanted.items():
            rows = plan.plan_rows(viewer, cast.program, state=state, today=day)
            expected = [r.customer.pk for r in computed if holds(r)]
            assert [c.pk for c in rows] == expected, (day, state)
        assert summary["all"] == len(computed)
        assert summary["overdue"] == sum(r.overdue for r in computed)
        assert summary["silent"] == sum(r.silent for r in computed)
        assert summary["promises"] == sum(r.promise is not None for r in computed)


def test_the_plans_rows_are_computed_by_the_database_as_in_python(world: w.World) -> None:
    varied_plan(world)
    for day in (
        date(2027, 1, 20),  # promises counting down
        date(2027, 1, 25),  # due within a week
        date(2027, 2, 1),  # promises overdue
        date(2027, 3, 5),  # cadence after the update passed
        date(2027, 6, 1),  # silent
    ):
        agree(world, day)
    rows = list(plan.plan_rows(world.cast.viewer("facilitator"), world.cast.program))
    assert {c.name for c in rows} >= {"Answered", "Early", "bounced", "Named", "Future"}
    assert rows[-1].name == "Future"  # nothing due: last


def add_organisations(world: w.World, n: int) -> None:
    start = Customer.objects.filter(name__startswith="Plan org ").count()
    for i in range(start, start + n):
        w.add_organisation(world, f"Plan org {i:03d}", f"pat{i}@plan.example")


def test_the_plans_rows_page_with_the_same_queries(
    world: w.World,
    api_client_for: Callable[[str], Client],
    client_for: Callable[[str], Client],
    django_assert_num_queries: Any,
) -> None:
    cast = world.cast
    varied_plan(world)
    add_organisations(world, 3)
    api = api_client_for("facilitator")
    path = f"/api/v1/programs/{cast.program.pk}/comms-plan/rows?page_size=5"
    few, small = counted(api, path)
    page = reverse("loop:plan", args=[cast.acme.slug, cast.program.pk])
    web = client_for("facilitator")
    few_page, _html = html_queries(web, page)
    overdue = f"{path}&state=silent"
    few_overdue, _ = counted(api, overdue)
    add_organisations(world, 60)
    with django_assert_num_queries(few):
        large = api.get(path).json()
    assert large["count"] == small["count"] + 60
    assert len(large["items"]) == 5
    with django_assert_num_queries(few_page):
        html = web.get(page).content.decode()
    assert html.count("<tr data-customer=") == 50
    with django_assert_num_queries(few_overdue):
        api.get(overdue)
    names = walk(api, path, "customer")
    assert len(names) == len(set(names)) == large["count"]
    assert api.get(f"{path}&state=nonsense").status_code == 422


def test_the_plan_page_filters_by_state(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    varied_plan(world)
    page = reverse("loop:plan", args=[cast.acme.slug, cast.program.pk])
    web = client_for("facilitator")
    with clock.frozen(datetime(2027, 2, 1, 9, 0, tzinfo=UTC)):
        overdue = web.get(page, {"state": "overdue"}).content.decode()
        assert '<strong aria-current="page">overdue</strong>' in overdue
        assert "Future" not in overdue  # nothing due
        assert "Early" in overdue  # its promise of 28 January passed
        assert "Answered" not in overdue
        with clock.frozen(datetime(2027, 1, 20, 9, 0, tzinfo=UTC)):
            none = web.get(page, {"state": "silent"}).content.decode()
        assert "No organisation is in this state." in none


# --- the compose form's picker of organisations ---------------------------------------------


def add_customers(world: w.World, n: int) -> None:
    start = Customer.objects.filter(name__startswith="Client ").count()
    for i in range(start, start + n):
        Customer.objects.create(workspace=world.cast.acme, name=f"Client {i:03d}")


def test_the_compose_form_offers_a_page_of_organisations_with_the_same_queries(
    world: w.World, client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    path = reverse("loop:update-new", args=[cast.acme.slug, cast.program.pk])
    add_customers(world, 3)
    few, small = html_queries(client, path)
    assert len(options(small, "customer")) == 5  # Globex, Initech and three clients
    add_customers(world, 40)
    with django_assert_num_queries(few):
        large = client.get(path).content.decode()
    assert len(options(large, "customer")) == 20
    assert "More organisations match: only the first 20 are shown." in large
    found = client.get(
        path, {"q": "initech", "customer": str(cast.customer.pk)}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<form" not in found
    assert options(found, "customer") == [cast.customer.pk, cast.other_customer.pk]
    none = client.get(path, {"q": "nobody at all"}).content.decode()
    assert "No organisations match “nobody at all”." in none


def test_composing_for_an_organisation_of_another_workspace_is_refused_beside_the_field(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    theirs = Customer.objects.create(workspace=cast.rival, name="Rival's customer")
    path = reverse("loop:update-new", args=[cast.acme.slug, cast.program.pk])
    answer = client_for("facilitator").post(
        path, {"audience": "customer", "kind": "update", "customer": theirs.pk}
    )
    assert answer.status_code == 200
    field_html = answer.content.decode().split('id="picker-options"')[1]
    assert "Choose one of the workspace&#x27;s organisations." in field_html
    assert "Rival&#x27;s customer" not in answer.content.decode()
    assert not Update.objects.exists()


# --- the compose form's sessions and deliveries --------------------------------------------


def add_sessions(world: w.World, n: int, title: str = "Roundtable") -> list[Session]:
    cast = world.cast
    start = Session.objects.filter(title__startswith=title).count()
    return [
        Session.objects.create(
            workspace=cast.acme,
            program=cast.program,
            title=f"{title} {i:03d}",
            starts_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC) + timedelta(days=i),
            ends_at=datetime(2026, 1, 1, 11, 0, tzinfo=UTC) + timedelta(days=i),
            hear_back_by=date(2026, 1, 10) + timedelta(days=i),
        )
        for i in range(start, start + n)
    ]


def add_deliveries(world: w.World, n: int, title: str = "Release") -> list[Delivery]:
    cast = world.cast
    start = Delivery.objects.filter(title__startswith=title).count()
    return [
        Delivery.objects.create(
            workspace=cast.acme,
            program=cast.program,
            on=date(2026, 1, 1) + timedelta(days=i),
            title=f"{title} {i:03d}",
        )
        for i in range(start, start + n)
    ]


def select_options(html: str, name: str) -> list[int]:
    select = html.split(f'name="{name}"')[1].split("</select>")[0]
    return [int(v) for v in re.findall(r'<option value="(\d+)"', select)]


def test_the_compose_form_offers_the_latest_sessions_and_deliveries_with_the_same_queries(
    world: w.World, client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    client = client_for("facilitator")
    path = page_url(world, "update-new")
    first_session = add_sessions(world, 1)[0]
    first_delivery = add_deliveries(world, 1)[0]
    few, small = html_queries(client, path)
    assert first_session.pk in select_options(small, "session")
    assert select_options(small, "delivery") == [first_delivery.pk]
    assert "Only the latest" not in small
    add_sessions(world, 40)
    newest = add_deliveries(world, 40)[-1]
    with django_assert_num_queries(few):
        large = client.get(path).content.decode()
    assert len(select_options(large, "session")) == update_selectors.OFFERED == 30
    assert len(select_options(large, "delivery")) == 30
    assert select_options(large, "delivery")[0] == newest.pk  # the latest first
    assert first_delivery.pk not in select_options(large, "delivery")
    assert "Only the latest 30 are listed below" in large
    # The one chosen is offered wherever it falls, and the same queries.
    chosen = {"session": first_session.pk, "delivery": first_delivery.pk}
    with django_assert_num_queries(few):
        picked = client.get(path, chosen).content.decode()
    assert first_session.pk in select_options(picked, "session")
    assert len(select_options(picked, "delivery")) == 31
    assert f'<option value="{first_delivery.pk}" selected>' in picked


def test_the_compose_forms_find_boxes_narrow_on_the_server_and_keep_the_answers(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    path = page_url(world, "update-new")
    add_sessions(world, 35)
    add_deliveries(world, 35)
    wanted = add_deliveries(world, 2, title="Invoice export")
    (town_hall,) = add_sessions(world, 1, title="Town hall")
    # What the Find button sends: the whole form, by GET.
    found = client.get(
        path,
        {
            "audience": "session",
            "kind": "delivery",
            "customer": str(cast.customer.pk),
            "session_q": "town",
            "delivery_q": "INVOICE",
        },
    ).content.decode()
    assert select_options(found, "session") == [town_hall.pk]
    assert select_options(found, "delivery") == [wanted[1].pk, wanted[0].pk]
    assert re.search(r'name="audience" value="session"[^>]*checked', found)
    assert 'value="delivery" selected' in found
    assert re.search(rf'name="customer" value="{cast.customer.pk}"[^>]*checked', found)
    assert 'value="town"' in found
    assert 'value="INVOICE"' in found
    none = client.get(path, {"delivery_q": "nothing like it"}).content.decode()
    assert select_options(none, "delivery") == []
    assert "No delivery of this program has “nothing like it” in its title." in none


def test_composing_with_a_session_or_delivery_past_the_first_ones_drafts_it(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    path = page_url(world, "update-new")
    oldest = add_deliveries(world, 40)[0]
    with clock.frozen(NOW):
        answer = client.post(
            path,
            {
                "audience": "customer",
                "customer": cast.customer.pk,
                "kind": "delivery",
                "delivery": oldest.pk,
            },
        )
    assert answer.status_code == 302, answer.content.decode()
    assert Update.objects.get().delivery_id == oldest.pk


def test_a_delivery_of_another_workspace_or_archived_is_refused_beside_the_field(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    theirs = Delivery.objects.create(
        workspace=cast.rival, program=None, on=date(2026, 1, 1), title="Rival release"
    )
    (archived,) = add_deliveries(world, 1, title="Withdrawn release")
    Delivery.objects.filter(pk=archived.pk).update(archived_at=NOW)
    client = client_for("facilitator")
    for refused in (theirs, archived):
        answer = client.post(
            page_url(world, "update-new"),
            {
                "audience": "customer",
                "customer": cast.customer.pk,
                "kind": "delivery",
                "delivery": refused.pk,
            },
        )
        assert answer.status_code == 200
        html = answer.content.decode()
        assert refused.title not in html
        beside = html.split('id="find-delivery-note"')[1].split("</select>")[0]
        assert "Select a valid choice" in beside
    assert not Update.objects.exists()


# --- the compose form's priorities at risk ------------------------------------------------


def add_risks(world: w.World, n: int, text: str = "Slipping priority") -> list[AtRisk]:
    """``n`` more priorities the slip radar marks at risk, a day apart (the last the latest)."""
    cast = world.cast
    made = []
    for _ in range(n):
        card = Insight.objects.create(
            workspace=cast.acme,
            program=cast.program,
            session=world.session,
            kind="idea",
            text=f"{text} {Insight.objects.count()}",
            speaker_contact=cast.contact,
            customer=cast.customer,
        )
        status = PriorityStatus.objects.create(
            workspace=cast.acme, program=cast.program, priority=card, status="planned"
        )
        made.append(
            AtRisk.objects.create(
                workspace=cast.acme,
                program=cast.program,
                priority=card,
                status=status,
                since=NOW + timedelta(days=AtRisk.objects.count()),
            )
        )
    return made


def test_the_compose_form_offers_the_latest_priorities_at_risk_with_the_same_queries(
    world: w.World, client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    client = client_for("facilitator")
    path = page_url(world, "update-new")
    first = add_risks(world, 1)[0]
    few, small = html_queries(client, path)
    assert select_options(small, "priority") == [first.priority_id]
    newest = add_risks(world, 40)[-1]
    with django_assert_num_queries(few):
        large = client.get(path).content.decode()
    offered = select_options(large, "priority")
    assert len(offered) == update_selectors.OFFERED == 30
    assert offered[0] == newest.priority_id  # the latest marked first
    assert first.priority_id not in offered
    assert "Only the latest 30 are listed below: type part of a text" in large
    # The one chosen is offered wherever it falls, with the same queries.
    with django_assert_num_queries(few):
        picked = client.get(path, {"kind": "change_of_plan", "priority": first.priority_id})
    html = picked.content.decode()
    assert len(select_options(html, "priority")) == 31
    assert f'<option value="{first.priority_id}" selected>' in html


def test_the_find_a_priority_box_narrows_by_its_text_and_keeps_the_answers(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    client = client_for("facilitator")
    path = page_url(world, "update-new")
    add_risks(world, 35)
    (wanted,) = add_risks(world, 1, text="Single sign-on")
    cleared = add_risks(world, 1, text="Single sign-on for admins")[0]
    AtRisk.objects.filter(pk=cleared.pk).update(cleared_at=NOW)
    found = client.get(path, {"kind": "change_of_plan", "priority_q": "SIGN-ON"}).content.decode()
    assert select_options(found, "priority") == [wanted.priority_id]
    assert 'value="change_of_plan" selected' in found
    assert 'value="SIGN-ON"' in found
    assert "Listed below: those whose text holds “SIGN-ON”." in found
    none = client.get(path, {"priority_q": "nothing like it"}).content.decode()
    assert select_options(none, "priority") == []
    assert "No priority at risk of this program has “nothing like it” in its text." in none


def test_composing_a_change_of_plan_past_the_first_ones_drafts_it_and_a_cleared_one_is_refused(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    path = page_url(world, "update-new")
    oldest, cleared, *_ = add_risks(world, 40)
    AtRisk.objects.filter(pk=cleared.pk).update(cleared_at=NOW)
    sent = {"audience": "customer", "customer": cast.customer.pk, "kind": "change_of_plan"}
    refused = client.post(path, {**sent, "priority": cleared.priority_id})
    assert refused.status_code == 200
    beside = refused.content.decode().split('id="find-priority-note"')[1].split("</select>")[0]
    assert "Select a valid choice" in beside
    assert not Update.objects.exists()
    with clock.frozen(NOW):
        answer = client.post(path, {**sent, "priority": oldest.priority_id})
    assert answer.status_code == 302, answer.content.decode()
    assert Update.objects.get().kind == "change_of_plan"
