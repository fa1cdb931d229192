"""The JSON API at /api/v1/: bearer-token authentication, error mapping, the apps' routers.

Every operation works in the workspace its token is bound to. Errors are mapped to JSON here,
one handler per shape of body (the bodies are built in ``traction.core.errors``): domain
refusals and the protocol's in ``{"detail": "..."}`` (NotFound 404, PermissionDenied 403,
Conflict 409, 401, 400, 413), invalid input in the 422 body (a domain ValidationFailed and a
malformed request alike, so clients handle one shape). Anything else is a bug: a JSON 500
with an error id, logged with its traceback under the same id.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

import orjson
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationErrorContext
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer

from traction.accounts.api import router as accounts_router
from traction.api.auth import viewer_for_bearer
from traction.core import audit, permissions
from traction.core.api import refuse_unknown_query
from traction.core.errors import (
    DomainError,
    Unauthenticated,
    ValidationFailed,
    detail_body,
    field_errors,
    invalid_body,
    schema_loc,
)
from traction.core.permissions import Viewer
from traction.core.text import too_long
from traction.customers.api import router as customers_router
from traction.debrief.api import router as debrief_router
from traction.insights.api import router as insights_router
from traction.loop.api import router as loop_router
from traction.portal.api import router as portal_router
from traction.programs.api import router as programs_router
from traction.sessions.api import router as sessions_router
from traction.voting.api import router as voting_router
from traction.webhooks.api import router as webhooks_router

log = logging.getLogger(__name__)

DESCRIPTION = """\
Traction's JSON API. Authenticate with an API token (create one under *API tokens* in the
web app, or `traction token create`): `Authorization: Bearer trc_…`. A token is bound to one
user in one workspace; every operation works in that workspace.

Lists are paginated with `page` and `page_size` and answer `{"items": [...], "count": N}`.
Errors are JSON: `{"detail": "..."}`, or for invalid input (422)
`{"detail": [{"loc": ["body", "field"], "msg": "...", "type": "..."}], "message": "..."}`;
`loc` is where the value was sent (`body`, `query` or `path`), the field, then any keys and
list positions inside it (`["body", "measurements", 3, "value"]`).
Updates take the `version` you read; if someone saved the record since, the answer is 409.
"""


class BearerToken(HttpBearer):
    """An API token: the viewer it stands for, or None (the API answers 401). Never waits to
    record the token's last use (``traction.api.auth``)."""

    def authenticate(self, request: HttpRequest, token: str) -> Viewer | None:
        return viewer_for_bearer(token.strip())


class JSONRenderer(BaseRenderer):
    """Response bodies written by orjson (ninja's documented custom renderer, "Renderers").

    Values are written as ninja's own renderer writes them, through ninja's encoder
    (decimals, dates, lazy translations; dataclasses are refused), but for moments: always
    to the millisecond, ``Z`` for UTC (as ``clock.iso_utc`` writes webhook payloads').
    Django's encoder leaves the milliseconds out of a moment on a whole second, so one
    field came in two shapes ("…T09:30:00Z", "…T21:20:17.609Z"). Only the bytes between
    values differ otherwise: no spaces after separators, non-ASCII characters as UTF-8, not
    ``\\u``.
    """

    media_type = "application/json"
    charset = "utf-8"
    options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
    options |= orjson.OPT_NON_STR_KEYS
    encode = staticmethod(NinjaJSONEncoder().default)

    @classmethod
    def default(cls, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            # A moment in UTC as ``clock.iso_utc`` writes it; one given in a zone on purpose
            # (a session's ``local_start``) keeps its offset, to the millisecond too.
            text = value.isoformat(timespec="milliseconds")
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return cls.encode(value)

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=self.default, option=self.options)


class TractionAPI(NinjaAPI):
    """ninja's API with one shape of ``loc`` for every 422 (``traction.core.errors.api_loc``).

    ninja reads a JSON body into the operation's one body parameter and names that parameter
    in a schema error's ``loc`` (``["body", "payload", "name"]``); the client never sent a
    ``payload``, and a service's error on the same field says ``["body", "name"]``. Only here
    (ninja turning pydantic's errors into its ValidationError, model by model) is it known
    which models read the body that way, so the locations are put in the API's shape here and
    the 422 handler below only writes the body.

    A cap on length (a schema's ``max_length``) is worded here too, as the web forms and the
    services word it (``traction.core.text.too_long``: the limit and the actual size), while
    the value is still at hand (ninja drops it)."""

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> NinjaValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            hidden = _parameter_names(context.model)
            found = super().validation_error_from_error_contexts([context]).errors
            raw = context.pydantic_validation_error.errors(include_url=False)
            for error, pydantic_error in zip(found, raw, strict=True):
                error = {**error, "loc": schema_loc(error["loc"], hidden=hidden)}
                errors.append(_worded(error, pydantic_error.get("input")))
        return NinjaValidationError(errors)


def _parameter_names(model: Any) -> set[str]:
    """The operation's Python parameters ninja may name in a ``loc`` of ``model`` (one of
    its models: the body's, the query's, ...) though the client never sent them: the one
    parameter a JSON body is read into, or the schemas whose fields ninja flattens into
    query (or form) parameters (``filters``, ``ninja_pagination``)."""
    single = getattr(model, "__read_from_single_attr__", None)
    if single:
        return {single}
    flattened = getattr(model, "__ninja_flatten_map__", None) or {}
    return {path[0] for path in flattened.values() if len(path) > 1}


def _worded(error: dict[str, Any], value: Any) -> dict[str, Any]:
    """A schema's cap on length in the one wording: "Keep it to 5,000 characters or fewer
    (this has 5,213)." (pydantic says "String should have at most 5000 characters")."""
    ctx = error.get("ctx") or {}
    limit = ctx.get("max_length")
    if error.get("type") == "string_too_long" and isinstance(value, str) and limit:
        return {**error, "msg": too_long(limit, len(value))}
    if error.get("type") == "too_long" and ctx.get("actual_length") is not None and limit:
        # A cap set after a type's own validators (a list item's ``Field``) is this type.
        unit = "characters" if isinstance(value, str) else "items"
        return {**error, "msg": too_long(limit, ctx["actual_length"], unit)}
    return error


api = TractionAPI(
    title="Traction API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=BearerToken(),
    renderer=JSONRenderer(),
)


def _via_api(operation: Callable[..., Any]) -> Callable[..., Any]:
    """Audit events recorded during an API call say they came through the API."""

    @wraps(operation)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with audit.channel("api"):
            return operation(request, *args, **kwargs)

    return run


api.add_decorator(_via_api)
# Every GET answers 422 naming a query parameter it does not declare (a misspelt filter would
# otherwise widen a list silently).
api.add_decorator(refuse_unknown_query, mode="view")
api.add_router("", accounts_router)
api.add_router("", customers_router)
api.add_router("", programs_router)
api.add_router("", sessions_router)
api.add_router("", insights_router)
api.add_router("", voting_router)
api.add_router("", debrief_router)
api.add_router("", webhooks_router)
api.add_router("", loop_router)
api.add_router("", portal_router)


# --- error mapping: one handler per shape of body (traction.core.errors) ---------------------

UNAUTHENTICATED = (
    "Send a valid API token: 'Authorization: Bearer <token>'. "
    "The token may be unknown, revoked, or its user no longer a member."
)
# RFC 6750: a token that was sent but is no good any more (one that expired).
INVALID_TOKEN = 'Bearer realm="traction", error="invalid_token"'  # noqa: S105 (a header)


@api.exception_handler(DomainError)
@api.exception_handler(HttpError)  # AuthenticationError is one
@api.exception_handler(RequestDataTooBig)
def _refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    """``{"detail": "..."}``: a domain refusal with its status (NotFound 404, PermissionDenied
    403, Conflict 409, Unauthenticated 401 (an expired token), any later DomainError its
    declared status), or a refusal of the protocol (401 without a valid token, 400 for an
    unreadable body, 413 too large)."""
    if isinstance(exc, DomainError):
        status, message = exc.status, exc.message
    elif isinstance(exc, AuthenticationError):
        status, message = 401, UNAUTHENTICATED
    elif isinstance(exc, HttpError):
        status, message = exc.status_code, exc.message
        if status == 400 and message.startswith("Cannot parse request body"):
            # JSON nested thousands deep: valid, but nobody's data (the parser gives up).
            deep = isinstance(exc.__cause__, RecursionError)
            message = "Cannot parse request body: " + (
                "it is nested too deeply; send a JSON object of fields."
                if deep
                else "send a JSON object."
            )
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        status, message = 413, f"The request body is too large: send at most {limit // 1024} KiB."
    else:  # handles only the classes it is registered for
        raise exc
    response = api.create_response(request, detail_body(message), status=status)
    if status == 401:
        invalid = isinstance(exc, Unauthenticated)
        response["WWW-Authenticate"] = INVALID_TOKEN if invalid else 'Bearer realm="traction"'
    return response


@api.exception_handler(NinjaValidationError)
@api.exception_handler(ValidationFailed)  # a DomainError with a shape of its own
def _invalid(request: HttpRequest, exc: Exception) -> HttpResponse:
    """422 ``{"detail": [{"loc", "msg", "type"}, ...], "message": "..."}``: a malformed request
    (ninja's validation, its ``loc`` already in the API's shape: ``TractionAPI``) and a domain
    ValidationFailed look the same to a client, down to the ``loc`` of a field."""
    if isinstance(exc, ValidationFailed):
        match = request.resolver_match
        body = field_errors(exc, query=request.GET, path=match.kwargs if match else {})
    elif isinstance(exc, NinjaValidationError):
        # Errors of ninja's validation come in the API's shape already; those the API raises
        # itself (an unknown query parameter) are put in it here all the same.
        body = invalid_body([{**error, "loc": schema_loc(error["loc"])} for error in exc.errors])
    else:  # handles only the classes it is registered for
        raise exc
    return api.create_response(request, body, status=422)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug: JSON like every other answer of the API (not Django's HTML page), with an error
    id that the server log's entry (with the traceback) also carries."""
    if settings.DEBUG:
        raise exc  # Django's debug page, with the traceback, for developers
    error_id = secrets.token_hex(6)
    log.error(
        "API error %s: %s %s",
        error_id,
        request.method,
        request.get_full_path(),
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    # As Django does for a view's exception: error reporters (and the test client) hear of it.
    signals.got_request_exception.send(sender=None, request=request)
    message = (
        "Something went wrong on our side; it has been logged. If you report it, quote the "
        f"error id {error_id}."
    )
    response = api.create_response(request, {"detail": message, "error_id": error_id}, status=500)
    response["X-Error-Id"] = error_id
    return response


# --- public documents -----------------------------------------------------------------------

permissions.register_public_url(
    "api:openapi-json", "The API's OpenAPI document describes operations, never data."
)
permissions.register_public_url(
    "api:openapi-view", "The API's docs page renders the public OpenAPI document."
)
