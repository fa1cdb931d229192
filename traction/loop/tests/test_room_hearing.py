"""The debrief room says what customers actually hear of a decided recommendation: the status
published for each customer priority among its evidence (read from closing the loop), "not
told yet" with a link to propose one, or that customers are told nothing when its evidence
holds no customer priority; the status its decision's facts allow is labelled as such."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from django.test import Client

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.models import DecisionOutcome, Evidence
from traction.insights.models import Insight
from traction.loop.models import Status
from traction.loop.services import publishing

from . import world as w

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(cast: Cast) -> Iterator[w.World]:
    with clock.frozen(NOW):
        yield w.build(cast)


def room(world: w.World, who: str = "facilitator") -> str:
    client = Client()
    client.force_login(world.cast.users[who])
    path = f"/w/{world.cast.acme.slug}/debriefs/{world.debrief.pk}/"
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_the_room_shows_the_published_status_not_the_derived_one(world: w.World) -> None:
    cast = world.cast
    rec = w.approved(world)
    w.act(world, rec, date(2027, 5, 10))  # owned and dated: the facts allow "Planned"
    page = room(world)
    hears = page.split(f'id="hears-{rec.pk}"')[1].split("</div>")[0]
    assert "What customers hear now" in hears
    assert "Invoice approval takes three weeks" in hears
    assert "not told yet" in hears
    assert f"/w/{cast.acme.slug}/loop/programs/{cast.program.pk}/priorities/" in hears
    assert "could be published as “Planned”" in hears
    assert "<strong>Planned" not in hears
    # Published as "Heard" (the approval waived here): that is what customers hear.
    proposal = publishing.propose_status(
        cast.viewer("facilitator"), cast.program, priority_id=world.card.pk, status=Status.HEARD
    )
    for approval in proposal.approvals.all():
        publishing.waive(cast.viewer("admin"), approval, reason="Test.")
    hears = room(world).split(f'id="hears-{rec.pk}"')[1].split("</div>")[0]
    assert "<strong>Heard</strong>" in hears
    assert "not told yet" not in hears


def test_evidence_that_is_no_customer_priority_tells_customers_nothing(world: w.World) -> None:
    quote = Insight.objects.create(
        workspace=world.cast.acme,
        program=world.cast.program,
        session=world.session,
        kind="quote",
        text="We quote renewals too late",
        speaker_contact=world.cast.contact,
        speaker_name=world.cast.contact.name,
        customer=world.cast.customer,
    )
    rec = w.recommend(world, quote, title="Quote renewals 90 days ahead")
    page = room(world, "sponsor")
    assert "customers are told nothing of it, whatever the decision" in page
    w.decide(world, rec, DecisionOutcome.APPROVED)
    assert Evidence.objects.filter(recommendation=rec).count() == 1
    page = room(world, "sponsor")
    told = page.split(f'id="hears-{rec.pk}"')[1].split("</p>")[0]
    assert "Customers are told nothing of it: none of its evidence" in told
    assert "Planned" not in told
    assert "Under consideration" not in told


def test_approving_says_when_customers_could_hear_planned(world: w.World) -> None:
    """An approval without owned, dated action items could be published only as "Under
    consideration": the room says so beside Approve and once approved, as the decide page
    does, rather than leaving the sponsor to wonder why approving does not mean "Planned"."""
    rec = w.recommend(world)
    pending = room(world, "sponsor").split(f'id="rec-{rec.pk}"')[1].split("</article>")[0]
    assert (
        "could be published as “Under consideration” (“Planned” once it has owned, dated "
        "action items)" in pending
    )
    w.decide(world, rec, DecisionOutcome.APPROVED)
    hears = room(world).split(f'id="hears-{rec.pk}"')[1].split("</div>")[0]
    assert "could be published as “Under consideration” (“Planned” once it has owned" in hears
    w.act(world, rec, date(2027, 5, 10))
    hears = room(world).split(f'id="hears-{rec.pk}"')[1].split("</div>")[0]
    assert "could be published as “Planned”;" in hears
    assert "once it has owned" not in hears
