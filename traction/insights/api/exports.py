"""API downloads: a session's insights and a search's insights as CSV or XLSX files (the
ranking's is the voting app's, with ``ExportParams``, ``file_answer`` and ``error_answers``):
the same rows, scoped the same way, as the JSON operations."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router

from traction.core import permissions
from traction.core.api import FilterSchema, responses, viewer
from traction.insights import exports
from traction.insights.search.api import SearchQuery
from traction.insights.views.exports import (
    cut_at_limit,
    download,
    session_insights_response,
)

router = Router(tags=["insights"])

Format = Literal["csv", "xlsx"]


class ExportParams(FilterSchema):
    format: Format = Field(
        "csv", description="csv: UTF-8 with a byte order mark; xlsx: one sheet, header frozen."
    )


def file_answer(summary: str) -> dict[str, Any]:
    """The OpenAPI description of a file answer."""
    return {
        "responses": {
            200: {
                "description": summary,
                "headers": {
                    "Content-Disposition": {
                        "description": "attachment; filename=...",
                        "schema": {"type": "string"},
                    }
                },
                "content": {
                    exports.CONTENT_TYPES["csv"]: {"schema": {"type": "string"}},
                    exports.CONTENT_TYPES["xlsx"]: {
                        "schema": {"type": "string", "format": "binary"}
                    },
                },
            }
        }
    }


def error_answers(**kwargs: bool) -> dict[int, Any]:
    """The error answers (the file answer is described by ``file_answer``)."""
    return responses({}, **kwargs)


@router.get(
    "/sessions/{session_id}/insights/export",
    response=error_answers(object_path=True),
    operation_id="export_session_insights",
    summary="Download a session's insights as CSV or XLSX",
    openapi_extra=file_answer("The session's accepted insights you may see, in capture order."),
)
def export_session_insights(
    request: HttpRequest, session_id: int, params: Query[ExportParams]
) -> HttpResponse:
    """The rows of ``GET /sessions/{id}/insights``: one per accepted insight you may see,
    with "Said by" telling customer words from internal remarks and unattributed notes.
    Text cells starting with =, +, -, @, a tab or a carriage return get a leading
    apostrophe, so that no spreadsheet runs them as formulas."""
    return session_insights_response(viewer(request), session_id, params.format)


class SearchExportParams(ExportParams, SearchQuery):
    """The search's words and filters, and the file format."""


@router.get(
    "/search/insights/export",
    response=error_answers(),
    operation_id="export_search_insights",
    summary="Download the insights a search finds as CSV or XLSX",
    openapi_extra=file_answer(
        f"The insights search_insights finds, in its order, at most {exports.SEARCH_LIMIT:,}; "
        f"when more matched, the header {exports.TRUNCATED_HEADER} says so "
        f"(`{exports.SEARCH_LIMIT} of more than {exports.SEARCH_LIMIT}`)."
    ),
)
def export_search_insights(request: HttpRequest, params: Query[SearchExportParams]) -> HttpResponse:
    """Every page of ``GET /search/insights`` with the same parameters, in one file."""
    v = viewer(request)
    permissions.check(v, "insight.view")
    found = exports.searched_insights(v, params.q, params.filters())
    name = exports.filename("insights", "search", fmt=params.format)
    return cut_at_limit(download(exports.insights_table(found.rows), params.format, name), found)
