"""Agenda templates, following the Customer Scenario Mapping method (DESIGN.md §1)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from .models import SessionKind


class Item(NamedTuple):
    title: str
    minutes: int
    notes: str = ""


TEMPLATES: dict[str, list[Item]] = {
    SessionKind.CO_DESIGN: [
        Item("Welcome", 15, "Introductions, goals of the day, how we will work."),
        Item(
            "Issues & vision discussion",
            45,
            "Customers talk; internal participants listen and take notes, without interrupting.",
        ),
        Item(
            "Scenario mapping in customer teams", 90, "Outcome, context, steps, moments of truth."
        ),
        Item(
            "Prioritisation",
            30,
            "Customers spend their votes on moments of truth, issues and ideas.",
        ),
        Item("Questions from our team", 20, "The picked top questions, in order."),
        Item("Next steps", 10, "What happens next and when customers will hear back."),
    ],
    SessionKind.CAB: [
        Item("Welcome", 10),
        Item("What we heard and what we did since last time", 30),
        Item("Discussion", 60),
        Item("Questions from our team", 15),
        Item("Next steps", 5),
    ],
    SessionKind.INTERVIEW: [
        Item("Introductions", 5),
        Item("Their goals and context", 20),
        Item("Walk through their scenario", 25),
        Item("Next steps", 5),
    ],
    SessionKind.PRACTICE: [
        Item(
            "Rules of participation",
            15,
            "No interrupting; notes while listening; questions at the end.",
        ),
        Item("Walk through the agenda and the roles", 30),
        Item("Rehearse the issues & vision discussion", 30),
        Item("Review the top questions", 15),
    ],
}

RULES_OF_PARTICIPATION = [
    "Do not interrupt customers during the issues & vision discussion: listen.",
    "Take notes while you listen: what customers want, what gets in their way, their words.",
    "Keep your top questions for the end of the session; submit them beforehand so they "
    "can be picked.",
    "Do not promise anything to customers in the room: decisions come in the debrief.",
]

ROLE_DUTIES = {
    "facilitator": "Runs the session, keeps time, protects the customers' voice.",
    "junior_facilitator": "Supports the facilitator and one customer team during scenario mapping.",
    "note_taker": "Captures what customers say, attributed to the speaker and the scenario step.",
    "observer": "Listens and takes notes; speaks only in the top-questions slot.",
    "executive": "Opens or closes the session, listens, and asks picked questions at the end.",
}


# --- what a complete agenda holds ---------------------------------------------------------------
# The one place that says whether an agenda covers the method's parts and fits its session:
# ``check_agenda``. Readiness (web, API, CLI), the agenda's summary on the session's pages, the
# message after saving and the agenda form's live hint (an htmx partial) all ask it.


class Part(NamedTuple):
    key: str
    label: str  # as in "The agenda has no {label} yet"
    pattern: re.Pattern[str]  # searched in an item's title, case-folded


def _words(*stems: str) -> re.Pattern[str]:
    """Any of the stems at the start of a word ("map" finds "Map the journey", not "roadmap")."""
    return re.compile(r"\b(?:" + "|".join(stems) + ")", re.IGNORECASE)


PARTS: list[Part] = [
    Part(
        "issues_vision",
        "issues and vision discussion",
        # en, fr (problèmes, enjeux), de (Probleme, Herausforderungen), es/pt (problemas, visión)
        _words("issue", "vision", "visión", "visão", "probl", "pain", "enjeu", "herausforderung"),
    ),
    Part(
        "scenario",
        "scenario mapping",
        # scénario, Szenario, escenario, cenário; journey, parcours, Reise; map, carte, Karte
        _words(
            "scenar",
            "scénar",
            "szenar",
            "escenar",
            "cenár",
            "journey",
            "parcours",
            "reise",
            "map",
            "carte",
            "cartograph",
            "karte",
            "mapa",
        ),
    ),
    Part(
        "prioritisation",
        "prioritisation (dot voting)",
        # prioritise/-ize, priorisation, Priorisierung, priorización; vote, voting, Abstimmung
        _words(
            "prioriti",
            "prioris",
            "prioriz",
            "vote",
            "voting",
            "votac",
            "votaç",
            r"dots?\b",
            "abstimm",
            "punkte",
            "gommette",
        ),
    ),
    Part(
        "next_steps",
        "next steps",
        # next steps, wrap-up, prochaines étapes, nächste Schritte, próximos pasos, close
        _words("next", "wrap", "prochain", "nächste", "naechste", "próximo", "proximo", "clos"),
    ),
]

# The parts each kind of session must cover (its template covers them; tests check it).
REQUIRED_PARTS: dict[str, list[str]] = {
    SessionKind.CO_DESIGN: ["issues_vision", "scenario", "prioritisation", "next_steps"],
    SessionKind.CAB: ["next_steps"],
    SessionKind.INTERVIEW: ["scenario", "next_steps"],
    SessionKind.PRACTICE: [],
}


def missing_parts(kind: str, titles: Iterable[str]) -> list[Part]:
    """The method's parts an agenda of this kind lacks, in the method's order: a part is there
    when an item's title names it ("Prioritisation", "Dot voting", "Map the journey"...)."""
    found = list(titles)
    required = REQUIRED_PARTS.get(kind, [])
    return [
        p
        for p in PARTS
        if p.key in required and not any(p.pattern.search(title) for title in found)
    ]


def missing_text(missing: list[Part]) -> str:
    """ "The agenda has no next steps yet", or "" when nothing is missing."""
    if not missing:
        return ""
    labels = [p.label for p in missing]
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
    return f"The agenda has no {listed} yet"


# Planned minutes: at least this share of the session, and never more than all of it.
PLANNED_SHARE = 0.9


def minutes_warning(total: int, length: int) -> str:
    """What is wrong with the agenda's minutes, or "" when they fit the session."""
    if total > length:
        return f"The agenda runs {total - length} minutes over the session."
    if total < PLANNED_SHARE * length:
        return f"{length - total} minutes of the session are not planned yet."
    return ""


@dataclass(frozen=True)
class AgendaCheck:
    """An agenda measured against the method: its minutes and the parts it lacks."""

    kind: str
    length: int  # the session's minutes
    total: int  # the agenda's planned minutes
    missing_parts: tuple[Part, ...]

    @property
    def warning(self) -> str:
        """What is wrong with the minutes, or ""."""
        return minutes_warning(self.total, self.length)

    @property
    def missing(self) -> str:
        """ "The agenda has no next steps yet.", or "" when it covers every part."""
        return missing_text(list(self.missing_parts)) + "." if self.missing_parts else ""

    @property
    def required(self) -> list[Part]:
        """The parts a session of this kind covers, in the method's order."""
        return [p for p in PARTS if p.key in REQUIRED_PARTS.get(self.kind, [])]

    @property
    def complete(self) -> bool:
        """Planned, within the session's minutes, and covering every required part."""
        return self.total > 0 and not self.warning and not self.missing_parts


def check_agenda(*, kind: str, length: int, titles: Iterable[str], total: int) -> AgendaCheck:
    """The one answer to "does this agenda cover the method's parts and fit its session?"
    for an agenda of these item titles and ``total`` planned minutes."""
    return AgendaCheck(kind, length, total, tuple(missing_parts(kind, titles)))


def summary(kind: str, length: int, items: Iterable[Any]) -> AgendaCheck:
    """The check of an agenda's items (anything with ``title`` and ``minutes``)."""
    listed = list(items)
    return check_agenda(
        kind=kind,
        length=length,
        titles=[i.title for i in listed],
        total=sum(i.minutes for i in listed),
    )
