"""The same provider post ten times at the same moment, on separate connections (PostgreSQL):
the event is recorded once (the others answer "duplicate"), and a signed Mailgun post is taken
once (the others are refused as replays). Never a 500, never two rows.

    scripts/pg-throwaway --port P -- .venv/bin/pytest -q tests/concurrency/test_pg_bounce_races.py
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from django.test import Client

from traction.core import clock
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast, build_cast
from traction.customers.models import Contact
from traction.loop.models import BounceNonce, MailBounce
from traction.loop.services import bounces
from traction.loop.tests.signing import mailgun_key, mailgun_sign

from .test_pg_races import N, at_once

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="row locks and unique constraints under real concurrency: PostgreSQL only",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def world(db: None) -> Cast:
    return build_cast()


def _post(url: str, body: bytes) -> Any:
    def act() -> tuple[int, dict[str, Any] | str]:
        answer = Client().generic("POST", url, body, content_type="application/json")
        ok = answer["Content-Type"].startswith("application/json")
        return answer.status_code, answer.json() if ok else answer.content.decode()

    return act


def test_ten_copies_of_one_event_at_once_record_it_once(world: Cast) -> None:
    _, secret = bounces.rotate(world.viewer("admin"))
    contact = Contact.objects.filter(workspace=world.acme).exclude(email="").first()
    assert contact is not None
    event = {"email": contact.email, "event": "spamreport", "sg_event_id": "race-1",
             "smtp-id": "<nobody@localhost>", "timestamp": 1800435605}  # fmt: skip
    body = json.dumps([event]).encode()
    results = at_once([_post(f"/hooks/mail/sendgrid/{secret}/", body) for _ in range(N)])
    assert all(not isinstance(r, Exception) and r[0] == 200 for r in results), results
    statuses = sorted(r[1]["status"] for r in results)
    assert statuses == ["duplicate"] * (N - 1) + ["ok"]
    assert MailBounce.objects.filter(event_id="race-1").count() == 1
    assert AuditEvent.objects.filter(action="loop.bounce_reported").count() == 1


def test_ten_copies_of_one_signed_mailgun_post_are_taken_once(world: Cast) -> None:
    _, secret = bounces.rotate(world.viewer("admin"))
    key = mailgun_key()
    bounces.set_key(world.viewer("admin"), "mailgun", signing_key=key)
    payload = {"event-data": {"id": "race-2", "event": "delivered", "recipient": "x@y.test"}}
    body = json.dumps(mailgun_sign(payload, key, timestamp=int(clock.now().timestamp()))).encode()
    results = at_once([_post(f"/hooks/mail/mailgun/{secret}/", body) for _ in range(N)])
    assert not [r for r in results if isinstance(r, Exception)], results
    codes = sorted(r[0] for r in results)
    assert codes == [200] + [403] * (N - 1)
    refused = [r[1] for r in results if r[0] == 403]
    assert all("Mailgun signature was used before: a replay." in str(t) for t in refused)
    assert BounceNonce.objects.count() == 1
