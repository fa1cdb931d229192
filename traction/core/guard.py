"""Input no route can use, refused once for every route before any view reads it.

- **NUL characters** in a query parameter, a form field or a JSON body: PostgreSQL cannot
  store them, and no person types one. The answer names the field.
- **A query parameter past ``core.text.QUERY_VALUE_MAX`` characters** (its name or a
  value): no page reads one, and a megabyte of ``q=`` would only make a slow search. The
  answer names it; a list's filters have their own, smaller caps (``QUERY_MAX``).
- **Bidirectional control characters** (U+202A–U+202E, U+2066–U+2069, ``core.text``) in a
  query parameter (web and API) or anywhere in an API body: invisible, they reorder what
  follows them on every page, export and email. A web form's fields are left to the form,
  which shows the refusal beside the field and keeps what was typed (``core.forms.Form``);
  a mail provider's report (``/hooks/``) is nobody's typing and is not refused.
- **A form body that cannot be read**: ``multipart/form-data`` without a boundary (or a
  broken one). Django would raise from deep inside whichever code touched ``request.POST``
  first; here it is a 400 saying what is wrong.
- **A request body past ``TRACTION_MAX_REQUEST_MB``** (by its ``Content-Length``, before a
  byte of it is read): the largest file any import takes is 25 MB, so a gigabyte upload is
  refused at once (413, naming both sizes) instead of being spooled to disk first and refused
  by the form afterwards. The proxy in front has its own cap (docs/deploy.md); this one
  holds without a proxy too.
- **Object ids past any row**: a 25-digit id in a URL overflows SQLite's 64-bit integers. A
  path segment that is a number past ``MAX_ID`` (either sign) names nothing: 404.

The web gets a page (400 or 404), the API its JSON bodies: ``{"detail": "..."}`` for an
unreadable body and 404, and for a NUL the API's validation body (422, the field in ``loc``),
as its schemas already answer for NULs in text fields.

``whole_number`` is the strict way to read a number a person typed: ASCII digits only
(``"²".isdigit()`` is True, but ``int("²")`` fails), no more digits than the bound has.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

from .errors import api_loc, detail_body, invalid_body
from .text import BIDI_CONTROLS, QUERY_VALUE_MAX, bidi_control, bidi_message, too_long

MAX_ID = 2**63 - 1  # the largest id a 64-bit primary key holds
MAX_NESTING = 64  # JSON deeper than this is nobody's data
_ASCII_DIGITS = frozenset("0123456789")
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def whole_number(raw: object, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """``raw`` as an int in [low, high] if it is written with ASCII digits only, else None.

    Never raises: "²", "", "-1", "1e3", a 5,000-digit string and one past ``high`` are None.
    """
    if not isinstance(raw, str) or not raw or not _ASCII_DIGITS.issuperset(raw):
        return None
    if len(raw.lstrip("0")) > len(str(high)):  # before int(): no 5,000-digit conversions
        return None
    value = int(raw)
    return value if low <= value <= high else None


def whole_numbers(values: Iterable[object], *, most: int) -> list[int]:
    """The whole numbers (``whole_number``) among the first ``most`` of ``values``, a form's
    ticked ids: anything else is dropped, and a form posting more is cut at ``most``."""
    return [n for v in islice(values, most) if (n := whole_number(v)) is not None]


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def is_provider_hook(request: HttpRequest) -> bool:
    """A mail provider's post (``/hooks/``): no person reads the answer, the provider's logs
    do, so every answer is a plain-text reason with its status (as the hook's own are)."""
    return request.path_info.startswith("/hooks/")


def _plain(message: str, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


# --- the checks --------------------------------------------------------------------------------


class BadInput(Exception):
    """What is wrong with a request, for people; ``where``/``path`` locate a NUL (the field,
    then any keys and list positions inside it)."""

    def __init__(
        self,
        message: str,
        *,
        where: str = "",
        path: Sequence[str | int] = (),
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.where = where
        self.path = list(path)


def check_request(request: HttpRequest) -> None:
    """Raise ``BadInput`` for a request no route can use (see the module's docstring)."""
    if "\x00" in request.path_info:
        raise BadInput("The address contains a NUL character (%00); no page has one.")
    _check_size(request)
    bidi = not is_provider_hook(request)
    _check_fields(request.GET, "query", "query parameter", bidi=bidi)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    content_type = request.content_type or ""
    if content_type in _FORM_TYPES:
        if content_type == "multipart/form-data" and not _has_boundary(request):
            raise BadInput(
                "The request body cannot be read: multipart/form-data needs a boundary in its "
                "Content-Type header (e.g. 'multipart/form-data; boundary=----x'). Let your "
                "HTTP library build the header when it sends files."
            )
        # Django forgets a form body it failed to parse (later reads see no fields at all), so
        # every failure is answered here, once.
        try:
            fields = request.POST
        except MultiPartParserError as exc:
            raise BadInput(f"The request body cannot be read as a form: {exc}.") from None
        except RequestDataTooBig:
            limit = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) // 1024
            raise BadInput(
                f"The request body is too large: send at most {limit} KiB.", status=413
            ) from None
        except (TooManyFieldsSent, TooManyFilesSent) as exc:
            raise BadInput(f"The form has too many fields or files: {exc}") from None
        _check_fields(fields, "form", "form field", bidi=bidi and is_api(request))
    elif content_type == "application/json" or content_type.endswith("+json"):
        _check_json_body(request, bidi=bidi and is_api(request))


def _check_size(request: HttpRequest) -> None:
    """``BadInput`` (413) for a body larger than ``TRACTION_MAX_REQUEST_MB``, read from its
    ``Content-Length`` alone. (Without one, Django reads no body at all.)"""
    limit_mb = settings.TRACTION_MAX_REQUEST_MB
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadInput("The Content-Length header is not a number of bytes.") from None
    if size > limit_mb * 1024 * 1024:
        raise BadInput(
            f"The request is {_megabytes(size)}; Traction accepts at most {limit_mb} MB in one "
            "request (the largest file an import takes is 25 MB). Split the file into smaller "
            "ones and send each.",
            status=413,
        )


def _megabytes(size: int) -> str:
    mb = size / (1024 * 1024)
    return f"{mb:,.0f} MB" if mb >= 10 else f"{mb:.1f} MB"


def _has_boundary(request: HttpRequest) -> bool:
    boundary = (request.content_params or {}).get("boundary", "")
    return bool(boundary) and len(boundary) <= 200


def _check_fields(fields: Mapping[str, Any], where: str, label: str, *, bidi: bool) -> None:
    lists = fields.lists() if hasattr(fields, "lists") else fields.items()
    for key, values in lists:
        values = values if isinstance(values, list) else [values]
        if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
            name = key.replace("\x00", "\\0")
            raise BadInput(
                f"The {label} “{name}” contains a NUL character, which cannot be stored; "
                "remove it.",
                where=where,
                path=[name],
            )
        if where == "query":
            size = max(len(text) for text in (key, *values) if isinstance(text, str))
            if size > QUERY_VALUE_MAX:
                name = key if len(key) <= 80 else key[:80] + "…"
                raise BadInput(
                    f"The {label} “{name}”: {too_long(QUERY_VALUE_MAX, size)}",
                    where=where,
                    path=[name],
                )
        if bidi:
            for text in (key, *values):
                if isinstance(text, str) and (ch := bidi_control(text)) is not None:
                    name = key.translate(_BIDI_VISIBLE)
                    raise BadInput(
                        f"The {label} “{name}”: {bidi_message(ch)}", where=where, path=[name]
                    )


# A field's name holding a control is shown with the control written out, not obeyed.
_BIDI_VISIBLE = {ord(ch): f"<U+{ord(ch):04X}>" for ch in BIDI_CONTROLS}
# How a bidi control is written in a JSON body: as UTF-8, or escaped (\u202e, \u202E, …).
_BIDI_IN_JSON = re.compile(
    b"|".join(re.escape(ch.encode()) for ch in sorted(BIDI_CONTROLS))
    + rb"|\\u20(?:2[a-eA-E]|6[6-9])"
)


def _check_json_body(request: HttpRequest, *, bidi: bool) -> None:
    try:
        body = request.body
    except (RequestDataTooBig, UnreadablePostError, OSError):
        return  # the route's own handling answers (the body is not consumed: it raises again)
    # Cheap tests first: a NUL in JSON is written \u0000 (a raw NUL byte is invalid JSON anyway).
    nul = b"\\u0000" in body  # JSON writes the escape with a lowercase u, and 0 has no case
    controls = bidi and _BIDI_IN_JSON.search(body) is not None
    if not (nul or controls):
        return
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: the route answers that
    for path in _nul_paths(data, []):
        field = ".".join(str(p) for p in path) or "body"
        raise BadInput(
            f"The field “{field}” contains a NUL character, which cannot be stored; remove it.",
            where="body",
            path=path,
        )
    if controls:
        for path, ch in _bidi_paths(data, []):
            field = ".".join(str(p) for p in path) or "body"
            raise BadInput(f"The field “{field}”: {bidi_message(ch)}", where="body", path=path)


def find_nul(value: Any) -> str | None:
    """Where decoded JSON holds a NUL (in a key or a string), as "a.0.b", or None."""
    for path in _nul_paths(value, []):
        return ".".join(str(p) for p in path) or "(the value itself)"
    return None


def _nul_paths(value: Any, path: list[str | int]) -> Iterator[list[str | int]]:
    if len(path) > MAX_NESTING:
        return
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield [*path, key.replace("\x00", "\\0")]
            yield from _nul_paths(item, [*path, key])
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _nul_paths(item, [*path, n])


def _bidi_paths(value: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    if len(path) > MAX_NESTING:
        return
    if isinstance(value, str):
        if (ch := bidi_control(value)) is not None:
            yield path, ch
    elif isinstance(value, dict):
        for key, item in value.items():
            if (ch := bidi_control(key)) is not None:
                yield [*path, key.translate(_BIDI_VISIBLE)], ch
            yield from _bidi_paths(item, [*path, key])
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _bidi_paths(item, [*path, n])


def id_out_of_range(kwargs: Mapping[str, Any]) -> bool:
    """True if a URL's captured values hold a number no row can have: past ``MAX_ID`` either
    way (``-7366398178873186019610460160`` overflows SQLite's 64-bit integers as well)."""
    for value in kwargs.values():
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and abs(value) > MAX_ID:
            return True
        if isinstance(value, str):
            digits = value.removeprefix("-")
            if (
                len(digits) >= len(str(MAX_ID))
                and _ASCII_DIGITS.issuperset(digits)
                and whole_number(digits, low=0) is None
            ):
                return True
    return False


# --- the answers -------------------------------------------------------------------------------


def refusal(request: HttpRequest, problem: BadInput) -> HttpResponse:
    """The 400 (web) or the API's JSON for a request ``check_request`` refused."""
    if is_provider_hook(request):
        return _plain(problem.message, problem.status)
    if is_api(request):
        if problem.where:
            error = {"loc": api_loc(problem.where, problem.path), "msg": problem.message}
            body = invalid_body([{**error, "type": "value_error"}])
            return JsonResponse(body, status=422, json_dumps_params={"ensure_ascii": False})
        return JsonResponse(
            detail_body(problem.message),
            status=problem.status,
            json_dumps_params={"ensure_ascii": False},
        )
    return render(
        request, "core/bad_request.html", {"message": problem.message}, status=problem.status
    )


def not_found(request: HttpRequest) -> HttpResponse:
    if is_provider_hook(request):
        return _plain("No such bounce URL. Copy it again from the workspace settings.", 404)
    if is_api(request):
        return JsonResponse(detail_body("Not found."), status=404)
    return render(request, "404.html", {"message": "There is no such page."}, status=404)


_PLAIN_ERRORS = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "Not found: there is no API operation at this path (see /api/v1/docs).",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
}


def api_error_as_json(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An API error that Django or the router answered as HTML (an unknown path's 404, a
    wrong method's 405) in the API's one shape, ``{"detail": "..."}``."""
    if response.status_code < 400 or not is_api(request):
        return response
    if response.get("Content-Type", "").startswith("application/json"):
        return response
    message = _PLAIN_ERRORS.get(response.status_code, "The request failed.")
    found = JsonResponse(detail_body(message), status=response.status_code)
    for header in ("Allow", "WWW-Authenticate", "Retry-After"):
        if header in response:
            found[header] = response[header]
    return found
