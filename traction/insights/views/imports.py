"""Web pages for imports and the review queue.

Importing is two steps: upload (the file is kept under its SHA-256 in the ``imports`` storage
while the user looks at the preview) and confirm (the choices made on the preview go to
``imports.import_file``, which writes everything or nothing). Candidates then wait in the
review queue, where they are accepted, corrected, merged or discarded.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.contrib import messages
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts.decorators import workspace_view
from traction.accounts.forms import apply_domain_errors
from traction.core import clock
from traction.core.errors import DomainError, ValidationFailed
from traction.core.guard import whole_number
from traction.core.permissions import Viewer
from traction.insights import imports, selectors, services
from traction.insights.forms_imports import (
    PreviewForm,
    ReviewDecisionForm,
    ReviewEditForm,
    UploadForm,
    options_from_post,
    review_prefix,
)
from traction.insights.models import Insight, InsightKind, InsightStatus, Step
from traction.insights.services.review import restore_insights
from traction.sessions.models import Session

REVIEW_PAGE = 200
_SHA = re.compile(r"[0-9a-f]{64}")


def _slug(request: HttpRequest) -> str:
    return str(request.workspace_slug)  # type: ignore[attr-defined]


# --- the uploads waiting for confirmation -----------------------------------------------------


def upload_storage() -> Storage:
    """Where uploads wait between preview and confirm: the "imports" storage when the project
    configures one (object storage in production), else a folder under MEDIA_ROOT or the var
    directory."""
    if "imports" in settings.STORAGES:
        return storages["imports"]
    root = Path(settings.MEDIA_ROOT or Path(settings.VAR_DIR) / "media") / "imports"
    return FileSystemStorage(location=root)


def _upload_name(viewer: Viewer, sha256: str) -> str:
    return f"{viewer.workspace_id}/{sha256}"


UPLOADS_KEPT_FOR = timedelta(hours=24)


def _sweep_uploads(viewer: Viewer) -> None:
    """Forget this workspace's previews nobody confirmed within a day."""
    storage = upload_storage()
    folder = str(viewer.workspace_id)
    if not storage.exists(folder):
        return
    too_old = clock.now() - UPLOADS_KEPT_FOR
    for name in storage.listdir(folder)[1]:
        path = f"{folder}/{name}"
        try:
            if storage.get_modified_time(path) < too_old:
                storage.delete(path)
        except (OSError, NotImplementedError):  # a racing delete; a storage without times
            continue


def _keep_upload(viewer: Viewer, upload: Any) -> str:
    _sweep_uploads(viewer)
    digest = hashlib.sha256()
    for block in upload.chunks():
        digest.update(block)
    sha256 = digest.hexdigest()
    storage = upload_storage()
    name = _upload_name(viewer, sha256)
    if not storage.exists(name):
        upload.seek(0)
        storage.save(name, File(upload))
    return sha256


def _open_upload(viewer: Viewer, sha256: str) -> BinaryIO | None:
    storage = upload_storage()
    name = _upload_name(viewer, sha256)
    if not _SHA.fullmatch(sha256) or not storage.exists(name):
        return None
    return cast(BinaryIO, storage.open(name, "rb"))


def _drop_upload(viewer: Viewer, sha256: str) -> None:
    if _SHA.fullmatch(sha256):
        upload_storage().delete(_upload_name(viewer, sha256))


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
            "review_count": imports.review_queue(session).count(),
        },
        status=status,
    )


def _preview_page(
    request: HttpRequest,
    viewer: Viewer,
    session: Session,
    preview: imports.Preview,
    data: Any = None,
    status: int = 200,
) -> HttpResponse:
    scenarios = selectors.scenarios(session)
    form = PreviewForm(
        data,
        preview=preview,
        scenarios=scenarios,
        people=selectors.speakers(session),
        customers=imports.new_contact_customers(viewer),
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
    preview: imports.Preview,
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
def import_page(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
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
    sha256 = _keep_upload(viewer, upload)
    stream = _open_upload(viewer, sha256)
    assert stream is not None
    try:
        with stream:
            preview = imports.preview_import(
                viewer,
                session=session,
                stream=stream,
                filename=Path(upload.name or "upload").name,
                options=imports.ImportOptions(scenario_id=int(scenario) if scenario else None),
            )
    except ValidationFailed as exc:
        _drop_upload(viewer, sha256)
        apply_domain_errors(form, exc, {"columns": "file", "speakers": "file", "steps": "file"})
        return _import_page(request, viewer, session, form, status=422)
    return _preview_page(request, viewer, session, preview)


@workspace_view
@require_POST
def import_confirm(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Import with the choices made on the preview ("refresh" only shows the preview again)."""
    session = selectors.session_for(viewer, session_id, "insight.import")
    sha256 = str(request.POST.get("upload", ""))
    filename = Path(str(request.POST.get("filename", "")) or "upload").name[:255]
    stream = _open_upload(viewer, sha256)
    if stream is None:
        messages.error(
            request, "That upload is no longer waiting for confirmation; pick the file again."
        )
        return redirect("insights:import", workspace_slug=_slug(request), session_id=session.pk)
    with stream:
        try:
            preview = imports.preview_import(
                viewer,
                session=session,
                stream=stream,
                filename=filename,
                options=options_from_post(request.POST),
            )
        except ValidationFailed as exc:
            # A changed column or scenario choice the file cannot satisfy: back to the start.
            messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
            return redirect("insights:import", workspace_slug=_slug(request), session_id=session.pk)
        if request.POST.get("refresh"):
            return _preview_page(request, viewer, session, preview)
        form = PreviewForm(
            request.POST,
            preview=preview,
            scenarios=selectors.scenarios(session),
            people=selectors.speakers(session),
            customers=imports.new_contact_customers(viewer),
        )
        if not form.is_valid():
            return _render_preview(request, session, preview, form, status=422)
        try:
            # The preview just read (and checked) this very file: the import decides from it
            # instead of reading the file once more before it writes.
            result = imports.import_file(
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
    _drop_upload(viewer, sha256)
    if result.created:
        messages.success(request, result.summary)
    else:
        messages.info(request, result.summary)
    if result.created and not result.candidates:
        return redirect("insights:board", workspace_slug=_slug(request), session_id=session.pk)
    return redirect("insights:review", workspace_slug=_slug(request), session_id=session.pk)


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
def review(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """The candidates waiting for review, in file order; after a discard, its undo."""
    session = selectors.session_for(viewer, session_id, "insight.import")
    steps = _session_steps(session)
    page = Paginator(
        imports.review_queue(session).select_related("speaker_contact", "customer"),
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
def review_decide(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Accept, discard or merge the ticked candidates (merge: into the first ticked), each
    with the type and step its row shows, saved or not."""
    session = selectors.session_for(viewer, session_id, "insight.import")
    queue = list(imports.review_queue(session).values_list("pk", flat=True))
    form = ReviewDecisionForm(request.POST, candidate_ids=queue)
    back = redirect("insights:review", workspace_slug=_slug(request), session_id=session.pk)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return back
    ids: list[int] = form.cleaned_data["ids"]
    action = form.cleaned_data["action"]
    if not ids:
        messages.error(request, "Tick at least one candidate first.")
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
                request, f"Merged {len(ordered) - 1} candidate(s) into the first one ticked."
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
                messages.success(request, f"{changed} candidate(s) discarded.")
                return redirect(
                    reverse(
                        "insights:review",
                        kwargs={"workspace_slug": _slug(request), "session_id": session.pk},
                    )
                    + "?discarded="
                    + ",".join(str(i) for i in ids)
                    + "#undo"
                )
            messages.success(request, f"{changed} candidate(s) accepted onto the map.")
    except DomainError as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"": [exc.message]}
        messages.error(request, " ".join(m for ms in errors.values() for m in ms))
    return back


@workspace_view
@require_POST
def review_restore(request: HttpRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    """Undo a discard: the rows go back to the queue as candidates."""
    session = selectors.session_for(viewer, session_id, "insight.import")
    ids = _ids(",".join(request.POST.getlist("ids")))
    try:
        restored = restore_insights(viewer, session=session, insight_ids=ids)
    except DomainError as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else {"": [exc.message]}
        messages.error(request, " ".join(m for ms in errors.values() for m in ms))
    else:
        messages.success(request, f"{restored} candidate(s) back in the queue.")
    return redirect("insights:review", workspace_slug=_slug(request), session_id=session.pk)


def _saved_text(insight: Insight) -> str:
    step = f"step {insight.step.position}. {insight.step.title}" if insight.step else "no step"
    line = f"Line {insight.source_line}" if insight.source_line else "Candidate"
    return f"{line} saved: {insight.get_kind_display()}, {step}."


@workspace_view
@require_POST
def review_edit(request: HttpRequest, viewer: Viewer, candidate_id: int) -> HttpResponse:
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
    if request.htmx:  # type: ignore[attr-defined]
        ticked = str(insight.pk) in request.POST.getlist("ids")
        context = {
            **_row_context(insight, steps, None if saved else form, ticked=ticked),
            "saved": _saved_text(insight) if saved else "",
        }
        return render(
            request, "insights/review.html#candidate", context, status=200 if saved else 422
        )
    if saved:
        messages.success(request, _saved_text(insight))
    else:
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
    return redirect("insights:review", workspace_slug=_slug(request), session_id=session.pk)


S = "sessions/<int:session_id>/"
urlpatterns = [
    path(S + "import/", import_page, name="import"),
    path(S + "import/confirm/", import_confirm, name="import_confirm"),
    path(S + "review/", review, name="review"),
    path(S + "review/decide/", review_decide, name="review_decide"),
    path(S + "review/restore/", review_restore, name="review_restore"),
    path("candidates/<int:candidate_id>/edit/", review_edit, name="review_edit"),
]
