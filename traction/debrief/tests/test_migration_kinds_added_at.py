"""debrief 0007: a workspace that had already added a kind outside the defaults gets it
marked as added when its settings were last saved, so the catch-up no longer makes missed
debriefs of that kind's older sessions; the defaults stay unmarked. Only the debrief app's
last migration is walked back and forth."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from traction.core.testing.cast import Cast
from traction.core.testing.migrations import back_to_latest, migrate
from traction.debrief.models import DebriefSettings

BEFORE = [("debrief", "0006_debrief_clock_from_recording")]
AFTER = [("debrief", "0007_settings_kinds_added_at")]
SAVED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_kinds_added_before_the_field_are_marked_added_at_the_last_save(cast: Cast) -> None:
    try:
        migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO debrief_debriefsettings (workspace_id, kinds, default_minutes,"
                " updated_at) VALUES (%s, %s, %s, %s)",
                [cast.acme.pk, '["co_design", "interview"]', 180, "2026-11-20 09:30:00"],
            )
        migrate(AFTER)
        row = DebriefSettings.objects.get(workspace=cast.acme)
        assert row.kinds_added_at == {"interview": SAVED.isoformat()}
    finally:
        back_to_latest()
