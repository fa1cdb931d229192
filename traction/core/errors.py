"""Domain errors: values with a message for people, mapped once per interface.

Web views turn them into a 404/403 page or form errors, the API into a JSON body with a
4xx status, the CLI into a message and an exit status.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import Any


class DomainError(Exception):
    """A use-case refused to do what was asked; ``message`` says why, for people."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """Missing, or hidden from this viewer: the two are deliberately indistinguishable."""

    status = 404

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)


class PermissionDenied(DomainError):
    """The viewer can see the object but may not do this to it."""

    status = 403

    def __init__(self, message: str = "You do not have permission to do this.") -> None:
        super().__init__(message)


class Unauthenticated(DomainError):
    """The credentials were sent but are no longer good (an API token that expired); the
    message says why, and nothing more."""

    status = 401


class Conflict(DomainError):
    """The object changed since the caller read it (optimistic concurrency) or clashes."""

    status = 409


class ValidationFailed(DomainError):
    """Input broke a rule; ``errors`` maps each field (or ``__all__``) to its messages."""

    status = 422

    def __init__(self, errors: dict[str, list[str]], message: str = "") -> None:
        self.errors = errors
        super().__init__(message or "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))

    @classmethod
    def field(cls, name: str, message: str) -> ValidationFailed:
        return cls({name: [message]})


# --- the API's two error bodies ------------------------------------------------------------
# Built here, once, for every code path that answers the API: the NinjaAPI's handlers
# (traction/api/api.py) and the input guard that runs before any view (core/guard.py).


def detail_body(message: str) -> dict[str, str]:
    """``{"detail": "..."}``: every 4xx but invalid input (400, 401, 403, 404, 405, 409, 413)."""
    return {"detail": message}


# --- where a problem is: one shape of ``loc`` for the whole API -------------------------------
# ``[source, field, ...]``: ``source`` is where the client put the value, ``body`` (a JSON body
# or a multipart form alike: its fields and its files), ``query`` or ``path``; then the field as
# the client sent it, and inside it the keys and list positions on the way
# (``["body", "measurements", 3, "value"]``). Never the name of a Python parameter: a schema's
# error and a service's error on the same field carry the same ``loc``.

# ninja's sources as the API names them: a form field and a file are parts of the body.
_SOURCES = {"form": "body", "file": "body", "body": "body", "query": "query", "path": "path"}


def api_loc(source: str, path: Sequence[str | int] = ()) -> list[str | int]:
    """The ``loc`` of a problem with the value at ``path`` (keys and list positions) of
    ``source`` (``body``, ``form``, ``file``, ``query``, ``path``, ``header``, ``cookie``)."""
    return [_SOURCES.get(source, source), *path]


def schema_loc(loc: Sequence[str | int], *, hidden: Container[str] = ()) -> list[str | int]:
    """ninja's ``loc`` for a schema error, in the API's shape. ``hidden``: names of the
    operation's Python parameters that ninja puts after the source and the client never sent,
    dropped: the one parameter a whole JSON body is read into (``["body", "payload", "name"]``
    → ``["body", "name"]``), or a schema of query parameters whose own rule (of no one
    parameter) failed (``["query", "filters"]`` → ``["query"]``). Form and file fields
    (``["form", "scenario_id"]``) are in the body."""
    if not loc:
        return ["body"]
    source, *path = loc
    if path and isinstance(path[0], str) and path[0] in hidden:
        path = path[1:]
    return api_loc(str(source), path)


def field_loc(field: str, source: str = "body") -> list[str | int]:
    """The ``loc`` of a domain error on ``field``, as a service names it: ``name``,
    ``measurements.3.value`` (a position in a list, then a field of that item) or ``__all__``
    (a rule of no one field: the source alone)."""
    if field == "__all__":
        return api_loc(source)
    return api_loc(source, [int(p) if p.isdigit() else p for p in field.split(".")])


def invalid_body(errors: list[dict[str, Any]], message: str = "") -> dict[str, Any]:
    """422 for invalid input: one entry per problem, each with its ``loc`` (e.g.
    ``["body", "name"]``, see ``api_loc``), ``msg`` and ``type``; ``message`` sums them up for
    people."""
    if not message:
        parts = [f"{_field_name(error.get('loc', ()))}: {error.get('msg', '')}" for error in errors]
        message = "; ".join(parts) or "Invalid request."
    return {"detail": errors, "message": message}


def _field_name(loc: Any) -> str:
    """The field a ``loc`` points at, with the positions in the lists on its way, as domain
    errors name them: ``["body", "program_ids", 0]`` → ``program_ids.0``,
    ``[…, "measurements", 3, "value"]`` → ``measurements.3.value``, ``[…, "name"]`` → ``name``."""
    loc = list(loc)
    if not loc:
        return "request"
    start = len(loc) - 1
    while start > 0 and (isinstance(loc[start], int) or isinstance(loc[start - 1], int)):
        start -= 1
    return ".".join(str(p) for p in loc[start:])


def field_errors(
    exc: ValidationFailed, *, query: Container[str] = (), path: Container[str] = ()
) -> dict[str, Any]:
    """A domain ValidationFailed in the 422 body: each field where the client sent it
    (``field_loc``): under ``path`` or ``query`` if the request's path or query string carries
    it (the operation's parameters, e.g. ``metric_id``), else under ``body``; the words of a
    rule of no one field (``__all__``) without a field name."""

    def source(field: str) -> str:
        name = field.split(".")[0]
        return "path" if name in path else "query" if name in query else "body"

    errors: list[dict[str, Any]] = [
        {"loc": field_loc(field, source(field)), "msg": message, "type": "value_error"}
        for field, messages in exc.errors.items()
        for message in messages
    ]
    message = "; ".join(
        m if field == "__all__" else f"{field}: {m}"
        for field, messages in exc.errors.items()
        for m in messages
    )
    return invalid_body(errors, message or exc.message)
