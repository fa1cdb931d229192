"""The SQLite backend's datetime conversion gives exactly what Django's own gives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.backends.sqlite3 import base as django_sqlite  # base first: it loads operations
from django.test import override_settings

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite backend")

VALUES = [
    None,
    "2026-11-23 15:04:05",
    "2026-11-23 15:04:05.123456",
    dt.datetime(2026, 11, 23, 15, 4, 5),
    dt.datetime(2026, 11, 23, 15, 4, 5, 7, tzinfo=dt.UTC),
]


def _both(value: object) -> tuple[object, object]:
    ours = connection.ops.convert_datetimefield_value(value, None, connection)
    plain = django_sqlite.DatabaseOperations(connection)
    django = plain.convert_datetimefield_value(value, None, connection)
    return ours, django


def test_the_engine_is_ours() -> None:
    assert type(connection.ops).__module__ == "traction.core.sqlite.base"


@pytest.mark.parametrize("value", VALUES)
def test_same_values_as_django(value: object) -> None:
    ours, django = _both(value)
    assert ours == django
    assert getattr(ours, "tzinfo", None) == getattr(django, "tzinfo", None)


@pytest.mark.parametrize("value", VALUES)
def test_same_values_with_use_tz_off(value: object) -> None:
    with override_settings(USE_TZ=False):
        ours, django = _both(value)
        assert ours == django
        if value is not None and not isinstance(value, dt.datetime):
            assert ours.tzinfo is None  # type: ignore[union-attr]
    aware = connection.ops.convert_datetimefield_value("2026-11-23 15:04:05", None, connection)
    assert aware.tzinfo is not None


@pytest.mark.django_db
def test_read_back_through_the_orm() -> None:
    from traction.accounts.models import User

    user = User.objects.create(email="clock@example.org", full_name="Clock")
    loaded = User.objects.get(pk=user.pk)
    assert loaded.date_joined == user.date_joined
    assert loaded.date_joined.tzinfo is not None
