"""Who a priority belongs to: the customer organisations whose contacts raised it (their
words are in the card or a card merged into it) or voted on it. They approve what is said
about it (through their account owners) and are credited for deliveries that touch it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from traction.customers.models import Customer
from traction.insights.models import Insight, not_withdrawn
from traction.voting.models import Vote


def customers_of(priority_ids: Iterable[int]) -> QuerySet[Customer]:
    """The organisations that raised or voted on any of ``priority_ids`` (cards), by name."""
    ids = list(priority_ids)
    cards = Insight.objects.filter(Q(pk__in=ids) | Q(merged_into_id__in=ids), not_withdrawn())
    raised = cards.filter(customer__isnull=False, internal=False).values("customer_id")
    voted = Vote.objects.filter(insight_id__in=ids, dots__gt=0).values("contact__customer_id")
    return Customer.objects.filter(Q(pk__in=raised) | Q(pk__in=voted)).order_by("name", "pk")


def customers_by_priority(priority_ids: Iterable[int]) -> dict[int, set[int]]:
    """Card id → the ids of the organisations that raised or voted on it (as
    ``customers_of`` reads them), for many cards in two queries."""
    ids = set(priority_ids)
    found: dict[int, set[int]] = {pk: set() for pk in ids}
    raised = (
        Insight.objects.filter(Q(pk__in=ids) | Q(merged_into_id__in=ids))
        .filter(customer__isnull=False, internal=False)
        .values_list("pk", "merged_into_id", "customer_id")
    )
    for pk, merged_into, customer_id in raised:
        if pk in ids:
            found[pk].add(customer_id)
        if merged_into in ids:
            found[merged_into].add(customer_id)
    voted = Vote.objects.filter(insight_id__in=ids, dots__gt=0).values_list(
        "insight_id", "contact__customer_id"
    )
    for card, customer_id in voted:
        found[card].add(customer_id)
    return found
