"""The search page: a query box, filters and live results over the workspace's insights."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from traction.core import permissions
from traction.core.errors import ValidationFailed
from traction.core.guard import whole_number
from traction.core.permissions import Viewer
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    render_page,
    wants_partial,
    workspace_view,
)
from traction.insights.exports import SEARCH_LIMIT

from .forms import SearchForm
from .selectors import Results, search

MAX_PAGE = 1000


def _page(request: HttpRequest) -> int:
    found = whole_number(request.GET.get("page", "1"), low=1, high=10**9)
    return min(found, MAX_PAGE) if found is not None else 1


@workspace_view
@require_GET
def search_page(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    permissions.check(viewer, "insight.view")
    form = SearchForm(request.GET or None, viewer=viewer)
    results: Results | None = None
    if not form.is_bound:
        results = search(viewer)
    elif form.is_valid():
        try:
            results = search(
                viewer, form.cleaned_data["q"], filters=form.filters(), page=_page(request)
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "results": results,
        "searched": form.is_bound and bool(results and (results.query or results.filters.active)),
        "query": query.urlencode(),
        "export_limit": f"{SEARCH_LIMIT:,}",  # the downloads' limit (insights.exports)
        # Results swapped in (htmx) bring the Customer filter's options along: "Find a
        # customer" narrows them as it narrows nothing else.
        "oob": wants_partial(request),
    }
    return render_page(request, "insights/search.html", context, partial="results")


urlpatterns: list[URLPattern] = [
    path("search/", search_page, name="search"),
]
