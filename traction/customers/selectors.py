"""Scoped reads for customers and contacts."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from traction.core import permissions
from traction.core.permissions import Viewer

from .models import Contact, Customer


def customers(
    viewer: Viewer,
    *,
    q: str = "",
    segment: str = "",
    region: str = "",
    account_owner_id: int | None = None,
) -> QuerySet[Customer]:
    """Customers the viewer may see, filtered, with their owner and contact count in one query."""
    qs = permissions.scope(viewer, "customer.view", Customer.objects.all())
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(region__icontains=q) | Q(notes__icontains=q))
    if segment:
        qs = qs.filter(segment=segment)
    if region:
        qs = qs.filter(region__iexact=region)
    if account_owner_id is not None:
        qs = qs.filter(account_owner_id=account_owner_id)
    # A correlated subquery rather than a JOIN + GROUP BY: pagination's COUNT(*) can drop it.
    contact_count = (
        Contact.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        qs.select_related("account_owner")
        .annotate(contact_count=Coalesce(Subquery(contact_count, output_field=IntegerField()), 0))
        .order_by("name", "id")
    )


def customer(viewer: Viewer, customer_id: int, action: str = "customer.view") -> Customer:
    return permissions.get(
        viewer, action, Customer.objects.select_related("account_owner"), pk=customer_id
    )


def contacts(
    viewer: Viewer, *, customer_id: int | None = None, q: str = "", consent: bool | None = None
) -> QuerySet[Contact]:
    qs = permissions.scope(viewer, "contact.view", Contact.objects.select_related("customer"))
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
