"""Web pages for imports and the review queue.

Importing is two steps: upload (the file is parsed once; the file and its parse wait in the
``imports`` storage while the user looks at the preview, see ``staging``) and confirm (the
choices made on the preview go to ``import_file`` with the kept parse, which writes
everything or nothing). Candidates then wait in the review queue, where they are accepted,
corrected, merged or discarded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.core.errors import DomainError, ValidationFailed
from traction.core.guard import whole_number
from traction.core.permissions import Viewer
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    render_page,
    workspace_view,
)
from traction.insights import selectors, services
from traction.insights.models import Insight, InsightKind, InsightStatus, Step
from traction.insights.services.review import restore_insights
from traction.sessions.models import Session

from . import staging
from .decisions import new_contact_customers
from .discarding import counts, discard_import, get_batch
from .forms import (
    PreviewForm,
    ReviewDecisionForm,
    ReviewEditForm,
    UploadForm,
    options_from_post,
    reading_posted_back,
    review_prefix,
)
from .preview import preview_import
from .selectors import import_speakers, review_queue
from .services import import_file
from .shapes import ImportOptions, Preview

REVIEW_PAGE = 50  # rows a page: each has its own kind and step pickers to render
# Why a bulk action did nothing: no candidate was ticked (merging needs two).
NOTHING_TICKED = {
    "accept": "Tick at least one candidate to accept.",
    "discard": "Tick at least one candidate to discard.",
    "merge": "Tick at least two candidates to merge: the others go into the first one ticked.",
}


def candidates(n: int) -> str:
    """A message's count: "1 candidate", "4 candidates" (never "candidate(s)")."""
    return f"{n} candidate{'' if n == 1 else 's'}"


# --- upload, preview, confirm -----------------------------------------------------------------


def _import_page(
    request: HttpRequest, viewer: Viewer, session: Session, form: UploadForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "insights/import_upload.html",
        {
            "session": session,
            "form": form,
            "batches": list(selectors.imports(session)[:50]),
            "review_count": review_queue(session).count(),
        },
        status=status,
    )


def _preview_page(
    request: HttpRequest,
    viewer: Viewer,
    session: Session,
    preview: Preview,
    data: Any = None,
    status: int = 200,
) -> HttpResponse:
    scenarios = selectors.scenarios(session)
    form = PreviewForm(
        data,
        preview=preview,
        scenarios=scenarios,
        people=import_speakers(session, viewer.user_id),
        customers=new_contact_customers(viewer),
        initial={
            "upload": preview.sha256,
            "filename": preview.filename,
            "scenario": str(preview.scenario.pk) if preview.scenario else "",
            "unknown_steps": "create",
        },
    )
    if data is not None:
        form.is_valid()
    return _render_preview(request, session, preview, form, status)


def _render_preview(
    request: HttpRequest,
    session: Session,
    preview: Preview,
    form: PreviewForm,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "insights/import_preview.html",
        {"session": session, "preview": preview, "form": form},
        status=status,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def import_page(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Pick a file (and the scenario); see the imports made so far."""
    session = selectors.session_for(viewer, session_id, "insight.import")
    scenarios = selectors.scenarios(session)
    form = UploadForm(request.POST or None, request.FILES or None, scenarios=scenarios)
    if request.method != "POST":
        return _import_page(request, viewer, session, form)
    if not form.is_valid():
        return _import_page(request, viewer, session, form, status=422)
    upload = form.cleaned_data["file"]
    scenario = form.cleaned_data["scenario"]
    sha256 = staging.keep_upload(viewer, upload)
    stream = staging.open_upload(viewer, sha256)
    assert stream is not None
    options = ImportOptions(scenario_id=int(scenario) if scenario else None)
    try:
        with stream:
            preview = preview_import(
                viewer,
                session=session,
                stream=stream,
                filename=Path(upload.name or "upload").name,
                options=options,
                ask_columns=True,  # no text column: the preview shows the columns to choose
            )
    except ValidationFailed as exc:
        staging.drop_upload(viewer, sha256)
        apply_domain_errors(form, exc, {"columns": "file", "speakers": "file", "steps": "file"})
        return _import_page(request, viewer, session, form, status=422)
    with _closing(preview):
        # The confirm imports this very parse, unless other columns or scenario are chosen.
        staging.keep_parse(viewer, preview, reading_posted_back(preview))
    return _preview_page(request, viewer, session, preview)


class _closing:
    """Close a preview's kept rows when done with it."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview

    def __enter__(self) -> Preview:
        return self.preview

    def __exit__(self, *exc: object) -> None:
        if self.preview.records is not None:
            self.preview.records.close()


@workspace_view
@require_POST
def import_confirm(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Import with the choices made on the preview ("refresh" only shows the preview again).
    The parse the upload kept is imported; only other reading choices (columns, scenario)
    parse the file again, once."""
    session = selectors.session_for(viewer, session_id, "insight.import")
    sha256 = str(request.POST.get("upload", ""))
    filename = Path(str(request.POST.get("filename", "")) or "upload").name[:255]
    stream = staging.open_upload(viewer, sha256)
    if stream is None:
        messages.error(
            request, "That upload is no longer waiting for confirmation; pick the file again."
        )
        return redirect(
            "insights:import", workspace_slug=request.workspace.slug, session_id=session.pk
        )
    reading = options_from_post(request.POST)
    with stream:
        preview = staging.kept_parse(viewer, session, sha256, reading)
        if preview is None:  # other columns or scenario than the preview shown: read again
            try:
                preview = preview_import(
                    viewer,
                    session=session,
                    stream=stream,
                    filename=filename,
                    options=reading,
                    ask_columns=True,
                )
            except ValidationFailed as exc:
                # A changed column or scenario choice the file cannot satisfy: back to the start.
                messages.error(request, error_text(exc))
                return redirect(
                    "insights:import", workspace_slug=request.workspace.slug, session_id=session.pk
                )
            staging.keep_parse(viewer, preview, reading)
        with _closing(preview):
            if request.POST.get("refresh"):
                return _preview_page(request, viewer, session, preview)
            form = PreviewForm(
                request.POST,
                preview=preview,
                scenarios=selectors.scenarios(session),
                people=import_speakers(session, viewer.user_id),
                customers=new_contact_customers(viewer),
            )
            if not form.is_valid():
                return _render_preview(request, session, preview, form, status=422)
            try:
                result = import_file(
                    viewer,
                    session=session,
                    stream=stream,
                    filename=filename,
                    options=form.options(),
                    preview=preview,
                )
            except DomainError as exc:
                apply_domain_errors(form, exc, {"columns": "__all__", "speakers": "__all__"})
                return _render_preview(request, session, preview, form, status=422)
    staging.drop_upload(viewer, sha256)
    if result.created:
        messages.success(request, result.summary)
    else:
        messages.info(request, result.summary)
    if result.created and not result.candidates:
        return redirect(
            "insights:board", workspace_slug=request.workspace.slug, session_id=session.pk
        )
    return redirect("insights:review", workspace_slug=request.workspace.slug, session_id=session.pk)


# --- the review queue -------------------------------------------------------------------------


def _session_steps(session: Session) -> list[Step]:
    return list(
        Step.objects.filter(scenario__session=session)
        .select_related("scenario")
        .order_by("scenario__created_at", "scenario_id", "position")
    )


def _row_context(
    insight: Insight,
    steps: list[Step],
    form: ReviewEditForm | None = None,
    *,
    ticked: bool = False,
) -> Any:
    if form is None:
        form = ReviewEditForm(
            initial={"kind": insight.kind, "step": str(insight.step_id or "")},
            steps=steps,
            prefix=review_prefix(insight.pk),
        )
    return {"insight": insight, "edit": form, "ticked": ticked}


@workspace_view
@require_http_methods(["GET", "POST"])
def import_discard(
    request: WorkspaceRequest, viewer: Viewer, session_id: int, batch_id: int
) -> HttpResponse:
    """Discard an import as a whole: a page saying how many rows it takes out (GET), then
    the discard itself (POST)."""
    session = selectors.session_for(viewer, session_id, "insight.import")
    batch = get_batch(session, batch_id)
    back = redirect("insights:import", workspace_slug=request.workspace.slug, session_id=session.pk)
    if request.method == "POST":
        try:
            done = discard_import(viewer, session=session, batch_id=batch.pk)
        except DomainError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, done.summary)
        return back
    candidates, accepted, kept = counts(batch)
    return render(
        request,
        "insights/import_discard.html",
        {
            "session": session,
            "batch": batch,
            "candidates": candidates,
            "accepted": accepted,
            "kept": kept,
        },
    )


def _discarded(session: Session) -> list[Insight]:
    """The session's discarded rows, in file order, for "Put back"."""
    return list(
        Insight.objects.filter(session=session, status=InsightStatus.DISCARDED)
        .select_related("batch")
        .order_by("batch_id", "source_line", "pk")[:REVIEW_PAGE]
    )


def _ids(raw: str) -> list[int]:
    found = (whole_number(part.strip()) for part in raw.split(","))
    return [i for i in found if i is not None][:REVIEW_PAGE]


@workspace_view
@require_GET
def review(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """The candidates waiting for review, in file order; after a discard, its undo."""
    session = selectors.session_for(viewer, session_id, "insight.import")
    steps = _session_steps(session)
    batches = list(selectors.imports(session).filter(discarded_at__isnull=True)[:100])
    batch_id = whole_number(request.GET.get("file", ""))
    if batch_id not in {b.pk for b in batches}:
        batch_id = None
    page = Paginator(
        review_queue(session, batch_id).select_related("speaker_contact", "customer"),
        REVIEW_PAGE,
    ).get_page(request.GET.get("page"))
    discarded = _discarded(session)
    undo = [i.pk for i in discarded if i.pk in set(_ids(request.GET.get("discarded", "")))]
    return render(
        request,
        "insights/review.html",
        {
            "session": session,
            "page": page,
            "rows": [_row_context(i, steps) for i in page.object_list],
            "kinds": InsightKind.choices,
            "has_imports": selectors.imports(session).exists(),
            "batches": batches,
            "file": batch_id,
            "query": f"file={batch_id}" if batch_id else "",
            "discarded": discarded,
            "undo": ",".join(str(i) for i in undo),
            "undo_count": len(undo),
        },
    )


def _corrections(
    request: HttpRequest, ids: list[int], steps: list[Step]
) -> tuple[dict[int, dict[str, Any]], list[str]]:
    """What each ticked row shows (its type and step fields travel with the bulk action);
    a row whose fields are not in the post is left as saved."""
    found: dict[int, dict[str, Any]] = {}
    errors: list[str] = []
    for pk in ids:
        form = ReviewEditForm(request.POST, steps=steps, prefix=review_prefix(pk))
        if f"{form.prefix}-kind" not in request.POST:
            continue
        if form.is_valid():
            found[pk] = form.changes()
        else:
            errors += [str(m) for ms in form.errors.values() for m in ms]
    return found, errors


@workspace_view
@require_POST
def review_decide(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Accept, discard or merge the ticked candidates (merge: into the first ticked), each
    with the type and step its row shows, saved or not."""
    session = selectors.session_for(viewer, session_id, "insight.import")
    queue = list(review_queue(session).values_list("pk", flat=True))
    form = ReviewDecisionForm(request.POST, candidate_ids=queue)
    back = redirect("insights:review", workspace_slug=request.workspace.slug, session_id=session.pk)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return back
    ids: list[int] = form.cleaned_data["ids"]
    action = form.cleaned_data["action"]
    if not ids or (action == "merge" and len(ids) < 2):
        messages.error(request, NOTHING_TICKED[action])
        return back
    corrections, wrong = _corrections(request, ids, _session_steps(session))
    if wrong and action != "discard":
        messages.error(request, " ".join(wrong))
        return back
    try:
        if action == "merge":
            ordered = sorted(ids, key=queue.index)
            into = Insight.objects.get(pk=ordered[0])
            services.merge_insights(viewer, into=into, others=ordered[1:], corrections=corrections)
            messages.success(
                request, f"Merged {candidates(len(ordered) - 1)} into the first one ticked."
            )
        else:
            changed = services.review_insights(
                viewer,
                session=session,
                insight_ids=ids,
                decision=action,
                corrections=corrections,
            )
            if action == "discard":
                messages.success(request, f"{candidates(changed)} discarded.")
                return redirect(
                    reverse(
                        "insights:review",
                        kwargs={"workspace_slug": request.workspace.slug, "session_id": session.pk},
                    )
                    + "?discarded="
                    + ",".join(str(i) for i in ids)
                    + "#undo"
                )
            messages.success(request, f"{candidates(changed)} accepted onto the map.")
    except DomainError as exc:
        messages.error(request, error_text(exc))
    return back


@workspace_view
@require_POST
def review_restore(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Undo a discard: the rows go back to the queue as candidates."""
    session = selectors.session_for(viewer, session_id, "insight.import")
    ids = _ids(",".join(request.POST.getlist("ids")))
    try:
        restored = restore_insights(viewer, session=session, insight_ids=ids)
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"{candidates(restored)} back in the queue.")
    return redirect("insights:review", workspace_slug=request.workspace.slug, session_id=session.pk)


def _saved_text(insight: Insight) -> str:
    step = f"step {insight.step.position}. {insight.step.title}" if insight.step else "no step"
    line = f"Line {insight.source_line}" if insight.source_line else "Candidate"
    return f"{line} saved: {insight.get_kind_display()}, {step}."


@workspace_view
@require_POST
def review_edit(request: WorkspaceRequest, viewer: Viewer, candidate_id: int) -> HttpResponse:
    """Correct one candidate's type and step; with htmx, the row comes back in place with a
    visible "saved" line (and its tick as it was)."""
    insight = selectors.insight(viewer, candidate_id, "insight.import")
    session = insight.session
    steps = _session_steps(session)
    form = ReviewEditForm(request.POST, steps=steps, prefix=review_prefix(insight.pk))
    saved = False
    if form.is_valid():
        try:
            insight = services.update_insight(viewer, insight=insight, changes=form.changes())
            saved = True
        except DomainError as exc:
            apply_domain_errors(form, exc, {"step_id": "step"})
    insight = Insight.objects.select_related("step", "batch").get(pk=insight.pk)
    if request.htmx:
        ticked = str(insight.pk) in request.POST.getlist("ids")
        context = {
            **_row_context(insight, steps, None if saved else form, ticked=ticked),
            "saved": _saved_text(insight) if saved else "",
        }
        status = 200 if saved else 422
        return render_page(
            request, "insights/review.html", context, partial="candidate", status=status
        )
    if saved:
        messages.success(request, _saved_text(insight))
    else:
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
    return redirect("insights:review", workspace_slug=request.workspace.slug, session_id=session.pk)


S = "sessions/<int:session_id>/"
urlpatterns = [
    path(S + "import/", import_page, name="import"),
    path(S + "import/confirm/", import_confirm, name="import_confirm"),
    path(S + "import/<int:batch_id>/discard/", import_discard, name="import_discard"),
    path(S + "review/", review, name="review"),
    path(S + "review/decide/", review_decide, name="review_decide"),
    path(S + "review/restore/", review_restore, name="review_restore"),
    path("candidates/<int:candidate_id>/edit/", review_edit, name="review_edit"),
]
