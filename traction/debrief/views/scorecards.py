"""Debrief pages: the scorecards area. A program's scorecard, a metric's page (chart,
measurements, the add form), defining and editing metrics, the CSV import with its preview,
a results checkpoint, and the room's "create from a customer metric card" shortcut."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.accounts.models import User
from traction.core import clock, permissions
from traction.core.errors import DomainError, NotFound, ValidationFailed
from traction.core.guard import whole_number, whole_numbers
from traction.core.offering import Offered, found_again
from traction.core.permissions import Viewer
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    import_refusal,
    workspace_view,
)
from traction.debrief import charts, measurements_csv, merging
from traction.debrief import selectors_scorecards as sel
from traction.debrief.forms_scorecards import METRIC_FIELD_MAP, CsvForm, MeasurementForm, MetricForm
from traction.debrief.models import ScorecardMetric
from traction.debrief.services import scorecards as services
from traction.insights.models import Insight
from traction.programs.models import Program

PAGE_SIZE = 25
# The program's scorecard lists this many metrics a page.
METRICS_PAGE = 25
# The full list of a program's results checkpoints shows this many a page.
CHECKPOINTS_PAGE = 50
_CSV_KEY = "debrief.scorecard_csv"


# --- shared pieces ---------------------------------------------------------------------------


def _points(pairs: list[tuple[Any, Any]]) -> list[charts.Point]:
    return [charts.Point(on, value) for on, value in pairs]


def _describe(metric: ScorecardMetric, progress: sel.Progress, latest: Any, latest_on: Any) -> str:
    words = [f"{metric.get_direction_display()}."]
    if metric.baseline is not None:
        words.append(f"Baseline {_n(metric.baseline)}{_on(metric.baseline_on)}.")
    if metric.target is not None:
        words.append(f"Target {_n(metric.target)}{_by(metric.target_on)}.")
    if latest is not None:
        words.append(f"Latest {_n(latest)} on {latest_on.isoformat()}.")
    if progress.percent is not None:
        words.append(f"Progress {progress.percent}%: {progress.label.lower()}.")
    return " ".join(words)


def _n(value: Any) -> str:
    return f"{value.normalize():f}"


def _on(day: Any) -> str:
    return f" on {day.isoformat()}" if day else ""


def _by(day: Any) -> str:
    return f" by {day.isoformat()}" if day else ""


def _chart(metric: ScorecardMetric, progress: sel.Progress, latest: Any, latest_on: Any) -> Any:
    return charts.trend_svg(
        chart_id=f"metric-{metric.pk}",
        name=metric.name,
        unit=metric.unit,
        actual=_points(sel.chart_points(metric)),
        baseline=charts.Point(metric.baseline_on or metric.created_at.date(), metric.baseline)
        if metric.baseline is not None
        else None,
        target=charts.Point(metric.target_on or metric.created_at.date(), metric.target)
        if metric.target is not None
        else None,
        forecast=_points(sel.forecast_path(metric)),
        description=_describe(metric, progress, latest, latest_on),
    )


# Cards one metric form may carry ticked: far more than a program's scorecard needs.
SERVES_MOST = 500
# The metric form's answers a "Find" reload (a GET) carries back, besides the cards ticked.
METRIC_ANSWERS = (
    "name", "definition", "unit", "direction", "frequency", "data_source", "owner", "baseline",
    "baseline_on", "target", "target_on", "forecast", "numerator", "denominator", "version",
    merging.OPENED,
)  # fmt: skip
FINDS = ("owner_q", "serves_q")


def _found_again(sent: Any) -> dict[str, Any]:
    """The metric form's answers a "Find" reload (a GET) carries back; none otherwise."""
    if not any(name in sent for name in FINDS):
        return {}
    return found_again(sent, METRIC_ANSWERS, ids={"serves": SERVES_MOST})


Finds = tuple[Offered[User], Offered[Insight]]


def _metric_form(
    viewer: Viewer,
    program: Program,
    data: Any,
    initial: dict[str, Any],
    *,
    sent: Any,
    owner_id: int | None = None,
    exclude: int | None = None,
) -> tuple[MetricForm, Finds]:
    """The metric form. Who may own it (see and measure it), and its current owner
    (``owner_id``), kept even if they left the program since, so that editing something
    else does not make them choose again. Its owner select and cards list offer those chosen
    (as posted in ``data``, else as in ``initial``) and the first others matching the
    "Find" boxes ``sent`` holds (selectors_scorecards.offered_owners, offered_cards)."""
    owner = data.get("owner", "") if data is not None else initial.get("owner")
    chosen = whole_number(str(owner)) if owner is not None else None
    ticked = (
        whole_numbers(data.getlist("serves"), most=SERVES_MOST)
        if data is not None
        else list(initial.get("serves") or [])
    )
    owners = sel.offered_owners(
        viewer, program, typed=sent.get("owner_q", ""), chosen=chosen, keep=owner_id
    )
    cards = sel.offered_cards(viewer, program.pk, typed=sent.get("serves_q", ""), ticked=ticked)
    form = MetricForm(
        data,
        initial=initial,
        members=sel.metric_owners(viewer, program, keep=owner_id),
        parts=sel.ratio_parts(viewer, program, exclude=exclude),
        cards=sel.metric_cards(viewer, program.pk),
        shown_members=owners.rows,
        shown_cards=cards.rows,
    )
    return form, (owners, cards)


def _values(form: MetricForm) -> tuple[dict[str, Any], list[int]]:
    """The service's values; the forecast as typed: the service reads its lines and reports
    their problems with every other field's, in one answer."""
    values = form.service_values()
    values["forecast"] = form.cleaned_data["forecast"]
    return values, [c.pk for c in form.cleaned_data["serves"]]


# --- the program's scorecard -----------------------------------------------------------------


@workspace_view
@require_GET
def scorecard(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = sel.scorecard_program(viewer, program_id)
    # A page of metrics at a time, with how many there are: the page costs what it shows,
    # whatever the size of the program's scorecard.
    page = Paginator(sel.metrics(viewer, program), METRICS_PAGE).get_page(request.GET.get("page"))
    rows = sel.scorecard_rows(list(page.object_list))
    for row in rows:
        row.sparkline = charts.sparkline_svg(  # type: ignore[attr-defined]
            _points(row.recent), label=f"Recent trend of {row.metric.name}"
        )
    return render(
        request,
        "debrief/scorecards/scorecard.html",
        {
            "program": program,
            "rows": rows,
            "page": page,
            "checkpoints": sel.checkpoint_summary(viewer, program),
            "can_manage": permissions.allows(viewer, "metric.manage"),
            "can_measure": permissions.allows(viewer, "metric.measure"),
        },
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def metric_create(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    """Add a metric. From the room's shortcut (``?debrief=…&card=…``), the form starts from
    the card's words and the metric, once saved, is one created in that debrief."""
    program = sel.scorecard_program(viewer, program_id)
    services.check_in_program(viewer, "metric.manage", program)
    debrief, initial = None, None
    if "debrief" in request.GET:
        debrief = sel.debrief_for_panel(viewer, _int(request.GET.get("debrief")))
        if debrief.program_id != program.pk:
            raise NotFound("Debrief not found.")
        try:
            initial = services.metric_values_from_card(
                viewer, debrief=debrief, insight_id=_int(request.GET.get("card"))
            )
        except DomainError as exc:
            if exc.status == 403:
                raise
            messages.error(request, error_text(exc))
            return redirect(
                "debrief:room_scorecard",
                workspace_slug=request.workspace.slug,
                debrief_id=debrief.pk,
            )
    posted = request.POST if request.method == "POST" else None
    form, (owners, cards) = _metric_form(
        viewer, program, posted, {**(initial or {}), **_found_again(request.GET)},
        sent=posted if posted is not None else request.GET,
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            values, serves = _values(form)
            metric = services.create_metric(
                viewer, program=program, debrief=debrief, serves_ids=serves, **values
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, METRIC_FIELD_MAP)
        else:
            messages.success(request, f"The metric “{metric.name}” was added to the scorecard.")
            return redirect(
                "debrief:metric", workspace_slug=request.workspace.slug, metric_id=metric.pk
            )
    return render(
        request,
        "debrief/scorecards/metric_form.html",
        {
            "form": form,
            "program": program,
            "metric": None,
            "debrief": debrief,
            "card": request.GET.get("card", ""),
            "owners": owners,
            "cards": cards,
        },
    )


def _int(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        return 0


# --- one metric ------------------------------------------------------------------------------


def _metric_page(
    request: WorkspaceRequest,
    viewer: Viewer,
    metric_id: int,
    measurement_form: MeasurementForm | None = None,
    status: int = 200,
) -> HttpResponse:
    metric = sel.with_latest(viewer, metric_id)
    latest, latest_on = sel.latest_of(metric)
    progress = sel.progress(metric, latest, latest_on)
    page = Paginator(sel.series(metric), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(m, sel.value_of(m, metric)) for m in page]
    can_measure = metric.numerator_id is None and permissions.can(viewer, "metric.measure", metric)
    # The debrief it was created in, to go back to (its room's scorecard panel).
    made_in = metric.debrief if metric.debrief_id else None
    if made_in is not None and not permissions.can(viewer, "debrief.view", made_in):
        made_in = None
    return render(
        request,
        "debrief/scorecards/metric.html",
        {
            "metric": metric,
            "program": metric.program,
            "latest": latest,
            "latest_on": latest_on,
            "progress": progress,
            "missing": sel.missing_for_ready(metric),
            "chart": _chart(metric, progress, latest, latest_on),
            "forecast": sel.forecast_path(metric),
            "page": page,
            "rows": rows,
            "form": measurement_form or (MeasurementForm() if can_measure else None),
            "can_measure": can_measure,
            "can_manage": permissions.can(viewer, "metric.manage", metric),
            "made_in": made_in,
        },
        status=status,
    )


@workspace_view
@require_GET
def metric(request: WorkspaceRequest, viewer: Viewer, metric_id: int) -> HttpResponse:
    return _metric_page(request, viewer, metric_id)


@workspace_view
@require_POST
def measurement_add(request: WorkspaceRequest, viewer: Viewer, metric_id: int) -> HttpResponse:
    found = sel.metric(viewer, metric_id, action="metric.measure")
    form = MeasurementForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.record_measurement(
                viewer, metric=found, on=d["on"], value=d["value"], note=d["note"]
            )
        except ValidationFailed as exc:
            problems = exc.errors.pop("measurements", [])
            apply_domain_errors(form, exc)
            for problem in problems:
                dated = "future" in problem or "earliest date" in problem
                form.add_error("on" if dated else None, problem)
        else:
            messages.success(request, f"{d['on'].isoformat()}: {d['value']} recorded.")
            return redirect(
                "debrief:metric", workspace_slug=request.workspace.slug, metric_id=found.pk
            )
    return _metric_page(request, viewer, metric_id, measurement_form=form, status=422)


class _ArchivedMeanwhile(Exception):
    """Raised out of a metric's save: it was archived since the page opened."""


def _edit_form(
    viewer: Viewer,
    metric: ScorecardMetric,
    data: Any = None,
    *,
    owner_id: int | None = None,
    sent: Any = None,
) -> tuple[MetricForm, Finds]:
    """The edit form: the metric's values, and (signed, hidden) the values it was opened
    with, which the merge prompt compares against. A "Find" reload (``sent``, a GET) keeps
    its answers, and the opened values and version it carried."""
    initial = MetricForm.initial_for(metric)
    again = _found_again(sent) if data is None and sent is not None else {}
    form, finds = _metric_form(
        viewer, metric.program, data, {**initial, **again},
        sent=data if data is not None else (sent or {}), owner_id=owner_id, exclude=metric.pk,
    )  # fmt: skip
    form.initial = dict(initial)
    form.initial[merging.OPENED] = merging.seal(merging.values(form, form.initial))
    form.initial.update(again)
    return form, finds


@workspace_view
@require_http_methods(["GET", "POST"])
def metric_edit(request: WorkspaceRequest, viewer: Viewer, metric_id: int) -> HttpResponse:
    """Edit a metric. If someone saved it since it was opened, the fields only they changed
    take their values, those only this person changed keep theirs, and each field both
    changed is offered (keep mine or take theirs): nothing typed or saved is lost."""
    found = sel.metric(viewer, metric_id, action="metric.manage")
    if found.archived_at is not None:
        return _archived_to_restore(request, found)
    owner_id = found.owner_id  # kept in the choices even if they left the program since
    form, finds = _edit_form(viewer, found, owner_id=owner_id, sent=request.GET)
    merge: list[dict[str, Any]] = []
    taken: list[str] = []
    if request.method == "POST":

        def reread() -> tuple[dict[str, Any], int]:
            nonlocal found
            found = sel.metric(viewer, metric_id, action="metric.manage")
            return MetricForm.initial_for(found), found.version

        def write(form: MetricForm) -> None:
            values, serves = _values(form)
            current = MetricForm.initial_for(found)
            changes = {
                k: v
                for k, v in values.items()
                if getattr(found, k) != v
                and not (k in ("baseline", "target") and _same_number(getattr(found, k), v))
                and not (k == "forecast" and v == current["forecast"])
            }
            try:
                services.update_metric(
                    viewer,
                    metric=found,
                    changes=changes,
                    version=form.cleaned_data["version"],
                    serves_ids=serves if sorted(serves) != sorted(current["serves"]) else None,
                )
            except ValidationFailed as exc:
                if exc.errors.get("__all__") == [services.ARCHIVED]:
                    raise _ArchivedMeanwhile from exc
                raise

        def form_and_finds(data: Any) -> MetricForm:
            nonlocal finds
            built, finds = _edit_form(viewer, found, data, owner_id=owner_id)
            return built

        try:
            saving = merging.save(
                request.POST.copy(),
                form,
                MetricForm.initial_for(found),
                form_for=form_and_finds,
                write=write,
                reread=reread,
                noun="metric",
                field_map=METRIC_FIELD_MAP,
            )
        except _ArchivedMeanwhile:
            return _archived_to_restore(request, found)
        if saving.saved:
            messages.success(request, f"The metric “{found.name}” was saved.{saving.note}")
            return redirect(
                "debrief:metric", workspace_slug=request.workspace.slug, metric_id=found.pk
            )
        form, merge, taken = saving.form, saving.rows, saving.taken
    return render(
        request,
        "debrief/scorecards/metric_form.html",
        {
            "form": form,
            "program": found.program,
            "metric": found,
            "merge": merge,
            "taken": taken,
            "owners": finds[0],
            "cards": finds[1],
        },
        status=422 if request.method == "POST" and (form.errors or merge) else 200,
    )


def _same_number(a: Any, b: Any) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return (
            a is not None and b is not None and Decimal(str(a)) == Decimal(str(b).replace(",", "."))
        )
    except InvalidOperation:
        return False


def _posted_version(request: WorkspaceRequest) -> int | None:
    """The version the page was rendered with (a button's hidden field); None if missing."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@workspace_view
@require_POST
def metric_archive(request: WorkspaceRequest, viewer: Viewer, metric_id: int) -> HttpResponse:
    found = sel.metric(viewer, metric_id, action="metric.manage")
    version = _posted_version(request)
    try:
        services.archive_metric(viewer, metric=found, version=version)
    except DomainError as exc:
        messages.error(request, error_text(exc, conflict_help=" Reload the page and try again."))
        return redirect("debrief:metric", workspace_slug=request.workspace.slug, metric_id=found.pk)
    messages.success(request, f"The metric “{found.name}” was archived; its measurements are kept.")
    return redirect(
        "debrief:scorecard", workspace_slug=request.workspace.slug, program_id=found.program_id
    )


@workspace_view
@require_POST
def metric_restore(request: WorkspaceRequest, viewer: Viewer, metric_id: int) -> HttpResponse:
    found = sel.metric(viewer, metric_id, action="metric.manage")
    version = _posted_version(request)
    try:
        services.restore_metric(viewer, metric=found, version=version)
    except DomainError as exc:
        messages.error(request, error_text(exc, conflict_help=" Reload the page and try again."))
    else:
        messages.success(
            request, f"The metric “{found.name}” is back on the scorecard, with its measurements."
        )
    return redirect("debrief:metric", workspace_slug=request.workspace.slug, metric_id=found.pk)


def _archived_to_restore(request: WorkspaceRequest, metric: ScorecardMetric) -> HttpResponse:
    """The edit page of an archived metric: back to its page, pointing at Restore there."""
    messages.error(
        request,
        f"“{metric.name}” is archived: restore it first with the Restore button on its page, "
        "then edit it.",
    )
    return redirect("debrief:metric", workspace_slug=request.workspace.slug, metric_id=metric.pk)


# --- the CSV import --------------------------------------------------------------------------


def _example_days() -> tuple[date, date]:
    """The import page's example dates: the ends of the last two months, so that the
    example is always a file the import would take (never in the future)."""
    last = clock.today().replace(day=1) - timedelta(days=1)
    return last.replace(day=1) - timedelta(days=1), last


EXAMPLE_METRIC = "Your metric's name"


def _example_metric(viewer: Viewer, program: Program) -> str:
    """The import page's example metric, as a CSV cell: one of the program's own measured
    metrics (quoted when its name holds a separator or a quote), else a placeholder."""
    name = sel.example_metric_name(viewer, program) or EXAMPLE_METRIC
    if any(c in name for c in ',;\t"'):
        return '"' + name.replace('"', '""') + '"'
    return name


@workspace_view
@require_http_methods(["GET", "POST"])
def measurements_import(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    program = sel.scorecard_program(viewer, program_id)
    permissions.check(viewer, "metric.measure")
    key = f"{_CSV_KEY}.{program.pk}"
    form = CsvForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        "program": program,
        "form": form,
        "example": _example_days(),
        "example_metric": _example_metric(viewer, program),
        "metric_names": sel.measured_metric_names(viewer, program),
    }
    if request.method == "POST" and request.POST.get("confirm"):
        held = request.session.get(key)
        if not held or held["digest"] != request.POST.get("digest"):
            messages.error(request, "That preview has expired; upload the file again.")
            return redirect(
                "debrief:measurements_import",
                workspace_slug=request.workspace.slug,
                program_id=program.pk,
            )
        data = base64.b64decode(held["data"])
        try:
            outcome = services.import_measurements(viewer, program=program, data=data)
        except ValidationFailed as exc:
            context["errors"] = exc.errors.get("file") or [error_text(exc)]
            del request.session[key]
        else:
            del request.session[key]
            messages.success(
                request,
                f"Imported: {outcome.created} new, {outcome.corrected} corrected, "
                f"{outcome.unchanged} unchanged.",
            )
            return redirect(
                "debrief:scorecard", workspace_slug=request.workspace.slug, program_id=program.pk
            )
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(measurements_csv.MAX_BYTES + 1)
        try:
            outcome = services.import_measurements(
                viewer,
                program=program,
                data=data,
                dry_run=True,
                filename=Path(upload.name or "").name,
            )
        except ValidationFailed as exc:
            context["errors"] = import_refusal(form, exc)
        else:
            digest = hashlib.sha256(data).hexdigest()
            request.session[key] = {"data": base64.b64encode(data).decode(), "digest": digest}
            context.update(outcome=outcome, digest=digest, filename=upload.name)
    status = 422 if context.get("errors") or form.errors else 200
    return render(request, "debrief/scorecards/import.html", context, status=status)


# --- checkpoints and the room ----------------------------------------------------------------


@workspace_view
@require_GET
def checkpoint(
    request: WorkspaceRequest, viewer: Viewer, program_id: int, checkpoint_id: int
) -> HttpResponse:
    program = sel.scorecard_program(viewer, program_id)
    cp = sel.checkpoint(viewer, checkpoint_id)
    if cp.debrief.program_id != program.pk:
        from traction.core.errors import NotFound

        raise NotFound("Checkpoint not found.")
    return render(
        request,
        "debrief/scorecards/checkpoint.html",
        {"program": program, "checkpoint": cp, "rows": sel.checkpoint_report(viewer, cp)},
    )


@workspace_view
@require_GET
def checkpoints(request: WorkspaceRequest, viewer: Viewer, program_id: int) -> HttpResponse:
    """Every checkpoint of the program, a page of ``CHECKPOINTS_PAGE`` at a time, reached or
    ahead."""
    program = sel.scorecard_program(viewer, program_id)
    state = request.GET.get("state", "")
    if state not in sel.CHECKPOINT_STATES:
        state = ""
    page = Paginator(sel.checkpoints_in_state(viewer, program, state), CHECKPOINTS_PAGE).get_page(
        request.GET.get("page")
    )
    total, reached = sel.checkpoint_counts(viewer, program)
    return render(
        request,
        "debrief/scorecards/checkpoints.html",
        {
            "program": program,
            "total": total,
            "reached": reached,
            "ahead": total - reached,
            "page": page,
            "state": state,
            "states": sel.CHECKPOINT_STATES,
            "query": f"state={state}" if state else "",
        },
    )


@workspace_view
@require_GET
def room_scorecard(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    """The room's scorecard panel as a page of its own (the room shows the same panel)."""
    debrief = sel.debrief_for_panel(viewer, debrief_id)
    return render(
        request,
        "debrief/scorecards/room_scorecard.html",
        {
            "debrief": debrief,
            "section": sel.room_panel(viewer, debrief, page=request.GET.get("page") or 1),
        },
    )


@workspace_view
@require_POST
def metric_from_card(request: WorkspaceRequest, viewer: Viewer, debrief_id: int) -> HttpResponse:
    """The room's "create a metric from the chosen card": the new-metric form, filled in
    from the card. Nothing is saved until that form is."""
    debrief = sel.debrief_for_panel(viewer, debrief_id)
    card_id = _int(request.POST.get("insight_id"))
    try:
        services.metric_values_from_card(viewer, debrief=debrief, insight_id=card_id)
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, error_text(exc))
        return redirect(
            "debrief:room_scorecard", workspace_slug=request.workspace.slug, debrief_id=debrief.pk
        )
    new = reverse(
        "debrief:metric_create",
        kwargs={"workspace_slug": request.workspace.slug, "program_id": debrief.program_id},
    )
    return redirect(f"{new}?{urlencode({'debrief': debrief.pk, 'card': card_id})}")


urlpatterns: list[URLPattern] = [
    path("programs/<int:program_id>/scorecard/", scorecard, name="scorecard"),
    path("programs/<int:program_id>/scorecard/metrics/new/", metric_create, name="metric_create"),
    path(
        "programs/<int:program_id>/scorecard/import/",
        measurements_import,
        name="measurements_import",
    ),
    path("programs/<int:program_id>/scorecard/checkpoints/", checkpoints, name="checkpoints"),
    path(
        "programs/<int:program_id>/scorecard/checkpoints/<int:checkpoint_id>/",
        checkpoint,
        name="checkpoint",
    ),
    path("metrics/<int:metric_id>/", metric, name="metric"),
    path("metrics/<int:metric_id>/edit/", metric_edit, name="metric_edit"),
    path("metrics/<int:metric_id>/archive/", metric_archive, name="metric_archive"),
    path("metrics/<int:metric_id>/restore/", metric_restore, name="metric_restore"),
    path("metrics/<int:metric_id>/measurements/", measurement_add, name="measurement_add"),
    path("<int:debrief_id>/scorecard/", room_scorecard, name="room_scorecard"),
    path("<int:debrief_id>/scorecard/from-card/", metric_from_card, name="metric_from_card"),
]
