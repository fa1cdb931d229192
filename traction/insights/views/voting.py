"""Web pages for customer prioritisation (dot voting) and its results.

The facilitator's pages (open, close, budget, the shared screen in the room, the paper
tally) need ``voting.run``; the results page is for everyone who may see the session's
insights. The customer's own ballot (``vote``) sits at the site root, outside any workspace:
the signed link is the credential, and it shows the cards as text only — never a speaker's
name or organisation, never an internal remark.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts.decorators import workspace_view
from traction.accounts.forms import apply_domain_errors
from traction.core import permissions
from traction.core.errors import DomainError, NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.insights import link_mail, links, ranking, selectors, voting
from traction.insights.forms_voting import (
    BudgetForm,
    LinkBallotForm,
    PaperTallyForm,
    RemoveDotsForm,
    ReopenForm,
    RoomDotForm,
)
from traction.insights.models import Vote
from traction.sessions.models import Session


def _slug(request: HttpRequest) -> str:
    return str(request.workspace_slug)  # type: ignore[attr-defined]


def _to_voting(request: HttpRequest, session_id: int) -> HttpResponse:
    return redirect("insights:voting", workspace_slug=_slug(request), session_id=session_id)


def _message(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return " ".join(m for found in exc.errors.values() for m in found)
    return exc.message


# --- the facilitator's voting page -------------------------------------------------------------


def _voting_page(
    request: HttpRequest,
    session: Session,
    form: BudgetForm | None = None,
    status: int = 200,
    *,
    reopen_form: ReopenForm | None = None,
    remove_form: RemoveDotsForm | None = None,
) -> HttpResponse:
    found = ranking.voting_round(session)
    if form is None:
        form = BudgetForm(initial={"budget": found.budget if found else voting.DEFAULT_BUDGET})
    return render(
        request,
        "insights/voting_manage.html",
        {
            "session": session,
            "round": found,
            "form": form,
            "reopen_form": reopen_form or ReopenForm(),
            "remove_form": remove_form or RemoveDotsForm(),
            "ballots": ranking.ballots(session),
            "card_count": voting.votable_cards(session).count(),
        },
        status=status,
    )


@workspace_view
@require_GET
def voting_manage(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id, "voting.run")
    return _voting_page(request, session)


@workspace_view
@require_POST
def voting_open(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id, "voting.run")
    form = BudgetForm(request.POST)
    if form.is_valid():
        try:
            found = voting.open_voting(viewer, session=session, budget=form.cleaned_data["budget"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                f"Voting is open: each customer has {found.budget} "
                f"vote{'s' if found.budget != 1 else ''}. Share their links, use the room "
                "screen, or enter a paper tally.",
            )
            return _to_voting(request, session.pk)
    return _voting_page(request, session, form)


@workspace_view
@require_POST
def voting_reopen(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Reopen a closed round, explicitly and with a reason (audited)."""
    session = selectors.session_for(viewer, session_id, "voting.run")
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            found = voting.reopen_voting(
                viewer,
                session=session,
                reason=form.cleaned_data["reason"],
                budget=form.cleaned_data["budget"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                f"Voting is open again ({found.budget} votes each). The ranking frozen when "
                "it closed stays on record.",
            )
            return _to_voting(request, session.pk)
    return _voting_page(request, session, reopen_form=form, status=422)


@workspace_view
@require_POST
def voting_remove_dots(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Remove every dot of one customer participant, with a reason (audited)."""
    session = selectors.session_for(viewer, session_id, "voting.run")
    form = RemoveDotsForm(request.POST)
    if form.is_valid():
        try:
            contact = selectors.invited_contact(viewer, session, form.cleaned_data["contact_id"])
        except NotFound:
            form.add_error("contact_id", "Pick a customer taking part in this session.")
        else:
            try:
                removed = voting.remove_participant_dots(
                    viewer, session=session, contact=contact, reason=form.cleaned_data["reason"]
                )
            except ValidationFailed as exc:
                apply_domain_errors(form, exc)
            else:
                n = sum(removed.values())
                messages.success(
                    request, f"{n} dot{'s' if n != 1 else ''} of {contact.name} removed."
                )
                return _to_voting(request, session.pk)
    return _voting_page(request, session, remove_form=form, status=422)


@workspace_view
@require_POST
def voting_budget(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id, "voting.run")
    form = BudgetForm(request.POST)
    if form.is_valid():
        try:
            found = voting.change_budget(
                viewer, session=session, budget=form.cleaned_data["budget"]
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"Each customer now has {found.budget} votes.")
            return _to_voting(request, session.pk)
    return _voting_page(request, session, form)


@workspace_view
@require_POST
def voting_close(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id, "voting.run")
    try:
        voting.close_voting(viewer, session=session)
    except ValidationFailed as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, "Voting is closed. The ranking below is final.")
        return redirect("insights:results", workspace_slug=_slug(request), session_id=session.pk)
    return _to_voting(request, session.pk)


@workspace_view
@require_POST
def voting_links_email(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Email every customer participant their link, or one (``contact_id``)."""
    session = selectors.session_for(viewer, session_id, "voting.run")
    raw = request.POST.get("contact_id", "")
    only = [int(raw)] if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    try:
        mailing = link_mail.email_voting_links(viewer, session=session, contact_ids=only)
    except ValidationFailed as exc:
        messages.error(request, _message(exc))
        return _to_voting(request, session.pk)
    if mailing.queued:
        names = ", ".join(c.name for c in mailing.queued)
        messages.success(
            request,
            f"Voting link queued for {names}: whether it was delivered shows beside each name.",
        )
    if mailing.skipped:
        reasons = "; ".join(f"{c.name} ({reason})" for c, reason in mailing.skipped)
        messages.warning(request, f"Not emailed: {reasons}.")
    return _to_voting(request, session.pk)


# --- in the room ---------------------------------------------------------------------------------


def _room_context(
    viewer: Viewer, session: Session, voter_id: int | None, error: str = ""
) -> dict[str, Any]:
    ballots = ranking.ballots(session)
    voter = next((b for b in ballots if b.contact.pk == voter_id), None)
    return {
        "session": session,
        "round": ranking.voting_round(session),
        "ballots": ballots,
        "voter": voter,
        "groups": ranking.room_board(session, voter.contact.pk if voter else None, viewer),
        "error": error,
    }


def _voter_param(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@workspace_view
@require_GET
def voting_room(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id, "voting.run")
    context = _room_context(viewer, session, _voter_param(request.GET.get("voter")))
    return render(request, "insights/voting_room.html", context)


@workspace_view
@require_POST
def voting_room_dot(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id, "voting.run")
    form = RoomDotForm(request.POST)
    error = ""
    voter_id = _voter_param(request.POST.get("contact_id"))
    if not form.is_valid():
        error = "Pick a customer and a card."
    else:
        values = form.cleaned_data
        operation = voting.add_dot if values["change"] == "add" else voting.remove_dot
        try:
            operation(
                viewer,
                session=session,
                contact_id=values["contact_id"],
                insight_id=values["insight_id"],
            )
        except ValidationFailed as exc:
            error = _message(exc)
    if request.htmx:  # type: ignore[attr-defined]
        context = _room_context(viewer, session, voter_id, error)
        return render(request, "insights/voting_room.html#room-board", context)
    if error:
        messages.error(request, error)
    url = reverse("insights:voting_room", args=[_slug(request), session.pk])
    return redirect(f"{url}?voter={voter_id}" if voter_id else url)


# --- on paper ------------------------------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def voting_paper(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id, "voting.run")
    current = {
        (v.insight_id, v.contact_id): v.dots
        for v in Vote.objects.filter(session=session).only("insight_id", "contact_id", "dots")
    }
    voters = ranking.ballots(session)
    form = PaperTallyForm(
        request.POST if request.method == "POST" else None,
        cards=list(voting.votable_cards(session)),
        voters=voters,
        current=current,
    )
    column_errors: dict[int, list[str]] = {}
    row_errors: dict[int, list[str]] = {}
    if request.method == "POST" and form.is_valid() and not form.entries():
        messages.info(request, "Paper tally: nothing had changed.")
        return _to_voting(request, session.pk)
    if request.method == "POST" and form.is_valid():
        try:
            changes = voting.record_paper_tally(viewer, session=session, entries=form.entries())
        except ValidationFailed as exc:
            for name, found in exc.errors.items():
                kind, _, raw = name.partition("_")
                if kind == "contact" and raw.isdigit():
                    column_errors[int(raw)] = found
                elif kind == "card" and raw.isdigit():
                    row_errors[int(raw)] = found
                else:
                    for message in found:
                        form.add_error(name if name in form.fields else None, message)
            if column_errors or row_errors:
                form.add_error(None, "Nothing was saved: " + _message(exc))
        else:
            n = len(changes)
            messages.success(
                request,
                f"Paper tally saved: {n} cell{'s' if n != 1 else ''} changed.",
            )
            return _to_voting(request, session.pk)
    return render(
        request,
        "insights/voting_paper.html",
        {
            "session": session,
            "round": ranking.voting_round(session),
            "form": form,
            "voters": [(b, column_errors.get(b.contact.pk, [])) for b in voters],
            "rows": [(card, cells, row_errors.get(card.pk, [])) for card, cells in form.rows()],
        },
    )


# --- results ------------------------------------------------------------------------------------


@workspace_view
@require_GET
def results(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id)
    return render(
        request,
        "insights/voting_results.html",
        {
            "session": session,
            "results": ranking.results(session, viewer),
            "can_run": permissions.can(viewer, "voting.run", session),
        },
    )


# --- the customer's own ballot -------------------------------------------------------------------


def _invalid_link(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return render(request, "insights/vote_invalid.html", {"message": exc.message}, status=404)


@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest, vote_token: str) -> HttpResponse:
    """A customer's own ballot. The signed link makes them a customer principal; what it
    reaches is the policy's answer (``ballot.view``, ``ballot.cast``), like any member's."""
    try:
        customer = links.VOTE.principal(vote_token)
        ballot = voting.ballot_for_link(customer)
    except NotFound as exc:
        return _invalid_link(request, exc)
    posted = request.method == "POST" and ballot.is_open
    form = LinkBallotForm(request.POST if posted else None, cards=ballot.cards)
    saved = False
    if posted and form.is_valid():
        try:
            ballot = voting.vote_by_link(customer, dots=form.dots())
        except NotFound as exc:
            return _invalid_link(request, exc)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
            ballot = voting.ballot_for_link(customer)
        else:
            saved = True
            form = LinkBallotForm(None, cards=ballot.cards)
    return render(
        request,
        "insights/vote_ballot.html",
        {"ballot": ballot, "form": form, "saved": saved, "rows": form.rows()},
    )


urlpatterns = [
    path("sessions/<int:session_id>/voting/", voting_manage, name="voting"),
    path("sessions/<int:session_id>/voting/open/", voting_open, name="voting_open"),
    path("sessions/<int:session_id>/voting/budget/", voting_budget, name="voting_budget"),
    path("sessions/<int:session_id>/voting/close/", voting_close, name="voting_close"),
    path("sessions/<int:session_id>/voting/reopen/", voting_reopen, name="voting_reopen"),
    path(
        "sessions/<int:session_id>/voting/remove-dots/",
        voting_remove_dots,
        name="voting_remove_dots",
    ),
    path(
        "sessions/<int:session_id>/voting/links/email/",
        voting_links_email,
        name="voting_links_email",
    ),
    path("sessions/<int:session_id>/voting/room/", voting_room, name="voting_room"),
    path("sessions/<int:session_id>/voting/room/dot/", voting_room_dot, name="voting_room_dot"),
    path("sessions/<int:session_id>/voting/paper/", voting_paper, name="voting_paper"),
    path("sessions/<int:session_id>/results/", results, name="results"),
]
public_urlpatterns = [
    path("vote/<str:vote_token>/", vote, name="vote"),
]
