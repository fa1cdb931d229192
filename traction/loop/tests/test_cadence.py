"""Mail follows the plan's cadence, never one message per event: an update reaching an
organisation that heard from the program within the cadence is sent only with a reason (why
it cannot wait), kept in the audit; the page shows the field and its error beside it, the
API answers 422 on ``early_reason``. A change of plan or a re-engagement goes when it must.
Once the cadence has passed, nothing is asked."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from traction.core import clock
from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.loop.models import Approval, Update, UpdateState
from traction.loop.services import updates

from . import world as w

NOW = w.NOW  # the shared ``world`` fixture (conftest.py) freezes the clock here

pytestmark = pytest.mark.django_db


def approved(world: w.World, when: datetime, kind: str = "update") -> Update:
    """An update to Globex, approved by Owen at ``when``."""
    cast = world.cast
    with clock.frozen(when):
        update = updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.customer.pk,
        )
        update.kind = kind  # the kind decides the cadence rule (drafting is tested elsewhere)
        update.save(update_fields=["kind"])
        updates.submit(cast.viewer("facilitator"), update)
        [a] = Approval.objects.filter(update=update)
        updates.approve(cast.viewer("account_owner"), a)
    update.refresh_from_db()
    return update


def sent(world: w.World, when: datetime) -> Update:
    """An update that reached Gina (Globex) at ``when``."""
    update = approved(world, when)
    with clock.frozen(when):
        updates.send(world.cast.viewer("facilitator"), update)
    update.recipients.update(state="sent", sent_at=when)
    return update


def test_within_the_cadence_an_update_needs_a_reason_kept_in_the_audit(world: w.World) -> None:
    fran = world.cast.viewer("facilitator")
    sent(world, NOW)
    later = NOW + timedelta(days=3)
    second = approved(world, later)
    with clock.frozen(later), pytest.raises(ValidationFailed) as refused:
        updates.send(fran, second)
    [why, globex] = refused.value.errors["early_reason"]
    assert "not one message per event" in why
    assert globex == (
        "Globex heard from this program 3 days ago; the plan's cadence is one update every 42 days."
    )
    second.refresh_from_db()
    assert second.state == UpdateState.APPROVED  # nothing half-done
    with clock.frozen(later):
        updates.send(fran, second, early_reason="  The invoice fix   ships tomorrow. ")
    second.refresh_from_db()
    assert second.state == UpdateState.SENT
    event = AuditEvent.objects.get(action="loop.update_sent", object_id=str(second.pk))
    assert event.changes["early_reason"] == "The invoice fix ships tomorrow."
    assert event.changes["early"] == [globex]


def test_after_the_cadence_or_for_a_change_of_plan_nothing_is_asked(world: w.World) -> None:
    fran = world.cast.viewer("facilitator")
    sent(world, NOW)
    when = NOW + timedelta(days=43)
    later = approved(world, when)
    with clock.frozen(when):
        assert updates.too_soon(later) == []
        updates.send(fran, later)
    later.recipients.update(state="sent", sent_at=when)
    change = approved(world, when + timedelta(hours=1), kind="change_of_plan")
    with clock.frozen(when + timedelta(hours=1)):
        assert updates.too_soon(change) == []
        updates.send(fran, change)
    assert Update.objects.filter(state=UpdateState.SENT).count() == 3


def url(world: w.World, name: str, **kw: object) -> str:
    return reverse(f"loop:{name}", kwargs={"workspace_slug": world.cast.acme.slug, **kw})


def test_the_page_asks_for_the_reason_beside_the_send_button(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    fran = client_for("facilitator")
    sent(world, NOW)
    second = approved(world, NOW + timedelta(days=1))
    with clock.frozen(NOW + timedelta(days=1)):
        page = fran.get(url(world, "update", update_id=second.pk)).content.decode()
        assert 'id="heard-recently"' in page
        assert 'name="early_reason"' in page
        refused = fran.post(
            url(world, "update-send", update_id=second.pk), {"version": second.version}
        )
        assert refused.status_code == 422
        html = refused.content.decode()
        assert 'id="early_reason-errors"' in html
        assert "Globex heard from this program 1 day ago" in html
        done = fran.post(
            url(world, "update-send", update_id=second.pk),
            {"version": second.version, "early_reason": "A security fix they asked about."},
        )
    assert done.status_code == 302
    second.refresh_from_db()
    assert second.state == UpdateState.SENT


def test_the_api_answers_422_on_early_reason(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    fran = api_client_for("facilitator")
    sent(world, NOW)
    second = approved(world, NOW + timedelta(days=1))

    def send(body: dict[str, object]) -> tuple[int, dict[str, object]]:
        with clock.frozen(NOW + timedelta(days=1)):
            r = fran.post(
                f"/api/v1/updates/{second.pk}/send",
                json.dumps(body),
                content_type="application/json",
            )
        return r.status_code, r.json()

    status, body = send({"version": second.version})
    assert status == 422, body
    assert "early_reason" in json.dumps(body)
    status, body = send({"version": second.version, "early_reason": "Security fix."})
    assert status == 200, body
    assert body["state"] == "sent"


def test_the_page_asks_no_reason_for_a_change_of_plan(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    fran = client_for("facilitator")
    sent(world, NOW)
    change = approved(world, NOW + timedelta(days=1), kind="change_of_plan")
    with clock.frozen(NOW + timedelta(days=1)):
        page = fran.get(url(world, "update", update_id=change.pk)).content.decode()
    assert 'id="heard-recently"' in page
    assert "goes when it must" in page
    assert 'name="early_reason"' not in page
