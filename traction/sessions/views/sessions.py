"""Web pages: the sessions themselves (the list, planning, the session's page, editing,
cancelling, the agenda and the link to a practice session)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts import selectors as accounts_selectors
from traction.core import clock, permissions, sections
from traction.core.errors import Conflict, ValidationFailed
from traction.core.guard import whole_number
from traction.core.offering import found_again
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, apply_domain_errors, query_without, workspace_view
from traction.customers import reach
from traction.programs import selectors as program_selectors
from traction.sessions import agenda as agenda_rules
from traction.sessions import records, selectors, services
from traction.sessions.forms import (
    HELD_FIELD_MAP,
    SESSION_FIELD_MAP,
    AgendaFormSet,
    CancelForm,
    HeldForm,
    PracticeForm,
    SessionFilterForm,
    SessionForm,
)
from traction.sessions.models import Session, SessionKind, SessionStatus

from .common import S, agenda_summary, error_line, to_detail

LIST_PAGE = 25  # sessions a page of the list, upcoming and past alike
PRACTICE_PAGE = 20  # practice sessions the picker offers at a time, the nearest before first
CANCELLED_PAGE = 10  # upcoming sessions that were cancelled, a page of their short list


@workspace_view
@require_GET
def session_list(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """Upcoming, cancelled and past sessions, each a page at a time (``page``, ``cancelled``
    and ``past``): the page costs the same queries however many sessions there are."""
    chosen = whole_number(request.GET.get("program"))
    find = program_selectors.offered_programs(
        viewer, typed=request.GET.get("program_q", ""), chosen=chosen
    )
    form = SessionFilterForm(
        request.GET or None, programs=program_selectors.programs(viewer), shown=find.rows
    )
    filters = form.cleaned_data if form.is_valid() else {}
    program = filters.get("program")
    kind = filters.get("kind", "")
    program_id = program.pk if program else None
    upcoming = selectors.sessions(viewer, program_id=program_id, upcoming=True, kind=kind)
    cancelled = Paginator(upcoming.filter(status=SessionStatus.CANCELLED), CANCELLED_PAGE)
    page = Paginator(
        selectors.with_readiness_facts(
            upcoming.exclude(status=SessionStatus.CANCELLED)
            .select_related("practice")
            .prefetch_related("agenda")
        ),
        LIST_PAGE,
    ).get_page(request.GET.get("page"))
    past = Paginator(
        selectors.sessions(viewer, program_id=program_id, upcoming=False, kind=kind).order_by(
            "-starts_at", "-id"
        ),
        LIST_PAGE,
    ).get_page(request.GET.get("past"))
    return render(
        request,
        "sessions/session_list.html",
        {
            "form": form,
            "find": find,
            "filtered": bool(program or kind),
            "page": page,
            "upcoming": [(s, selectors.readiness(s, viewer)) for s in page.object_list],
            "cancelled": cancelled.get_page(request.GET.get("cancelled")),
            "cancelled_query": query_without(request, "cancelled"),
            "past": past,
            "query": query_without(request, "page"),
            "past_query": query_without(request, "past"),
            "can_plan": permissions.allows(viewer, "session.plan"),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def session_create(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    permissions.check(viewer, "session.plan")
    initial: dict[str, Any] = {}
    if (program_id := whole_number(request.GET.get("program"))) is not None:
        initial["program"] = program_id
    if request.GET.get("kind") in SessionKind.values:
        initial["kind"] = request.GET["kind"]
    initial |= _found_again(request)
    sent = request.POST if request.method == "POST" else request.GET
    posted = request.method == "POST"
    chosen = whole_number(sent.get("program")) if posted else initial.get("program")
    find = program_selectors.offered_programs(
        viewer, typed=sent.get("program_q", ""), chosen=chosen
    )
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        programs=program_selectors.programs(viewer),
        shown=find.rows,
        time_zone=accounts_selectors.workspace_time_zone(viewer),
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
            return to_detail(request, session.pk)
    return render(
        request, "sessions/session_form.html", {"form": form, "session": None, "find": find}
    )


# The new-session form's answers a "Find a program" reload (a GET) carries back.
PLAN_ANSWERS = ("kind", "title", "date", "start_time", "end_time", "time_zone", "location",
                "video_link")  # fmt: skip


def _found_again(request: WorkspaceRequest) -> dict[str, Any]:
    """The new-session form's answers a "Find a program" reload carries back; none else."""
    sent = request.GET
    if request.method != "GET" or "program_q" not in sent:
        return {}
    answers = found_again(sent, PLAN_ANSWERS)
    if (program_id := whole_number(sent.get("program"))) is not None:
        answers["program"] = program_id
    return answers


@workspace_view
@require_GET
def session_detail(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    return _detail_page(request, viewer, selectors.session(viewer, session_id))


def _detail_page(
    request: HttpRequest,
    viewer: Viewer,
    session: Session,
    *,
    practice_form: PracticeForm | None = None,
    held_form: HeldForm | None = None,
    status: int = 200,
) -> HttpResponse:
    agenda = selectors.agenda(session)
    can_plan = permissions.can(viewer, "session.plan", session) and not session.is_cancelled
    practice_page = None
    if practice_form is not None or (can_plan and not session.is_practice):
        candidates = selectors.practice_candidates(viewer, session)
        practice_page = Paginator(candidates.order_by("-starts_at", "-id"), PRACTICE_PAGE).get_page(
            request.GET.get("practice")
        )
        # A page of the candidates, the nearest before the session first, and the one
        # linked now wherever it falls.
        shown = list(practice_page.object_list)
        if session.practice is not None and session.practice not in shown:
            shown.insert(0, session.practice)
        if practice_form is not None:  # posted and refused: offered again, its error kept
            practice_form.offer(candidates, shown)
        else:
            practice_form = PracticeForm(
                initial={"practice": session.practice_id}, choices=candidates, shown=shown
            )
    if practice_form is not None and practice_form.is_bound:
        practice_form.fields["practice"].widget.attrs.update(
            {"aria-invalid": "true", "aria-describedby": "practice-error"}
        )
    outreach = list(selectors.session_outreach(session, viewer).select_related("invitation"))
    # Contacts no email may go to (unsubscribed from all mail, unreachable): said, not offered.
    stopped = reach.why_not_mail_many(r.contact for r in outreach)
    for r in outreach:
        r.invited = hasattr(r, "invitation")  # type: ignore[attr-defined]
        r.not_mailed = stopped.get(r.contact_id, "")  # type: ignore[attr-defined]
    mine = selectors.my_participation(viewer, session)
    # "Mark as held" once it started: the facilitator confirms when it actually ended.
    can_mark_held = can_plan and session.starts_at <= clock.now()
    if held_form is None and can_mark_held:
        held_form = HeldForm(initial=HeldForm.initial_for(session))
    return render(
        request,
        "sessions/session_detail.html",
        {
            "session": session,
            "agenda": agenda,
            "agenda_summary": agenda_summary(session, agenda),
            "readiness": selectors.readiness(session, viewer),
            "unanswered": selectors.unanswered_flag_for(viewer, session),
            "outreach": outreach,
            "invitations": list(selectors.invitations(session, viewer)),
            "participants": list(selectors.participants(session)),
            "questions": list(selectors.questions(viewer, session).filter(picked=True)),
            "question_count": session.questions.count(),
            "mine": mine,
            "practice_form": practice_form,
            "practice_page": practice_page,
            "practice_query": query_without(request, "practice"),
            "ready_to_invite": len(
                [r for r in outreach if r.allows_invitation and not r.invited and not r.not_mailed]  # type: ignore[attr-defined]
            ),
            "can_plan": can_plan,
            "over_refusal": records.over_refusal(session),
            "can_mark_held": can_mark_held,
            "held_form": held_form,
            "correcting": held_form is not None and held_form.is_bound,
            "practice": session.is_practice,
            "can_request": permissions.allows(viewer, "outreach.request")
            and not session.is_practice
            and not session.is_cancelled
            and not session.has_ended,
            "can_invite": permissions.can(viewer, "invitation.send", session)
            and not session.is_cancelled,
            "can_manage_people": permissions.can(viewer, "participant.manage", session),
            "can_ask": permissions.can(viewer, "question.ask", session),
            "sections": sections.for_page("session", viewer, session),
        },
        status=status,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def session_edit(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="session.plan")
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        initial=SessionForm.initial_for(session),
        time_zone=session.time_zone,
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
            return to_detail(request, session.pk)
    return render(
        request,
        "sessions/session_form.html",
        {
            "form": form,
            "session": session,
            "invited": session.invitations.count(),
            "over_refusal": records.over_refusal(session),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def session_cancel(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
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
            return to_detail(request, session.pk)
    return render(
        request,
        "sessions/session_cancel.html",
        {"form": form, "session": session, "invited": session.invitations.count()},
    )


def _inserted_before(forms: list[Any]) -> list[Any]:
    """The rows in their order numbers; a row given a number another row already has (a new
    row, or one whose number was changed) goes before that row, and the rest move down, as
    people mean by "make this item number 2"."""

    def key(pair: tuple[int, Any]) -> tuple[float, int, int]:
        index, form = pair
        order = form.cleaned_data.get("ORDER")
        moved = not form.initial or "ORDER" in form.changed_data
        return (float("inf") if order is None else order, 0 if moved else 1, index)

    return [f for _, f in sorted(enumerate(forms), key=key)]


@workspace_view
@require_http_methods(["GET", "POST"])
def agenda_edit(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
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
        rows = [f for f in _inserted_before(formset.ordered_forms) if f.cleaned_data.get("title")]
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
                n = whole_number(parts[1], high=len(rows)) if len(parts) == 3 else None
                if n is not None:
                    row = rows[n - 1]
                    for text in texts:
                        row.add_error(parts[2] if parts[2] in row.fields else None, text)
                else:
                    errors.extend(texts)
        else:
            saved = agenda_rules.check_agenda(
                kind=session.kind,
                length=session.length_minutes,
                titles=[i["title"] for i in items],
                total=sum(i["minutes"] for i in items),
            )
            messages.success(
                request,
                f"The agenda was saved: {saved.total} of {saved.length} minutes planned."
                + (f" {saved.missing}" if saved.missing else ""),
            )
            return to_detail(request, session.pk)
    return render(
        request,
        "sessions/agenda_form.html",
        {
            "formset": formset,
            "session": session,
            "summary": _typed_agenda_check(session, formset)
            if formset.is_bound
            else agenda_summary(session, selectors.agenda(session)),
            "errors": errors,
        },
    )


@workspace_view
@require_POST
def agenda_check(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """The agenda form's live hint: the rows as typed (not saved), checked by the same rule
    as a saved agenda (``agenda.check_agenda``), as the form's ``agenda-check`` partial."""
    session = selectors.session(viewer, session_id, action="session.plan")
    formset = AgendaFormSet(request.POST, prefix="items")
    return render(
        request,
        "sessions/agenda_form.html#agenda-check",
        {"session": session, "summary": _typed_agenda_check(session, formset)},
    )


def _typed_agenda_check(session: Session, formset: Any) -> agenda_rules.AgendaCheck:
    """The check of the agenda as typed in a bound formset (rows marked "Remove" left out;
    a row with an error counts with the fields that parse)."""
    formset.is_valid()
    rows = [f.cleaned_data for f in formset.forms if not f.cleaned_data.get("DELETE")]
    return agenda_rules.check_agenda(
        kind=session.kind,
        length=session.length_minutes,
        titles=[r["title"] for r in rows if r.get("title")],
        total=sum(r["minutes"] for r in rows if r.get("minutes")),
    )


@workspace_view
@require_POST
def session_held(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Mark the session held with its actual end, or correct that end."""
    session = selectors.session(viewer, session_id, action="session.plan")
    form = HeldForm(request.POST)
    if form.is_valid():
        try:
            held = services.mark_session_held(
                viewer,
                session=session,
                actual_end=form.actual_end(),
                version=form.cleaned_data["version"],
            )
        except Conflict:
            # Someone saved it since: the page shows their end above; yours stays in the
            # form, now against the current version, so saving again keeps yours.
            session.refresh_from_db()
            again = request.POST.copy()
            again["version"] = str(session.version)
            form = HeldForm(again)
            form.is_valid()
            form.add_error(
                None,
                "Someone else saved this session since you opened it; their end time is shown "
                "above and yours is below. Save again to keep yours.",
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, HELD_FIELD_MAP)
        else:
            end = held.ended_at.astimezone(held.tz)
            messages.success(
                request, f"“{held.title}” was marked held, ended at {end:%H:%M} ({held.time_zone})."
            )
            return to_detail(request, session.pk)
    session.refresh_from_db()
    return _detail_page(request, viewer, session, held_form=form, status=422)


@workspace_view
@require_POST
def practice_link(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session(viewer, session_id, action="session.plan")
    form = PracticeForm(
        request.POST,
        # Any session of the program parses; the service says why one cannot rehearse.
        choices=selectors.sessions(viewer, program_id=session.program_id),
    )
    if not form.is_valid():
        return _detail_page(request, viewer, session, practice_form=form, status=422)
    practice = form.cleaned_data["practice"]
    try:
        services.link_practice(viewer, session=session, practice=practice)
    except ValidationFailed as exc:
        form.add_error("practice", error_line(exc))
        session.refresh_from_db()
        return _detail_page(request, viewer, session, practice_form=form, status=422)
    messages.success(
        request,
        f"Practice session: “{practice.title}”." if practice else "No practice session now.",
    )
    return to_detail(request, session.pk)


urlpatterns: list[URLPattern] = [
    path("", session_list, name="list"),
    path("new/", session_create, name="create"),
    path(S, session_detail, name="detail"),
    path(S + "edit/", session_edit, name="edit"),
    path(S + "cancel/", session_cancel, name="cancel"),
    path(S + "agenda/", agenda_edit, name="agenda"),
    path(S + "agenda/check/", agenda_check, name="agenda_check"),
    path(S + "practice/", practice_link, name="practice"),
    path(S + "held/", session_held, name="held"),
]
