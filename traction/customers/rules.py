"""Customers are sensitive: admins and facilitators see all, account owners their own."""

from django.db.models import Q

from traction.core.permissions import ALL, OWN, Viewer, rule


def _owned_customer(viewer: Viewer) -> Q:
    return Q(account_owner_id=viewer.user_id)


def _contact_of_owned_customer(viewer: Viewer) -> Q:
    return Q(customer__account_owner_id=viewer.user_id)


RULES = [
    rule(
        "customer.view",
        own=_owned_customer,
        description="See customer organisations.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule("customer.create", description="Add a customer organisation.", admin=ALL, facilitator=ALL),
    rule(
        "customer.change",
        own=_owned_customer,
        description="Edit a customer organisation.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule(
        "customer.archive",
        description="Archive (or restore) a customer and its contacts; nothing is deleted.",
        admin=ALL,
    ),
    rule(
        "contact.view",
        own=_contact_of_owned_customer,
        description="See a customer's contacts.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule(
        "contact.change",
        own=_contact_of_owned_customer,
        description="Add or edit a customer's contacts.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule(
        "contact.archive",
        description="Archive (or restore) a contact; their history stays.",
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "contact.erase",
        description="Erase a contact's identity (name, email, notes) for good, with a reason.",
        admin=ALL,
    ),
]
