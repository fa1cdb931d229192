"""Shared fixtures: the cast, signed-in clients, API clients with bearer tokens."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from traction.core.testing.cast import PASSWORD, Cast, build_cast


@pytest.fixture
def cast(db: None) -> Cast:
    return build_cast()


@pytest.fixture
def client_for(cast: Cast) -> Callable[[str], Client]:
    """A web client signed in as a principal of the cast ("anonymous" stays signed out)."""

    def make(principal: str) -> Client:
        client = Client()
        if principal != "anonymous":
            client.force_login(cast.users[principal])
        return client

    return make


@pytest.fixture
def api_client_for(cast: Cast) -> Callable[[str], Client]:
    """An API client with a bearer token of a principal ("anonymous" sends none)."""
    from traction.accounts import services

    def make(principal: str) -> Client:
        if principal == "anonymous":
            return Client()
        _, key = services.create_api_token(cast.viewers[principal], name="tests")
        return Client(headers={"Authorization": f"Bearer {key}"})

    return make


__all__ = ["PASSWORD"]
