"""API operations for sessions and their preparation: parse, call one selector or service, shape.

Objects named in a body (a program, a contact, a practice session) are fetched with the
viewer's permissions like those in a path; one that is missing or hidden answers 422 naming
the field, not 404, since the path itself was found.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from traction.core.api import ErrorOut, Pagination, responses, viewer
from traction.core.errors import DomainError, NotFound, ValidationFailed
from traction.customers import selectors as customer_selectors
from traction.programs import selectors as program_selectors

from . import selectors, services
from .models import Invitation, OutreachRequest, Participant, Session, TopQuestion
from .schemas import (
    AgendaIn,
    AttendanceIn,
    BriefingFilters,
    BriefingOut,
    CancelIn,
    HeldIn,
    OutreachBatchDecisionIn,
    OutreachBatchIn,
    OutreachBatchOut,
    OutreachDecisionIn,
    OutreachFilters,
    OutreachRequestIn,
    OutreachRequestOut,
    ParticipantIn,
    ParticipantOut,
    PickIn,
    PlannedSessionOut,
    PracticeIn,
    QuestionIn,
    QuestionOut,
    SessionCreateIn,
    SessionDetailOut,
    SessionFilters,
    SessionInvitationOut,
    SessionOut,
    SessionUpdateIn,
    UpvoteIn,
    UpvoteOut,
    WaiverIn,
    WithdrawalIn,
)

router = Router(tags=["sessions"])

T = TypeVar("T")

# Refused because a rule of the gatekeeping says no (e.g. no approval yet): 409.
NOT_ALLOWED_YET = {409: ErrorOut}


def _named(field: str, fetch: Callable[[], T]) -> T:
    """An object named by a body field: NotFound becomes a 422 on that field."""
    try:
        return fetch()
    except NotFound as exc:
        raise ValidationFailed.field(field, exc.message) from None


# --- sessions -------------------------------------------------------------------------------


@router.get(
    "/sessions",
    response=responses({200: list[SessionOut]}),
    operation_id="list_sessions",
    summary="List sessions",
)
@paginate(Pagination)
def list_sessions(request: HttpRequest, filters: Query[SessionFilters]) -> QuerySet[Session]:
    """The sessions you may see, earliest first."""
    return selectors.sessions(viewer(request), **filters.model_dump())


@router.post(
    "/sessions",
    response=responses({201: PlannedSessionOut}, body=True),
    operation_id="plan_session",
    summary="Plan a session",
)
def plan_session(request: HttpRequest, payload: SessionCreateIn) -> Status[Session]:
    """Times without an offset are wall-clock times in `time_zone` (DST-safe). The agenda
    starts from the kind's template unless `use_template` is false. A session whose end is
    already past is saved (recorded as held in the past) and `warnings` says so."""
    v = viewer(request)
    fields = payload.model_dump()
    program_id = fields.pop("program_id")
    program = _named("program_id", lambda: program_selectors.program(v, program_id))
    return Status(201, services.plan_session(v, program=program, **fields))


@router.get(
    "/sessions/{session_id}",
    response=responses({200: SessionDetailOut}, object_path=True),
    operation_id="get_session",
    summary="Get a session with its agenda and readiness",
)
def get_session(request: HttpRequest, session_id: int) -> Session:
    return selectors.session(viewer(request), session_id)


@router.patch(
    "/sessions/{session_id}",
    response=responses({200: SessionDetailOut}, body=True, object_path=True, versioned=True),
    operation_id="update_session",
    summary="Change some of a session's fields",
)
def update_session(request: HttpRequest, session_id: int, payload: SessionUpdateIn) -> Session:
    v = viewer(request)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    session = selectors.session(v, session_id, action="session.plan")
    return services.update_session(v, session=session, changes=changes, version=version)


@router.post(
    "/sessions/{session_id}/cancel",
    response=responses({200: SessionDetailOut}, body=True, object_path=True),
    operation_id="cancel_session",
    summary="Cancel a session (invitees get a calendar cancellation)",
)
def cancel_session(request: HttpRequest, session_id: int, payload: CancelIn) -> Session:
    v = viewer(request)
    session = selectors.session(v, session_id, action="session.plan")
    return services.cancel_session(v, session=session, reason=payload.reason)


@router.post(
    "/sessions/{session_id}/held",
    response=responses({200: SessionDetailOut}, body=True, object_path=True, versioned=True),
    operation_id="mark_session_held",
    summary="Mark a session held with its actual end (or correct that end)",
)
def mark_session_held(request: HttpRequest, session_id: int, payload: HeldIn) -> Session:
    """Once it has started, the facilitator confirms it took place and when it actually
    ended (the planned end unless given; never in the future nor before the start). The
    debrief's clock runs from that end."""
    v = viewer(request)
    values = payload.model_dump(exclude_unset=True)
    session = selectors.session(v, session_id, action="session.plan")
    return services.mark_session_held(
        v, session=session, actual_end=values.get("actual_end"), version=values.get("version")
    )


@router.put(
    "/sessions/{session_id}/agenda",
    response=responses({200: SessionDetailOut}, body=True, object_path=True),
    operation_id="set_agenda",
    summary="Replace a session's agenda",
)
def set_agenda(request: HttpRequest, session_id: int, payload: AgendaIn) -> Session:
    v = viewer(request)
    session = selectors.session(v, session_id, action="session.plan")
    try:
        services.set_agenda(v, session=session, items=payload.model_dump()["items"])
    except ValidationFailed as exc:
        raise ValidationFailed(_agenda_errors(exc.errors)) from None
    return session


def _agenda_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The service counts agenda items from 1, for people (``items.1.title``: "Item 1 needs
    a title"); the body's list, and a schema error's ``loc``, count from 0."""

    def name(key: str) -> str:
        head, _, rest = key.partition(".")
        number, dot, field = rest.partition(".")
        if head != "items" or not number.isdigit():
            return key
        return f"items.{int(number) - 1}{dot}{field}"

    return {name(k): v for k, v in errors.items()}


@router.put(
    "/sessions/{session_id}/practice",
    response=responses({200: SessionDetailOut}, body=True, object_path=True),
    operation_id="link_practice",
    summary="Name the practice session that rehearses a session",
)
def link_practice(request: HttpRequest, session_id: int, payload: PracticeIn) -> Session:
    v = viewer(request)
    session = selectors.session(v, session_id, action="session.plan")
    practice_id = payload.practice_id
    practice = (
        None
        if practice_id is None
        else _named("practice_id", lambda: selectors.session(v, practice_id))
    )
    try:
        return services.link_practice(v, session=session, practice=practice)
    except ValidationFailed as exc:
        # The service names the practice session "practice"; the body calls it practice_id.
        errors = {("practice_id" if k == "practice" else k): m for k, m in exc.errors.items()}
        raise ValidationFailed(errors) from None


# --- outreach -------------------------------------------------------------------------------


@router.get(
    "/outreach-requests",
    response=responses({200: list[OutreachRequestOut]}),
    operation_id="list_outreach_requests",
    summary="List outreach requests",
)
@paginate(Pagination)
def list_outreach_requests(
    request: HttpRequest, filters: Query[OutreachFilters]
) -> QuerySet[OutreachRequest]:
    """Requests you may see (account owners: those to decide; others: those they filed),
    newest first. `mine=true`: only those waiting for your decision."""
    return selectors.outreach_requests(viewer(request), **filters.model_dump())


@router.post(
    "/sessions/{session_id}/outreach-requests",
    response=responses({201: OutreachRequestOut, 409: ErrorOut}, body=True, object_path=True),
    operation_id="request_outreach",
    summary="Ask a contact's account owner for permission to invite them",
)
def request_outreach(
    request: HttpRequest, session_id: int, payload: OutreachRequestIn
) -> Status[OutreachRequest]:
    """The account owner gets an email and a notice. A request by the account owner
    themself is approved at once."""
    v = viewer(request)
    session = selectors.session(v, session_id)
    contact = _named("contact_id", lambda: customer_selectors.contact(v, payload.contact_id))
    return Status(
        201,
        services.request_outreach(v, session=session, contact=contact, message=payload.message),
    )


@router.post(
    "/sessions/{session_id}/outreach-requests/batch",
    response=responses({200: OutreachBatchOut}, body=True, object_path=True),
    operation_id="request_outreach_batch",
    summary="Ask for several contacts at once: one email per account owner",
)
def request_outreach_batch(
    request: HttpRequest, session_id: int, payload: OutreachBatchIn
) -> dict[str, Any]:
    """Each contact is its own request, but the requests made share one `batch`: each
    account owner gets ONE email and ONE notice listing all their contacts of it. A contact
    that cannot be requested (no consent, no account owner, already requested, hidden from
    you) is refused on its own, with why, and does not hold back the others."""
    v = viewer(request)
    session = selectors.session(v, session_id)
    ids = list(dict.fromkeys(payload.contact_ids))
    found = {c.pk: c for c in customer_selectors.contacts(v, archived=None).filter(pk__in=ids)}
    made, refused = services.request_outreach_for_contacts(
        v, session=session, contacts=[found[i] for i in ids if i in found], message=payload.message
    )
    reasons = [
        {"contact_id": i, "detail": NotFound("Contact not found.").message}
        if i not in found
        else {"contact_id": i, "detail": _refusal_text(refused[i])}
        for i in ids
        if i not in found or i in refused
    ]
    return {"requested": made, "refused": reasons}


def _refusal_text(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return " ".join(m for messages in exc.errors.values() for m in messages)
    return exc.message


@router.post(
    "/outreach-requests/decisions",
    response=responses({200: list[OutreachRequestOut], 404: ErrorOut}, body=True),
    operation_id="decide_outreach_batch",
    summary="Decide several outreach requests at once, all or nothing (their account owner)",
)
def decide_outreach_batch(
    request: HttpRequest, payload: OutreachBatchDecisionIn
) -> list[OutreachRequest]:
    """E.g. approve every contact of one ask. Nothing is decided unless every decision can
    be: a request decided meanwhile, or a decline without a reason, refuses the whole batch
    (422, naming `decisions.<i>` or `decisions.<i>.reason`). A request you may see but not
    decide answers 403, one you may not see 404. Each decision is audited on its request."""
    v = viewer(request)
    found = {
        r.pk: r for r in selectors.requests_to_decide(v, [d.request_id for d in payload.decisions])
    }
    return services.decide_outreach_requests(
        v,
        decisions=[
            services.OutreachDecision(
                found[d.request_id], d.approve, conditions=d.conditions, reason=d.reason
            )
            for d in payload.decisions
        ],
    )


@router.get(
    "/outreach-requests/{request_id}",
    response=responses({200: OutreachRequestOut}, object_path=True),
    operation_id="get_outreach_request",
    summary="Get an outreach request",
)
def get_outreach_request(request: HttpRequest, request_id: int) -> OutreachRequest:
    return selectors.outreach_request(viewer(request), request_id)


@router.post(
    "/outreach-requests/{request_id}/decision",
    response=responses({200: OutreachRequestOut}, body=True, object_path=True),
    operation_id="decide_outreach",
    summary="Approve (with conditions) or decline an outreach request (its account owner)",
)
def decide_outreach(
    request: HttpRequest, request_id: int, payload: OutreachDecisionIn
) -> OutreachRequest:
    """Declining needs a reason. Conditions travel into the participants' briefings."""
    v = viewer(request)
    found = selectors.outreach_request(v, request_id)
    return services.decide_outreach(v, request=found, **payload.model_dump())


@router.post(
    "/outreach-requests/{request_id}/waiver",
    response=responses({200: OutreachRequestOut}, body=True, object_path=True),
    operation_id="waive_outreach",
    summary="Waive the account owner's approval, with a reason (admins)",
)
def waive_outreach(request: HttpRequest, request_id: int, payload: WaiverIn) -> OutreachRequest:
    v = viewer(request)
    found = selectors.outreach_request(v, request_id)
    return services.waive_outreach(v, request=found, reason=payload.reason)


@router.post(
    "/outreach-requests/{request_id}/withdrawal",
    response=responses({200: OutreachRequestOut}, body=True, object_path=True),
    operation_id="withdraw_approval",
    summary="Withdraw an approval, with a reason (the account owner)",
)
def withdraw_approval(
    request: HttpRequest, request_id: int, payload: WithdrawalIn
) -> OutreachRequest:
    """The request becomes declined; a contact already invited is declined for the session."""
    v = viewer(request)
    found = selectors.outreach_request(v, request_id)
    return services.withdraw_approval(v, request=found, reason=payload.reason)


# --- invitations ----------------------------------------------------------------------------


@router.get(
    "/sessions/{session_id}/invitations",
    response=responses({200: list[SessionInvitationOut]}, object_path=True),
    operation_id="list_session_invitations",
    summary="List a session's customer invitations and their answers",
)
@paginate(Pagination)
def list_session_invitations(request: HttpRequest, session_id: int) -> QuerySet[Invitation]:
    v = viewer(request)
    return selectors.invitations(selectors.session(v, session_id), v)


@router.post(
    "/outreach-requests/{request_id}/invitation",
    response=responses({201: SessionInvitationOut, **NOT_ALLOWED_YET}, object_path=True),
    operation_id="send_invitation",
    summary="Invite the contact of an approved outreach request (email with .ics)",
)
def send_invitation(request: HttpRequest, request_id: int) -> Status[Invitation]:
    """409 unless the account owner approved (or an admin waived) the request."""
    v = viewer(request)
    found = selectors.outreach_request(v, request_id)
    return Status(201, services.send_invitation(v, request=found))


@router.post(
    "/outreach-requests/{request_id}/invitation/resend",
    response=responses({200: SessionInvitationOut}, object_path=True),
    operation_id="resend_invitation",
    summary="Send an invitation's email again (e.g. after it was not delivered)",
)
def resend_invitation(request: HttpRequest, request_id: int) -> Invitation:
    """The invitation's ``delivery`` is "queued" until the mail server takes the email."""
    v = viewer(request)
    found = selectors.outreach_request(v, request_id)
    return services.resend_invitation(v, invitation=selectors.invitation_of(found))


@router.post(
    "/sessions/{session_id}/invitations",
    response=responses({200: list[SessionInvitationOut]}, object_path=True),
    operation_id="send_invitations",
    summary="Invite every approved contact not invited yet",
)
def send_invitations(request: HttpRequest, session_id: int) -> list[Invitation]:
    """Returns the invitations sent now (none when nobody is waiting)."""
    v = viewer(request)
    session = selectors.session(v, session_id)
    return services.send_invitations(v, session=session)


# --- participants and briefings ----------------------------------------------------------------


@router.get(
    "/sessions/{session_id}/participants",
    response=responses({200: list[ParticipantOut]}, object_path=True),
    operation_id="list_participants",
    summary="List a session's internal participants",
)
@paginate(Pagination)
def list_participants(request: HttpRequest, session_id: int) -> QuerySet[Participant]:
    return selectors.participants(selectors.session(viewer(request), session_id))


@router.post(
    "/sessions/{session_id}/participants",
    response=responses({201: ParticipantOut}, body=True, object_path=True),
    operation_id="add_participant",
    summary="Give a member a role in a session (or change their role)",
)
def add_participant(
    request: HttpRequest, session_id: int, payload: ParticipantIn
) -> Status[Participant]:
    v = viewer(request)
    session = selectors.session(v, session_id)
    return Status(201, services.add_participant(v, session=session, **payload.model_dump()))


@router.delete(
    "/participants/{participant_id}",
    response=responses({204: None}, object_path=True),
    operation_id="remove_participant",
    summary="Take a participant out of a session",
)
def remove_participant(request: HttpRequest, participant_id: int) -> Status[None]:
    v = viewer(request)
    participant = selectors.participant(v, participant_id)
    services.remove_participant(v, participant=participant)
    return Status(204, None)


@router.put(
    "/participants/{participant_id}/practice-attendance",
    response=responses({200: ParticipantOut}, body=True, object_path=True),
    operation_id="record_practice_attendance",
    summary="Record whether a participant attended the practice session",
)
def record_practice_attendance(
    request: HttpRequest, participant_id: int, payload: AttendanceIn
) -> Participant:
    v = viewer(request)
    participant = selectors.participant(v, participant_id)
    return services.record_practice_attendance(
        v, participant=participant, attended=payload.attended
    )


@router.get(
    "/sessions/{session_id}/briefing",
    response=responses({200: BriefingOut}, object_path=True),
    operation_id="get_briefing",
    summary="Read a briefing packet (yours, or a participant's for facilitators)",
)
def get_briefing(
    request: HttpRequest, session_id: int, filters: Query[BriefingFilters]
) -> selectors.Briefing:
    """Agenda, rules of participation, your role's duty, the customers in the room with
    their account owners' conditions, and the practice session."""
    v = viewer(request)
    session = selectors.session(v, session_id)
    return selectors.briefing(v, session, participant_id=filters.participant_id)


@router.post(
    "/sessions/{session_id}/briefing/acknowledgement",
    response=responses({200: ParticipantOut}, object_path=True),
    operation_id="acknowledge_briefing",
    summary="Acknowledge your briefing",
)
def acknowledge_briefing(request: HttpRequest, session_id: int) -> Participant:
    v = viewer(request)
    participant = selectors.own_participant(v, selectors.session(v, session_id))
    return services.acknowledge_briefing(v, participant=participant)


# --- top questions ----------------------------------------------------------------------------


@router.get(
    "/sessions/{session_id}/questions",
    response=responses({200: list[QuestionOut]}, object_path=True),
    operation_id="list_questions",
    summary="List a session's top questions: picked in order, then by votes",
)
@paginate(Pagination)
def list_questions(request: HttpRequest, session_id: int) -> QuerySet[TopQuestion]:
    v = viewer(request)
    return selectors.questions(v, selectors.session(v, session_id))


@router.post(
    "/sessions/{session_id}/questions",
    response=responses({201: QuestionOut}, body=True, object_path=True),
    operation_id="submit_question",
    summary="Submit a question to ask the customers at the end",
)
def submit_question(
    request: HttpRequest, session_id: int, payload: QuestionIn
) -> Status[TopQuestion]:
    v = viewer(request)
    session = selectors.session(v, session_id)
    return Status(201, services.submit_question(v, session=session, text=payload.text))


@router.put(
    "/questions/{question_id}/vote",
    response=responses({200: UpvoteOut}, body=True, object_path=True),
    operation_id="vote_question",
    summary="Upvote a question, or take the upvote back",
)
def upvote_question(request: HttpRequest, question_id: int, payload: UpvoteIn) -> dict[str, Any]:
    v = viewer(request)
    question = selectors.question(v, question_id)
    count = services.upvote_question(v, question=question, up=payload.up)
    return {"question_id": question.pk, "vote_count": count, "voted": payload.up}


@router.put(
    "/sessions/{session_id}/questions/picked",
    response=responses({200: list[QuestionOut]}, body=True, object_path=True),
    operation_id="pick_questions",
    summary="Pick the questions asked, in order",
)
def pick_questions(request: HttpRequest, session_id: int, payload: PickIn) -> list[TopQuestion]:
    """Returns the picked questions in their order; the others are no longer picked."""
    v = viewer(request)
    session = selectors.session(v, session_id)
    return services.pick_questions(v, session=session, question_ids=payload.question_ids)
