from __future__ import annotations

from collections.abc import Iterator

import pytest

from traction.webhooks import events
from traction.webhooks.tests.receivers import Receiver

# Event types the tests publish (the real ones are registered by the apps above).
TEST_TYPES = {
    "testing.item_done": "An item of the tests was done.",
    "testing.item_created": "An item of the tests was created.",
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def test_events() -> Iterator[list[str]]:
    for name, description in TEST_TYPES.items():
        events.register(name, description=description)
    yield list(TEST_TYPES)
    for name in TEST_TYPES:
        events._registry.pop(name, None)


@pytest.fixture
def fast_retries(settings: pytest.FixtureRequest) -> list[int]:
    """Retries after 10 s and 20 s, no jitter; given up after the third attempt."""
    settings.TRACTION_WEBHOOK_RETRY_SCHEDULE = [10, 20]  # type: ignore[attr-defined]
    settings.TRACTION_WEBHOOK_RETRY_JITTER = 0  # type: ignore[attr-defined]
    settings.TRACTION_WEBHOOK_TIMEOUT = 2  # type: ignore[attr-defined]
    return [10, 20]
