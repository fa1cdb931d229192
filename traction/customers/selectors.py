"""Scoped reads for customers and contacts."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from traction.core import permissions
from traction.core.permissions import Viewer

from .models import Contact, Customer


def contact_count() -> Subquery:
    """How many active (not archived) contacts the customer has: a correlated subquery, not a
    JOIN + GROUP BY, so a page's COUNT(*) stays a plain count of customers."""
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
) -> QuerySet[Customer]:
    """Customers the viewer may see, filtered, with their owner and contact count in one query.
    Archived customers are listed only when asked for (``archived=True``: only those)."""
    return _listed(viewer, q, segment, region, account_owner_id, archived).select_related(
        "account_owner"
    )


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
    return qs.annotate(contact_count=Coalesce(contact_count(), 0)).order_by("name", "id")


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
