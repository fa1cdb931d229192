"""Scoped reads for customers and contacts."""

from __future__ import annotations

from functools import cache

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from traction.core import permissions
from traction.core.permissions import Viewer

from .models import Contact, Customer


@cache
def contact_count() -> Subquery:
    """How many active (not archived) contacts the customer has: a correlated subquery, not a
    JOIN + GROUP BY, so a page's COUNT(*) stays a plain count of customers.

    Built once: an expression is not changed by the querysets that use it (each resolves
    and compiles its own copy, on every query), so every list can share this one."""
    active = Contact.objects.active().filter(customer=OuterRef("pk")).order_by()
    return Subquery(active.values("customer").annotate(n=Count("pk")).values("n"))


def customers(
    viewer: Viewer,
    *,
    q: str = "",
    segment: str = "",
    region: str = "",
    account_owner_id: int | None = None,
    archived: bool = False,
    with_owner: bool = True,
) -> QuerySet[Customer]:
    """Customers the viewer may see, filtered, with their owner (unless ``with_owner`` is
    False: the owner's id only) and contact count in one query. Archived customers are listed
    only when asked for (``archived=True``: only those)."""
    found = _listed(viewer, q, segment, region, account_owner_id, archived)
    return found.select_related("account_owner") if with_owner else found


def _listed(
    viewer: Viewer,
    q: str,
    segment: str,
    region: str,
    account_owner_id: int | None,
    archived: bool,
) -> QuerySet[Customer]:
    qs = permissions.scope(viewer, "customer.view", Customer.objects.all())
    qs = qs.filter(archived_at__isnull=not archived)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(region__icontains=q) | Q(notes__icontains=q))
    if segment:
        qs = qs.filter(segment=segment)
    if region:
        qs = qs.filter(region__iexact=region)
    if account_owner_id is not None:
        qs = qs.filter(account_owner_id=account_owner_id)
    # Sets Customer.contact_count on each row (the model's count, read in the same query).
    counted = qs.annotate(contact_count=Coalesce(contact_count(), 0))  # type: ignore[no-redef]
    return counted.order_by("name", "id")


def customer(viewer: Viewer, customer_id: int, action: str = "customer.view") -> Customer:
    return permissions.get(
        viewer, action, Customer.objects.select_related("account_owner"), pk=customer_id
    )


def contacts(
    viewer: Viewer,
    *,
    customer_id: int | None = None,
    q: str = "",
    consent: bool | None = None,
    archived: bool | None = False,
) -> QuerySet[Contact]:
    """Contacts the viewer may see: by default the active ones (what pickers offer);
    ``archived=True`` only the archived, ``None`` both."""
    qs = permissions.scope(viewer, "contact.view", Contact.objects.select_related("customer"))
    if archived is not None:
        qs = qs.filter(archived_at__isnull=not archived)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(title__icontains=q))
    if consent is not None:
        qs = qs.filter(consent_to_contact=consent)
    return qs.order_by("name", "id")


def contact(viewer: Viewer, contact_id: int, action: str = "contact.view") -> Contact:
    return permissions.get(
        viewer, action, Contact.objects.select_related("customer"), pk=contact_id
    )
