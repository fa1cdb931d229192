"""Bearer-token authentication for the API, where reading never waits on a write.

Finding the viewer behind a token is a read (one query,
``traction.accounts.selectors.token_for_key``). Recording the token's last use is a write,
done at most once a minute per token (``TOUCH_EVERY``), and only if it costs no waiting: when
another connection holds the database (SQLite's single write lock during someone's import; a
locked token row on PostgreSQL) the time is not recorded this time, rather than the request
waiting for the lock, or failing with "database is locked".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import OperationalError, connection, transaction

from traction.accounts.models import ApiToken
from traction.accounts.selectors import token_for_key, viewer_of_token
from traction.core import clock
from traction.core.permissions import Viewer

log = logging.getLogger(__name__)

TOUCH_EVERY = timedelta(seconds=60)


def viewer_for_bearer(key: str) -> Viewer | None:
    """The viewer behind an API token, or None (unknown, revoked, inactive user, no longer a
    member: the refusals of ``token_for_key``). An expired token raises Unauthenticated
    (401, saying it expired and when) before its last use could be recorded."""
    token = token_for_key(key)
    if token is None:
        return None
    now = clock.now()
    if token["last_used_at"] is None or token["last_used_at"] < now - TOUCH_EVERY:
        touch(token["id"], now)
    return viewer_of_token(token)


def touch(token_id: int, now: datetime) -> bool:
    """Record the token's last use if the database takes the write at once; True if it did."""
    try:
        with _no_waiting(), transaction.atomic():
            tokens = ApiToken.objects.filter(pk=token_id)
            # PostgreSQL: skip a row another transaction holds rather than queue behind it.
            held = tokens.select_for_update(skip_locked=True)
            if connection.vendor == "postgresql" and not held.exists():
                return False
            tokens.update(last_used_at=now)
    except OperationalError as exc:  # busy or locked: not this time
        log.info("token %s: last use not recorded (%s)", token_id, exc)
        return False
    return True


@contextmanager
def _no_waiting() -> Iterator[None]:
    """SQLite: a busy database answers at once instead of after the busy timeout (SQLite's
    ``busy_timeout`` has no Django setting per statement, hence the PRAGMA)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (waits,) = cursor.fetchone()
        cursor.execute("PRAGMA busy_timeout = 0")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(waits)}")
