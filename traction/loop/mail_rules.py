"""Who may see and act on updates' delivery, what contacts hear, and what a customer reaches
in the portal's loop panels (docs/roles.md, docs/loop.md "Who hears what", "Email delivery").

Appended to ``loop.rules.RULES``. Members: the delivery outcomes of an update and retrying
them are the program team's (``loop.mail`` on an ``Update``); reporting a bounce from a mail
provider is for admins and facilitators, and the workspace's bounce URL for its provider is
the admins'; a contact's subscriptions (seeing them, recording
an unsubscribe or a follow on their behalf, marking them unreachable or reachable) are for
admins, facilitators and the contact's account owner. Customers, in the portal only: the
updates addressed to them (``loop.portal_update``; replying and answering "did it work for
you?" is ``loop.portal_respond`` on their own message), and the published statuses of the
priorities they or their organisation raised, they voted on, or they follow
(``loop.portal_priority``, which also lets them follow or unfollow one).
"""

from __future__ import annotations

from django.db.models import Q

from traction.core.permissions import ALL, OWN, CustomerPrincipal, Viewer, rule

NOTHING = Q(pk__in=[])


def update_of_my_program(viewer: Viewer) -> Q:  # on an Update
    u = viewer.user_id
    return (
        Q(program__executive_sponsor_id=u)
        | Q(program__members__user_id=u, program__members__kind="core_team",
            program__members__left_at=None)
        | Q(program__policy_makers__user_id=u, program__policy_makers__left_at=None)
    )  # fmt: skip


def my_customers_contact(viewer: Viewer) -> Q:  # on a Contact
    return Q(customer__account_owner_id=viewer.user_id)


def my_messages(customer: CustomerPrincipal) -> Q:  # on an UpdateRecipient
    if not customer.portal:
        return NOTHING
    return Q(contact_id=customer.contact_id, update__state="sent")


def not_another_customers_words(contact_id: int) -> Q:  # on an Insight
    """Cards whose own words are the contact's organisation's, or no customer's (the team's).
    A card another organisation said keeps their words even when the contact's note was
    merged into it (merging never rewrites a card): that alone never shows it to them."""
    from traction.customers.models import Contact

    mine = Contact.objects.filter(pk=contact_id).values("customer_id")
    return (Q(speaker_contact__isnull=True) | Q(speaker_contact__customer_id__in=mine)) & (
        Q(customer__isnull=True) | Q(customer_id__in=mine)
    )


def seen_by(contact_id: int) -> Q:  # on an Insight
    """Cards the contact could already see, so the only ones they may follow: raised by them
    or their organisation (a card, or a card merged from their organisation's words when
    the card's own words are not another organisation's), voted on by them, or cards of a
    session they took part in (accepted its invitation, spoke or voted in it). Internal
    cards never."""
    from traction.customers.models import Contact
    from traction.insights.models import Insight
    from traction.sessions.models import Invitation
    from traction.voting.models import Vote

    mine = Contact.objects.filter(pk=contact_id).values("customer_id")
    colleagues = Contact.objects.filter(customer_id__in=mine).values("pk")
    merged_from_us = Insight.objects.filter(
        speaker_contact_id__in=colleagues, internal=False, merged_into__isnull=False
    ).values("merged_into_id")
    voted = Vote.objects.filter(contact_id=contact_id, dots__gt=0)
    took_part = (
        Q(session_id__in=Invitation.objects.filter(contact_id=contact_id, rsvp="accepted").values(
            "session_id"))
        | Q(session_id__in=Insight.objects.filter(speaker_contact_id=contact_id).values(
            "session_id"))
        | Q(session_id__in=voted.values("session_id"))
    )  # fmt: skip
    return Q(internal=False) & (
        Q(speaker_contact_id__in=colleagues)
        | (Q(pk__in=merged_from_us) & not_another_customers_words(contact_id))
        | Q(pk__in=voted.values("insight_id"))
        | took_part
    )


def hears_as_raiser(contact_id: int) -> Q:  # on an Insight
    """Cards the contact hears about because they raised them: their own words are the card,
    or were merged into it (not withdrawn, not internal), and they did not unsubscribe from
    that priority. A follow of one of these would change nothing, so it is refused
    (``subscriptions._follow``) and the portal says "you raised it" instead of offering it;
    after an unsubscribe from the priority, a follow is how they ask for it again."""
    from traction.insights.models import Insight, not_withdrawn
    from traction.loop.models import Unsubscribe, UnsubscribeScope

    mine = Q(speaker_contact_id=contact_id, internal=False) & not_withdrawn()
    merged = Insight.objects.filter(mine, merged_into__isnull=False).values("merged_into_id")
    stopped = Unsubscribe.objects.filter(
        contact_id=contact_id, scope=UnsubscribeScope.PRIORITY
    ).values("priority_id")
    return (mine | Q(pk__in=merged)) & ~Q(pk__in=stopped)


def theirs_to_read(contact_id: int) -> Q:  # on an Insight
    """Cards the contact may read: that they or a colleague raised (their organisation's
    words are in it; a card their note was merged into only when its own words are not
    another organisation's), that they voted on themselves (they saw the card on their
    ballot), or that they follow (a follow counts only on a card they could already see).
    A card only a colleague voted on is another customer's words: not theirs."""
    from traction.insights.models import Insight, InsightStatus
    from traction.loop.models import Follow

    me = contact_id
    follows = Follow.objects.filter(contact_id=me, ended_at__isnull=True).values("priority_id")
    merged_from_us = Insight.objects.filter(
        speaker_contact__customer__contacts__pk=me,
        internal=False,
        status=InsightStatus.MERGED,  # a withdrawn source is nobody's words
    ).values("merged_into_id")
    return (
        Q(speaker_contact_id=me)
        | Q(speaker_contact__customer__contacts__pk=me)
        | (Q(pk__in=merged_from_us) & not_another_customers_words(me))
        | Q(votes__contact_id=me, votes__dots__gt=0, votes__withdrawn_at__isnull=True)
        | (Q(pk__in=follows) & seen_by(me))
    )


def my_priorities(customer: CustomerPrincipal) -> Q:  # on an Insight
    """Cards with a published status that are theirs to read (``theirs_to_read``)."""
    from traction.insights.models import not_withdrawn
    from traction.loop.models import PriorityStatus

    if not customer.portal:
        return NOTHING
    published = PriorityStatus.objects.filter(published_at__isnull=False).values("priority_id")
    return (
        Q(pk__in=published, internal=False) & not_withdrawn() & theirs_to_read(customer.contact_id)
    )


RULES = [
    rule(
        "loop.mail",
        own=update_of_my_program,
        description="See how each message of a sent update fared (sent, failed, bounced, "
        "skipped) and retry or resend failed ones.",
        admin=ALL,
        facilitator=ALL,
        core_team=OWN,
        sponsor=OWN,
    ),
    rule(
        "loop.bounce",
        description="Report a bounced message (from the mail provider) so its contact is "
        "flagged unreachable.",
        admin=ALL,
        facilitator=ALL,
    ),
    rule(
        "loop.bounce_inbox",
        description="See the workspace's bounce URL for its mail provider and the bounces "
        "reported there; make or rotate the URL; set, replace or remove the key a provider "
        "must prove its posts with.",
        admin=ALL,
    ),
    rule(
        "loop.subscriptions",
        own=my_customers_contact,
        description="See what a contact hears and why; record an unsubscribe or a follow on "
        "their behalf; mark them unreachable or reachable again.",
        admin=ALL,
        facilitator=ALL,
        account_owner=OWN,
    ),
    rule(
        "loop.portal_update",
        customer=OWN,
        customer_own=my_messages,
        description="In the portal, a contact reads the updates sent to them.",
    ),
    rule(
        "loop.portal_respond",
        customer=OWN,
        customer_own=my_messages,
        description="In the portal (or from their email's links), a contact replies to an "
        'update sent to them and answers "did it work for you?".',
    ),
    rule(
        "loop.portal_priority",
        customer=OWN,
        customer_own=my_priorities,
        description="In the portal, a contact sees the published statuses of the priorities "
        "they or their organisation raised or voted on, or follow, and follows or unfollows "
        "them.",
    ),
]
