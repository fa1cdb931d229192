"""One clock: every "now" of the code is ``traction.core.clock.now()``, and tests can freeze it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from traction.accounts import services as accounts
from traction.core import clock
from traction.core.testing.cast import Cast
from traction.customers import services as customers

ROOT = Path(__file__).resolve().parents[1]

# Calls that read the wall clock directly. ``default=timezone.now`` on a model field (no call)
# is Django stamping a row, as ``auto_now`` does; ``time.monotonic()`` measures durations.
DIRECT = re.compile(
    r"\btimezone\.now\(\)"
    r"|\btimezone\.local(?:date|time)\(\)"
    r"|\bdatetime\.(?:now|utcnow|today)\("
    r"|\bdate\.today\("
    r"|\btime\.time\("
    r"|from django\.utils\.timezone import [^\n]*\bnow\b"
)


def code_files() -> list[Path]:
    skipped = ("tests", "testing", "migrations")
    return [
        path
        for path in sorted((ROOT / "traction").rglob("*.py"))
        if not set(path.relative_to(ROOT).parts) & set(skipped)
        and path != ROOT / "traction" / "core" / "clock.py"
    ]


def test_no_code_reads_the_wall_clock_but_the_clock() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in code_files()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if DIRECT.search(line)
    ]
    assert found == [], "use traction.core.clock.now() / clock.today():\n" + "\n".join(found)


def test_the_guard_sees_each_kind_of_direct_call() -> None:
    for line in (
        "x = timezone.now()",
        "when = dt.datetime.now(dt.UTC)",
        "day = date.today()",
        "t = time.time()",
        "from django.utils.timezone import localtime, now",
    ):
        assert DIRECT.search(line), line
    for line in (
        "created_at = models.DateTimeField(default=timezone.now)",
        "started = time.monotonic()",
        "now = clock.now()",
    ):
        assert not DIRECT.search(line), line


def test_frozen_time_stands_still_and_moves_only_when_told() -> None:
    at = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    with clock.frozen(at) as frozen:
        assert clock.now() == at
        assert clock.today() == date(2027, 3, 28)
        assert clock.today("America/Los_Angeles") == date(2027, 3, 27)
        assert frozen.advance(hours=24) == datetime(2027, 3, 29, 0, 30, tzinfo=UTC)
        assert clock.now() == datetime(2027, 3, 29, 0, 30, tzinfo=UTC)
        frozen.advance(timedelta(minutes=1))
        assert clock.now() == datetime(2027, 3, 29, 0, 31, tzinfo=UTC)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=1)  # running again


def test_the_clock_freezes_only_at_an_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"), clock.frozen(datetime(2027, 1, 1)):
        pass


def test_a_service_writes_the_frozen_time(cast: Cast) -> None:
    at = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
    with clock.frozen(at):
        archived = customers.archive_customer(cast.viewer("admin"), customer=cast.customer)
    archived.refresh_from_db()
    assert archived.archived_at == at


def test_an_invitation_expires_on_the_frozen_clock(cast: Cast) -> None:
    at = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
    with clock.frozen(at) as frozen:
        invitation, _ = accounts.invite_member(
            cast.viewer("admin"), email="new@acme.test", role="observer"
        )
        assert invitation.expires_at == at + invitation.VALID_FOR
        frozen.advance(invitation.VALID_FOR - timedelta(seconds=1))
        assert invitation.status == "pending"
        frozen.advance(seconds=1)
        assert invitation.status == "expired"
