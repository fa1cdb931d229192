"""Default-deny: a successful response needs a permission check or an explicit public flag.

The same middleware first refuses input no route can use (``traction.core.guard``: NUL
characters, unreadable form bodies, ids past any row), so every route, web and API, is
covered without each view checking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import guard, permissions
from .errors import NotFound, PermissionDenied
from .logs import redacted

log = logging.getLogger(__name__)


class DefaultDenyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            guard.check_request(request)
        except guard.BadInput as problem:
            # The path as the log may keep it: a link's secret in it is masked.
            log.info("refused %s %s: %s", request.method, redacted(request.path), problem.message)
            return guard.refusal(request, problem)
        token = permissions.begin_request()
        try:
            response = self.get_response(request)
        finally:
            checked = permissions.end_request(token)
        response = guard.api_error_as_json(request, response)
        match = request.resolver_match
        if match is None or checked or response.status_code >= 300:
            return response
        full_name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
        if permissions.public_reason(match.func, full_name) is not None:
            return response
        # A view that never asked the permission layer must not answer with data.
        log.error("view %s answered without a permission check", full_name)
        raise ImproperlyConfigured(
            f"View {full_name!r} answered {response.status_code} without consulting the "
            "permission layer. Call a selector/service that checks, or mark it @public(reason)."
        )

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> HttpResponse | None:
        # An id no row can have (a 25-digit number overflows SQLite): nothing is there. A
        # view may answer it its own way (the portal's pages: the portal's 404, audited).
        if guard.id_out_of_range(kwargs):
            answer = getattr(view, "out_of_range", None)
            return answer(request, kwargs) if answer is not None else guard.not_found(request)
        return None

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, NotFound):
            return render(request, "404.html", {"message": exc.message}, status=404)
        if isinstance(exc, PermissionDenied):
            return render(request, "403.html", {"message": exc.message}, status=403)
        return None
