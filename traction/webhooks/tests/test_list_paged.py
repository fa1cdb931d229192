"""The webhook endpoints list is paged, active and archived alike: a page at a time with a
way to the next, the same queries at two sizes, and only the workspace's endpoints. (The
page size is made small here.)"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.core.testing.cast import Cast
from traction.webhooks import services
from traction.webhooks import views as webhook_views
from traction.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def queries(client: Client, path: str) -> tuple[int, str]:
    client.get(path)  # warm
    with CaptureQueriesContext(connection) as seen:
        response = client.get(path)
    assert response.status_code == 200
    return len(seen), response.content.decode()


def add(cast: Cast, start: int, n: int, principal: str = "admin") -> None:
    for i in range(start, start + n):
        services.create_endpoint(
            cast.viewer(principal), url=f"https://hooks.example.com/{i:02d}", description=""
        )


def shown(page: str) -> list[str]:
    return re.findall(r'<a href="/w/\w+/webhooks/\d+/">https://hooks\.example\.com/(\d+)</a>', page)


def test_the_endpoints_list_is_paged_and_costs_the_same_queries_at_two_sizes(
    cast: Cast, client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook_views, "ENDPOINTS_PAGE", 3)
    client = client_for("admin")
    path = reverse("webhooks:list", args=["acme"])
    add(cast, 0, 3)  # one page
    small, page = queries(client, path)
    assert shown(page) == ["00", "01", "02"]
    assert 'class="pagination"' not in page
    add(cast, 3, 6)  # three pages
    add(cast, 50, 2, principal="stranger")  # another workspace's: never listed
    count, page = queries(client, path)
    assert count == small
    assert shown(page) == ["00", "01", "02"]
    assert "Page 1 of 3 (9 in all)" in page
    assert 'href="?page=2" rel="next"' in page
    page = client.get(path + "?page=3").content.decode()
    assert shown(page) == ["06", "07", "08"]
    assert 'href="?page=2" rel="prev"' in page


def test_the_archived_endpoints_are_paged_keeping_the_filter(
    cast: Cast, client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook_views, "ENDPOINTS_PAGE", 2)
    add(cast, 0, 5)
    admin = cast.viewer("admin")
    for endpoint in WebhookEndpoint.objects.filter(workspace=cast.acme).order_by("url")[:3]:
        services.archive_endpoint(admin, endpoint=endpoint)
    client = client_for("admin")
    page = client.get(reverse("webhooks:list", args=["acme"])).content.decode()
    assert 'class="pagination"' not in page
    assert "Archived endpoints (3)" in page
    assert shown(page) == ["03", "04"]
    page = client.get(reverse("webhooks:list", args=["acme"]) + "?archived=1").content.decode()
    assert "Page 1 of 2 (3 in all)" in page
    assert 'href="?archived=1&amp;page=2" rel="next"' in page


def test_an_empty_page_of_endpoints_still_explains_them(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    page = client_for("admin").get(reverse("webhooks:list", args=["acme"]) + "?page=7")
    assert "No webhook endpoints yet." in page.content.decode()
