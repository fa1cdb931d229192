"""Rules about text that every app's input shares (forms, API schemas, CLI options).

Names and titles are one line: a line break in a customer's name would break the email
subject, the .ics SUMMARY and every table it appears in. ``one_line`` refuses them at input
with a message that says what to do; forms use ``validate_one_line`` as a field validator,
API schemas use ``traction.core.api.OneLine``.

Caps on length (a text's characters, a list's items) are said in one wording wherever they
are checked: ``too_long`` writes it, for the web forms (``traction.core.forms.Form``), the
services and the API's schema errors (``traction.api.api``) alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

ONE_LINE_MESSAGE = "Use one line: line breaks are not allowed here."
_LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def has_line_break(value: str) -> bool:
    return any(ch in _LINE_BREAKS for ch in value)


def validate_one_line(value: str) -> None:
    """Django field validator: refuse line breaks (any Unicode line separator)."""
    if has_line_break(value):
        raise ValidationError(ONE_LINE_MESSAGE, code="line_break")


def require_one_line(**values: object) -> None:
    """For services: refuse any named value with a line break, whatever interface sent it
    (``ValidationFailed`` naming the field, so forms show it beside the field)."""
    from .errors import ValidationFailed

    for field, value in values.items():
        if isinstance(value, str) and has_line_break(value):
            raise ValidationFailed.field(field, ONE_LINE_MESSAGE)


# --- caps on length -------------------------------------------------------------------------


def too_long(limit: int, size: int, unit: str = "characters") -> str:
    """The one wording of a cap on length, with the limit and the actual size:
    ``too_long(5000, 5213)`` → "Keep it to 5,000 characters or fewer (this has 5,213).";
    ``unit`` is "items" for a list (``too_long(100, 101, "items")``)."""
    return f"Keep it to {limit:,} {unit} or fewer (this has {size:,})."


def _unit(value: Sized) -> str:
    return "characters" if isinstance(value, str) else "items"


def check_length(errors: dict[str, list[str]], field: str, value: Sized, limit: int) -> None:
    """For services: add ``too_long`` to ``errors[field]`` when ``value`` (a text: its
    characters, or a collection: its items) is longer than ``limit``."""
    if len(value) > limit:
        errors.setdefault(field, []).append(too_long(limit, len(value), _unit(value)))


def require_length(field: str, value: Sized, limit: int) -> None:
    """For services: ``ValidationFailed`` on ``field`` when ``value`` is longer than
    ``limit``, in the one wording (``too_long``)."""
    from .errors import ValidationFailed

    errors: dict[str, list[str]] = {}
    check_length(errors, field, value, limit)
    if errors:
        raise ValidationFailed(errors)


def require_changed_lengths(stored: object, changes: Mapping[str, object], **caps: int) -> None:
    """For update services: ``require_length`` on each capped field that ``changes`` gives a
    new value (one answer naming every field). A value equal to the stored one is let
    through: a row written before its cap stays editable in its other fields."""
    from .errors import ValidationFailed

    errors: dict[str, list[str]] = {}
    for field, limit in caps.items():
        value = changes.get(field)
        if isinstance(value, Sized) and value != getattr(stored, field, None):
            check_length(errors, field, value, limit)
    if errors:
        raise ValidationFailed(errors)


class MaxLength(MaxLengthValidator):
    """Django's max-length validator in the one wording (``too_long``); ``core.forms.Form``
    puts it in place of Django's on every field of a form. A value equal to ``stored`` (what
    an edit form shows, written before the cap) is let through."""

    def __init__(self, limit_value: Any, message: Any = None, *, stored: object = None) -> None:
        super().__init__(limit_value, message)
        self.stored = stored

    def __call__(self, value: Sized) -> None:
        if self.stored is not None and value == self.stored:
            return
        limit = self.limit_value() if callable(self.limit_value) else self.limit_value
        size = self.clean(value)
        if self.compare(size, limit):
            raise ValidationError(too_long(limit, size, _unit(value)), code=self.code)
