"""Insight is a WorkspaceRecord: its ``updated_at`` follows edits on the clock, and the
migration that added it keeps every row (and the full-text triggers) where it was, both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from traction.core import clock
from traction.core.models import WorkspaceRecord
from traction.core.testing.migrations import back_to_latest, fresh_at, migrate
from traction.insights import services
from traction.insights.search.fulltext import matching
from traction.insights.search.index import sqlite_index_ok
from traction.insights.search.query import parse

from .conftest import Room

BEFORE = ("insights", "0011_stamps_ask_the_clock")
AFTER = ("insights", "0012_insight_is_a_workspace_record")


def test_an_insight_is_stamped_when_captured_and_when_edited(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    at = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)
    with clock.frozen(at) as frozen:
        card = services.capture_insight(fran, session=room.session, kind="idea", text="Dark mode")
        later = frozen.advance(minutes=5)
        services.update_insight(fran, insight=card, changes={"text": "Dark mode, please"})
    card.refresh_from_db()
    assert isinstance(card, WorkspaceRecord)
    assert (card.created_at, card.updated_at, card.version) == (at, later, 2)


def _columns() -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_table_description(cursor, "insights_insight")
    return {c.name for c in found}


def _found(apps: Any, word: str) -> list[int]:
    """The insights the full-text search's own condition finds for ``word`` (the FTS5 table
    on SQLite, the indexed expression on PostgreSQL), read through the historical model."""
    insights = apps.get_model("insights", "Insight").objects.all()
    return list(matching(insights, parse(word)).values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_row_and_fills_updated_at() -> None:
    """insights 0012, both ways, on an insight made at 0011 (in an emptied database walked
    forwards to it): applied, the row is kept and its ``updated_at`` is its ``created_at``
    (not the time of the migration); unapplied, the column goes and the row stays. Neither
    way remakes the table: the full-text triggers are still there and the row is found."""
    at = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)
    try:
        old = fresh_at([BEFORE]).loader.project_state([BEFORE]).apps
        get = old.get_model
        workspace = get("accounts", "Workspace").objects.create(name="Acme", slug="acme")
        program = get("programs", "Program").objects.create(
            workspace=workspace, name="Onboarding", goal="Faster first invoices"
        )
        session = get("cosessions", "Session").objects.create(
            workspace=workspace,
            program=program,
            title="Onboarding co-design",
            starts_at=at,
            ends_at=at + timedelta(hours=3),
        )
        card = get("insights", "Insight").objects.create(
            workspace=workspace,
            program=program,
            session=session,
            kind="idea",
            text="Xylophone",
            speaker_name="Fran",
            created_at=at,
        )
        assert "updated_at" not in _columns()

        with clock.frozen(datetime(2027, 3, 1, tzinfo=UTC)):
            new = migrate([AFTER]).loader.project_state([AFTER]).apps
        kept = new.get_model("insights", "Insight").objects.get(pk=card.pk)
        assert (kept.text, kept.created_at, kept.updated_at) == ("Xylophone", at, at)
        # No table remake: the full-text triggers are still there (``migrate`` would repair
        # them afterwards; the executor does not), and the row is still found.
        assert sqlite_index_ok()
        assert _found(new, "xylophone") == [card.pk]

        old = migrate([BEFORE]).loader.project_state([BEFORE]).apps  # drops it (in place)
        assert "updated_at" not in _columns()
        back = old.get_model("insights", "Insight").objects.get(pk=card.pk)
        assert (back.text, back.created_at) == ("Xylophone", at)
        assert sqlite_index_ok()
        assert _found(old, "xylophone") == [card.pk]
    finally:
        back_to_latest()
