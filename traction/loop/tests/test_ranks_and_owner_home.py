"""People read a priority by its rank on the priorities page, never by its database id; the
account owner's home counts the statuses waiting for them, not their approvals (one per
customer), and says what the workspace holds now."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from django.test import Client

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.customers.models import Customer
from traction.loop.services import deliveries as delivery_services
from traction.loop.services.deliveries import Entry
from traction.voting.models import Vote

from . import world as w
from .test_pages_and_api import NOW, url


@pytest.fixture
def world(cast: Cast) -> Iterator[w.World]:
    with clock.frozen(NOW):
        built = w.build(cast)
        # Ranks that are not ids: the later card (the larger id) gets the most dots.
        Vote.objects.create(
            workspace=cast.acme, session=built.session, insight=built.quiet,
            contact=cast.contact, dots=5, channel="room",
        )  # fmt: skip
        assert built.quiet.pk > built.card.pk
        yield built


def test_the_propose_form_and_the_delivery_form_number_priorities_by_rank(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    for name in ("propose", "delivery_new"):
        html = client.get(url(cast, name, program_id=cast.program.pk)).content.decode()
        # 7 dots on Initech's idea (#1), 4 on Globex's issue (#2).
        assert "#1 Idea: Let us approve invoices from the phone" in html, name
        assert "#2 Issue: Invoice approval takes three weeks" in html, name
        assert set(re.findall(r"#(\d+) (?:Idea|Issue)", html)) == {"1", "2"}, name
        # "#1" finds the priority ranked first.
        found = client.get(url(cast, name, program_id=cast.program.pk), {"q": "#1"})
        assert "#2 Issue" not in found.content.decode(), name


def test_the_deliveries_page_numbers_priorities_by_rank(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    with clock.frozen(NOW):
        delivery_services.record_delivery(
            cast.viewer("facilitator"),
            cast.program,
            Entry(on=date(2027, 1, 18), title="Phone approval", priorities=(world.quiet.pk,)),
            source="manual",
        )
    html = client_for("observer").get(url(cast, "deliveries", program_id=cast.program.pk))
    text = html.content.decode()
    assert "#1 Let us approve invoices from the" in text
    assert f"#{world.quiet.pk} " not in text


def test_the_owners_home_counts_statuses_not_approvals(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    """Owen owns Globex and Initech, both of whom voted on the card: one status, two
    approvals."""
    cast = world.cast
    Customer.objects.filter(pk=cast.other_customer.pk).update(
        account_owner=cast.users["account_owner"]
    )
    client_for("facilitator").post(
        url(cast, "propose", program_id=cast.program.pk),
        {"priority": world.card.pk, "status": "heard"},
    )
    html = client_for("account_owner").get(f"/w/{cast.acme.slug}/").content.decode()
    assert "1 customer-facing status waits for your approval." in html
    assert "later release" not in html
    assert "Each program holds its sessions, debriefs, action items" in html
