"""Form fields every app's forms share."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

from . import timezones
from .text import MaxLength, validate_no_bidi_controls

_QUESTION = re.compile(r"\?(\s*\([^()]*\))?\s*$")


class Form(forms.Form):
    """Every form of the app: a field's cap on length is refused in the one wording the
    services and the API use (``core.text.too_long``: the limit and the actual size), not in
    Django's ("Ensure this value has at most …").

    An edit form's stored value (its ``initial``) longer than the field's cap, written before
    the cap, is let through unchanged (and the browser is not told a smaller cap): the row
    stays editable in its other fields, as in the services, which check a cap only on a
    changed value.

    Every text field refuses the invisible bidirectional controls (``core.text``:
    U+202A–U+202E, U+2066–U+2069) beside the field, what was typed kept in the form; a
    stored value is let through as for caps (a row written before the rule stays editable;
    exports and email drop the controls), and a password is what it is (never shown), so its
    fields are left alone.

    A single checkbox's label has no colon after it: it reads as a statement; nor has a
    question ("Anything to add? (optional)"), whatever note follows it in brackets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():  # this form's own copies of the fields
            stored = self.initial.get(name, field.initial)
            field.validators = [
                MaxLength(v.limit_value, stored=stored) if type(v) is MaxLengthValidator else v
                for v in field.validators
            ]
            if isinstance(field, forms.CharField) and not isinstance(
                field.widget, forms.PasswordInput
            ):
                field.validators.append(NoBidiControls(stored))
            cap = getattr(field, "max_length", None)
            if cap is not None and isinstance(stored, str) and len(stored) > cap:
                field.widget.attrs["maxlength"] = str(len(stored))
            # A single box's label is a statement ("This person agreed to be contacted"),
            # not a question awaiting a value: no colon after it.
            if isinstance(field.widget, forms.CheckboxInput) and field.label_suffix is None:
                field.label_suffix = ""
            # A question asks already: no colon after its mark, nor after a note in brackets.
            if field.label_suffix is None and _QUESTION.search(str(field.label or "")):
                field.label_suffix = ""


class NoBidiControls:
    """``core.text.validate_no_bidi_controls``, letting ``stored`` (an edit form's value as
    stored) through."""

    def __init__(self, stored: object = None) -> None:
        self.stored = stored

    def __call__(self, value: object) -> None:
        if self.stored is None or value != self.stored:
            validate_no_bidi_controls(value)


class TimeZoneSelect(forms.Select):
    """A plain <select> of current zone names (it works without script), which
    ``tz_picker.js`` gives a search box: typing filters the list, Enter or the arrow keys
    choose, and the number of matches is announced."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"data-tz-picker": "", "autocomplete": "off", **(attrs or {})})

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        select = super().render(name, value, attrs, renderer)
        return format_html('{}<script src="{}" defer></script>', select, static("tz_picker.js"))


class TimeZoneField(forms.ChoiceField):
    """A time zone: current names only (``core.timezones``). ``keep`` lets a record keep a
    name it already has that is no longer current."""

    widget = TimeZoneSelect

    def __init__(self, *, keep: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("label", "Time zone")
        super().__init__(choices=timezones.choices(keep), **kwargs)
        self.error_messages["invalid_choice"] = (
            "Choose a time zone from the list, e.g. Europe/Berlin (type a city to find it)."
        )

    def keep(self, name: str) -> None:
        """Offer ``name`` too, when it is stored on the record but no longer current."""
        self.choices = timezones.choices(name)


class Paragraphs(forms.Textarea):
    """A <textarea> whose line breaks arrive as one character each. A browser counts a line
    break as one character against ``maxlength`` but sends it as two (CR LF); read back as
    LF, a text the browser let through is never refused as too long by the same limit, and
    what is stored is what every other client (the API, imports) sends."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


# A version past a 64-bit integer was never read from anywhere: refused as input.
MAX_VERSION = 2**63 - 1


class VersionField(forms.IntegerField):
    """The hidden "version you read": ASCII digits within a 64-bit integer, or a form error
    (``forms.IntegerField`` alone reads "٣" as 3 and lets a 25-digit number reach the
    database)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(min_value=1, max_value=MAX_VERSION, **kwargs)

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip() and not value.strip().isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
