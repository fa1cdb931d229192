"""Form fields every app's forms share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

from . import timezones


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
