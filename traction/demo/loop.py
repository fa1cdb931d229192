"""The demo's closing of the loop: the pilot's customer priorities in every customer-facing
status, each on the card whose facts back it (delivered: the invoice preview, shipped; in
progress: the correct first invoice, its recommendation's work started; planned: invoice
language, approved with a dated action; under consideration: the ERP re-keying, deferred;
not planned: the onboarding buddy, rejected, with a reusable reason text; heard: the CSV
import, with a newer proposal still waiting for its account owner), and the delivery that
shipped the invoice preview (dated in the past: it notified nobody)."""

from __future__ import annotations

from datetime import timedelta

from traction.debrief.models import ActionItem
from traction.insights.models import Insight

from .common import Demo


def add_loop(demo: Demo) -> None:
    from traction.loop.models import ApprovalState, DeliverySource
    from traction.loop.services import deliveries, publishing

    felix, ana = demo.viewer("facilitator"), demo.viewer("admin")
    onboarding = demo.programs["onboarding"]
    cards = {i.text: i for i in Insight.objects.filter(session=demo.sessions["held"])}

    def settle(proposal: object) -> None:
        """Each affected customer's account owner approves (an admin waives where nobody
        owns the customer)."""
        for approval in proposal.approvals.filter(state=ApprovalState.PENDING):  # type: ignore[attr-defined]
            owner = demo.viewers_by_id.get(approval.account_owner_id or 0)
            if owner is not None:
                publishing.approve(owner, approval)
            else:
                publishing.waive(ana, approval, reason="Nobody owns this customer yet.")

    preview = cards["A preview of the first invoice before it goes out"]
    deliveries.record_delivery(
        felix,
        onboarding,
        deliveries.Entry(
            on=demo.today - timedelta(days=5),
            title="Invoice preview in the invoice editor",
            description="Every new customer sees the first invoice exactly as it goes out.",
            link="https://northwind.example/releases/invoice-preview",
            external_id="REL-2041",
            priorities=(preview.pk, cards["The first invoice is correct the first time"].pk),
        ),
        source=DeliverySource.MANUAL,
    )
    settle(publishing.propose_status(felix, onboarding, priority_id=preview.pk, status="delivered"))
    # In progress: the preview's recommendation is approved with owned, dated action items
    # and its work has started (the editor is done, the walkthrough under way); the window is
    # the quarter holding the latest due date.
    correct = cards["The first invoice is correct the first time"]
    latest = max(
        ActionItem.objects.filter(recommendation__evidence=correct).values_list("due_on", flat=True)
    )
    settle(
        publishing.propose_status(
            felix,
            onboarding,
            priority_id=correct.pk,
            status="in_progress",
            window_kind="quarter",
            window_start=latest,
            customer_reason="We are adding the preview to every new customer's first week.",
        )
    )
    # Planned: invoice language, approved with an owned, dated action nobody started yet.
    language = cards["Invoice language per customer"]
    due = max(
        ActionItem.objects.filter(recommendation__evidence=language).values_list(
            "due_on", flat=True
        )
    )
    settle(
        publishing.propose_status(
            felix,
            onboarding,
            priority_id=language.pk,
            status="planned",
            window_kind="quarter",
            window_start=due,
        )
    )
    erp = cards["We re-key every customer from our ERP by hand"]
    settle(
        publishing.propose_status(
            felix, onboarding, priority_id=erp.pk, status="under_consideration"
        )
    )
    outside = publishing.add_reason_text(
        ana,
        title="Outside what we offer",
        text="We looked at it carefully; it is outside what our product does, and we "
        "decided not to build it.",
    )
    # Not planned: the onboarding buddy's recommendation was rejected; the reason is the
    # reusable text.
    buddy = cards["A named onboarding buddy for the first month"]
    settle(
        publishing.propose_status(
            felix,
            onboarding,
            priority_id=buddy.pk,
            status="not_planned",
            customer_reason=outside.text,
        )
    )
    csv_import = cards["Import customers from a CSV or straight from the ERP"]
    settle(publishing.propose_status(felix, onboarding, priority_id=csv_import.pk, status="heard"))
    # Waiting for the account owners: the CSV import under consideration.
    publishing.propose_status(
        felix, onboarding, priority_id=csv_import.pk, status="under_consideration"
    )
