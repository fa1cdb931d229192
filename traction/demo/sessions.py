"""The demo's sessions, in every state: one held, one being prepared (with its practice
session), one just planned, one cancelled; with outreach, invitations, briefings and questions.
"""

from __future__ import annotations

from traction.sessions import services as sessions
from traction.sessions.models import SessionKind
from traction.sessions.rsvp import customer_principal

from .common import Demo, at_time, contact_of, owner_of


def add_sessions(demo: Demo) -> None:
    """Sessions in every state: one held, one being prepared (with its practice session),
    one just planned, one cancelled; outreach approved, with conditions, pending, declined,
    waived; invitations accepted, declined and unanswered; briefings; top questions."""
    felix, ana = demo.viewer("facilitator"), demo.viewer("admin")
    onboarding = demo.programs["onboarding"]
    berlin = "Europe/Berlin"

    # Being prepared: the main co-design session in ten days, rehearsed in three.
    codesign = sessions.plan_session(
        felix,
        program=onboarding,
        title="Co-design: the first invoice within a day",
        starts_at=at_time(demo.today, 10, 9),
        ends_at=at_time(demo.today, 10, 12, 30),
        time_zone=berlin,
        location="Northwind office, Torstraße 12, Berlin — room Hopper",
        video_link="https://meet.northwind.example/codesign-onboarding",
    )
    practice = sessions.plan_session(
        felix,
        program=onboarding,
        kind=SessionKind.PRACTICE,
        title="Practice for the onboarding co-design session",
        starts_at=at_time(demo.today, 3, 14),
        ends_at=at_time(demo.today, 3, 15, 30),
        time_zone=berlin,
        video_link="https://meet.northwind.example/practice",
    )
    sessions.link_practice(felix, session=codesign, practice=practice)
    roles = [
        ("facilitator", "facilitator"),
        ("facilitator2", "junior_facilitator"),
        ("product", "note_taker"),
        ("support", "note_taker"),
        ("sponsor", "executive"),
        ("observer", "observer"),
    ]
    for key, role in roles:
        sessions.add_participant(felix, session=codesign, user_id=demo.users[key].pk, role=role)
    for key in ("facilitator", "product", "sponsor"):
        participant = codesign.participants.get(user=demo.users[key])
        sessions.acknowledge_briefing(demo.viewer(key), participant=participant)

    requests = {}
    for customer, index in [
        ("Brightwater Logistics", 0),
        ("Cobalt Dental Group", 0),
        ("Helios Energy Cooperative", 0),
        ("Kestrel Freight Systems", 0),
        ("Meridian Health Partners", 0),
    ]:
        contact = contact_of(demo, customer, index)
        if not contact.consent_to_contact:
            continue
        requests[contact.name] = sessions.request_outreach(
            felix,
            session=codesign,
            contact=contact,
            message="Their onboarding took three weeks; we want to hear their ideal first week.",
        )
    decisions = list(requests.values())
    if len(decisions) >= 4:
        first, second, third, fourth = decisions[:4]
        sessions.decide_outreach(owner_of(demo, first), request=first, approve=True)
        sessions.decide_outreach(
            owner_of(demo, second),
            request=second,
            approve=True,
            conditions="Do not discuss pricing or the renewal; they are negotiating.",
        )
        sessions.decide_outreach(
            owner_of(demo, third),
            request=third,
            approve=False,
            reason="They are in a support escalation this month; ask again next quarter.",
        )
        sessions.waive_outreach(
            ana, request=fourth, reason="Account owner on leave; the customer asked to take part."
        )
        # Any further request stays pending, so the approvals page has something to do.
    invited = sessions.send_invitations(felix, session=codesign)
    answers = [True, False]  # the first accepts, the second declines, the rest do not answer
    for invitation, accept in zip(invited, answers, strict=False):
        sessions.respond_rsvp(
            customer_principal(invitation.pk, invitation.contact_id),
            accept=accept,
            note="Looking forward to it." if accept else "Travelling that week, sorry.",
        )
    for key, text in [
        ("product", "Which step of the first week would you remove if you could?"),
        ("support", "When did you last have to call us during onboarding, and why?"),
        ("finance", "What does 'paid on time' mean for your own finance team?"),
        ("sponsor", "What would make you recommend us to a peer after onboarding?"),
    ]:
        if key == "finance":
            sessions.add_participant(
                felix, session=codesign, user_id=demo.users[key].pk, role="observer"
            )
        question = sessions.submit_question(demo.viewer(key), session=codesign, text=text)
        sessions.upvote_question(felix, question=question)
    picked = list(codesign.questions.order_by("created_at").values_list("pk", flat=True)[:2])
    sessions.pick_questions(felix, session=codesign, question_ids=picked)

    # Just planned: a customer advisory board meeting next month, nothing prepared yet.
    sessions.plan_session(
        felix,
        program=onboarding,
        kind=SessionKind.CAB,
        title="Customer advisory board: spring meeting",
        starts_at=at_time(demo.today, 40, 16),
        ends_at=at_time(demo.today, 40, 18),
        time_zone="America/New_York",
        video_link="https://meet.northwind.example/cab",
    )
    # Cancelled: an interview the customer could not make.
    interview = sessions.plan_session(
        felix,
        program=onboarding,
        kind=SessionKind.INTERVIEW,
        title="Interview: onboarding at Meridian's billing team",
        starts_at=at_time(demo.today, 6, 11),
        ends_at=at_time(demo.today, 6, 12),
        time_zone="America/Chicago",
        video_link="https://meet.northwind.example/interview",
    )
    sessions.cancel_session(
        felix, session=interview, reason="The customer asked to move it to after go-live."
    )

    # Held: a first co-design session three weeks ago (planned ahead, then its time passed).
    held = sessions.plan_session(
        demo.viewer("facilitator2"),
        program=onboarding,
        title="Co-design: pilot with two customers",
        starts_at=at_time(demo.today, 1, 9),
        ends_at=at_time(demo.today, 1, 12, 30),
        time_zone=berlin,
        location="Northwind office, Berlin",
    )
    for key, role in [("facilitator2", "facilitator"), ("product", "note_taker")]:
        sessions.add_participant(felix, session=held, user_id=demo.users[key].pk, role=role)
    # Its two customers: the pilot studio and a mid-market logistics company.
    for customer, index in [("Juniper & Finch Architects", 0), ("Brightwater Logistics", 1)]:
        pilot = contact_of(demo, customer, index)
        if not pilot.consent_to_contact:
            continue
        request = sessions.request_outreach(felix, session=held, contact=pilot)
        if request.status == "pending":
            sessions.decide_outreach(owner_of(demo, request), request=request, approve=True)
        invitation = sessions.send_invitation(felix, request=request)
        sessions.respond_rsvp(customer_principal(invitation.pk, pilot.pk), accept=True)
    # (add_captures maps what they said, lets them vote, then moves the session into the past.)
    demo.sessions = {
        "codesign": codesign,
        "practice": practice,
        "held": held,
        "interview": interview,
    }
