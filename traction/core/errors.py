"""Domain errors: values with a message for people, mapped once per interface.

Web views turn them into a 404/403 page or form errors, the API into a JSON body with a
4xx status, the CLI into a message and an exit status.
"""

from __future__ import annotations


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
