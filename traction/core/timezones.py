"""The time zones people may choose: current IANA names only.

``zoneinfo.available_timezones()`` also holds every name the tz database keeps for
backward compatibility: links such as ``US/Pacific``, ``Asia/Calcutta`` or ``Europe/Kiev``,
the ``Etc/GMT+5`` fixed offsets (whose sign is the reverse of what people expect) and
legacy rules like ``EST5EDT``. The rule here: a name is current when the tz database lists
it for a country in ``zone1970.tab`` or ``zone.tab`` (every populated place's zone, with
its current spelling), plus ``UTC``. Those files ship with the ``tzdata`` package (and with
the system's zoneinfo); a name must also load, so a picker never offers a zone the server
cannot use.
"""

from __future__ import annotations

import importlib.resources
import zoneinfo
from functools import cache
from pathlib import Path

UTC_NAME = "UTC"
TABLES = ("zone1970.tab", "zone.tab")
SYSTEM_ZONEINFO = Path("/usr/share/zoneinfo")


def _table_texts() -> list[str]:
    texts: list[str] = []
    try:
        root = importlib.resources.files("tzdata").joinpath("zoneinfo")
        texts = [root.joinpath(name).read_text("utf-8") for name in TABLES]
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        texts = []
    if not texts:
        texts = [
            (SYSTEM_ZONEINFO / name).read_text("utf-8")
            for name in TABLES
            if (SYSTEM_ZONEINFO / name).exists()
        ]
    return texts


def names_in_table(text: str) -> set[str]:
    """The zone names (third column) of a zone.tab-style table."""
    names = set()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) >= 3:
            names.add(columns[2].strip())
    return names


@cache
def current_names() -> tuple[str, ...]:
    """UTC first, then every current zone name, sorted."""
    listed: set[str] = set()
    for text in _table_texts():
        listed |= names_in_table(text)
    loadable = zoneinfo.available_timezones()
    return (UTC_NAME, *sorted(n for n in listed if n in loadable and n != UTC_NAME))


def is_current(name: str) -> bool:
    return name in _current_set()


@cache
def _current_set() -> frozenset[str]:
    return frozenset(current_names())


def label(name: str) -> str:
    """How a name reads in a picker: "America/Argentina/Buenos Aires"."""
    return name.replace("_", " ")


def choices(keep: str = "") -> list[tuple[str, str]]:
    """(name, label) pairs for a picker. ``keep`` is a value already stored that is not
    current any more (a session planned in "Europe/Kiev"): it stays choosable, so editing
    a record never silently changes its zone."""
    pairs = [(n, label(n)) for n in current_names()]
    if keep and not is_current(keep):
        pairs.insert(1, (keep, f"{label(keep)} (old name)"))
    return pairs
