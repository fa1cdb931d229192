"""Web pages for customer prioritisation (dot voting) and its results.

The facilitator's pages (open, close, budget, the shared screen in the room, the paper
tally) need ``voting.run``; the results page is for everyone who may see the session's
insights. The customer's own ballot (``vote``) sits at the site root, outside any workspace:
the signed link is the credential, and it shows the cards as text only — never a speaker's
name or organisation, never an internal remark.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts import logos
from traction.accounts import selectors as accounts_selectors
from traction.core import permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.guard import whole_number
from traction.core.permissions import Viewer
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    render_page,
    workspace_view,
)
from traction.insights import exports, selectors
from traction.insights.views.exports import download, export_format
from traction.sessions import customer_pages
from traction.sessions import selectors as session_selectors
from traction.sessions.models import Session
from traction.voting import links
from traction.voting import selectors as ranking
from traction.voting import services as voting
from traction.voting.exports import ranking_table
from traction.voting.forms import (
    BudgetForm,
    LinkBallotForm,
    PaperTallyForm,
    RemoveDotsForm,
    ReopenForm,
    RoomDotForm,
)
from traction.voting.models import Vote
from traction.voting.services import link_mail

# Cards of each list on one page of the ranking; the rest are counted and a page away.
RESULTS_PER_PAGE = 50
# Cards of each group on one page of the room's shared screen.
ROOM_CARDS_PER_PAGE = 50
MAX_PAGE = 10_000


def _to_voting(request: WorkspaceRequest, session_id: int) -> HttpResponse:
    return redirect("voting:manage", workspace_slug=request.workspace.slug, session_id=session_id)


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
        "voting/voting_manage.html",
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
def voting_manage(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id, "voting.run")
    return _voting_page(request, session)


@workspace_view
@require_POST
def voting_open(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
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
def voting_reopen(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
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
def voting_remove_dots(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
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
def voting_budget(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
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
def voting_close(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id, "voting.run")
    try:
        voting.close_voting(viewer, session=session)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "Voting is closed. The ranking below is final.")
        return redirect(
            "voting:results", workspace_slug=request.workspace.slug, session_id=session.pk
        )
    return _to_voting(request, session.pk)


@workspace_view
@require_POST
def voting_links_email(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Email every customer participant their link, or one (``contact_id``)."""
    session = selectors.session_for(viewer, session_id, "voting.run")
    raw = request.POST.get("contact_id", "")
    only = [int(raw)] if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    try:
        mailing = link_mail.email_voting_links(viewer, session=session, contact_ids=only)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
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
    viewer: Viewer,
    session: Session,
    voter_id: int | None,
    error: str = "",
    page: int = 1,
    present: bool = False,
) -> dict[str, Any]:
    ballots = ranking.ballots(session)
    voter = next((b for b in ballots if b.contact.pk == voter_id), None)
    groups = ranking.room_board(
        session,
        voter.contact.pk if voter else None,
        viewer,
        limit=ROOM_CARDS_PER_PAGE,
        offset=(page - 1) * ROOM_CARDS_PER_PAGE,
    )
    return {
        "session": session,
        "round": ranking.voting_round(session),
        "ballots": ballots,
        "voter": voter,
        "groups": groups,
        "page": page,
        "more": any(g.more for g in groups),
        "error": error,
        "present": present,
        "may_reveal": permissions.can(viewer, "voting.reveal", session),
    }


def _room_url(
    workspace_slug: str, session: Session, *, voter: int | None, page: int, present: bool
) -> str:
    """The room's address, keeping the chosen voter, the page and present mode."""
    url = reverse("voting:room", args=[workspace_slug, session.pk])
    params: dict[str, int] = {}
    if voter:
        params["voter"] = voter
    if page > 1:
        params["page"] = page
    if present:
        params["present"] = 1
    return f"{url}?{urlencode(params)}" if params else url


def _page_param(raw: str | None) -> int:
    return whole_number(raw or "1", high=MAX_PAGE) or 1


def _voter_param(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@workspace_view
@require_GET
def voting_room(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    session = selectors.session_for(viewer, session_id, "voting.run")
    voter_id = _voter_param(request.GET.get("voter"))
    page = _page_param(request.GET.get("page"))
    present = request.GET.get("present") == "1"
    context = _room_context(viewer, session, voter_id, page=page, present=present)
    return render(request, "voting/voting_room.html", context)


@workspace_view
@require_POST
def voting_room_totals(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """The facilitator hides the running totals from the room's screen, or reveals them."""
    session = selectors.session_for(viewer, session_id, "voting.reveal")
    voter_id = _voter_param(request.POST.get("contact_id"))
    page = _page_param(request.POST.get("page"))
    present = request.POST.get("present") == "1"
    error = ""
    try:
        voting.show_totals(viewer, session=session, shown=request.POST.get("totals") == "show")
    except ValidationFailed as exc:
        error = error_text(exc)
    if request.htmx:
        context = _room_context(viewer, session, voter_id, error, page, present)
        return render_page(request, "voting/voting_room.html", context, partial="room-board")
    if error:
        messages.error(request, error)
    return redirect(
        _room_url(request.workspace.slug, session, voter=voter_id, page=page, present=present)
    )


@workspace_view
@require_POST
def voting_room_dot(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
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
            error = error_text(exc)
    page = _page_param(request.POST.get("page"))
    present = request.POST.get("present") == "1"
    if request.htmx:
        context = _room_context(viewer, session, voter_id, error, page, present)
        return render_page(request, "voting/voting_room.html", context, partial="room-board")
    if error:
        messages.error(request, error)
    return redirect(
        _room_url(request.workspace.slug, session, voter=voter_id, page=page, present=present)
    )


# --- on paper ------------------------------------------------------------------------------------


@workspace_view
@require_http_methods(["GET", "POST"])
def voting_paper(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
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
            changes = voting.record_paper_tally(
                viewer, session=session, entries=form.entries(), reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            rest: dict[str, list[str]] = {}
            for name, found in exc.errors.items():
                kind, _, raw = name.partition("_")
                if kind == "contact" and raw.isdigit():
                    column_errors[int(raw)] = found
                elif kind == "card" and raw.isdigit():
                    row_errors[int(raw)] = found
                else:
                    rest[name] = found
            if rest:
                apply_domain_errors(form, ValidationFailed(rest))
            if column_errors or row_errors:
                form.add_error(None, "Nothing was saved: " + error_text(exc))
        else:
            n = len(changes)
            messages.success(
                request,
                f"Paper tally saved: {n} cell{'s' if n != 1 else ''} changed.",
            )
            return _to_voting(request, session.pk)
    return render(
        request,
        "voting/voting_paper.html",
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
def results(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """The ranking, ``RESULTS_PER_PAGE`` cards of each list a page (``?page=``): the figures
    are the whole session's, exact; the cards after those shown are counted ("N more")."""
    session = selectors.session_for(viewer, session_id)
    page = whole_number(request.GET.get("page", "1"), high=MAX_PAGE) or 1
    found = ranking.results(
        session, viewer, limit=RESULTS_PER_PAGE, offset=(page - 1) * RESULTS_PER_PAGE
    )
    return render(
        request,
        "voting/voting_results.html",
        {
            "session": session,
            "results": found,
            "page": page,
            "can_run": permissions.can(viewer, "voting.run", session),
        },
    )


# --- the customer's own ballot -------------------------------------------------------------------


def _invalid_link(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return render(request, "voting/vote_invalid.html", {"message": exc.message}, status=404)


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
        "voting/vote_ballot.html",
        {
            "ballot": ballot,
            "form": form,
            "saved": saved,
            "rows": form.rows(),
            "brand": customer_pages.brand(
                ballot.session, logo_url_name="voting:ballot_logo", token=vote_token
            ),
            "times": customer_pages.times(ballot.session, request),
        },
    )


@require_GET
def ballot_logo(request: HttpRequest, vote_token: str) -> HttpResponse:
    """The logo of the workspace whose session this voting link belongs to, and no other."""
    try:
        customer = links.VOTE.principal(vote_token)
        invitation = session_selectors.customer_invitation(customer)
    except NotFound as exc:
        return HttpResponse(exc.message, status=404, content_type="text/plain; charset=utf-8")
    return logos.response(
        accounts_selectors.logo_of(invitation.workspace_id), version=request.GET.get("v", "")
    )


def ranking_response(viewer: Viewer, session_id: int, fmt: str) -> HttpResponse:
    """The session's overall ranking as the viewer may see it, as a CSV or XLSX download."""
    session = selectors.session_for(viewer, session_id)
    table = ranking_table(ranking.results(session, viewer))
    return download(table, fmt, exports.filename(session.title, "ranking", fmt=fmt))


@workspace_view
@require_GET
def results_export(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    return ranking_response(viewer, session_id, export_format(request))
