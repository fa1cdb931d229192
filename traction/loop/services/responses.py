"""What customers send back about an update (docs/loop.md, "Who hears what"; docs/portal.md):
reading it in the portal, replying to it, and answering "did it work for you?" for a
delivered priority it speaks of.

A reply and a feedback comment land in the program as a new insight attributed to the
contact, waiting for review (``candidate``: never accepted by themselves), from the portal
(``InsightSource.PORTAL``), in the update's session — or else the latest session of the
program the contact took part in. Feedback is recorded against the customer metric the
priority serves (``Insight.measured_by`` of kind customer metric), once per message and
priority (answering again changes the answer). Everything is audited as the contact.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from traction.core import audit, clock, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import CustomerPrincipal
from traction.core.text import require_length
from traction.customers.models import Contact
from traction.insights.models import Insight, InsightKind, InsightSource, InsightStatus
from traction.loop import mail_links, mailer
from traction.loop.models import Feedback, FeedbackAnswer, Reply, UpdateRecipient, UpdateState
from traction.sessions.models import Invitation, RsvpStatus, Session

MAX_TEXT = 4000


def principal_of(recipient: UpdateRecipient) -> CustomerPrincipal:
    """The contact as a principal of a link in their email (not a portal sign-in)."""
    return CustomerPrincipal(contact_id=recipient.contact_id, workspace_id=recipient.workspace_id)


def _gone(contact_id: int) -> bool:
    """An erased or archived contact answers nothing any more (their old email's links
    included): nothing of theirs is recorded, no insight is credited to them."""
    return Contact.objects.filter(
        Q(erased_at__isnull=False) | Q(archived_at__isnull=False), pk=contact_id
    ).exists()


def _may_respond(principal: CustomerPrincipal, recipient: UpdateRecipient) -> None:
    """In the portal: the policy. From an email's signed link (a principal with no portal
    link, built by ``principal_of``): the link names this very message, of a contact who is
    neither erased nor archived."""
    if _gone(recipient.contact_id):
        raise NotFound("Message not found.")
    if principal.portal:
        permissions.check(principal, "loop.portal_respond", recipient)
    elif (principal.contact_id, principal.workspace_id, principal.invitation_id) != (
        recipient.contact_id,
        recipient.workspace_id,
        0,
    ):
        raise NotFound("Message not found.")


def mark_read(principal: CustomerPrincipal, recipient: UpdateRecipient) -> None:
    """The contact opened the update in the portal (the first time is kept)."""
    permissions.check(principal, "loop.portal_update", recipient)
    UpdateRecipient.objects.filter(pk=recipient.pk, read_in_portal_at__isnull=True).update(
        read_in_portal_at=clock.now()
    )


def _session_for(recipient: UpdateRecipient, priority: Insight | None = None) -> Session:
    update = recipient.update
    if update.session_id:
        return Session.objects.get(pk=update.session_id)
    took_part = (
        Invitation.objects.filter(
            contact_id=recipient.contact_id,
            rsvp=RsvpStatus.ACCEPTED,
            session__program_id=update.program_id,
        )
        .select_related("session")
        .order_by("-session__starts_at", "-session_id")
        .first()
    )
    if took_part is not None:
        return took_part.session
    if priority is not None:
        return Session.objects.get(pk=priority.session_id)
    said = (
        Insight.objects.filter(
            program_id=update.program_id, speaker_contact_id=recipient.contact_id
        )
        .order_by("-created_at")
        .first()
    )
    if said is not None:
        return Session.objects.get(pk=said.session_id)
    latest = Session.objects.filter(program_id=update.program_id).order_by("-starts_at").first()
    if latest is None:
        raise ValidationFailed.field("text", "This program has no session to file the reply in.")
    return latest


def _insight(recipient: UpdateRecipient, text: str, tag: str, priority: Insight | None) -> Insight:
    contact = Contact.objects.get(pk=recipient.contact_id)
    session = _session_for(recipient, priority)
    return Insight.objects.create(
        workspace_id=recipient.workspace_id,
        program_id=recipient.update.program_id,
        session=session,
        kind=InsightKind.QUOTE,
        text=text,
        speaker_contact=contact,
        speaker_name=contact.name,
        customer_id=contact.customer_id,
        internal=False,
        tags=tag,
        status=InsightStatus.CANDIDATE,
        source=InsightSource.PORTAL,
        created_at=clock.now(),
    )


def _tell_the_team(recipient: UpdateRecipient, insight: Insight, what: str) -> None:
    """Whoever sent the update and whoever drafted it learn, in the app, that a customer
    answered it (their words wait as a candidate in the session's review queue): "your reply
    went to the team" is then true of a person, not only of a queue."""
    from django.urls import reverse

    from traction.accounts.models import Membership, Notice, Workspace

    update = recipient.update
    wanted = {u for u in (update.sent_by_id, update.created_by_id) if u is not None}
    members = Membership.objects.filter(
        workspace_id=update.workspace_id, user_id__in=wanted, user__is_active=True
    ).values_list("user_id", flat=True)
    slug = Workspace.objects.only("slug").get(pk=update.workspace_id).slug
    who = f"{insight.speaker_name} ({insight.customer.name})" if insight.customer else "A customer"
    words = insight.text if len(insight.text) <= 120 else insight.text[:119] + "…"
    for user_id in sorted(members):
        Notice.objects.create(
            workspace_id=update.workspace_id,
            user_id=user_id,
            text=(f"{who} {what} “{update.subject}”: “{words}” It waits in the review queue.")[
                :300
            ],
            link=reverse("insights:review", args=[slug, insight.session_id]),
        )


def _clean(text: str, field: str, required: bool) -> str:
    text = (text or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationFailed.field(field, "Write your reply first.")
    require_length(field, text, MAX_TEXT)
    return text


def _comments_limited(principal: CustomerPrincipal, recipient: UpdateRecipient, field: str) -> None:
    """At most ``TRACTION_PORTAL_COMMENTS_PER_HOUR`` replies and comments (each a new insight
    from the portal) per contact and hour. Past it: refused beside the field, and audited
    (outside the refused write, so the audit stays)."""
    limit = settings.TRACTION_PORTAL_COMMENTS_PER_HOUR
    recent = Insight.objects.filter(
        speaker_contact_id=recipient.contact_id,
        source=InsightSource.PORTAL,
        created_at__gte=clock.now() - timedelta(hours=1),
    ).count()
    if recent < limit:
        return
    audit.record(
        principal, action="loop.comment_limited", obj=recipient.update,
        changes={"recipient": recipient.pk, "field": field, "last_hour": recent},
        reason=f"{limit} comments per hour",
    )  # fmt: skip
    raise ValidationFailed.field(
        field,
        f"You have sent {recent} messages in the last hour, the most we take. "
        "Please try again in an hour; nothing was sent this time.",
    )


def reply(principal: CustomerPrincipal, recipient: UpdateRecipient, text: str) -> Reply:
    """The contact's reply to an update sent to them: a ``Reply`` and a new insight."""
    _may_respond(principal, recipient)
    _comments_limited(principal, recipient, "text")
    return _reply(principal, recipient, text)


@transaction.atomic
def _reply(principal: CustomerPrincipal, recipient: UpdateRecipient, text: str) -> Reply:
    _may_respond(principal, recipient)
    text = _clean(text, "text", required=True)
    insight = _insight(recipient, text, "reply", None)
    found = Reply.objects.create(
        workspace_id=recipient.workspace_id,
        recipient=recipient,
        text=text,
        insight=insight,
        at=clock.now(),
    )
    audit.record(
        principal, action="loop.replied", obj=recipient.update,
        changes={"recipient": recipient.pk, "insight": insight.pk},
    )  # fmt: skip
    _tell_the_team(recipient, insight, "replied to")
    return found


def feedback_priorities(recipient: UpdateRecipient) -> list[Insight]:
    """The delivered priorities of the message that take "did it work for you?"."""
    ids = mailer.feedback_priority_ids(recipient)
    found = {i.pk: i for i in Insight.objects.filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


def metric_of(priority: Insight) -> Insight | None:
    """The customer metric the priority serves (a customer metric card that measures it)."""
    return priority.measured_by.filter(kind=InsightKind.CUSTOMER_METRIC).order_by("pk").first()


def give_feedback(
    principal: CustomerPrincipal,
    recipient: UpdateRecipient,
    *,
    priority_id: int,
    answer: str,
    comment: str = "",
) -> Feedback:
    """Record "did it work for you?" for one delivered priority of the message. Answering
    again changes the answer; a new comment comes back as a new insight (within the hourly
    limit of comments: an answer alone is never limited)."""
    _may_respond(principal, recipient)
    if (comment or "").strip():
        _comments_limited(principal, recipient, "comment")
    return _give_feedback(
        principal, recipient, priority_id=priority_id, answer=answer, comment=comment
    )


@transaction.atomic
def _give_feedback(
    principal: CustomerPrincipal,
    recipient: UpdateRecipient,
    *,
    priority_id: int,
    answer: str,
    comment: str = "",
) -> Feedback:
    _may_respond(principal, recipient)
    if answer not in FeedbackAnswer.values:
        raise ValidationFailed.field("answer", "Pick yes, partly or no.")
    comment = _clean(comment, "comment", required=False)
    priority = next((p for p in feedback_priorities(recipient) if p.pk == priority_id), None)
    if priority is None:
        raise NotFound("This priority is not one the update asks about.")
    insight = None
    if comment:
        insight = _insight(recipient, comment, f"feedback {answer}", priority)
        said = FeedbackAnswer(answer).label.lower()
        _tell_the_team(recipient, insight, f"answered “did it work for you?” ({said}) on")
    metric = metric_of(priority)
    existing = (
        Feedback.objects.select_for_update().filter(recipient=recipient, priority=priority).first()
    )
    if existing is None:
        found = Feedback.objects.create(
            workspace_id=recipient.workspace_id,
            program_id=recipient.update.program_id,
            recipient=recipient,
            priority=priority,
            metric=metric,
            answer=answer,
            comment=comment,
            insight=insight,
            at=clock.now(),
        )
    else:
        existing.answer = answer
        existing.metric = metric
        if comment:
            existing.comment = comment
            existing.insight = insight
        existing.at = clock.now()
        existing.save()
        found = existing
    audit.record(
        principal, action="loop.feedback", obj=recipient.update,
        changes={"recipient": recipient.pk, "priority": priority.pk, "answer": answer,
                 "metric": metric.pk if metric else None,
                 "insight": insight.pk if insight else None},
    )  # fmt: skip
    return found


def read_feedback_link(token: str) -> tuple[UpdateRecipient, Insight]:
    """The message and delivered priority a "did it work for you?" link names, or NotFound."""
    try:
        link = mail_links.read_feedback(token)
    except mail_links.BadLink:
        raise NotFound("This link is not valid.") from None
    recipient = (
        UpdateRecipient.objects.select_related("update__program", "update__workspace")
        .filter(pk=link.recipient_id, update__state=UpdateState.SENT)
        .first()
    )
    if recipient is None or _gone(recipient.contact_id):
        raise NotFound("This link is not valid.")
    priority = next((p for p in feedback_priorities(recipient) if p.pk == link.priority_id), None)
    if priority is None:
        raise NotFound("This link is not valid.")
    return recipient, priority
