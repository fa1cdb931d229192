"""API operations for customers and contacts: parse, call one selector or service, shape."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from traction.core.api import Pagination, responses, viewer

from . import selectors, services
from .models import Contact, Customer
from .schemas import (
    ContactCreateIn,
    ContactFilters,
    ContactOut,
    ContactUpdateIn,
    CustomerCreateIn,
    CustomerFilters,
    CustomerOut,
    CustomerUpdateIn,
    EraseIn,
)

router = Router(tags=["customers"])


# --- customers ------------------------------------------------------------------------------


@router.get(
    "/customers",
    response=responses({200: list[CustomerOut]}),
    operation_id="list_customers",
    summary="List customers",
)
@paginate(Pagination)
def list_customers(
    request: HttpRequest, filters: Query[CustomerFilters]
) -> QuerySet[Customer, dict[str, Any]]:
    """The customers you may see (account owners: their own), by name."""
    found = selectors.customers(viewer(request), **filters.model_dump(), with_owner=False)
    # Rows as dicts of the columns the schema shows (the owner's id, not the owner): no
    # model instance is built per row.
    rows: QuerySet[Customer, dict[str, Any]] = found.values(*CustomerOut.model_fields)
    return rows


@router.post(
    "/customers",
    response=responses({201: CustomerOut}, body=True),
    operation_id="create_customer",
    summary="Add a customer",
)
def create_customer(request: HttpRequest, payload: CustomerCreateIn) -> Status[Customer]:
    return Status(201, services.create_customer(viewer(request), **payload.model_dump()))


@router.get(
    "/customers/{customer_id}",
    response=responses({200: CustomerOut}, object_path=True),
    operation_id="get_customer",
    summary="Get a customer",
)
def get_customer(request: HttpRequest, customer_id: int) -> Customer:
    return selectors.customer(viewer(request), customer_id)


@router.patch(
    "/customers/{customer_id}",
    response=responses({200: CustomerOut}, body=True, object_path=True, versioned=True),
    operation_id="update_customer",
    summary="Change some of a customer's fields",
)
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerUpdateIn) -> Customer:
    v = viewer(request)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    customer = selectors.customer(v, customer_id, action="customer.change")
    return services.update_customer(v, customer=customer, changes=changes, version=version)


@router.delete(
    "/customers/{customer_id}",
    response=responses({204: None}, object_path=True),
    operation_id="delete_customer",
    summary="Archive a customer and its contacts (nothing is deleted)",
)
def delete_customer(request: HttpRequest, customer_id: int) -> Status[None]:
    """Archives: the customer and its contacts leave lists and pickers; their sessions,
    approvals, words and votes stay. ``POST .../restore`` brings them back."""
    v = viewer(request)
    customer = selectors.customer(v, customer_id, action="customer.archive")
    services.archive_customer(v, customer=customer)
    return Status(204, None)


@router.post(
    "/customers/{customer_id}/restore",
    response=responses({200: CustomerOut}, object_path=True),
    operation_id="restore_customer",
    summary="Restore an archived customer and the contacts archived with it",
)
def restore_customer(request: HttpRequest, customer_id: int) -> Customer:
    v = viewer(request)
    customer = selectors.customer(v, customer_id, action="customer.archive")
    return services.restore_customer(v, customer=customer)


# --- contacts -------------------------------------------------------------------------------


@router.get(
    "/customers/{customer_id}/contacts",
    response=responses({200: list[ContactOut]}, object_path=True),
    operation_id="list_contacts",
    summary="List a customer's contacts",
)
@paginate(Pagination)
def list_contacts(
    request: HttpRequest, customer_id: int, filters: Query[ContactFilters]
) -> QuerySet[Contact]:
    v = viewer(request)
    customer = selectors.customer(v, customer_id)  # 404 for a customer you cannot see
    return selectors.contacts(v, customer_id=customer.pk, **filters.model_dump())


@router.post(
    "/customers/{customer_id}/contacts",
    response=responses({201: ContactOut}, body=True, object_path=True),
    operation_id="create_contact",
    summary="Add a contact to a customer",
)
def create_contact(
    request: HttpRequest, customer_id: int, payload: ContactCreateIn
) -> Status[Contact]:
    v = viewer(request)
    customer = selectors.customer(v, customer_id)
    return Status(201, services.add_contact(v, customer=customer, **payload.model_dump()))


@router.get(
    "/contacts/{contact_id}",
    response=responses({200: ContactOut}, object_path=True),
    operation_id="get_contact",
    summary="Get a contact",
)
def get_contact(request: HttpRequest, contact_id: int) -> Contact:
    return selectors.contact(viewer(request), contact_id)


@router.patch(
    "/contacts/{contact_id}",
    response=responses({200: ContactOut}, body=True, object_path=True, versioned=True),
    operation_id="update_contact",
    summary="Change some of a contact's fields",
)
def update_contact(request: HttpRequest, contact_id: int, payload: ContactUpdateIn) -> Contact:
    v = viewer(request)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    contact = selectors.contact(v, contact_id, action="contact.change")
    return services.update_contact(v, contact=contact, changes=changes, version=version)


@router.delete(
    "/contacts/{contact_id}",
    response=responses({204: None}, object_path=True),
    operation_id="delete_contact",
    summary="Archive a contact (nothing is deleted)",
)
def delete_contact(request: HttpRequest, contact_id: int) -> Status[None]:
    """Archives: the contact leaves lists and pickers; what they said, voted and were
    approved for stays. ``POST .../restore`` brings them back; ``POST .../erase`` erases."""
    v = viewer(request)
    contact = selectors.contact(v, contact_id)
    services.archive_contact(v, contact=contact)
    return Status(204, None)


@router.post(
    "/contacts/{contact_id}/restore",
    response=responses({200: ContactOut}, object_path=True),
    operation_id="restore_contact",
    summary="Restore an archived contact",
)
def restore_contact(request: HttpRequest, contact_id: int) -> Contact:
    v = viewer(request)
    contact = selectors.contact(v, contact_id)
    return services.restore_contact(v, contact=contact)


@router.post(
    "/contacts/{contact_id}/erase",
    response=responses({200: ContactOut}, body=True, object_path=True),
    operation_id="erase_contact",
    summary="Erase a contact's identity for good (admins)",
)
def erase_contact(request: HttpRequest, contact_id: int, payload: EraseIn) -> Contact:
    """Name and email become a tombstone ("Erased contact 14"); title and notes are cleared;
    the old name and email are rewritten everywhere they were stored, the audit trail
    included. Their words, votes and approvals stay. Cannot be undone."""
    v = viewer(request)
    contact = selectors.contact(v, contact_id)
    return services.erase_contact(v, contact=contact, reason=payload.reason)
