"""A customer's page lists its contacts, and its archived ones, a page at a time: a way to
the next page, each pager keeping the other's page, the same queries at two sizes, and only
what the viewer may see. (The page size is made small here.)"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.core.testing.cast import Cast
from traction.customers import services
from traction.customers import views as customer_views
from traction.customers.models import Customer

pytestmark = pytest.mark.django_db


def queries(client: Client, path: str) -> tuple[int, str]:
    client.get(path)  # warm
    with CaptureQueriesContext(connection) as seen:
        response = client.get(path)
    assert response.status_code == 200
    return len(seen), response.content.decode()


def add(cast: Cast, customer: Customer, start: int, n: int) -> None:
    for i in range(start, start + n):
        services.add_contact(
            cast.viewer("facilitator"),
            customer=customer,
            name=f"Person {i:02d}",
            email=f"person{i:02d}@{customer.name.lower()}.test",
        )


def names(page: str) -> list[str]:
    return re.findall(r"<td>(Person \d+|Gina Globex)</td>", page)


def path(cast: Cast, customer: Customer | None = None) -> str:
    return reverse("customers:detail", args=["acme", (customer or cast.customer).pk])


def test_the_contacts_are_paged_at_the_same_cost_for_one_page_and_three(
    cast: Cast, client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customer_views, "CONTACTS_PAGE", 3)
    client = client_for("facilitator")
    add(cast, cast.customer, 0, 2)  # with Gina: one page
    small, page = queries(client, path(cast))
    assert names(page) == ["Gina Globex", "Person 00", "Person 01"]
    assert 'class="pagination"' not in page
    add(cast, cast.customer, 2, 6)  # three pages
    add(cast, cast.other_customer, 50, 4)  # another customer's: never on this page
    count, page = queries(client, path(cast))
    assert count == small
    assert names(page) == ["Gina Globex", "Person 00", "Person 01"]
    assert "Page 1 of 3 (9 in all)" in page
    assert 'href="?page=2#contacts" rel="next"' in page
    page = client.get(path(cast) + "?page=3").content.decode()
    assert names(page) == ["Person 05", "Person 06", "Person 07"]
    assert "Person 50" not in page


def test_archived_contacts_have_their_own_pager_keeping_the_other(
    cast: Cast, client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customer_views, "CONTACTS_PAGE", 2)
    add(cast, cast.customer, 0, 7)
    fran = cast.viewer("facilitator")
    for contact in cast.customer.contacts.filter(name__in=["Person 02", "Person 03", "Person 04"]):
        services.archive_contact(fran, contact=contact)
    client = client_for("facilitator")
    small, _ = queries(client, path(cast))
    page = client.get(path(cast) + "?page=2&archived=2").content.decode()
    assert "Archived contacts (3)" in page
    assert '<details class="archived" id="archived-contacts" open>' in page
    assert "Person 04" in page  # the second page of the archived
    assert "Person 02" not in page
    assert 'href="?page=2&amp;archived=1#archived-contacts" rel="prev"' in page
    assert 'href="?archived=2&amp;page=3#contacts" rel="next"' in page
    more, _ = queries(client, path(cast) + "?page=2&archived=2")
    assert more == small


def test_an_account_owner_pages_only_the_contacts_of_their_own_customers(
    cast: Cast, client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customer_views, "CONTACTS_PAGE", 2)
    add(cast, cast.customer, 0, 3)
    owner = client_for("account_owner")
    page = owner.get(path(cast)).content.decode()
    assert "Page 1 of 2 (4 in all)" in page
    assert owner.get(path(cast, cast.other_customer) + "?page=2").status_code == 404
