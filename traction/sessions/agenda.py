"""Agenda templates, following the Customer Scenario Mapping method (DESIGN.md §1)."""

from __future__ import annotations

from typing import NamedTuple

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
        Item("Top questions from internal participants", 20, "The picked questions, in order."),
        Item("Next steps", 10, "What happens next and when customers will hear back."),
    ],
    SessionKind.CAB: [
        Item("Welcome", 10),
        Item("What we heard and what we did since last time", 30),
        Item("Discussion", 60),
        Item("Top questions from internal participants", 15),
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
