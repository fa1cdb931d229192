"""Telling people about the slip radar's marks (docs/loop.md, "The slip radar").

When the radar marks a priority at risk, the program's facilitators (the current
facilitators of its sessions) and the account owners of the customers it affects (who raised
it or voted on it) hear of it before the window passes: one digest per person per run, never
one message per mark. Each digest lists the priorities at risk, why (the reasons the radar
recorded), the window customers were told, and a link to the change-of-plan draft.

A mark is claimed (``AtRisk.notified_at``, a conditional UPDATE) before the digests go, so a
second run (or a second worker) tells nobody twice; a mark whose every digest failed is
released again for the next run. Members who left and deactivated accounts are not told.
Audited (``loop.risk_notified``) per mark.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from traction.accounts.models import Membership, User
from traction.core import audit, clock, mail
from traction.core.permissions import Viewer
from traction.customers import rules as customer_rules
from traction.customers.models import Customer
from traction.loop import credit, selectors
from traction.loop.models import AtRisk
from traction.loop.services.plan import facilitators
from traction.programs.models import Program

log = logging.getLogger(__name__)


@dataclass
class Item:
    """One priority at risk, as a digest shows it."""

    risk: AtRisk
    priority: str
    reasons: list[str]
    window: str
    link: str
    customers: list[str] = field(default_factory=list)  # as its reader may name them
    customer_ids: list[int] = field(default_factory=list)


def draft_link(risk: AtRisk) -> str:
    """The priorities page at the priority's card, where the change-of-plan draft is."""
    path = reverse("loop:priorities", args=[risk.program.workspace.slug, risk.program_id])
    return f"{settings.TRACTION_SITE_URL.rstrip('/')}{path}#priority-{risk.priority_id}"


def audience(risk: AtRisk) -> tuple[list[User], list[Customer]]:
    """Who hears of one mark: the program's facilitators and the account owners of the
    affected customers, still members and active; and the affected customers."""
    customers = list(credit.customers_of([risk.priority_id]).select_related("account_owner"))
    told: dict[int, User] = {u.pk: u for u in facilitators(risk.program)}
    owners = {c.account_owner_id for c in customers if c.account_owner_id}
    members = set(
        Membership.objects.filter(workspace_id=risk.workspace_id, user_id__in=owners).values_list(
            "user_id", flat=True
        )
    )
    for c in customers:
        owner = c.account_owner
        if owner is not None and owner.is_active and owner.pk in members:
            told.setdefault(owner.pk, owner)
    return [told[k] for k in sorted(told)], customers


def for_reader(user: User, items: list[Item]) -> list[Item]:
    """``items`` as ``user`` may read them: the customers named are those they may identify
    in the item's workspace (``customer.identify``: an account owner their own only), and
    the priority in its words only if they may read them (``selectors.priority_named_for``)."""
    roles = dict(Membership.objects.filter(user_id=user.pk).values_list("workspace_id", "role"))
    seen: dict[int, set[int] | None] = {}
    for workspace_id in {item.risk.workspace_id for item in items}:
        role = roles.get(workspace_id)
        allowed = (
            customer_rules.identified_customers(
                Viewer(user=user, workspace_id=workspace_id, role=role)
            )
            if role is not None
            else Customer.objects.none()
        )
        wanted = {i for item in items for i in item.customer_ids}
        seen[workspace_id] = (
            None
            if allowed is None
            else set(allowed.filter(pk__in=wanted).values_list("pk", flat=True))
        )
    shown = []
    for item in items:
        ids = seen[item.risk.workspace_id]
        if ids is None:
            shown.append(item)
            continue
        named = [n for pk, n in zip(item.customer_ids, item.customers, strict=True) if pk in ids]
        # The card's words only if they may read them: their customer may only have voted.
        text = selectors.priority_named_for(
            user, item.risk.workspace_id, item.risk.priority, ", ".join(named)
        )
        shown.append(replace(item, customers=named, priority=text))
    return shown


def _claim(risk_id: int) -> bool:
    return (
        AtRisk.objects.filter(pk=risk_id, notified_at__isnull=True, cleared_at__isnull=True).update(
            notified_at=clock.now()
        )
        == 1
    )


def run() -> dict[str, int]:
    """Tell the facilitators and account owners of every open mark nobody was told of yet:
    one digest per person (the radar's periodic job runs it after its checks; idempotent)."""
    counts = {"notices": 0, "digests": 0, "failed": 0}
    pending = (
        AtRisk.objects.filter(notified_at__isnull=True, cleared_at__isnull=True)
        .select_related("priority", "status", "program__workspace")
        .order_by("program_id", "since", "pk")
    )
    digest: dict[int, list[Item]] = defaultdict(list)
    people: dict[int, User] = {}
    risks: dict[int, AtRisk] = {}
    for risk in pending:
        users, customers = audience(risk)
        if not users or not _claim(risk.pk):
            continue  # nobody to tell yet (kept for a later run), or taken by another run
        window = risk.status.window
        item = Item(
            risk=risk,
            priority=risk.priority.text,
            reasons=list(risk.reasons or []),
            window=window.label if window else "",
            link=draft_link(risk),
            customers=[c.name for c in customers],
            customer_ids=[c.pk for c in customers],
        )
        risks[risk.pk] = risk
        for user in users:
            people[user.pk] = user
            digest[user.pk].append(item)
    reached: dict[int, list[int]] = defaultdict(list)
    for user_id, items in digest.items():
        try:
            user = people[user_id]
            send_digest(user, for_reader(user, items))
        except Exception:  # the others still get theirs
            log.exception("slip radar: the notice to user %s failed", user_id)
            counts["failed"] += 1
        else:
            counts["digests"] += 1
            for item in items:
                reached[item.risk.pk].append(user_id)
    for risk_id, risk in risks.items():
        if not reached.get(risk_id):
            AtRisk.objects.filter(pk=risk_id).update(notified_at=None)  # the next run retries
            continue
        who = sorted(reached[risk_id])
        AtRisk.objects.filter(pk=risk_id).update(notified_to=who)
        audit.record(None, action="loop.risk_notified", obj=risk, changes={"to": who})
        counts["notices"] += 1
    return counts


def send_digest(user: User, items: list[Item]) -> int:
    """One email listing every priority at risk ``user`` should hear of, by program."""
    by_program: dict[int, dict[str, object]] = {}
    for item in items:
        program: Program = item.risk.program
        entry = by_program.setdefault(program.pk, {"program": program, "items": []})
        entry["items"].append(item)  # type: ignore[attr-defined]
    n = len(items)
    subject = (
        f"At risk: “{_short(items[0].priority)}” needs a change of plan"
        if n == 1
        else f"At risk: {n} customer priorities need a change of plan"
    )
    context = {"user": user, "groups": list(by_program.values()), "count": n}
    text = render_to_string("loop/risk/email/digest.txt", context).strip() + "\n"
    html = render_to_string("loop/risk/email/digest.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((user.full_name, user.email))],
    )
    message.attach_alternative(html, "text/html")
    return mail.outgoing(message).send()


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
