"""Issue 11, small ones: the sign-in error says the email or password is wrong (not "could not
be saved"); a member of one workspace lands in it; /favicon.ico is served and linked."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from traction.accounts import services
from traction.core.testing.cast import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_wrong_password_says_so_not_could_not_be_saved(cast: Any, client: Any) -> None:
    response = client.post(
        reverse("accounts:login"), {"email": "alice@acme.test", "password": "nope"}
    )
    page = response.content.decode()
    assert '<p class="form-errors-title">You are not signed in:</p>' in page
    assert "That email and password do not match an account." in page
    assert "could not be saved" not in page


def test_a_member_of_one_workspace_lands_in_it(cast: Any, client: Any) -> None:
    response = client.post(
        reverse("accounts:login"), {"email": "olive@acme.test", "password": PASSWORD}
    )
    assert response["Location"] == "/w/acme/"
    # A safe next still wins.
    client.logout()
    response = client.post(
        reverse("accounts:login"),
        {"email": "olive@acme.test", "password": PASSWORD, "next": "/w/acme/notices/"},
    )
    assert response["Location"] == "/w/acme/notices/"


def test_a_member_of_two_workspaces_chooses(cast: Any, client: Any) -> None:
    services.add_member(None, workspace=cast.rival, user=cast.users["observer"], role="admin")
    response = client.post(
        reverse("accounts:login"), {"email": "olive@acme.test", "password": PASSWORD, "next": "/"}
    )
    assert response["Location"] == "/"


def test_the_favicon_is_served_and_linked(cast: Any, client: Any, client_for: Any) -> None:
    icon = client.get("/favicon.ico")
    assert (icon.status_code, icon["Content-Type"]) == (200, "image/x-icon")
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
    page = client_for("observer").get("/w/acme/").content.decode()
    assert '<link rel="icon" href="/favicon.ico" sizes="16x16">' in page
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
