"""Debrief pages: the clock area (the list of debriefs, the booking, the answer to the booked
slot, its calendar file, the workspace's debrief settings)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from traction.core import clock, permissions
from traction.core.errors import Conflict, ValidationFailed
from traction.core.guard import whole_number
from traction.core.permissions import Viewer
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    query_without,
    render_page,
    workspace_view,
)
from traction.debrief import selectors_clock as selectors
from traction.debrief.forms_clock import (
    BOOKING_FIELD_MAP,
    BookingForm,
    DebriefFilterForm,
    RespondForm,
    SettingsForm,
)
from traction.debrief.models import Debrief, DebriefStatus
from traction.debrief.services import clock as services
from traction.debrief.services.clock_mail import build_ics, room_link
from traction.programs import selectors as program_selectors
from traction.sessions.calendar import Method

PAGE_SIZE = 25


@workspace_view
@require_GET
def debrief_list(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    find = program_selectors.offered_programs(
        viewer,
        typed=request.GET.get("program_q", ""),
        chosen=whole_number(request.GET.get("program", "")),
    )
    form = DebriefFilterForm(
        request.GET or None, programs=program_selectors.programs(viewer), shown=find.rows
    )
    filters = form.cleaned_data if form.is_valid() else {}
    program = filters.get("program")
    found = selectors.debriefs(
        viewer,
        program_id=program.pk if program else None,
        timeliness=filters.get("timeliness", ""),
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "find": find,
        "page": page,
        "filtered": bool(program or filters.get("timeliness")),
        "query": query_without(request, "page"),
        "now": clock.now(),
        "can_settings": permissions.allows(viewer, "debrief.settings"),
        # Which kinds of session get a debrief here (the settings, or their defaults).
        "debriefed_kinds": selectors.kinds_in_words(
            services.settings_of(viewer.workspace_id).kinds
        ),
    }
    return render_page(request, "debrief/clock/list.html", context, partial="results")


def _booking_page(
    request: WorkspaceRequest,
    viewer: Viewer,
    debrief: Debrief,
    form: BookingForm | None,
    *,
    theirs: Debrief | None = None,
    status: int = 200,
) -> HttpResponse:
    can_run = permissions.can(viewer, "debrief.run", debrief)
    movable = can_run and debrief.status == DebriefStatus.BOOKED and debrief.opened_at is None
    if form is None and movable:
        form = BookingForm(initial=BookingForm.initial_for(debrief))
    return render(
        request,
        "debrief/clock/booking.html",
        {
            "debrief": debrief,
            "session": debrief.session,
            "form": form if movable else None,
            "theirs": theirs,
            "attendees": selectors.attendees(debrief),
            "mine": selectors.my_attendance(viewer, debrief),
            "events": list(debrief.clock_events.all()),
            "room_link": room_link(debrief),
            "can_run": can_run,
        },
        status=status,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def booking(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    if request.method == "GET":
        return _booking_page(request, viewer, selectors.debrief(viewer, debrief_id), None)
    debrief = selectors.debrief(viewer, debrief_id, action="debrief.run")
    form = BookingForm(request.POST)
    if form.is_valid():
        try:
            services.update_booking(viewer, debrief=debrief, **form.service_values())
        except Conflict as exc:
            # Theirs beside yours: your values stay in the form, now against their version.
            current = selectors.debrief(viewer, debrief_id)
            data = request.POST.copy()
            data["version"] = str(current.version)
            merged = BookingForm(data)
            merged.is_valid()
            merged.add_error(None, exc.message)
            return _booking_page(request, viewer, current, merged, theirs=current, status=409)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, BOOKING_FIELD_MAP)
        else:
            saved = selectors.debrief(viewer, debrief_id)
            messages.success(
                request, "The debrief's slot was saved. Invitees get an updated calendar entry."
            )
            if saved.slot_warning:
                messages.warning(request, saved.slot_warning)
            return redirect("debrief:booking", request.workspace.slug, debrief.pk)
    return _booking_page(request, viewer, debrief, form, status=400)


@workspace_view
@require_http_methods(["GET", "POST"])
def respond(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    debrief = selectors.debrief(viewer, debrief_id, action="debrief.respond")
    form = RespondForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.respond(viewer, debrief=debrief, answer=form.cleaned_data["answer"])
            except ValidationFailed as exc:
                messages.error(request, error_text(exc))
            else:
                words = {
                    "accepted": "You accepted the debrief.",
                    "declined": "You declined the debrief.",
                    "tentative": "You answered maybe.",
                }
                messages.success(request, words[form.cleaned_data["answer"]])
            back = request.POST.get("next", "")
            if back.startswith("/") and url_has_allowed_host_and_scheme(
                back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(back)
            return redirect("debrief:respond", request.workspace.slug, debrief.pk)
        messages.error(request, "Choose accept, maybe or decline.")
    return render(
        request,
        "debrief/clock/respond.html",
        {
            "debrief": debrief,
            "session": debrief.session,
            "mine": selectors.my_attendance(viewer, debrief),
            "room_link": room_link(debrief),
        },
        status=200 if request.method == "GET" else 400,
    )


@workspace_view
@require_GET
def calendar_file(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    debrief = selectors.debrief(viewer, debrief_id)
    # A cancelled debrief, or a closed one, invites nobody: its file takes the slot out of an
    # invitee's calendar. Someone it does not invite gets the event published (METHOD
    # PUBLISH, no attendee; cancelled once it is over): a REQUEST must name attendees.
    over = (DebriefStatus.CANCELLED, DebriefStatus.CLOSED)
    mine = selectors.my_attendance(viewer, debrief)
    method: Method = (
        "PUBLISH" if mine is None else "CANCEL" if debrief.status in over else "REQUEST"
    )
    ics = build_ics(debrief, method=method, attendees=[mine] if mine else [])
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="debrief-{debrief.pk}.ics"'
    return response


@workspace_view
@require_http_methods(["GET", "POST"])
def settings_page(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    permissions.check(viewer, "debrief.settings")
    current = services.settings_of(viewer.workspace_id)
    form = SettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"kinds": current.kinds, "default_minutes": current.default_minutes},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(
                viewer,
                kinds=form.cleaned_data["kinds"],
                default_minutes=form.cleaned_data["default_minutes"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Debrief settings saved.")
            return redirect("debrief:settings", request.workspace.slug)
    return render(
        request,
        "debrief/clock/settings.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


urlpatterns: list[URLPattern] = [
    path("", debrief_list, name="list"),
    path("settings/", settings_page, name="settings"),
    path("<int:debrief_id>/booking/", booking, name="booking"),
    path("<int:debrief_id>/calendar.ics", calendar_file, name="calendar"),
    path("<int:debrief_id>/respond/", respond, name="respond"),
]
