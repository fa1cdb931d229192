"""Bearer-token authentication for the API, where reading never waits on a write.

Finding the viewer behind a token is a read (one query, ``VIEWER_LOOKUP_SQL``). Recording the
token's last use is a write, done at most once a minute per token (``TOUCH_EVERY``), and only
if it costs no waiting: when another connection holds the database (SQLite's single write
lock during someone's import; a locked token row on PostgreSQL) the time is not recorded this
time, rather than the request waiting for the lock, or failing with "database is locked".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import cast

from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from traction.accounts.models import ApiToken, User
from traction.accounts.selectors import VIEWER_LOOKUP_SQL
from traction.core.permissions import Viewer

log = logging.getLogger(__name__)

TOUCH_EVERY = timedelta(seconds=60)


def viewer_for_bearer(key: str) -> Viewer | None:
    """The viewer behind an API token, or None (unknown, revoked, inactive user, no longer a
    member: the refusals of ``VIEWER_LOOKUP_SQL``)."""
    if not key.startswith(ApiToken.PREFIX):
        return None
    now = timezone.now()
    cutoff = connection.ops.adapt_datetimefield_value(now - TOUCH_EVERY)
    with connection.cursor() as cursor:
        # Looked up by the key's hash (a unique column), never by the key itself.
        cursor.execute(VIEWER_LOOKUP_SQL, [cutoff, ApiToken.hash_key(key), True])
        found = cursor.fetchone()
    if found is None:
        return None
    token_id, user_id, workspace_id, role, stale = found
    if stale:
        touch(token_id, now)
    user = cast(User, SimpleLazyObject(lambda: User.objects.get(pk=user_id)))
    return Viewer(user=user, workspace_id=workspace_id, role=role, user_id=user_id)


def touch(token_id: int, now: datetime) -> bool:
    """Record the token's last use if the database takes the write at once; True if it did."""
    try:
        with _no_waiting(), transaction.atomic():
            if connection.vendor == "postgresql":
                # Skip a row another transaction holds rather than queue behind it.
                locked = ApiToken.objects.select_for_update(skip_locked=True).filter(pk=token_id)
                if not locked.values_list("pk", flat=True):
                    return False
            ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    except OperationalError as exc:  # busy or locked: not this time
        log.info("token %s: last use not recorded (%s)", token_id, exc)
        return False
    return True


@contextmanager
def _no_waiting() -> Iterator[None]:
    """SQLite: a busy database answers at once instead of after the busy timeout."""
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
