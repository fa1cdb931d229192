"""One clock: every "now" of the code is ``traction.core.clock.now()``, and tests can freeze it."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from traction.accounts import services as accounts
from traction.core import clock
from traction.core.models import AuditEvent, ClockDateTimeField
from traction.core.testing.cast import Cast
from traction.core.testing.migrations import back_to_latest, fresh_at, migrate
from traction.customers import services as customers
from traction.customers.models import Customer
from traction.insights.search.index import sqlite_index_ok

ROOT = Path(__file__).resolve().parents[1]

# Code that reads the wall clock directly: a call, or ``timezone.now`` handed over to be called
# later (``default=timezone.now`` on a model field: use ``default=clock.now``; ``auto_now``
# fields are ``ClockDateTimeField``s, below). ``time.monotonic()`` measures durations.
DIRECT = re.compile(
    r"\btimezone\.now\b"
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
        "created_at = models.DateTimeField(default=timezone.now)",
    ):
        assert DIRECT.search(line), line
    for line in (
        "created_at = models.DateTimeField(default=clock.now)",
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


# --- the stamps Django writes itself: auto_now, auto_now_add, default=... -------------------


def test_freezing_the_clock_freezes_the_stamps_models_write(cast: Cast) -> None:
    """``auto_now``/``auto_now_add`` (Django's ``pre_save`` would call ``timezone.now()``) and
    field defaults (``default=clock.now``) write the frozen time, on insert and on save."""
    admin = cast.viewer("admin")
    at = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
    with clock.frozen(at) as frozen:
        customer = customers.create_customer(admin, name="Hooli", segment="enterprise")
        user = accounts.create_user(email="new@acme.test", full_name="New", password=None)
        membership = accounts.add_member(admin, workspace=cast.acme, user=user, role="observer")
        later = frozen.advance(hours=3)
        customers.archive_customer(admin, customer=customer)  # a save(update_fields=...)
    customer.refresh_from_db()
    assert (customer.created_at, customer.updated_at, customer.archived_at) == (at, later, later)
    assert user.date_joined == at  # default=clock.now
    assert membership.created_at == at  # auto_now_add outside WorkspaceRecord
    events = AuditEvent.objects.filter(
        object_type=Customer._meta.label_lower, object_id=str(customer.pk)
    ).order_by("at")
    assert [event.at for event in events] == [at, later]


def test_every_stamp_of_the_models_asks_the_clock() -> None:
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("traction."):
            continue
        for field in model._meta.concrete_fields:
            name = f"{model._meta.label}.{field.name}"
            stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            if stamped and not isinstance(field, ClockDateTimeField):
                found.append(f"{name}: auto_now without ClockDateTimeField")
            if field.default is timezone.now:
                found.append(f"{name}: default=timezone.now (use clock.now)")
    assert found == []
    assert isinstance(Customer._meta.get_field("updated_at"), ClockDateTimeField)


# --- the migrations that moved the stamps onto the clock change no table ---------------------

STAMP_MIGRATIONS = [
    ("core", "0002_stamps_ask_the_clock"),
    ("accounts", "0009_stamps_ask_the_clock"),
    ("customers", "0004_stamps_ask_the_clock"),
    ("programs", "0003_stamps_ask_the_clock"),
    ("cosessions", "0008_stamps_ask_the_clock"),
    ("insights", "0011_stamps_ask_the_clock"),
    ("voting", "0004_stamps_ask_the_clock"),
]


def sql_of(app: str, migration: str) -> list[str]:
    """The SQL statements ``sqlmigrate`` prints for a migration (comments, BEGIN/COMMIT aside)."""
    out = io.StringIO()
    call_command("sqlmigrate", app, migration, stdout=out, no_color=True)
    return [
        line
        for line in out.getvalue().splitlines()
        if line.strip() and not line.startswith("--") and line.strip() not in ("BEGIN;", "COMMIT;")
    ]


# sqlmigrate opens a schema editor, which SQLite refuses inside a test's transaction.
@pytest.mark.django_db(transaction=True)
def test_moving_the_stamps_onto_the_clock_runs_no_sql() -> None:
    # A database AlterField would remake the table on SQLite (dropping the FTS triggers of
    # insights_insight with it); these migrations change the model state only.
    found = {f"{app}.{migration}": sql_of(app, migration) for app, migration in STAMP_MIGRATIONS}
    assert found == {name: [] for name in found}
    # Not blind: a migration that changes the database prints its statements.
    assert sql_of("customers", "0003_customer_list_index") != []  # CREATE INDEX


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 triggers")
@pytest.mark.django_db(transaction=True)
def test_the_full_text_triggers_survive_the_stamp_migrations() -> None:
    """Apply and unapply the insights and voting stamp migrations (insights 0011, voting
    0004) with the migration executor (which, unlike ``migrate``, does not repair the index
    afterwards), in a test database emptied and walked forwards to the migrations before
    them: the FTS table and its triggers are still there each way. (Walking back to here from
    the latest migrations, through every later one, is
    traction/core/tests/test_migration_history.py's.)"""
    before = [("insights", "0010_search_index_row"), ("voting", "0003_room_totals_hidden")]
    stamps = [("insights", "0011_stamps_ask_the_clock"), ("voting", "0004_stamps_ask_the_clock")]
    try:
        fresh_at(before)
        assert sqlite_index_ok()
        migrate(stamps)
        assert sqlite_index_ok()
        migrate(before)
        assert sqlite_index_ok()
    finally:
        back_to_latest()
