"""Workers delivering at the same time never send one delivery twice (PostgreSQL: SKIP LOCKED)."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from django.db import connections

from traction.core.testing.cast import Cast
from traction.webhooks import delivery, services
from traction.webhooks.models import WebhookDelivery
from traction.webhooks.tests.receivers import Receiver

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="row locks under real concurrency: PostgreSQL only",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("test_events"),
]


def test_four_workers_send_each_delivery_once(
    cast: Cast, receiver: Receiver, settings: Any
) -> None:
    settings.TRACTION_WEBHOOK_DELIVER_ON_COMMIT = False  # only the workers below send
    services.create_endpoint(cast.viewer("admin"), url=receiver.url)
    services.create_endpoint(cast.viewer("admin"), url=receiver.url + "/second")
    for n in range(20):
        services.publish(workspace_id=cast.acme.pk, event="testing.item_done", data={"n": n})
    barrier = threading.Barrier(4)
    runs: list[delivery.Run] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            run = delivery.deliver_due()
            with lock:
                runs.append(run)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent = [r.headers["Traction-Delivery"] for r in receiver.requests]
    assert len(sent) == 40
    assert len(set(sent)) == 40
    assert sum(r.delivered for r in runs) == 40
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("delivered", 1)}
