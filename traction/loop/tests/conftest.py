"""The loop's world (``world.build``) on a frozen clock, for the test files that share it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from traction.core import clock
from traction.core.testing.cast import Cast

from . import world as w


@pytest.fixture
def world(cast: Cast) -> Iterator[w.World]:
    """The world built at ``world.NOW``, with the clock frozen there for the whole test.

    A test file with a ``world`` fixture of its own (another clock, another world) uses that.
    """
    with clock.frozen(w.NOW):
        yield w.build(cast)
