"""Domain errors: values with a message for people, mapped once per interface.

Web views turn them into a 404/403 page or form errors, the API into a JSON body with a
4xx status, the CLI into a message and an exit status.
"""

from __future__ import annotations

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


def invalid_body(errors: list[dict[str, Any]], message: str = "") -> dict[str, Any]:
    """422 for invalid input: one entry per problem, each with its ``loc`` (e.g.
    ``["body", "name"]``), ``msg`` and ``type``; ``message`` sums them up for people."""
    if not message:
        parts = [f"{_field_name(error.get('loc', ()))}: {error.get('msg', '')}" for error in errors]
        message = "; ".join(parts) or "Invalid request."
    return {"detail": errors, "message": message}


def _field_name(loc: Any) -> str:
    """The field a ``loc`` points at, with the positions in the lists on its way, as domain
    errors name them: ``["body", "payload", "program_ids", 0]`` → ``program_ids.0``,
    ``[…, "measurements", 3, "value"]`` → ``measurements.3.value``, ``[…, "name"]`` → ``name``."""
    loc = list(loc)
    if not loc:
        return "request"
    start = len(loc) - 1
    while start > 0 and (isinstance(loc[start], int) or isinstance(loc[start - 1], int)):
        start -= 1
    return ".".join(str(p) for p in loc[start:])


def field_errors(exc: ValidationFailed) -> dict[str, Any]:
    """A domain ValidationFailed in the 422 body: each field under ``body``, the words of a
    rule of no one field (``__all__``) without a field name."""
    errors: list[dict[str, Any]] = [
        {
            "loc": ["body"] if field == "__all__" else ["body", field],
            "msg": message,
            "type": "value_error",
        }
        for field, messages in exc.errors.items()
        for message in messages
    ]
    message = "; ".join(
        m if field == "__all__" else f"{field}: {m}"
        for field, messages in exc.errors.items()
        for m in messages
    )
    return invalid_body(errors, message or exc.message)
