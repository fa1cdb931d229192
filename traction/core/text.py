"""Rules about text that every app's input shares (forms, API schemas, CLI options).

Names and titles are one line: a line break in a customer's name would break the email
subject, the .ics SUMMARY and every table it appears in. ``one_line`` refuses them at input
with a message that says what to do; forms use ``validate_one_line`` as a field validator,
API schemas use ``traction.core.api.OneLine``.

Caps on length (a text's characters, a list's items) are said in one wording wherever they
are checked: ``too_long`` writes it, for the web forms (``traction.core.forms.Form``), the
services and the API's schema errors (``traction.api.api``) alike.

Bidirectional controls (``BIDI_CONTROLS``) are refused in every input (the guard, forms,
imported files, the services fed outside a form) and dropped from output no HTML protects
(``without_bidi_controls``: exports, mail, .ics); see docs/security.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sized
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

ONE_LINE_MESSAGE = "Use one line: line breaks are not allowed here."
_LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")


# The other control characters (C0 but the tab, DEL, C1): nothing shows them, so a name
# holding one (a BEL pasted from a terminal, an ESC from a log) reads as if it were not there,
# differs from its look-alike and breaks the files it is written to. Line breaks among them
# are refused first, with their own message.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def has_line_break(value: str) -> bool:
    return any(ch in _LINE_BREAKS for ch in value)


def control_message(ch: str) -> str:
    return (
        f"Remove the control character U+{ord(ch):04X}: it cannot be shown or printed, so "
        "nobody would see it here."
    )


def one_line_problem(value: str) -> str | None:
    """Why ``value`` cannot be a name or title (one line of text): it has a line break or a
    control character (the message to show beside the field); None when it can."""
    if has_line_break(value):
        return ONE_LINE_MESSAGE
    found = _CONTROL.search(value)
    return control_message(found.group()) if found else None


def validate_one_line(value: str) -> None:
    """Django field validator: refuse line breaks (any Unicode line separator) and control
    characters."""
    if problem := one_line_problem(value):
        raise ValidationError(problem, code="line_break")


def require_one_line(**values: object) -> None:
    """For services: refuse any named value with a line break or a control character,
    whatever interface sent it (``ValidationFailed`` naming the field, so forms show it beside
    the field)."""
    from .errors import ValidationFailed

    for field, value in values.items():
        if isinstance(value, str) and (problem := one_line_problem(value)):
            raise ValidationFailed.field(field, problem)


# --- caps on length -------------------------------------------------------------------------


# Words to search or filter a list by (``q`` and the like, on the web and in the API), as the
# insight search's query (``insights.search.query.MAX_QUERY_CHARS``).
QUERY_MAX = 200
# Any query parameter: no page or operation reads a longer one (a token is 43, a return
# address a few hundred); the input guard refuses one past it, naming it, before any view.
QUERY_VALUE_MAX = 2_000


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


# --- bidirectional controls -----------------------------------------------------------------

# The embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): invisible, they
# reorder what follows them ("Trojan Source"), so a text holding U+202E shows reversed on
# every page, ballot, export and email it reaches. Right-to-left scripts (Arabic, Hebrew) need
# none of them: the Unicode bidi algorithm orders them, and the pages mark text ``dir=auto``.
# The marks U+200E/U+200F (LRM/RLM) and U+061C (ALM) are ordinary characters and stay allowed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BIDI_NAMES = {
    "\u202a": "LEFT-TO-RIGHT EMBEDDING",
    "\u202b": "RIGHT-TO-LEFT EMBEDDING",
    "\u202c": "POP DIRECTIONAL FORMATTING",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u2068": "FIRST STRONG ISOLATE",
    "\u2069": "POP DIRECTIONAL ISOLATE",
}
_BIDI_TABLE = dict.fromkeys(map(ord, BIDI_CONTROLS))


def bidi_control(value: str) -> str | None:
    """The first bidirectional control character in ``value``, or None."""
    if value.isascii():
        return None
    return next((ch for ch in value if ch in BIDI_CONTROLS), None)


def bidi_message(ch: str, subject: str = "It") -> str:
    """Why a text holding ``ch`` (a ``BIDI_CONTROLS`` character) is refused, and what to do;
    ``subject`` is what holds it ("This line" for an imported file's line)."""
    return (
        f"{subject} contains an invisible bidirectional control character (U+{ord(ch):04X} "
        f"{_BIDI_NAMES[ch]}), which can make the text show in a misleading order; remove it. "
        "Right-to-left text (Arabic, Hebrew) needs none."
    )


def validate_no_bidi_controls(value: object) -> None:
    """Django field validator: refuse a text holding a bidirectional control character."""
    if isinstance(value, str) and (ch := bidi_control(value)) is not None:
        raise ValidationError(bidi_message(ch), code="bidi_control")


def require_no_bidi_controls(**values: object) -> None:
    """For services whose text arrives outside a form or an API schema: ``ValidationFailed``
    naming each field holding a bidirectional control character."""
    from .errors import ValidationFailed

    errors = {
        field: [bidi_message(ch)]
        for field, value in values.items()
        if isinstance(value, str) and (ch := bidi_control(value)) is not None
    }
    if errors:
        raise ValidationFailed(errors)


def without_bidi_controls(value: str) -> str:
    """``value`` with every bidirectional control character removed: for output no HTML
    protects (CSV/XLSX cells, plain-text email, .ics), where only text stored before input
    refused them could still hold one."""
    return value if value.isascii() else value.translate(_BIDI_TABLE)


def without_bidi_controls_in(data: bytes) -> bytes:
    """``without_bidi_controls`` for a UTF-8 file (an .ics): a control is three bytes that
    never occur inside another character, so removing them leaves every line (and a folded
    line's limit) valid."""
    for ch in BIDI_CONTROLS:
        data = data.replace(ch.encode(), b"")
    return data
