"""The webhook pages show delivery times in the workspace's time zone and say which (review
18 #2), on both sides of the autumn change of the clocks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import dateformat

from traction.accounts.models import Workspace
from traction.core import clock
from traction.core.testing.cast import Cast
from traction.webhooks import services
from traction.webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_events")]


@pytest.mark.parametrize(
    ("zone", "at", "local"),
    [
        pytest.param(
            "Europe/Berlin",
            datetime(2026, 10, 24, 14, 0, 5, tzinfo=UTC),
            datetime(2026, 10, 24, 16, 0, 5),
            id="berlin-summer-time",
        ),
        pytest.param(
            "Europe/Berlin",
            datetime(2026, 10, 26, 14, 0, 5, tzinfo=UTC),
            datetime(2026, 10, 26, 15, 0, 5),
            id="berlin-winter-time",
        ),
        pytest.param(
            "America/New_York",
            datetime(2026, 10, 31, 14, 0, 5, tzinfo=UTC),
            datetime(2026, 10, 31, 10, 0, 5),
            id="new-york-daylight-time",
        ),
        pytest.param(
            "America/New_York",
            datetime(2026, 11, 2, 14, 0, 5, tzinfo=UTC),
            datetime(2026, 11, 2, 9, 0, 5),
            id="new-york-standard-time",
        ),
    ],
)
def test_delivery_times_are_in_the_workspaces_zone_and_labelled(
    cast: Cast, client_for: Callable[[str], Client], zone: str, at: datetime, local: datetime
) -> None:
    Workspace.objects.filter(pk=cast.acme.pk).update(time_zone=zone)
    with clock.frozen(at):
        hook, _ = services.create_endpoint(
            cast.viewers["admin"], url="https://hooks.example.test/traction"
        )
        services.publish(workspace_id=cast.acme.pk, event="testing.item_done", data={})
    assert WebhookDelivery.objects.filter(endpoint=hook).exists()
    admin = client_for("admin")
    base = f"/w/{cast.acme.slug}/webhooks/"

    listed = admin.get(base).content.decode()
    assert f'Last event <span class="muted small">({zone})</span>' in listed
    assert dateformat.format(local, "j M Y, H:i") in listed

    detail = admin.get(f"{base}{hook.pk}/").content.decode()
    assert f"since {dateformat.format(local, 'j M Y, H:i')} ({zone})" in detail
    assert f'Created <span class="muted small">({zone})</span>' in detail
    assert dateformat.format(local, "j M Y, H:i:s") in detail
