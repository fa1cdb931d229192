"""The note taker's quick syntax: type, speaker, step and tags typed in front of the words.

    /i @gina >2 #billing Approval takes three weeks

Leading tokens only (the verbatim text that follows is never parsed):

- ``/x`` the type: ``/o`` outcome, ``/c`` context, ``/s`` step, ``/m`` moment of truth,
  ``/i`` issue, ``/d`` idea, ``/k`` customer metric, ``/q`` quote, ``/?`` question, or the
  start of the type's name (``/mom``, ``/metric``);
- ``@name`` the speaker: a unique prefix of a participant's first or full name, spaces
  written as dots or dashes (``@gina``, ``@ian.c``);
- ``>N`` the step at position N of the chosen scenario, or ``>name`` a unique prefix of its
  title;
- ``#tag`` a tag.

A token that matches nothing is an error naming it, so a typo never becomes part of a quote.
Tokens not given keep the form's current choices (the note taker's "sticky" selections).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

SHORT_KINDS = {
    "o": "outcome",
    "c": "context",
    "s": "step",
    "m": "moment_of_truth",
    "i": "issue",
    "d": "idea",
    "k": "customer_metric",
    "q": "quote",
    "?": "question",
}
KIND_WORDS = {
    "outcome": "outcome",
    "context": "context",
    "step": "step",
    "moment": "moment_of_truth",
    "mot": "moment_of_truth",
    "issue": "issue",
    "idea": "idea",
    "metric": "customer_metric",
    "quote": "quote",
    "question": "question",
}


@dataclass
class Quick:
    text: str
    kind: str | None = None
    speaker: str | None = None  # a speaker key
    step_id: int | None = None
    tags: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _unique(prefix: str, options: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """Keys of the options one of whose names starts with ``prefix`` (folded)."""
    p = _fold(prefix)
    exact = [key for key, names in options if any(_fold(n) == p for n in names)]
    if exact:
        return exact
    return [key for key, names in options if any(_fold(n).startswith(p) for n in names)]


def _kind(token: str) -> str | None:
    if token in SHORT_KINDS:
        return SHORT_KINDS[token]
    found = {v for k, v in KIND_WORDS.items() if k.startswith(token)}
    return found.pop() if len(found) == 1 else None


def parse(
    line: str,
    *,
    speakers: Sequence[tuple[str, str]],  # (key, full name)
    steps: Sequence[tuple[int, str]],  # (id, title) in position order
) -> Quick:
    words = line.strip().split(" ")
    result = Quick(text="")
    speaker_names = [
        (key, [name, name.split(" ")[0], name.replace(" ", "."), name.replace(" ", "-")])
        for key, name in speakers
    ]
    while words:
        token = words[0]
        if len(token) < 2 or token[0] not in "/@>#":
            break
        words.pop(0)
        sigil, value = token[0], token[1:]
        if sigil == "/":
            kind = _kind(value.lower())
            if kind is None:
                result.errors["kind"] = f"“{token}” is not a type; try /m /i /d /k /q /?."
            else:
                result.kind = kind
        elif sigil == "@":
            keys = _unique(value.replace(".", " ").replace("-", " "), speaker_names) or _unique(
                value, speaker_names
            )
            if len(keys) == 1:
                result.speaker = keys[0]
            else:
                result.errors["speaker"] = (
                    f"“{token}” matches {'nobody' if not keys else 'more than one person'} "
                    "in this session."
                )
        elif sigil == ">":
            if value.isascii() and value.isdigit():  # "²" is a digit to isdigit(), not to int()
                n = int(value) if len(value) <= 6 else len(steps) + 1
                if 1 <= n <= len(steps):
                    result.step_id = steps[n - 1][0]
                else:
                    result.errors["step"] = f"There is no step {n}; the map has {len(steps)}."
            else:
                ids = _unique(value.replace("-", " "), [(str(i), [t]) for i, t in steps])
                if len(ids) == 1:
                    result.step_id = int(ids[0])
                else:
                    result.errors["step"] = f"“{token}” matches {len(ids) or 'no'} steps."
        else:
            result.tags.append(value.lower())
    result.text = " ".join(words).strip()
    return result
