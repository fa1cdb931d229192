"""Building blocks for the apps' API routers (``traction/<app>/api.py``).

The NinjaAPI itself (authentication, error mapping, wiring of the routers) lives in
``traction/api/``; apps may not import it (they sit below it), so what their routers and
schemas share lives here: the viewer behind a request, page-number pagination, strict input
schemas, the error bodies every operation documents.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PageNumberPagination
from ninja.params.models import FileModel, FormModel, QueryModel
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from .permissions import Viewer
from .text import one_line_problem


def viewer(request: HttpRequest) -> Viewer:
    """The viewer behind the request's bearer token (set by the API's authentication)."""
    found = getattr(request, "auth", None)
    if not isinstance(found, Viewer):  # an operation mounted without authentication
        raise RuntimeError("API operation reached without an authenticated viewer.")
    return found


# --- input ----------------------------------------------------------------------------------


def _storable_text(value: str) -> str:
    # PostgreSQL cannot store NUL, and lone surrogates cannot be encoded: refuse both up front
    # rather than fail in the database.
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode.") from None
    return value


Text = Annotated[str, AfterValidator(_storable_text)]


def _one_line(value: str) -> str:
    if problem := one_line_problem(value):
        raise ValueError(problem)
    return value


# Names and titles: storable text on one line (see traction.core.text).
OneLine = Annotated[str, AfterValidator(_storable_text), AfterValidator(_one_line)]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    # Input schemas are strict (no coercion), but JSON has no date type: accept exactly the
    # ISO 8601 calendar date string the OpenAPI document promises, and nothing else.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("Enter a date as YYYY-MM-DD.")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("Enter a real calendar date as YYYY-MM-DD.") from None


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}"  # date
    r"([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?"  # time
    r"(Z|[+-]\d{2}:?\d{2})?"  # offset
)


def _iso_datetime(value: Any) -> Any:
    # Only ISO 8601 (not "0.5" as seconds since 1970); a naive time is taken as UTC, and
    # extreme offsets must not overflow.
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("Enter a real date and time in ISO 8601.") from None
    else:
        raise ValueError("Enter a date and time in ISO 8601, e.g. 2027-01-31T09:00:00Z.")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("This time is out of range.") from None


UtcDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]


MAX_ID = 2**63 - 1  # the largest id a 64-bit primary key holds

# An object id in a body or filter: positive and storable (huge ids would overflow SQL).
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]

# The default of fields that may be left out but not sent as null (PATCH bodies, filters):
# None only tells "absent" apart, so ``model_dump(exclude_unset=True)`` leaves them out.
# Typed Any so a field can say ``name: Text = Field(ABSENT)`` and keep its non-null type.
ABSENT: Any = None


def _no_null_default(schema: dict[str, Any]) -> None:
    # Optional-but-not-nullable fields (PATCH bodies) default to None only so "absent" can be
    # told from "sent"; the document should not claim null is a default value of a string.
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None and "anyOf" not in prop:
            del prop["default"]


class InputSchema(Schema):
    """A request body: unknown fields are refused and nothing is coerced ("1" is not 1)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_no_null_default)


class FilterSchema(Schema):
    """Query parameters: strings by nature, so parsed (not strict). ninja hands the model only
    the parameters it declares, and ``refuse_unknown_query`` answers 422 for any other (a
    misspelt filter would otherwise widen the list silently)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_null_default)


def refuse_unknown_query(run: Callable[..., Any]) -> Callable[..., Any]:
    """For ``api.add_decorator(refuse_unknown_query, mode="view")`` (traction/api/api.py): every
    operation answers 422 naming each query parameter it does not declare (a list's filters and
    ``page``/``page_size``, an import's ``dry_run``), and each operation that takes a form (the
    file uploads) each form field it does not declare, after authentication and the declared
    parameters' own checks and before anything is read or written. ``?debrief=4`` on a list
    filtered by ``debrief_id`` is refused rather than answered with every debrief's rows, and
    ``?dryrun=true`` or a ``dry_run`` form field on an import that has no dry run rather than
    importing for real. (A JSON body's unknown keys are refused by its schema.)

    ninja hands a "view" decorator the operation's bound ``run``: the operation's declared
    parameters are read from it once, and the check wraps its view function."""
    operation = getattr(run, "__self__", None)
    if operation is None:
        return run
    query: set[str] = set()
    form: set[str] | None = None  # None: the operation takes no form
    for model in operation.models:
        if not isinstance(model, type) or not issubclass(model, BaseModel):
            continue
        names = set(getattr(model, "__ninja_flatten_map__", None) or model.model_fields)
        if issubclass(model, QueryModel):
            query |= names
        elif issubclass(model, FormModel | FileModel):
            form = (form or set()) | names
    view = operation.view_func

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        errors = _unknown("query", "query parameter", set(request.GET), query)
        if form is not None and request.method != "GET":
            sent = set(request.POST) | set(request.FILES)
            errors += _unknown("body", "form field", sent, form, elsewhere=query)
        if errors:
            raise NinjaValidationError(errors)
        return view(request, *args, **kwargs)

    operation.view_func = checked
    return run


def _unknown(
    where: str,
    what: str,
    sent: set[str],
    known: set[str],
    elsewhere: frozenset[str] | set[str] = frozenset(),
) -> list[dict[str, Any]]:
    """The errors for what was sent under ``where`` and is not declared there (``known``);
    a form field the operation takes as a query parameter (``elsewhere``) is told so."""
    takes = (
        f"this operation takes: {', '.join(sorted(known))}."
        if known
        else "this operation takes none."
    )
    return [
        {
            "loc": (where, name),
            "msg": (
                f"“{name}” is a query parameter of this operation, not a {what}: "
                f"send it in the address (?{name}=…)."
                if name in elsewhere
                else f"Unknown {what} “{name}”; {takes}"
            ),
            "type": "unknown_parameter",
        }
        for name in sorted(sent - known)
    ]


# --- output ---------------------------------------------------------------------------------


class OutputSchema(BaseModel):
    """A response shape whose fields are plain columns or attributes, read from a model
    instance or a ``.values()`` dict alike by pydantic's own (compiled) validator.

    ninja accepts any pydantic model as a response schema. Its ``Schema`` adds resolvers
    (``resolve_<field>``) by wrapping every object in a ``DjangoGetter`` and asking it field
    by field in Python: a shape with no resolvers need not pay that on every row of a list.
    What a resolver would compute belongs on the model (a property) or in the selector.
    """

    model_config = ConfigDict(from_attributes=True)


# --- pagination -----------------------------------------------------------------------------

MAX_PAGE = 1_000_000


PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
PageSize = Annotated[int, Field(ge=1, le=settings.NINJA_MAX_PER_PAGE_SIZE)]
PAGE_SIZE_HELP = (
    f"Items per page (default {settings.NINJA_PAGINATION_PER_PAGE}, "
    f"at most {settings.NINJA_MAX_PER_PAGE_SIZE})."
)


class Pagination(PageNumberPagination):
    """``?page=&page_size=`` with ``{"items": [...], "count": N}``; sizes from settings."""

    class Input(Schema):
        page: PageNumber = 1
        page_size: PageSize = Field(settings.NINJA_PAGINATION_PER_PAGE, description=PAGE_SIZE_HELP)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            page_size=settings.NINJA_PAGINATION_PER_PAGE,
            max_page_size=settings.NINJA_MAX_PER_PAGE_SIZE,
            **kwargs,
        )


# --- error bodies ---------------------------------------------------------------------------


class ErrorOut(Schema):
    """401, 403, 404, 409 and 400 (unreadable body): what went wrong, for people."""

    detail: str


class FieldErrorOut(Schema):
    loc: list[str | int] = Field(
        description=(
            "Where: the source (body, query or path), the field, then any keys and list "
            'positions inside it: ["body", "name"], ["query", "page"], '
            '["body", "measurements", 3, "value"].'
        )
    )
    msg: str
    type: str
    ctx: dict[str, Any] | None = None


class ValidationErrorOut(Schema):
    """422: one entry per problem, each naming its field; ``message`` sums them up."""

    detail: list[FieldErrorOut]
    message: str


def responses(
    ok: dict[int, Any],
    *,
    body: bool = False,
    object_path: bool = False,
    versioned: bool = False,
    conflict: bool = False,
) -> dict[int, Any]:
    """Every status an operation can answer, each with its schema, for the OpenAPI document.

    ``body``: reads a JSON body (400 unreadable); ``object_path``: has an object id in its
    path (404); ``versioned``: takes an expected ``version`` (409 when stale); ``conflict``:
    may answer 409 for another reason (e.g. the same file being imported right now).
    """
    found: dict[int, Any] = dict(ok)
    if body:
        found[400] = ErrorOut
    found[401] = ErrorOut
    found[403] = ErrorOut
    if object_path:
        found[404] = ErrorOut
    if versioned or conflict:
        found[409] = ErrorOut
    found[422] = ValidationErrorOut
    return found
