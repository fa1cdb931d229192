"""Workers sending an update's messages at the same time send each message once
(PostgreSQL: the claim is one conditional UPDATE; the losers find the row claimed)."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connections

from traction.core.testing.cast import Cast
from traction.loop import mailer
from traction.loop.models import MessageState, UpdateRecipient
from traction.loop.tests import mail_world as mw

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="row locks under real concurrency: PostgreSQL only",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_four_workers_send_each_message_once(cast: Cast, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world = mw.build(cast)
    contacts = [cast.contact, cast.other_contact]
    updates = [world.update] + [
        mw.sent_update(world.base, contacts, subject=f"Update {n}")[0] for n in range(9)
    ]
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            for update in updates:
                mailer.deliver(update.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(mail.outbox) == 20
    assert len({(m.subject, m.to[0]) for m in mail.outbox}) == 20
    assert set(UpdateRecipient.objects.values_list("state", "attempts")) == {(MessageState.SENT, 1)}
