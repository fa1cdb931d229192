"""The debrief room says what customers actually hear of a decided recommendation: the status
published for each customer priority among its evidence (read from closing the loop), "not
told yet" with a link to propose one, or that customers are told nothing when its evidence
holds no customer priority; the status its decision's facts allow is labelled as such."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse

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
    propose = reverse("loop:propose", args=[cast.acme.slug, cast.program.pk])
    assert f'href="{propose}?priority={world.card.pk}"' in hears
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


def test_propose_a_status_opens_the_propose_page_on_that_one_priority(world: w.World) -> None:
    """The link named the whole list of the program's priorities; it names the card, which
    the propose page preselects and says what it rests on."""
    cast = world.cast
    w.approved(world)
    other = w.elsewhere(world)  # another priority of the program, listed first otherwise
    page = room(world)
    (link,) = re.findall(r'href="([^"]+)">propose a status<', page)
    assert link.endswith(f"?priority={world.card.pk}")
    client = Client()
    client.force_login(cast.users["facilitator"])
    opened = client.get(link).content.decode()
    checked = re.findall(r'<input[^>]*name="priority"[^>]*>', opened)
    chosen = [tag for tag in checked if "checked" in tag]
    assert len(chosen) == 1
    assert f'value="{world.card.pk}"' in chosen[0]
    assert f'value="{other.pk}"' not in chosen[0]
    assert "What “Invoice approval takes three weeks” rests on" in opened


def test_who_may_not_propose_gets_no_link_to_the_propose_page(world: w.World) -> None:
    cast = world.cast
    rec = w.approved(world)
    observer = Client()
    observer.force_login(cast.users["observer"])
    page = observer.get(f"/w/{cast.acme.slug}/debriefs/{world.debrief.pk}/")
    assert page.status_code == 200  # an observer reads the room, and may not propose
    hears = page.content.decode().split(f'id="hears-{rec.pk}"')[1].split("</div>")[0]
    assert "not told yet" in hears
    assert "propose a status" not in hears
    propose = reverse("loop:propose", args=[cast.acme.slug, cast.program.pk])
    assert observer.get(f"{propose}?priority={world.card.pk}").status_code == 403
