"""Archived and erased are enforced by the services, whatever interface asks: an archived
customer or contact is restored before it changes; an erased contact's identity never comes
back; the erase page reports the tombstone, not the former name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers import services
from traction.customers.models import Contact, Customer

pytestmark = pytest.mark.django_db

API = "/api/v1"
ClientFor = Callable[[str], Client]
RESTORE_CUSTOMER = "Globex is archived; restore the customer first to change it."


def patch(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.patch(API + url, body, content_type="application/json")


def messages(response: Any) -> list[str]:
    return [e["msg"] for e in response.json()["detail"]]


def archived_globex(cast: Cast) -> Customer:
    assert cast.customer is not None
    return services.archive_customer(cast.viewer("admin"), customer=cast.customer, reason="Gone")


def test_an_archived_customer_is_not_changed_through_the_api(
    cast: Cast, api_client_for: ClientFor
) -> None:
    globex = archived_globex(cast)
    admin = api_client_for("admin")
    events = AuditEvent.objects.count()
    response = patch(admin, f"/customers/{globex.pk}", {"notes": "Back?"})
    assert response.status_code == 422
    assert messages(response) == [RESTORE_CUSTOMER]
    stored = Customer.objects.get(pk=globex.pk)
    assert (stored.notes, stored.version) == (globex.notes, globex.version)
    assert AuditEvent.objects.count() == events
    # Restored, it changes again.
    services.restore_customer(cast.viewer("admin"), customer=globex)
    again = patch(admin, f"/customers/{globex.pk}", {"notes": "Back"})
    assert again.status_code == 200


def test_no_contact_is_added_to_an_archived_customer(cast: Cast, api_client_for: ClientFor) -> None:
    globex = archived_globex(cast)
    before = Contact.objects.filter(customer=globex).count()
    response = api_client_for("admin").post(
        f"{API}/customers/{globex.pk}/contacts",
        {"name": "Gail Globex", "email": "gail@globex.test"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert messages(response) == [
        "Globex is archived; restore the customer first to add contacts to it."
    ]
    assert Contact.objects.filter(customer=globex).count() == before
    with pytest.raises(ValidationFailed):
        services.add_contact(
            cast.viewer("facilitator"), customer=globex, name="Gail", email="gail@globex.test"
        )


def test_an_archived_contact_is_not_changed_through_the_api(
    cast: Cast, api_client_for: ClientFor
) -> None:
    assert cast.contact is not None
    gina = services.archive_contact(cast.viewer("facilitator"), contact=cast.contact)
    response = patch(api_client_for("facilitator"), f"/contacts/{gina.pk}", {"title": "CFO"})
    assert response.status_code == 422
    assert messages(response) == [
        "Gina Globex is archived; restore the contact first to change it."
    ]
    assert Contact.objects.get(pk=gina.pk).title == gina.title


def test_an_erased_contact_cannot_be_given_their_identity_back(
    cast: Cast, api_client_for: ClientFor, client_for: ClientFor
) -> None:
    assert cast.contact is not None
    erased = services.erase_contact(cast.viewer("admin"), contact=cast.contact, reason="Asked")
    refusal = (
        "This contact was erased; their identity cannot be given back. "
        "Add the person again as a new contact if they agree."
    )
    response = patch(
        api_client_for("admin"),
        f"/contacts/{erased.pk}",
        {"name": "Gina Globex", "email": "gina@globex.test"},
    )
    assert response.status_code == 422
    assert messages(response) == [refusal]
    page = client_for("admin").post(
        f"/w/acme/customers/contacts/{erased.pk}/edit/",
        {
            "name": "Gina Globex",
            "email": "gina@globex.test",
            "preferred_channel": "email",
            "update_cadence": "as_needed",
            "version": erased.version,
        },
    )
    assert page.status_code == 200
    assert refusal in page.content.decode()
    with pytest.raises(ValidationFailed) as raised:
        services.update_contact(
            cast.viewer("admin"), contact=erased, changes={"name": "Gina Globex"}
        )
    assert raised.value.errors == {"__all__": [refusal]}
    stored = Contact.objects.get(pk=erased.pk)
    assert (stored.name, stored.email) == (
        f"Erased contact {erased.pk}",
        f"contact-{erased.pk}@erased.invalid",
    )


def test_the_erase_page_reports_the_tombstone_not_the_former_name(
    cast: Cast, client_for: ClientFor
) -> None:
    assert cast.contact is not None
    client = client_for("admin")
    response = client.post(
        f"/w/acme/customers/contacts/{cast.contact.pk}/erase/", {"reason": "She asked"}, follow=True
    )
    page = response.content.decode()
    assert f"The contact was erased; they are now Erased contact {cast.contact.pk}." in page
    assert "they are now Gina Globex" not in page
