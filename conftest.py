"""Shared fixtures: the cast, signed-in clients, API clients with bearer tokens."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from traction.core import clock
from traction.core.testing.cast import PASSWORD, Cast, build_cast
from traction.core.testing.snapshot import Snapshot

# The cast is built through the services once per test process; each test gets its rows
# inserted again and its own copy of the objects (traction/core/testing/snapshot.py).
_cast_snapshot: list[Snapshot[Cast]] = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """pytest-django's test databases, then, on SQLite, a copy of the freshly migrated one
    that the migration tests put back when they are done (core/testing/migrations.py)."""
    from traction.core.testing.migrations import remember_latest

    with django_db_blocker.unblock():
        remember_latest()


@pytest.fixture
def sqlite_file_at_latest(django_db_setup: None) -> Callable[[Path], Path]:
    """Puts a copy of this process's freshly migrated SQLite test database at a path, for a
    test running the project in subprocesses on a file of its own: their ``migrate`` finds
    every migration applied (core/testing/migrations.py, ``copy_latest_to``). Nothing is
    written when the test database is PostgreSQL: the subprocesses migrate the file then."""
    from traction.core.testing.migrations import copy_latest_to

    def make(path: Path) -> Path:
        copy_latest_to(path)
        return path

    return make


@pytest.fixture
def cast(db: None) -> Cast:
    if _cast_snapshot:
        found = _cast_snapshot[0].restore()
        if found is not None:
            return found
    # Built at the real time even when the first test to ask has frozen the clock: the cast's
    # timestamps are then the same whichever test comes first (a cast built in 2027 made a
    # later test's "updated_at moved on" fail).
    with clock.real():
        _cast_snapshot[:] = [Snapshot.take(build_cast)]
    found = _cast_snapshot[0].restore()
    assert found is not None
    return found


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
    """An API client with a bearer token of a principal ("anonymous" sends none). The token
    never expires: tests that move the clock months on are not about tokens' expiry
    (traction/accounts/tests/test_token_expiry.py is)."""
    from traction.accounts import services

    def make(principal: str) -> Client:
        if principal == "anonymous":
            return Client()
        _, key = services.create_api_token(
            cast.viewers[principal], name="tests", lifetime_days=None
        )
        return Client(headers={"Authorization": f"Bearer {key}"})

    return make


__all__ = ["PASSWORD"]


# Tests that cannot reach the database (no ``django_db`` mark and no database fixture,
# which pytest-django enforces) give the same answer on every backend: the PostgreSQL run
# leaves them to the SQLite run, except the API contract suite and the deployment tests,
# which run on PostgreSQL only. So do the migration-history tests of migrations with no
# vendor-specific code (``sqlite_only_migration``: the same Python runs the same operations;
# they are the slowest tests, minutes each on PostgreSQL); a migration that asks
# ``connection.vendor`` keeps its test on both. So do the tests marked ``sqlite_only``: pure
# Python (rendering, parsing, checking text) that reads the database only for its input,
# never asserting what a query, a lock, a constraint, a search or an aggregate does
# (docs/architecture.md, "Tests: what runs where"). ``TRACTION_TEST_ALL=1`` runs everything.
_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}
_SQLITE_ONLY = ("sqlite_only_migration", "sqlite_only")


def _runs_on_postgresql(item: pytest.Item) -> bool:
    if any(item.get_closest_marker(m) is not None for m in _SQLITE_ONLY):
        return False
    if item.get_closest_marker("django_db") is not None:
        return True
    if any(item.get_closest_marker(m) is not None for m in ("contract", "deploy")):
        return True
    return bool(_DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


# The modules whose tests take tens of seconds each (migration histories walked back and
# forth, servers and importers in subprocesses, concurrency under load, the deployment guide)
# run first of their kind. pytest-xdist hands tests out in the order collected; one of these
# left near the end kept a worker busy for a minute while the other had nothing left to do.
# pytest-django's order stays (tests in the test's transaction, then transactional tests,
# then tests without the database, as Django orders them): the long ones go first within
# theirs, and those without the database, which no other test's data can reach, first of all.
_LONG_FIRST = (
    "tests/concurrency/",
    "tests/deploy/",
    "tests/e2e/test_csp.py",
    "tests/e2e/test_debrief_end_to_end.py",
    "tests/e2e/test_debrief_room.py",
    "tests/e2e/test_internal_pages.py",
    "tests/e2e/test_loop_updates.py",
    "tests/e2e/test_plan_and_prepare.py",
    "tests/e2e/test_walkthrough.py",
    "tests/test_clock.py",
    "traction/cli/tests/test_cli.py",
    "traction/cli/tests/test_import.py",
    "traction/cli/tests/test_server.py",
    "traction/core/tests/test_migration_history.py",
    "traction/demo/tests/test_demo.py",
    "traction/insights/tests/test_parsers.py",
    "traction/loop/tests/test_migration_unseen_follows.py",
    "traction/loop/tests/test_migrations.py",
    "traction/voting/tests/test_migration_split.py",
)


def _django_kind(item: pytest.Item) -> int:
    """0: in the test's transaction, 1: transactional, 2: no database (pytest-django's)."""
    fixtures = set(getattr(item, "fixturenames", ()))
    marker = item.get_closest_marker("django_db")
    transactional = bool({"transactional_db", "live_server"} & fixtures)
    if marker is not None:
        transactional = transactional or bool(
            marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
        )
    if transactional:
        return 1
    return 0 if marker is not None or "db" in fixtures else 2


def _run_order(item: pytest.Item) -> tuple[int, bool]:
    long = item.nodeid.startswith(_LONG_FIRST)
    kind = _django_kind(item)
    return (-1 if long and kind == 2 else kind, not long)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_run_order)  # stable: the rest keeps its order
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or os.environ.get("TRACTION_TEST_ALL"):
        return
    kept = [item for item in items if _runs_on_postgresql(item)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
