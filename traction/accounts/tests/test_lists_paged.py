"""The lists of the accounts pages that grow with history are paged: a member's API tokens,
every member's tokens (revoked ones stay listed) and the former members. Each page costs the
same queries at two sizes. (Page sizes are made small here.)"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.accounts import services
from traction.accounts import views as account_views
from traction.accounts.models import Membership
from traction.core.permissions import Role
from traction.core.testing.cast import Cast

pytestmark = pytest.mark.django_db


def queries(client: Client, path: str) -> tuple[int, str]:
    client.get(path)
    with CaptureQueriesContext(connection) as seen:
        response = client.get(path)
    assert response.status_code == 200
    return len(seen), response.content.decode()


def tokens(cast: Cast, n: int, start: int) -> None:
    for i in range(start, start + n):
        services.create_api_token(cast.viewer("admin"), name=f"Script {i:02d}")


def test_tokens_are_paged_newest_first(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(account_views, "TOKENS_PAGE", 3)
    client = client_for("admin")
    own = reverse("accounts:tokens", args=["acme"])
    every = reverse("accounts:workspace_tokens", args=["acme"])
    tokens(cast, 4, 0)
    small = (queries(client, own)[0], queries(client, every)[0])
    tokens(cast, 6, 4)
    count, page = queries(client, own)
    assert re.findall(r"<td>(Script \d+)</td>", page) == ["Script 09", "Script 08", "Script 07"]
    assert "Page 1 of 4 (10 in all)" in page
    assert 'href="?page=2" rel="next"' in page
    count_all, page = queries(client, every + "?page=4")
    assert re.findall(r"<td>(Script \d+)</td>", page) == ["Script 00"]
    assert (count, count_all) == small


def test_former_members_are_paged_latest_first(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(account_views, "FORMER_PAGE", 2)
    client = client_for("admin")
    path = reverse("accounts:members", args=["acme"])

    def leave(n: int, start: int) -> None:
        for i in range(start, start + n):
            user = services.create_user(
                email=f"gone{i}@acme.test", full_name=f"Gone {i}", password=None
            )
            membership = services.add_member(
                cast.viewer("admin"), workspace=cast.acme, user=user, role=Role.OBSERVER
            )
            services.remove_member(cast.viewer("admin"), membership=membership)

    leave(3, 0)
    small, page = queries(client, path)
    assert "Former members (3)" in page
    leave(4, 3)
    count, page = queries(client, path + "?former=2")
    assert "Former members (7)" in page
    assert '<details class="archived" id="former" open>' in page
    assert re.findall(r"<li>(Gone \d)", page) == ["Gone 4", "Gone 3"]
    assert 'href="?former=3#former" rel="next"' in page
    assert count == small
    assert Membership.history.filter(archived_at__isnull=False).count() == 7


def join(cast: Cast, n: int, start: int) -> None:
    for i in range(start, start + n):
        user = services.create_user(
            email=f"zed{i:02d}@acme.test", full_name=f"Zed {i:02d}", password=None
        )
        services.add_member(cast.viewer("admin"), workspace=cast.acme, user=user, role="observer")


def member_names(page: str) -> list[str]:
    return re.findall(r"<td>([A-Z][a-z]+ [A-Z0-9][a-z0-9]+)(?: <span|</td>)", page)


def test_current_members_are_paged_by_name(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(account_views, "MEMBERS_PAGE", 6)
    client = client_for("admin")
    path = reverse("accounts:members", args=["acme"])
    # Six members (Alice, Cora, Fran, Olive, Owen, Sam): one page.
    small, page = queries(client, path)
    assert member_names(page)[:3] == ["Alice Admin", "Cora Core", "Fran Facilitator"]
    assert "Pages of members" not in page
    join(cast, 12, 0)  # three pages
    count, page = queries(client, path)
    assert count == small
    assert "Page 1 of 3 (18 in all)" in page
    assert 'href="?page=2#current" rel="next"' in page
    page = client.get(path + "?page=3&former=1").content.decode()
    assert member_names(page) == [f"Zed {i:02d}" for i in range(6, 12)]
    assert 'href="?former=1&amp;page=2#current" rel="prev"' in page
    # Another workspace's members are never listed; its own admin pages only them.
    page = client_for("stranger").get(reverse("accounts:members", args=["rival"]))
    assert member_names(page.content.decode()) == ["Stan Stranger"]


def test_pending_invitations_are_paged_newest_first_for_admins_only(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(account_views, "INVITATIONS_PAGE", 2)
    client = client_for("admin")
    path = reverse("accounts:members", args=["acme"])

    def invite(n: int, start: int) -> None:
        for i in range(start, start + n):
            services.invite_member(cast.viewer("admin"), email=f"new{i}@acme.test", role="observer")

    invite(2, 0)  # one page
    small, page = queries(client, path)
    assert "Pages of pending invitations" not in page
    invite(4, 2)  # three pages
    count, page = queries(client, path + "?invited=2")
    assert count == small
    assert "6 waiting, the newest first." in page
    assert re.findall(r"<td>(new\d@acme\.test)</td>", page) == ["new3@acme.test", "new2@acme.test"]
    assert 'href="?invited=3#pending" rel="next"' in page
    assert 'href="?invited=1#pending" rel="prev"' in page
    # Who may not manage members sees no invitations, whatever page they ask for.
    page = client_for("observer").get(path + "?invited=2").content.decode()
    assert "new3@acme.test" not in page
    assert "Pending invitations" not in page
