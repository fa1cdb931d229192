"""Match the speaker names written in transcripts and sticky notes to the people we know.

Pure Python: `normalize` makes two spellings of one name compare equal ("Globex, Gina (Guest)"
and "gina globex"), `match` finds the one person a name refers to, or None when unsure, and
`display_name` is a name as written without the meeting tool's role labels ("(Guest)").
"""

import re
import unicodedata
from collections.abc import Sequence
from typing import TypeVar

K = TypeVar("K")

_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")  # "(Guest)", "(External)", "[Globex]"
_SUFFIXES = frozenset({"phd", "md", "jr", "sr", "ii", "iii", "iv", "mba", "esq"})
_APOSTROPHES = dict.fromkeys(map(ord, "'’ʼ`"), None)
# What Zoom and Teams append to a participant's name: their role in the meeting, not a name.
_ROLE_LABELS = frozenset(
    {
        "guest",
        "external",
        "host",
        "co host",
        "cohost",
        "organizer",
        "organiser",
        "presenter",
        "attendee",
        "panelist",
        "panellist",
        "moderator",
        "unverified",
        "me",
    }
)
_TRAILING_BRACKET = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]\s*$")


# Pronouns Zoom shows after a name, "(she/her)", "(they/them)", "(he/they)": not a name.
_PRONOUNS = frozenset(
    [
        "she",
        "her",
        "hers",
        "he",
        "him",
        "his",
        "they",
        "them",
        "theirs",
        "xe",
        "xem",
        "xyr",
        "ze",
        "zir",
        "hir",
        "any",
        "all",
        "ask",
    ]
)
# "Ivy Initech | Initech": the company or team a meeting name adds after a bar.
_AFTER_BAR = re.compile(r"\s+\|\s.*$")


def _is_role_label(text: str) -> bool:
    words = text.casefold().split("/")
    if len(words) > 1 and all(w.strip() in _PRONOUNS for w in words):
        return True
    return " ".join(text.replace("-", " ").casefold().split()) in _ROLE_LABELS


def display_name(name: str) -> str:
    """The name as written, spaces tidied, without the role labels a meeting tool appends:
    "Gina Globex (Guest)", "Gina Globex (Host, me)" and "Gina Globex (she/her)" are "Gina
    Globex", Teams' "Ivy Initech (External)" and Zoom's "Ivy Initech | Initech" are "Ivy
    Initech". Other brackets stay ("Gina (Globex)"), and a name that is nothing but a label
    is kept as it is."""
    written = " ".join(name.split())
    if " | " in written and not written.startswith("|"):
        written = _AFTER_BAR.sub("", written)
    while found := _TRAILING_BRACKET.search(written):
        labels = found.group(1).split(",")
        rest = written[: found.start()].rstrip()
        if not rest or not all(_is_role_label(label) for label in labels):
            break
        written = rest
    return written


def normalize(name: str) -> str:
    """Casefolded words of a name without accents, emoji, punctuation or bracketed suffixes;
    "Last, First" becomes "first last"."""
    name = _BRACKETED.sub(" ", _AFTER_BAR.sub("", name) or name)
    if name.count(",") == 1:
        last, first = name.split(",")
        if first.strip().strip(".").casefold() in _SUFFIXES:
            name = last
        elif first.strip() and last.strip():
            name = f"{first} {last}"
    decomposed = unicodedata.normalize("NFKD", name).casefold().translate(_APOSTROPHES)
    plain = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split())


def match(name: str, people: Sequence[tuple[K, str]]) -> K | None:
    """The key of the one person `name` refers to, or None when nobody or several match.

    Tried in turn: the full name; then a lone first name, "first l." or "first last" skipping
    middle names. An email address ("gina.globex@example.com") counts as its local part.
    """
    if "@" in name and " " not in name.strip():
        name = name.strip().partition("@")[0]
    target = normalize(name)
    if not target:
        return None
    known = [(key, normalize(full_name).split()) for key, full_name in people]
    words = target.split()
    exact = [key for key, parts in known if parts == words]
    if exact:
        return exact[0] if len(exact) == 1 else None
    first = words[0]
    if len(words) == 1:
        found = [key for key, parts in known if parts[:1] == [first]]
    elif len(words) == 2 and len(words[1]) == 1:  # "first l."
        found = [
            key
            for key, parts in known
            if len(parts) >= 2 and parts[0] == first and parts[-1].startswith(words[1])
        ]
    else:
        found = [
            key
            for key, parts in known
            if len(parts) > len(words) and parts[0] == first and parts[-1] == words[-1]
        ]
    return found[0] if len(found) == 1 else None
