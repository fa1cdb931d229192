"""Rules about text that every app's input shares (forms, API schemas, CLI options).

Names and titles are one line: a line break in a customer's name would break the email
subject, the .ics SUMMARY and every table it appears in. ``one_line`` refuses them at input
with a message that says what to do; forms use ``validate_one_line`` as a field validator,
API schemas use ``traction.core.api.OneLine``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

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
