"""PostgreSQL races on voting, with real threads and real transactions: ten identical
"open voting" requests at once open one round, and none of them answers 500."""

from __future__ import annotations

import json
import os
import threading

import pytest
from django.db import connections
from django.test import Client

from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.voting.models import VotingRound
from traction.voting.tests.test_voting import api_client, build_room

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="row locks under real concurrency: PostgreSQL only",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_ten_parallel_open_voting_requests_open_one_round(cast: Cast) -> None:
    room = build_room(cast)
    url = f"/api/v1/sessions/{room.session.pk}/voting/open"
    clients: list[Client] = [api_client(cast, "facilitator") for _ in range(10)]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    lock = threading.Lock()

    def request(client: Client) -> None:
        try:
            barrier.wait()
            response = client.post(url, json.dumps({"budget": 3}), content_type="application/json")
            with lock:
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [422] * 9
    assert VotingRound.objects.filter(session=room.session).count() == 1
    assert AuditEvent.objects.filter(action="voting.opened").count() == 1
