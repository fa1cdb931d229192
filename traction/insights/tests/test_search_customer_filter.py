"""Search's Customer filter stays short however many customers there are: the first few by
name, narrowed by "Find a customer", and the customer chosen wherever it falls; a customer the
viewer may not see is refused as before; the page costs the same queries at two sizes. (The
number listed is made small here.)"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.customers import services as customer_services
from traction.insights import services
from traction.insights.search import forms
from traction.insights.tests.conftest import Room

pytestmark = pytest.mark.django_db


def search_url() -> str:
    return reverse("insights:search", kwargs={"workspace_slug": "acme"})


def options(page: str) -> list[str]:
    found = re.search(r'<select name="customer".*?</select>', page, re.S)
    assert found is not None
    return re.findall(r"<option[^>]*>([^<]*)</option>", found.group(0))


def add_customers(room: Room, start: int, n: int) -> None:
    for i in range(start, start + n):  # named to sort before Globex and Initech
        customer_services.create_customer(
            room.cast.viewer("facilitator"), name=f"Acorn {i:02d}", segment="mid_market"
        )


def queries(client: Client, path: str) -> tuple[int, str]:
    client.get(path)  # warm
    with CaptureQueriesContext(connection) as seen:
        response = client.get(path)
    assert response.status_code == 200
    return len(seen), response.content.decode()


def said(room: Room, who: str, text: str) -> None:
    services.capture_insight(
        room.cast.viewer("facilitator"),
        session=room.session,
        kind="issue",
        text=text,
        speaker=room.speaker(who),
    )


def test_the_filter_lists_the_first_few_and_costs_the_same_queries_at_two_sizes(
    room: Room, client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forms, "CUSTOMERS_OFFERED", 3)
    client = client_for("facilitator")
    chosen = f"{search_url()}?q=&customer={room.cast.other_customer.pk}"
    small, page = queries(client, search_url())
    assert options(page) == ["Any customer", "Globex", "Initech"]
    small_chosen, _ = queries(client, chosen)
    add_customers(room, 0, 9)
    count, page = queries(client, search_url())
    assert options(page) == [
        "Any customer (the first 3 listed: type a name to narrow)",
        "Acorn 00",
        "Acorn 01",
        "Acorn 02",
    ]
    assert count == small
    count_chosen, page = queries(client, chosen)
    assert count_chosen == small_chosen
    # Initech, chosen though past the first three, is offered and selected.
    assert f'<option value="{room.cast.other_customer.pk}" selected>Initech</option>' in page
    assert "errorlist" not in page


def test_find_a_customer_narrows_the_options_and_the_choice_still_filters(
    room: Room, client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forms, "CUSTOMERS_OFFERED", 3)
    add_customers(room, 0, 9)
    said(room, "gina", "The invoice arrives late")
    said(room, "ivy", "The invoice has the wrong address")
    client = client_for("facilitator")
    page = client.get(search_url(), {"customer_q": "ini"}).content.decode()
    assert options(page) == ["Any customer", "Initech"]
    page = client.get(search_url(), {"customer_q": "zebra"}).content.decode()
    assert options(page) == ["Any customer (none is named “zebra”)"]
    page = client.get(
        search_url(), {"q": "invoice", "customer_q": "ini", "customer": room.cast.customer.pk}
    ).content.decode()
    assert options(page) == ["Any customer", "Globex", "Initech"]  # the chosen one stays
    assert "<strong>1 result</strong>" in page
    assert "arrives late" in page
    assert "wrong address" not in page
    # Typing, with scripts: the results bring the narrowed options along (out of band).
    partial = client.get(
        search_url(), {"customer_q": "ini"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert partial.lstrip().startswith('<div id="results"')
    assert '<div id="customer-filter" hx-swap-oob="true">' in partial
    assert options(partial) == ["Any customer", "Initech"]


def test_a_customer_the_viewer_may_not_see_is_refused_as_before(
    room: Room, client_for: Callable[[str], Client]
) -> None:
    owner = client_for("account_owner")  # Owen sees his Globex only
    page = owner.get(search_url(), {"customer_q": "i"}).content.decode()
    assert "Initech" not in options(page)
    page = owner.get(search_url(), {"customer": room.cast.other_customer.pk}).content.decode()
    assert "Select a valid choice" in page
    assert "Nothing searched yet." in page
    page = (
        client_for("facilitator")
        .get(search_url(), {"customer": room.cast.rival_customer.pk})
        .content.decode()
    )
    assert "Select a valid choice" in page
    assert "Rival customer" not in page
