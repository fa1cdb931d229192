"""Insight is a WorkspaceRecord: its ``updated_at`` follows edits on the clock, and the
migration that added it kept every row (and the full-text triggers) where it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from traction.core import clock
from traction.core.models import WorkspaceRecord
from traction.core.testing.migrations import back_to_latest
from traction.insights import search, services
from traction.insights.models import Insight
from traction.insights.search.index import sqlite_index_ok

from .conftest import Room

BEFORE = ("insights", "0011_stamps_ask_the_clock")


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


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_row_and_fills_updated_at(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    at = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)
    with clock.frozen(at):
        card = services.capture_insight(fran, session=room.session, kind="idea", text="Xylophone")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([BEFORE])  # drops updated_at (in place on SQLite)
        with connection.cursor() as cursor:
            columns = {
                c.name
                for c in connection.introspection.get_table_description(cursor, "insights_insight")
            }
        assert "updated_at" not in columns
        with clock.frozen(datetime(2027, 3, 1, tzinfo=UTC)):
            MigrationExecutor(connection).migrate(latest)
    finally:
        back_to_latest()  # after a failure above; none to walk when the test went through
    card = Insight.objects.get(pk=card.pk)
    assert (card.text, card.created_at, card.updated_at) == ("Xylophone", at, at)
    # No table remake: the full-text triggers are still there (``migrate`` would repair them
    # afterwards; the executor does not), and the row is still found.
    assert sqlite_index_ok()
    assert search.search(fran, "xylophone").count == 1
