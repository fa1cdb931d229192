"""A read-only API request while another transaction holds its token's row (PostgreSQL).

PostgreSQL has no database-wide write lock, but a transaction holding the token's row
(someone revoking or renaming the token) made the "last used" write, and so the GET, wait
for it. Now the write skips a locked row.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client

from traction.accounts import services
from traction.accounts.models import ApiToken
from traction.core.testing.cast import build_cast

pytestmark = pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="PostgreSQL row locks"
)


@pytest.mark.django_db(transaction=True)
def test_a_get_does_not_queue_behind_a_lock_on_its_token_row() -> None:
    cast = build_cast()
    token, key = services.create_api_token(cast.viewers["facilitator"], name="reader")
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                ApiToken.objects.select_for_update().get(pk=token.pk)
                locked.set()
                release.wait(20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        response = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/customers")
        took = time.monotonic() - started
    finally:
        release.set()
        holder.join(30)
    assert response.status_code == 200
    assert took < 2.0, f"the GET took {took:.1f} s"
    token.refresh_from_db()
    assert token.last_used_at is None  # skipped this time, not waited for
