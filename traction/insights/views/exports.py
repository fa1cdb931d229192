"""Web downloads: a session's insights and a search's insights, as CSV (streamed) or XLSX
(the ranking's download is the voting app's, built on ``download``). ``?format=csv`` (the
default) or ``?format=xlsx``; the rows are the viewer's, read by the same selectors as the
pages they are linked from."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import URLPattern, path
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from traction.core import permissions
from traction.core.permissions import Viewer
from traction.core.web import WorkspaceRequest, workspace_view
from traction.insights import exports, selectors
from traction.insights.search.forms import SearchForm


def export_format(request: HttpRequest) -> str:
    """The ``format`` asked for (csv by default); 404 for any other."""
    fmt = request.GET.get("format", "csv")
    if fmt not in exports.FORMATS:
        raise Http404("No such export format.")
    return fmt


def download(table: exports.Table, fmt: str, name: str) -> HttpResponse:
    """The table as an attachment named ``name``: CSV streamed, XLSX in one piece."""
    response: HttpResponse | StreamingHttpResponse
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.csv_chunks(table), content_type=exports.CONTENT_TYPES["csv"]
        )
    else:
        response = HttpResponse(exports.xlsx_bytes(table), content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["Cache-Control"] = "private, no-store"
    return response  # type: ignore[return-value]


def session_insights_response(viewer: Viewer, session_id: int, fmt: str) -> HttpResponse:
    session = selectors.session_for(viewer, session_id)
    table = exports.insights_table(exports.session_insights(viewer, session))
    return download(table, fmt, exports.filename(session.title, "insights", fmt=fmt))


@workspace_view
@require_GET
def session_insights(request: WorkspaceRequest, viewer: Viewer, session_id: int) -> HttpResponse:
    return session_insights_response(viewer, session_id, export_format(request))


@workspace_view
@require_GET
def search_export(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """The insights the search page shows for the same query and filters (every page)."""
    permissions.check(viewer, "insight.view")
    fmt = export_format(request)
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("page", None)
    form = SearchForm(query, viewer=viewer)
    if not form.is_valid():
        return HttpResponse(
            "These search filters are not valid: go back to the search page.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    found = exports.searched_insights(viewer, form.cleaned_data["q"], form.filters())
    name = exports.filename("insights", "search", fmt=fmt)
    return cut_at_limit(download(exports.insights_table(found.rows), fmt, name), found)


def cut_at_limit(response: HttpResponse, found: exports.Searched) -> HttpResponse:
    """Say in a header when a search export holds only the first ``SEARCH_LIMIT`` results
    (the file itself holds data rows only, like every export)."""
    if found.truncated:
        response[exports.TRUNCATED_HEADER] = found.truncated_header
    return response


S = "sessions/<int:session_id>/"

urlpatterns: list[URLPattern] = [
    path(S + "map/export/", session_insights, name="board_export"),
    path("search/export/", search_export, name="search_export"),
]
