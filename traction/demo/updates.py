"""The demo's "you said, we did" updates, one in each state: sent to Juniper & Finch
Architects (replied to: the reply is an insight of the program), waiting for the account owners'
approval (the whole program), approved and ready to send (the held session's participants),
drafts (the ones the invoice-preview delivery drafted per organisation) and one discarded.
Sent through the dummy email backend: nobody is written to."""

from __future__ import annotations

from traction.loop.models import ApprovalState, Update, UpdateState

from .common import Demo, contact_of


def add_updates(demo: Demo) -> None:
    from traction.loop import mailer
    from traction.loop.services import responses, updates

    felix, ana = demo.viewer("facilitator"), demo.viewer("admin")
    onboarding = demo.programs["onboarding"]

    def approved(update: Update) -> Update:
        """Each affected organisation's account owner approves (an admin waives where
        nobody owns the customer)."""
        waiting = update.approvals.filter(superseded_at__isnull=True, state=ApprovalState.PENDING)
        for approval in waiting:
            owner = demo.viewers_by_id.get(approval.account_owner_id or 0)
            if owner is not None:
                updates.approve(owner, approval)
            else:
                updates.waive(ana, approval, reason="Nobody owns this customer yet.")
        update.refresh_from_db()
        return update

    # Sent to Juniper & Finch: delivered, and answered from the email.
    juniper = contact_of(demo, "Juniper & Finch Architects", 0)
    told = updates.compose(felix, onboarding, audience="customer", customer_id=juniper.customer_id)
    told = approved(updates.submit(felix, told))
    updates.send(felix, told)
    mailer.deliver(told.pk)
    message = told.recipients.get(contact=juniper)
    responses.reply(
        responses.principal_of(message),
        message,
        "Thank you for coming back to us. The preview already caught a wrong address on "
        "our first invoice. Could it show the payment terms too?",
    )

    # Waiting for the account owners: the whole program.
    updates.submit(felix, updates.compose(felix, onboarding, audience="program"))

    # Approved, ready to send: the held session's participants.
    approved(
        updates.submit(
            felix,
            updates.compose(
                felix, onboarding, audience="session", session_id=demo.sessions["held"].pk
            ),
        )
    )

    # Drafts: recording the invoice preview drafted one per credited organisation; the
    # oldest is discarded (Juniper & Finch heard it in the update above).
    drafts = Update.objects.filter(program=onboarding, state=UpdateState.DRAFT, kind="delivery")
    first = drafts.order_by("pk").first()
    if first is not None and drafts.count() > 1:
        updates.discard(felix, first)
