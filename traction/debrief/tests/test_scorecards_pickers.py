"""The metric form's Owner select and "Customer metrics it serves" list are bounded (the
chosen and the first 30 that match), each with a "Find" box narrowing it by GET with the
form's answers kept; the page costs the same queries however many members and cards there
are, and a choice past the first 30 stays chosen after a refusal."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from traction.accounts import services as account_services
from traction.core import clock
from traction.core.testing.cast import PASSWORD, Cast
from traction.debrief.models import ScorecardMetric
from traction.debrief.services import scorecards
from traction.insights.services.capture import capture_insight

from .scorecard_helpers import make_debrief, make_metric

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
ClientFor = Callable[[str], Client]


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with clock.frozen(NOW) as frozen:
        yield frozen


def url(cast: Cast, tail: str) -> str:
    return f"/w/{cast.acme.slug}/debriefs/{tail}"


def add_facilitators(cast: Cast, n: int) -> list[Any]:
    """``n`` more facilitators (who may own any metric), named after every cast member."""
    made = []
    for i in range(n):
        user = account_services.create_user(
            email=f"zed{i}@acme.test", full_name=f"Zed {i:03d}", password=PASSWORD
        )
        account_services.add_member(None, workspace=cast.acme, user=user, role="facilitator")
        made.append(user)
    return made


def add_cards(cast: Cast, session: Any, n: int, start: int = 0) -> list[Any]:
    fran = cast.viewer("facilitator")
    return [
        capture_insight(fran, session=session, kind="customer_metric", text=f"Card {i:03d}")
        for i in range(start, start + n)
    ]


def owners(page: str) -> list[int]:
    select = page.split('name="owner"')[1].split("</select>")[0]
    return [int(v) for v in re.findall(r'<option value="(\d+)"', select)]


def served(page: str) -> list[int]:
    return [int(v) for v in re.findall(r'name="serves" value="(\d+)"', page)]


def test_the_owner_and_cards_lists_are_bounded_with_the_same_queries(
    cast: Cast, client_for: ClientFor, django_assert_num_queries: Any
) -> None:
    debrief = make_debrief(cast)
    first = add_cards(cast, debrief.session, 1)
    client = client_for("core_team")
    new = url(cast, f"programs/{cast.program.pk}/scorecard/metrics/new/")
    client.get(new)
    chosen = {"owner": cast.users["facilitator"].pk, "serves": [first[0].pk], "owner_q": ""}
    with CaptureQueriesContext(connection) as seen:
        small = client.get(new, chosen).content.decode()
    assert served(small) == [first[0].pk]
    zeds = add_facilitators(cast, 40)
    cards = add_cards(cast, debrief.session, 40, start=1)
    chosen = {"owner": zeds[-1].pk, "serves": [cards[-1].pk], "owner_q": "", "name": "Kept"}
    with django_assert_num_queries(len(seen)):
        large = client.get(new, chosen).content.decode()
    # The first 30 and the one chosen wherever it falls, still chosen; the answers kept.
    assert len(owners(large)) == 31
    assert zeds[-1].pk in owners(large)
    assert zeds[-2].pk not in owners(large)
    assert f'<option value="{zeds[-1].pk}" selected>' in large
    assert len(served(large)) == 31
    assert cards[-2].pk not in served(large)
    assert re.search(rf'name="serves" value="{cards[-1].pk}"[^>]*checked', large)
    assert 'value="Kept"' in large
    assert "Only the first 30 members by name are listed below" in large
    assert "Only the first 30 cards oldest first are listed below (and those ticked)" in large
    # Find narrows each list to what matches (and those chosen).
    found = client.get(new, {**chosen, "owner_q": "Zed 005", "serves_q": "Card 007"})
    page = found.content.decode()
    assert sorted(owners(page)) == sorted([zeds[5].pk, zeds[-1].pk])
    assert sorted(served(page)) == sorted([cards[6].pk, cards[-1].pk])
    assert "Listed below: the cards whose words hold “Card 007” (and those ticked)." in page
    nothing = client.get(new, {**chosen, "serves_q": "no such card"}).content.decode()
    assert served(nothing) == [cards[-1].pk]
    assert "No card but those ticked has words holding “no such card”." in nothing
    assert not ScorecardMetric.objects.exists()  # a Find writes nothing


def test_a_choice_past_the_first_30_stays_chosen_after_a_refusal_and_is_saved(
    cast: Cast, client_for: ClientFor
) -> None:
    debrief = make_debrief(cast)
    zeds = add_facilitators(cast, 35)
    cards = add_cards(cast, debrief.session, 35)
    client = client_for("core_team")
    new = url(cast, f"programs/{cast.program.pk}/scorecard/metrics/new/")
    form = {"name": "", "direction": "up", "frequency": "monthly"}
    form |= {"owner": str(zeds[-1].pk), "serves": [str(cards[-1].pk)]}
    refused = client.post(new, form).content.decode()
    assert "form-errors" in refused or "errorlist" in refused
    assert f'<option value="{zeds[-1].pk}" selected>' in refused
    assert re.search(rf'name="serves" value="{cards[-1].pk}"[^>]*checked', refused)
    assert len(owners(refused)) == 31
    assert len(served(refused)) == 31
    # An id outside what the viewer may choose is refused beside its field.
    outsider = client.post(new, {**form, "name": "Days", "owner": cast.users["observer"].pk})
    assert "owner" in outsider.context["form"].errors
    unknown = client.post(new, {**form, "name": "Days", "serves": ["999999"]})
    assert "serves" in unknown.context["form"].errors
    assert not ScorecardMetric.objects.exists()
    saved = client.post(new, {**form, "name": "Days"})
    assert saved.status_code == 302
    m = ScorecardMetric.objects.get()
    assert (m.owner_id, [c.pk for c in m.serves.all()]) == (zeds[-1].pk, [cards[-1].pk])
    # The edit page offers them, chosen; a Find there keeps what was chosen on the page.
    edit = client.get(url(cast, f"metrics/{m.pk}/edit/")).content.decode()
    assert f'<option value="{zeds[-1].pk}" selected>' in edit
    assert re.search(rf'name="serves" value="{cards[-1].pk}"[^>]*checked', edit)
    again = client.get(
        url(cast, f"metrics/{m.pk}/edit/"),
        {"name": "Days again", "owner": "", "serves": [cards[0].pk], "serves_q": "Card 000",
         "version": m.version},
    ).content.decode()  # fmt: skip
    assert 'value="Days again"' in again
    assert served(again) == [cards[0].pk]
    assert re.search(rf'name="serves" value="{cards[0].pk}"[^>]*checked', again)
    # The saved owner is still offered (not chosen) after choosing nobody.
    assert zeds[-1].pk in owners(again)
    assert f'<option value="{zeds[-1].pk}" selected>' not in again


def test_the_edit_page_costs_the_same_queries_however_many_members_and_cards(
    cast: Cast, client_for: ClientFor, django_assert_num_queries: Any
) -> None:
    debrief = make_debrief(cast)
    card = add_cards(cast, debrief.session, 1)[0]
    m = make_metric(cast)
    scorecards.update_metric(
        cast.viewer("facilitator"), metric=m, changes={}, version=m.version, serves_ids=[card.pk]
    )
    client = client_for("core_team")
    edit = url(cast, f"metrics/{m.pk}/edit/")
    client.get(edit)
    with CaptureQueriesContext(connection) as seen:
        client.get(edit)
    add_facilitators(cast, 40)
    add_cards(cast, debrief.session, 40, start=1)
    with django_assert_num_queries(len(seen)):
        page = client.get(edit).content.decode()
    assert len(served(page)) == 31
    assert card.pk in served(page)


def test_a_find_on_the_form_opened_from_a_card_stays_on_that_card(
    cast: Cast, client_for: ClientFor
) -> None:
    """The shortcut's form (``?debrief=…&card=…``) carries both in hidden fields, so that a
    Find (a GET of the form, which drops the address's own query) keeps them."""
    debrief = make_debrief(cast, ends_at=datetime(2027, 5, 31, 17, tzinfo=UTC))
    card = add_cards(cast, debrief.session, 1)[0]
    client = client_for("core_team")
    new = url(cast, f"programs/{cast.program.pk}/scorecard/metrics/new/")
    page = client.get(new, {"debrief": debrief.pk, "card": card.pk}).content.decode()
    assert f'<input type="hidden" name="debrief" value="{debrief.pk}">' in page
    assert f'<input type="hidden" name="card" value="{card.pk}">' in page
    found = client.get(
        new, {"debrief": debrief.pk, "card": card.pk, "name": "Renamed", "owner_q": "fran"}
    ).content.decode()
    assert "Filled in from the customer metric card" in found
    assert 'value="Renamed"' in found  # what was typed wins over the card's words
    assert re.search(rf'name="serves" value="{card.pk}"[^>]*checked', found) is None  # unticked
    assert not ScorecardMetric.objects.exists()
