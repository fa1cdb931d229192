"""loop 0006: each delivery update made before folding is about its one delivery."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from traction.core import clock
from traction.core.testing.cast import build_cast
from traction.core.testing.migrations import back_to_latest, migrate
from traction.loop.models import Update
from traction.loop.services import deliveries as delivery_services
from traction.loop.services.deliveries import Entry

from . import world as w

BEFORE = [("loop", "0005_approval_emails")]
AFTER = [("loop", "0006_update_deliveries")]


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_delivery_updates_are_about_their_delivery_after_the_migration() -> None:
    with clock.frozen(datetime(2027, 1, 20, 9, 0, tzinfo=UTC)):
        world = w.build(build_cast())
        cast = world.cast
        entry = Entry(on=date(2027, 1, 10), title="One-page approval", priorities=(world.card.pk,))
        delivery = delivery_services.record_delivery(
            cast.viewer("facilitator"), cast.program, entry, source="manual"
        )
    made = list(Update.objects.filter(delivery=delivery).values_list("pk", flat=True))
    assert len(made) == 2  # Globex and Initech
    try:
        migrate(BEFORE)
        migrate(AFTER)
        for update in Update.objects.filter(pk__in=made):
            assert list(update.deliveries.values_list("pk", flat=True)) == [delivery.pk]
    finally:
        back_to_latest()
