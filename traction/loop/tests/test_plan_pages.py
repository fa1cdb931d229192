"""The communication plan's pages: the plan (rows, flags, the re-engagement prompt, empty
state, a constant number of queries), changing it (errors beside the field), the session
page's promise section, the program page's "recently answered" and the home page's step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.customers.models import Contact, Customer
from traction.loop import answered, plan_views
from traction.loop.models import (
    CommsOwner,
    CommsPlan,
    MessageState,
    PriorityStatus,
    Update,
    UpdateRecipient,
    UpdateState,
)
from traction.sessions import services as session_services
from traction.sessions.models import Session

from . import world as w

pytestmark = pytest.mark.django_db

DAY = w.ENDED.date()


def on(days: int) -> datetime:
    d = DAY + timedelta(days=days)
    return datetime(d.year, d.month, d.day, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(cast: Cast) -> w.World:
    with clock.frozen(on(-1)):
        return w.build(cast)


def url(cast: Cast, name: str, **kw: object) -> str:
    return reverse(f"loop:{name}", kwargs={"workspace_slug": cast.acme.slug, **kw})


def get(client: Client, path: str, days: int) -> str:
    with clock.frozen(on(days)):
        page = client.get(path)
    assert page.status_code == 200, page.status_code
    return page.content.decode()


def sent_update(world: w.World, contact: Contact, at: datetime, priorities: list[int]) -> Update:
    cast = world.cast
    update = Update.objects.create(
        workspace=cast.acme,
        program=cast.program,
        audience="customer",
        customer=contact.customer,
        subject="What came of your feedback",
        body="Thank you.",
        sources={"priorities": priorities},
        state=UpdateState.SENT,
        sent_at=at,
    )
    UpdateRecipient.objects.create(
        workspace=cast.acme,
        update=update,
        contact=contact,
        customer=contact.customer,
        name=contact.name,
        email=contact.email,
        state=MessageState.SENT,
        sent_at=at,
    )
    return update


def grow(world: w.World, start: int, n: int) -> None:
    """``n`` more organisations "Org 000"… taking part in the session (an invitation
    accepted); every other one heard from us, every third has Cora as its teller, every
    fourth Owen as its account owner."""
    cast = world.cast
    for i in range(start, start + n):
        contact = w.add_organisation(world, f"Org {i:03}", f"pat{i}@o.test")
        if i % 4 == 1:
            Customer.objects.filter(pk=contact.customer_id).update(
                account_owner=cast.users["account_owner"]
            )
        if i % 2:
            sent_update(world, contact, on(3), [])
        if i % 3 == 0:
            CommsOwner.objects.create(
                program=cast.program, customer=contact.customer, teller=cast.users["core_team"]
            )


def test_the_plan_page_lists_organisations_with_their_flags(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    Session.objects.filter(pk=world.session.pk).update(hear_back_by=DAY + timedelta(days=14))
    html = get(client_for("facilitator"), url(cast, "plan", program_id=cast.program.pk), 17)
    assert "Globex" in html
    assert "Initech" in html
    assert "Owen Owner" in html  # Globex's account owner tells it by default
    assert "(account owner)" in html
    assert "Overdue by 3 days" in html
    assert "Promised in “Onboarding co-design”" in html
    assert "2 overdue" in html
    assert "Change the plan" in html
    # Sam (sponsor, on the program) reads the plan; Olive (observer) reads it, cannot change it.
    olive = get(client_for("observer"), url(cast, "plan", program_id=cast.program.pk), 17)
    assert "Globex" in olive
    assert "Change the plan" not in olive


def test_an_account_owner_sees_only_their_customers(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    html = get(client_for("account_owner"), url(cast, "plan", program_id=cast.program.pk), 5)
    assert "Globex" in html
    assert "Initech" not in html


def test_the_empty_plan_says_how_organisations_appear(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    html = get(client_for("facilitator"), url(cast, "plan", program_id=cast.other_program.pk), 5)
    assert "No customer organisation takes part in this program yet." in html


def test_silence_prompts_a_re_engagement(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    path = url(cast, "plan", program_id=cast.program.pk)
    facilitator = client_for("facilitator")
    html = get(facilitator, path, 95)
    assert "Heard nothing for 95 days" in html
    assert "Draft a re-engagement update" in html
    link = plan_views.reengage_url(cast.acme.slug, cast.program.pk, cast.customer.pk)
    assert link.replace("&", "&amp;") in html
    # The link opens the compose page set for a re-engagement update to that customer.
    compose = facilitator.get(link)
    assert compose.status_code == 200
    form = compose.context["form"]
    assert form.initial.get("kind") == "re_engagement" or form["kind"].value() == "re_engagement"
    assert str(form["customer"].value()) == str(cast.customer.pk)
    # Globex's account owner reads the prompt, without a link to a page not theirs.
    owner = get(client_for("account_owner"), path, 95)
    assert "Time to re-engage them" in owner
    assert "Draft a re-engagement update" not in owner


def same_queries(
    world: w.World,
    client: Client,
    assert_num_queries: Any,
    small: list[str],
    large: list[str],
) -> tuple[list[str], list[str]]:
    """The pages at ``small`` with 5 organisations (Globex, Initech and 3 more) and at
    ``large`` with 125: the same number of queries (the session and caches warmed first)."""
    get(client, small[0], 20)
    grow(world, 0, 3)
    with clock.frozen(on(20)), CaptureQueriesContext(connection) as few:
        first = [client.get(p).content.decode() for p in small]
    assert len(few.captured_queries) <= 20 * len(small)
    grow(world, 3, 120)
    with clock.frozen(on(20)), assert_num_queries(len(few.captured_queries)):
        then = [client.get(p).content.decode() for p in large]
    return first, then


def test_the_plan_page_takes_a_constant_number_of_queries(
    world: w.World, client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    path = url(world.cast, "plan", program_id=world.cast.program.pk)
    _, [html] = same_queries(
        world, client_for("facilitator"), django_assert_num_queries, [path], [path]
    )
    assert "125 organisations" in html
    assert "Page 1 of 3" in html


def test_changing_the_plan_shows_errors_beside_the_field(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    client = client_for("core_team")
    path = url(cast, "plan_edit", program_id=cast.program.pk)
    form = get(client, path, 2)
    assert "Who tells Globex" in form
    assert "Its account owner (Owen Owner)" in form
    with clock.frozen(on(2)):
        bad = client.post(
            path,
            {
                "cadence_days": "60",
                "silence_days": "30",
                "notes": "",
                f"teller_{cast.customer.pk}": "",
                f"teller_{cast.other_customer.pk}": "",
            },
        )
    assert bad.status_code == 200
    html = bad.content.decode()
    assert "A silence must be longer than the cadence" in html
    assert "field-invalid" in html
    with clock.frozen(on(2)):
        ok = client.post(
            path,
            {
                "cadence_days": "28",
                "silence_days": "60",
                "notes": "Monthly calls with Globex.",
                f"teller_{cast.customer.pk}": "",
                f"teller_{cast.other_customer.pk}": str(cast.users["core_team"].pk),
            },
        )
    assert ok.status_code == 302
    found = CommsPlan.objects.get(program=cast.program)
    assert (found.cadence_days, found.silence_days) == (28, 60)
    assert CommsOwner.objects.get(customer=cast.other_customer).teller == cast.users["core_team"]
    html = get(client, url(cast, "plan", program_id=cast.program.pk), 2)
    assert "Monthly calls with Globex." in html
    assert "Cora Core" in html
    # An observer may not change it.
    with clock.frozen(on(2)):
        assert client_for("observer").get(path).status_code in (403, 404)


def tellers_on(html: str) -> int:
    """How many organisations the edit page lets one choose the teller of."""
    return html.count('for="id_teller_')


def test_the_edit_page_pages_the_organisations_and_finds_them_by_name(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    grow(world, 0, 30)  # with Globex and Initech, 32 organisations
    client = client_for("facilitator")
    path = url(cast, "plan_edit", program_id=cast.program.pk)
    first = get(client, path, 2)
    assert tellers_on(first) == plan_views.EDIT_PAGE_SIZE
    assert "Who tells Globex" in first  # by name: Globex, Initech, Org 000…
    assert "Who tells Org 022" in first
    assert "Who tells Org 023" not in first
    assert "32 organisations · page 1 of 2" in first
    assert "Page 1 of 2 (32 in all)" in first
    second = get(client, f"{path}?page=2", 2)
    assert tellers_on(second) == 32 - plan_views.EDIT_PAGE_SIZE
    assert "Who tells Org 023" in second
    assert "Who tells Org 029" in second
    found = get(client, f"{path}?q=org+01", 2)
    assert tellers_on(found) == 10
    assert "Who tells Org 010" in found
    assert "Who tells Org 019" in found
    assert "10 organisations matching “org 01”" in found
    assert "Show all" in found
    found = get(client, f"{path}?q=INITECH", 2)  # any case
    assert tellers_on(found) == 1
    assert "Who tells Initech" in found
    nothing = get(client, f"{path}?q=Umbrella", 2)
    assert tellers_on(nothing) == 0
    assert "No organisation of this program matches “Umbrella”." in nothing
    assert 'value="Umbrella"' in nothing  # the search box keeps what was asked
    # The program with nobody taking part says how organisations appear, without a finder.
    empty = get(client, url(cast, "plan_edit", program_id=cast.other_program.pk), 2)
    assert "No customer organisation takes part in this program yet." in empty
    assert "Find an organisation" not in empty
    # An archived organisation is no longer on the plan.
    Customer.objects.filter(name="Org 010").update(archived_at=on(1))
    assert tellers_on(get(client, f"{path}?q=org+01", 2)) == 9


def test_saving_a_page_sets_its_tellers_and_no_others(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    grow(world, 0, 30)  # Org 000, 003… have Cora as their teller
    cora, fran = cast.users["core_team"], cast.users["facilitator"]
    client = client_for("facilitator")
    path = url(cast, "plan_edit", program_id=cast.program.pk)
    second = client.get(f"{path}?page=2")
    form = second.context["form"]
    assert [c.name for _, c in form.customers][:2] == ["Org 023", "Org 024"]
    assert form["teller_" + str(Customer.objects.get(name="Org 024").pk)].value() == cora.pk
    org = {c.name: c.pk for c in Customer.objects.filter(name__startswith="Org ")}
    posted = {
        "cadence_days": "42",
        "silence_days": "90",
        "notes": "",
        "q": "",
        "page": "2",
        **{f"teller_{pk}": "" for _, c in form.customers for pk in [c.pk]},
    }
    posted[f"teller_{org['Org 023']}"] = str(fran.pk)  # named
    posted[f"teller_{org['Org 024']}"] = ""  # back to its account owner
    with clock.frozen(on(2)):
        saved = client.post(path, posted)
    assert saved.status_code == 302
    tellers = dict(
        CommsOwner.objects.filter(program=cast.program).values_list("customer__name", "teller_id")
    )
    assert tellers["Org 023"] == fran.pk
    assert tellers["Org 024"] is None
    assert tellers["Org 000"] == tellers["Org 021"] == cora.pk  # page 1: untouched
    # A refusal shows the same organisations again, with what was chosen.
    posted["silence_days"] = "10"
    with clock.frozen(on(2)):
        refused = client.post(path, posted)
    assert refused.status_code == 200
    again = refused.context["form"]
    assert [c.name for _, c in again.customers] == [c.name for _, c in form.customers]
    assert again[f"teller_{org['Org 023']}"].value() == str(fran.pk)
    assert "Page 2 of 2 (32 in all)" in refused.content.decode()


def test_the_edit_page_takes_the_same_queries_for_any_number_of_organisations(
    world: w.World, client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    path = url(world.cast, "plan_edit", program_id=world.cast.program.pk)
    (page, found), (page_then, found_then) = same_queries(
        world,
        client_for("facilitator"),
        django_assert_num_queries,
        [path, f"{path}?q=org"],
        [path, f"{path}?q=org&page=3"],
    )
    assert tellers_on(page) == 5
    assert tellers_on(found) == 3
    assert tellers_on(page_then) == plan_views.EDIT_PAGE_SIZE
    assert "125 organisations · page 1 of 5" in page_then
    assert tellers_on(found_then) == plan_views.EDIT_PAGE_SIZE


def test_the_session_page_counts_down_the_promise(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    Session.objects.filter(pk=world.session.pk).update(hear_back_by=DAY + timedelta(days=14))
    sent_update(world, cast.contact, on(2), [])
    path = reverse("sessions:detail", args=[cast.acme.slug, world.session.pk])
    html = get(client_for("facilitator"), path, 5)
    assert "Hearing back" in html
    assert "Heard back" in html  # Globex
    assert "9 days left" in html  # Initech
    html = get(client_for("facilitator"), path, 17)
    assert "Overdue by 3 days" in html
    assert "28 January 2027" in html


def test_setting_the_promise_after_the_session_on_the_edit_page(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    path = reverse("sessions:edit", args=[cast.acme.slug, world.session.pk])
    detail = get(client, reverse("sessions:detail", args=[cast.acme.slug, world.session.pk]), 1)
    assert "suggested: 28 January 2027" in detail
    # Marked held: a session over with nothing recorded could still have its date corrected.
    with clock.frozen(on(1)):
        session_services.mark_session_held(world.cast.viewer("facilitator"), session=world.session)
    form = get(client, path, 1)
    assert "Only the date its customers hear back can still change" in form
    world.session.refresh_from_db()
    from traction.sessions.forms import SessionForm

    data = {k: v for k, v in SessionForm.initial_for(world.session).items() if v is not None}
    data.pop("suggested_hear_back_by")
    data.pop("is_practice")
    data["hear_back_by"] = "2027-01-10"  # before the session
    with clock.frozen(on(1)):
        bad = client.post(path, data)
    assert bad.status_code == 200
    assert "Customers cannot hear back before the session starts" in bad.content.decode()
    data["hear_back_by"] = "2027-02-01"
    with clock.frozen(on(1)):
        ok = client.post(path, data)
    assert ok.status_code == 302
    world.session.refresh_from_db()
    assert world.session.hear_back_by.isoformat() == "2027-02-01"
    # Anything else of a session that is over still refuses.
    data["title"] = "Renamed"
    data["version"] = world.session.version
    with clock.frozen(on(1)):
        refused = client.post(path, data)
    assert "This session is over and was marked held" in refused.content.decode()


def test_recently_answered_on_the_program_page(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    path = reverse("programs:detail", args=[cast.acme.slug, cast.program.pk])
    html = get(client_for("facilitator"), path, 2)
    assert "Recently answered" in html
    assert "No customer priority has been answered yet" in html
    PriorityStatus.objects.create(
        workspace=cast.acme,
        program=cast.program,
        priority=world.quiet,
        status="under_consideration",
        published_at=on(3),
    )
    sent_update(world, cast.contact, on(4), [world.card.pk])
    html = get(client_for("facilitator"), path, 5)
    assert html.index("Invoice approval takes three weeks") < html.index("approve invoices")
    assert "status published: Under consideration" in html
    assert "update sent: “What came of your feedback”" in html
    # An account owner is told only of their customers' priorities.
    with clock.frozen(on(5)):
        owen = answered.recently(cast.viewer("account_owner"), cast.program)
    assert [a.priority.pk for a in owen] == [world.card.pk]


def test_home_tells_a_teller_of_overdue_updates(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    path = reverse("accounts:workspace_home", args=[cast.acme.slug])
    assert "overdue in Effortless onboarding" not in get(client_for("account_owner"), path, 10)
    html = get(client_for("account_owner"), path, 50)
    assert "1 customer update overdue in Effortless onboarding." in html
    assert "Open the communication plan" in html


def test_a_practice_session_promises_nothing(world: w.World) -> None:
    from traction.sessions.forms import SessionForm

    form = SessionForm(initial={"is_practice": True, "time_zone": "UTC"}, time_zone="UTC")
    assert "hear_back_by" not in form.fields
    form = SessionForm(initial=SessionForm.initial_for(world.session), time_zone="Europe/Berlin")
    assert "Suggested: 28 Jan 2027" in form.fields["hear_back_by"].help_text
