"""A customer's personal links (RSVP, ballot) stop working once their contact is archived or
erased, or their customer archived, as a portal link does: the person may have left the
customer, or asked to be forgotten, and whoever holds the email must not keep answering or
voting in their name. Restoring the contact makes the links work again."""

from __future__ import annotations

import pytest
from django.test import Client

from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.customers import services as customer_services
from traction.sessions import rsvp
from traction.sessions.models import Invitation, RsvpAnswer
from traction.voting import links
from traction.voting import services as voting
from traction.voting.models import Vote
from traction.voting.tests.test_voting import Room, build_room

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(cast: Cast) -> Room:
    return built_on(cast, build_room)


@pytest.fixture
def opened(cast: Cast, room: Room) -> Room:
    voting.open_voting(cast.viewer("facilitator"), session=room.session)
    return room


def path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_an_erased_contacts_rsvp_link_records_nothing(cast: Cast, room: Room) -> None:
    gina = room.gina
    invitation = room.invitations["gina"]
    link = path(rsvp.url_for(invitation.pk, gina.pk))
    customer_services.erase_contact(cast.viewer("admin"), contact=gina, reason="She asked us to.")
    client = Client()
    page = client.get(link)
    assert page.status_code == 404
    assert "no longer works" in page.content.decode()
    answered = client.post(link, {"answer": "accept", "note": "Gina here, call me on 0170"})
    assert answered.status_code == 404
    found = Invitation.objects.get(pk=invitation.pk)
    assert (found.rsvp, found.rsvp_note) == ("invited", "")
    assert not RsvpAnswer.objects.filter(invitation_id=invitation.pk).exists()


def test_an_archived_contacts_ballot_link_opens_nothing_until_restored(
    cast: Cast,
    opened: Room,
) -> None:
    ian = opened.ian
    card = opened.cards["issue"]
    link = path(links.url_for(opened.invitations["ian"].pk, ian.pk))
    admin = cast.viewer("admin")
    customer_services.archive_contact(admin, contact=ian, reason="Left Initech.")
    client = Client()
    assert client.get(link).status_code == 404
    assert client.post(link, {f"card_{card.pk}": "2"}).status_code == 404
    assert client.get(link + "logo").status_code == 404
    assert not Vote.objects.filter(contact_id=ian.pk).exists()
    customer_services.restore_contact(admin, contact=ian)
    assert client.get(link).status_code == 200


def test_an_archived_customers_contacts_links_open_nothing(cast: Cast, opened: Room) -> None:
    gus = opened.gus
    assert cast.customer is not None
    customer_services.archive_customer(cast.viewer("admin"), customer=cast.customer)
    client = Client()
    assert client.get(path(rsvp.url_for(opened.invitations["gus"].pk, gus.pk))).status_code == 404
    assert client.get(path(links.url_for(opened.invitations["gus"].pk, gus.pk))).status_code == 404
