"""Web views for planning and preparing sessions: parse, call one service or selector, render.

Every page asks the permission layer through a selector or service; buttons a viewer may not
use are hidden, but the services decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts import selectors as account_selectors
from traction.accounts.decorators import workspace_view
from traction.accounts.forms import apply_domain_errors
from traction.accounts.models import User
from traction.core import clock, permissions, sections
from traction.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from traction.core.permissions import Viewer, public
from traction.customers import selectors as customer_selectors
from traction.customers.models import Contact
from traction.programs import selectors as program_selectors

from . import rsvp as rsvp_tokens
from . import selectors, services
from .forms import (
    SESSION_FIELD_MAP,
    AgendaFormSet,
    CancelForm,
    DecideForm,
    OutreachForm,
    ParticipantForm,
    PracticeForm,
    QuestionForm,
    RsvpForm,
    SessionFilterForm,
    SessionForm,
    WaiveForm,
)
from .models import OutreachRequest, OutreachStatus, Session, SessionKind


def _slug(request: HttpRequest) -> str:
    return str(request.workspace_slug)  # type: ignore[attr-defined]


def _to_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    return redirect("sessions:detail", workspace_slug=_slug(request), session_id=session_id)


def _error_text(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return " ".join(m for messages_ in exc.errors.values() for m in messages_)
    if isinstance(exc, Conflict):
        return exc.message + " Reload the page and try again."
    return exc.message


def _agenda_summary(session: Session, items: list[Any]) -> dict[str, Any]:
    total = sum(i.minutes for i in items)
    length = session.length_minutes
    if total > length:
        warning = f"The agenda runs {total - length} minutes over the session."
    elif total < 0.9 * length:
        warning = f"{length - total} minutes of the session are not planned yet."
    else:
        warning = ""
    return {"total": total, "length": length, "warning": warning}


# --- sessions -------------------------------------------------------------------------------


@workspace_view
@require_GET
def session_list(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    form = SessionFilterForm(request.GET or None, programs=program_selectors.programs(viewer))
    filters = form.cleaned_data if form.is_valid() else {}
    program = filters.get("program")
    kind = filters.get("kind", "")
    upcoming = selectors.with_readiness_facts(
        selectors.sessions(
            viewer, program_id=program.pk if program else None, upcoming=True, kind=kind
        ).select_related("practice")
    )
    past = selectors.sessions(
        viewer, program_id=program.pk if program else None, upcoming=False, kind=kind
    ).order_by("-starts_at")
    return render(
        request,
        "sessions/session_list.html",
        {
            "form": form,
            "filtered": bool(program or kind),
            "upcoming": [(s, selectors.readiness(s)) for s in upcoming if not s.is_cancelled],
            "cancelled": [s for s in upcoming if s.is_cancelled],
            "past": list(past[:50]),
            "can_plan": permissions.allows(viewer, "session.plan"),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    permissions.check(viewer, "session.plan")
    initial: dict[str, Any] = {}
    if request.GET.get("program", "").isdigit():
        initial["program"] = int(request.GET["program"])
    if request.GET.get("kind") in SessionKind.values:
        initial["kind"] = request.GET["kind"]
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        programs=program_selectors.programs(viewer),
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = services.plan_session(viewer, **form.service_values())
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, SESSION_FIELD_MAP)
        else:
            messages.success(
                request,
                f"“{session.title}” was planned with the {session.get_kind_display().lower()} "
                "agenda. Next: request outreach to the customers you want in the room.",
            )
            return _to_detail(request, session.pk)
    return render(request, "sessions/session_form.html", {"form": form, "session": None})


@workspace_view
@require_GET
def session_detail(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id)
    agenda = selectors.agenda(session)
    can_plan = permissions.can(viewer, "session.plan", session) and not session.is_cancelled
    practice_form = None
    if can_plan and session.kind != SessionKind.PRACTICE:
        practice_form = PracticeForm(
            initial={"practice": session.practice_id},
            choices=selectors.sessions(
                viewer, program_id=session.program_id, kind=SessionKind.PRACTICE
            )
            .filter(starts_at__lt=session.starts_at)
            .exclude(pk=session.pk),
        )
    outreach = list(selectors.session_outreach(session).select_related("invitation"))
    for r in outreach:
        r.invited = hasattr(r, "invitation")  # type: ignore[attr-defined]
    mine = selectors.my_participation(viewer, session)
    return render(
        request,
        "sessions/session_detail.html",
        {
            "session": session,
            "agenda": agenda,
            "agenda_summary": _agenda_summary(session, agenda),
            "readiness": selectors.readiness(session),
            "outreach": outreach,
            "invitations": list(selectors.invitations(session)),
            "participants": list(selectors.participants(session)),
            "questions": list(selectors.questions(viewer, session).filter(picked=True)),
            "question_count": session.questions.count(),
            "mine": mine,
            "practice_form": practice_form,
            "ready_to_invite": len(
                [r for r in outreach if r.allows_invitation and not r.invited]  # type: ignore[attr-defined]
            ),
            "can_plan": can_plan,
            "can_request": permissions.allows(viewer, "outreach.request")
            and not session.is_cancelled
            and not session.has_ended,
            "can_invite": permissions.can(viewer, "invitation.send", session)
            and not session.is_cancelled,
            "can_manage_people": permissions.can(viewer, "participant.manage", session),
            "can_ask": permissions.can(viewer, "question.ask", session),
            "sections": sections.for_page("session", viewer, session),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="session.plan")
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        initial=SessionForm.initial_for(session),
    )
    if request.method == "POST" and form.is_valid():
        sequence = session.calendar_sequence
        try:
            updated = services.update_session(
                viewer,
                session=session,
                changes=form.service_values(),
                version=form.cleaned_data["version"],
            )
        except (ValidationFailed, Conflict) as exc:
            apply_domain_errors(form, exc, SESSION_FIELD_MAP)
        else:
            text = f"“{updated.title}” was saved."
            if updated.calendar_sequence != sequence and updated.invitations.exists():
                text += " Invitees will receive an updated calendar invitation."
            messages.success(request, text)
            return _to_detail(request, session.pk)
    return render(
        request,
        "sessions/session_form.html",
        {"form": form, "session": session, "invited": session.invitations.count()},
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def session_cancel(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="session.plan")
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_session(viewer, session=session, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                f"“{session.title}” was cancelled. Invitees receive a calendar cancellation.",
            )
            return _to_detail(request, session.pk)
    return render(
        request,
        "sessions/session_cancel.html",
        {"form": form, "session": session, "invited": session.invitations.count()},
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def agenda_edit(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="session.plan")
    initial = [
        {"title": i.title, "minutes": i.minutes, "notes": i.notes, "ORDER": i.position}
        for i in selectors.agenda(session)
    ]
    formset = AgendaFormSet(
        request.POST if request.method == "POST" else None, initial=initial, prefix="items"
    )
    errors: list[str] = []
    if request.method == "POST" and formset.is_valid():
        rows = [f for f in formset.ordered_forms if f.cleaned_data.get("title")]
        items = [
            {
                "title": f.cleaned_data["title"],
                "minutes": f.cleaned_data["minutes"],
                "notes": f.cleaned_data.get("notes", ""),
            }
            for f in rows
        ]
        try:
            services.set_agenda(viewer, session=session, items=items)
        except ValidationFailed as exc:
            for key, texts in exc.errors.items():
                parts = key.split(".")
                if len(parts) == 3 and parts[1].isdigit() and 0 < int(parts[1]) <= len(rows):
                    row = rows[int(parts[1]) - 1]
                    for text in texts:
                        row.add_error(parts[2] if parts[2] in row.fields else None, text)
                else:
                    errors.extend(texts)
        else:
            total = sum(i["minutes"] for i in items)
            messages.success(
                request,
                f"The agenda was saved: {total} of {session.length_minutes} minutes planned.",
            )
            return _to_detail(request, session.pk)
    return render(
        request,
        "sessions/agenda_form.html",
        {
            "formset": formset,
            "session": session,
            "length": session.length_minutes,
            "errors": errors,
        },
    )


@workspace_view
@require_POST
def practice_link(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="session.plan")
    form = PracticeForm(
        request.POST,
        choices=selectors.sessions(
            viewer, program_id=session.program_id, kind=SessionKind.PRACTICE
        ),
    )
    if not form.is_valid():
        messages.error(request, "Choose one of the program's practice sessions.")
        return _to_detail(request, session.pk)
    practice = form.cleaned_data["practice"]
    try:
        services.link_practice(viewer, session=session, practice=practice)
    except ValidationFailed as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            f"Practice session: “{practice.title}”." if practice else "No practice session now.",
        )
    return _to_detail(request, session.pk)


# --- gatekeeping ----------------------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def outreach_new(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id)
    permissions.check(viewer, "outreach.request")
    requested = dict(session.outreach_requests.values_list("contact_id", "status"))
    rows: list[ContactRow] = []
    for contact in customer_selectors.contacts(viewer).select_related("customer__account_owner"):
        owner = contact.customer.account_owner
        reasons = []
        if contact.pk in requested:
            reasons.append(
                f"Already requested ({OutreachStatus(requested[contact.pk]).label.lower()})"
            )
        else:
            if not contact.consent_to_contact:
                reasons.append("Has not agreed to be contacted")
            if owner is None:
                reasons.append(f"{contact.customer.name} has no account owner to approve")
        rows.append(ContactRow(contact, owner, "; ".join(reasons)))
    form = OutreachForm(
        request.POST if request.method == "POST" else None,
        contact_ids=[r.contact.pk for r in rows if not r.blocked],
    )
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["contacts"])
        done, failed = [], 0
        for row in rows:
            if row.contact.pk not in chosen:
                continue
            try:
                made = services.request_outreach(
                    viewer,
                    session=session,
                    contact=row.contact,
                    message=form.cleaned_data["message"],
                )
            except DomainError as exc:
                row.error = _error_text(exc)
                failed += 1
            else:
                done.append(made)
        if done:
            approved = [r for r in done if r.status == OutreachStatus.APPROVED]
            text = f"Outreach requested for {len(done)} contact{'s' if len(done) != 1 else ''}."
            if approved:
                text += f" {len(approved)} approved at once (you own the account)."
            if len(done) > len(approved):
                text += " The account owners were asked to approve."
            messages.success(request, text)
        if not failed:
            return _to_detail(request, session.pk)
        form.add_error(None, "Some contacts could not be requested; see the reasons beside them.")
    return render(
        request,
        "sessions/outreach_form.html",
        {"form": form, "session": session, "rows": rows, "selected": _selected(form)},
    )


@dataclass
class ContactRow:
    contact: Contact
    owner: User | None
    blocked: str  # why the contact cannot be chosen, if so
    error: str = ""  # why requesting outreach for them failed


def _selected(form: OutreachForm) -> set[int]:
    if not form.is_bound:
        return set()
    return {int(v) for v in form.data.getlist("contacts") if str(v).isdigit()}  # type: ignore[attr-defined]


def _outreach_page(
    request: HttpRequest,
    viewer: Viewer,
    outreach: OutreachRequest,
    decide_form: DecideForm | None = None,
    waive_form: WaiveForm | None = None,
) -> HttpResponse:
    session = outreach.session
    pending = outreach.status == OutreachStatus.PENDING
    others = selectors.session_outreach(session).exclude(pk=outreach.pk)
    agenda = selectors.agenda(session)
    invited = session.invitations.filter(outreach=outreach).exists()
    return render(
        request,
        "sessions/outreach_detail.html",
        {
            "outreach": outreach,
            "session": session,
            "agenda": agenda,
            "agenda_summary": _agenda_summary(session, agenda),
            "others": list(others),
            "invited": invited,
            "decide_form": decide_form or DecideForm(),
            "waive_form": waive_form or WaiveForm(),
            "can_decide": pending and permissions.can(viewer, "outreach.decide", outreach),
            "can_waive": pending and permissions.can(viewer, "outreach.waive", outreach),
            "can_invite": outreach.allows_invitation
            and not invited
            and not session.is_cancelled
            and permissions.can(viewer, "invitation.send", outreach),
            "can_see_session": permissions.can(viewer, "session.view", session),
        },
    )


@workspace_view
@require_GET
def outreach_detail(request: HttpRequest, viewer: Viewer, request_id: int) -> HttpResponse:
    return _outreach_page(request, viewer, selectors.outreach_request(viewer, request_id))


@workspace_view
@require_POST
def outreach_decide(request: HttpRequest, viewer: Viewer, request_id: int) -> HttpResponse:
    outreach = selectors.outreach_request(viewer, request_id, action="outreach.decide")
    form = DecideForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide_outreach(
                viewer,
                request=outreach,
                approve=approve,
                conditions=form.cleaned_data["conditions"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            name = outreach.contact.name
            if approve:
                extra = " with your conditions" if form.cleaned_data["conditions"].strip() else ""
                text = f"You approved inviting {name}{extra}. The facilitator was told."
            else:
                text = f"You declined inviting {name}. The facilitator was told why."
            messages.success(request, text)
            return redirect("sessions:approvals", workspace_slug=_slug(request))
    return _outreach_page(request, viewer, outreach, decide_form=form)


@workspace_view
@require_POST
def outreach_waive(request: HttpRequest, viewer: Viewer, request_id: int) -> HttpResponse:
    outreach = selectors.outreach_request(viewer, request_id, action="outreach.waive")
    form = WaiveForm(request.POST)
    if form.is_valid():
        try:
            services.waive_outreach(viewer, request=outreach, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                f"Approval waived for {outreach.contact.name}; the account owner was told.",
            )
            return redirect(
                "sessions:outreach_detail", workspace_slug=_slug(request), request_id=outreach.pk
            )
    return _outreach_page(request, viewer, outreach, waive_form=form)


@workspace_view
@require_GET
def approvals(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    mine = list(selectors.outreach_requests(viewer, mine=True).order_by("created_at"))
    waivable: list[OutreachRequest] = []
    if permissions.allows(viewer, "outreach.waive"):
        waivable = list(
            selectors.outreach_requests(viewer, status=OutreachStatus.PENDING)
            .exclude(account_owner_id=viewer.user_id)
            .order_by("created_at")
        )
    return render(
        request,
        "sessions/approvals.html",
        {
            "pending": [r for r in mine if r.status == OutreachStatus.PENDING],
            "decided": sorted(
                (r for r in mine if r.status != OutreachStatus.PENDING),
                key=lambda r: r.decided_at or r.created_at,
                reverse=True,
            ),
            "waivable": waivable,
        },
    )


# --- invitations ----------------------------------------------------------------------------


@workspace_view
@require_POST
def invitation_send(request: HttpRequest, viewer: Viewer, request_id: int) -> HttpResponse:
    outreach = selectors.outreach_request(viewer, request_id, action="invitation.send")
    try:
        services.send_invitation(viewer, request=outreach)
    except DomainError as exc:  # OutreachRequired, ValidationFailed
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, f"{outreach.contact.name} was invited; the email has a calendar file."
        )
    return _to_detail(request, outreach.session_id)


@workspace_view
@require_POST
def invitations_send_all(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="invitation.send")
    try:
        sent = services.send_invitations(viewer, session=session)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        if sent:
            names = ", ".join(i.contact.name for i in sent)
            messages.success(request, f"Invited: {names}.")
        else:
            messages.info(request, "Nobody to invite: no approved contact is waiting.")
    return _to_detail(request, session.pk)


# --- participants and briefings ----------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def participants(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="participant.manage")
    form = ParticipantForm(
        request.POST if request.method == "POST" else None,
        members=account_selectors.member_users(viewer),
    )
    if request.method == "POST" and form.is_valid():
        user = form.cleaned_data["user"]
        try:
            participant = services.add_participant(
                viewer, session=session, user_id=user.pk, role=form.cleaned_data["role"]
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {"user_id": "user"})
        else:
            messages.success(
                request,
                f"{user} is {participant.get_role_display().lower()} and was asked to read "
                "their briefing.",
            )
            return redirect(
                "sessions:participants", workspace_slug=_slug(request), session_id=session.pk
            )
    return render(
        request,
        "sessions/participants.html",
        {
            "form": form,
            "session": session,
            "participants": list(selectors.participants(session)),
            "practice_held": session.practice is not None
            and session.practice.starts_at <= clock.now(),
        },
    )


@workspace_view
@require_POST
def participant_remove(
    request: HttpRequest, viewer: Viewer, session_id: int, participant_id: int
) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="participant.manage")
    participant = selectors.participant(viewer, participant_id, session_id=session.pk)
    services.remove_participant(viewer, participant=participant)
    messages.success(request, f"{participant.user} no longer takes part in “{session.title}”.")
    return redirect("sessions:participants", workspace_slug=_slug(request), session_id=session.pk)


@workspace_view
@require_POST
def practice_attendance(
    request: HttpRequest, viewer: Viewer, session_id: int, participant_id: int
) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="practice.record")
    participant = selectors.participant(viewer, participant_id, session_id=session.pk)
    attended = request.POST.get("attended") == "yes"
    try:
        services.record_practice_attendance(viewer, participant=participant, attended=attended)
    except ValidationFailed as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            f"{participant.user} {'attended' if attended else 'did not attend'} the practice "
            "session.",
        )
    return redirect("sessions:participants", workspace_slug=_slug(request), session_id=session.pk)


@workspace_view
@require_GET
def briefing(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id)
    raw = request.GET.get("participant", "")
    participant_id = int(raw) if raw.isdigit() else None
    if (
        participant_id is None
        and selectors.my_participation(viewer, session) is None
        and permissions.can(viewer, "participant.manage", session)
    ):
        messages.info(
            request, "You do not take part in this session; open a participant's briefing."
        )
        return redirect(
            "sessions:participants", workspace_slug=_slug(request), session_id=session.pk
        )
    packet = selectors.briefing(viewer, session, participant_id)
    agenda = packet.agenda
    return render(
        request,
        "sessions/briefing.html",
        {
            "b": packet,
            "session": session,
            "agenda_summary": _agenda_summary(session, agenda),
            "own": packet.participant.user_id == viewer.user_id,
            "conditions": [c for c in packet.customers if c.conditions],
        },
    )


@workspace_view
@require_POST
def briefing_ack(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id)
    participant = selectors.my_participation(viewer, session)
    if participant is None:
        raise NotFound("You are not a participant of this session, so there is no briefing.")
    services.acknowledge_briefing(viewer, participant=participant)
    messages.success(request, "Thank you: your briefing is acknowledged.")
    return redirect("sessions:briefing", workspace_slug=_slug(request), session_id=session.pk)


# --- top questions ------------------------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def questions(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id)
    form = QuestionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_question(viewer, session=session, text=form.cleaned_data["text"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Your question was added. Others can now upvote it.")
            return redirect(
                "sessions:questions", workspace_slug=_slug(request), session_id=session.pk
            )
    return render(
        request,
        "sessions/questions.html",
        {
            "form": form,
            "session": session,
            "questions": list(selectors.questions(viewer, session)),
            "can_ask": permissions.can(viewer, "question.ask", session),
            "can_pick": permissions.can(viewer, "question.pick", session),
        },
    )


@workspace_view
@require_POST
def question_vote(request: HttpRequest, viewer: Viewer, question_id: int) -> HttpResponse:
    question = selectors.question(viewer, question_id)
    up = request.POST.get("up") != "0"
    services.vote_question(viewer, question=question, up=up)
    return redirect(
        "sessions:questions", workspace_slug=_slug(request), session_id=question.session_id
    )


@workspace_view
@require_POST
def questions_pick(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="question.pick")
    picked = [int(v) for v in request.POST.getlist("pick") if v.isdigit()]

    def order(qid: int) -> tuple[int, int]:
        raw = request.POST.get(f"order_{qid}", "")
        return (int(raw) if raw.strip().isdigit() else 10_000, picked.index(qid))

    try:
        chosen = services.pick_questions(
            viewer, session=session, question_ids=sorted(picked, key=order)
        )
    except ValidationFailed as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            f"{len(chosen)} question{'s' if len(chosen) != 1 else ''} picked for the end of "
            "the session.",
        )
    return redirect("sessions:questions", workspace_slug=_slug(request), session_id=session.pk)


# --- the customer's RSVP ------------------------------------------------------------------------


def _invalid_link(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return render(request, "sessions/rsvp_invalid.html", {"message": exc.message}, status=404)


@public("A customer contact answers their invitation through a signed personal link.")
@require_http_methods(["GET", "POST"])
def rsvp(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation_id, contact_id = rsvp_tokens.read_token(token)
        invitation = selectors.invitation_for_rsvp(invitation_id, contact_id)
    except NotFound as exc:
        return _invalid_link(request, exc)
    form = RsvpForm(request.POST if request.method == "POST" else None)
    answered = None
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.respond_rsvp(
                invitation_id=invitation_id,
                contact_id=contact_id,
                accept=form.cleaned_data["answer"] == "accept",
                note=form.cleaned_data["note"],
            )
        except NotFound as exc:
            return _invalid_link(request, exc)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            answered = invitation.get_rsvp_display()
    return render(
        request,
        "sessions/rsvp.html",
        {
            "form": form,
            "invitation": invitation,
            "session": invitation.session,
            "answered": answered,
        },
    )
