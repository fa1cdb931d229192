"""A promise is backed by the status of the priority it is about (docs/loop.md, "Updates"):
a time counted from today is never backed, and a sentence naming one of the update's
priorities is backed by that priority's own window, not another's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from traction.core import clock
from traction.loop.models import PriorityStatus
from traction.loop.update_checker import Named, named_priorities, text_problems
from traction.loop.windows import QUARTER, Window

from . import world as w

TODAY = date(2026, 11, 20)
Q4 = Window.of(QUARTER, date(2026, 10, 1))
Q1 = Window.of(QUARTER, date(2027, 1, 1))
ERP = Named(
    "Import customers from a CSV or straight from the ERP",
    ("Import customers from a CSV or straight from the ERP",),
)
PREVIEW = Named("A preview of the first invoice", ("A preview of the first invoice",), (Q1,))


def words(text: str, **kw: object) -> list[str]:
    return [p.words for p in text_problems(text, today=TODAY, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Expect the ERP import within two weeks.", "within two weeks"),
        ("Coming soon: the ERP import.", "Coming soon"),
        ("The ERP import ships in 3 days.", "in 3 days"),
        ("It is shortly done.", "shortly"),
        ("The import is ready any day now.", "any day now"),
        ("We are on it, and it lands in a few weeks.", "in a few weeks"),
        ("Soon you can import your customers.", "Soon"),
    ],
)
def test_a_time_counted_from_today_is_never_backed(text: str, flagged: str) -> None:
    found = text_problems(text, windows=[Q4, Q1], today=TODAY)
    assert [p.words for p in found] == [flagged]
    assert "counts time from today" in found[0].message


def test_as_soon_as_is_a_condition_not_a_time() -> None:
    assert words("We write again as soon as a new plan is decided.") == []


def test_a_promise_naming_a_priority_needs_that_prioritys_window() -> None:
    """March 2027 lies in the preview's Q1 2027, not in the ERP import's (it has none)."""
    text = "We will deliver the ERP import by March 2027."
    assert words(text, windows=[Q1]) == []  # without knowing the priorities: any backs it
    found = text_problems(text, windows=[Q1], priorities=[ERP, PREVIEW], today=TODAY)
    assert [p.words for p in found] == ["by March 2027", "will"]
    assert "about “Import customers from a CSV" in found[0].message
    # Its own window backs it.
    erp_q1 = Named(ERP.label, ERP.names, (Q1,))
    assert words(text, windows=[Q1], priorities=[erp_q1, PREVIEW]) == []


def test_a_sentence_naming_no_priority_falls_back_to_any_window() -> None:
    text = "We will have it ready by March 2027."
    assert words(text, windows=[Q1], priorities=[ERP, PREVIEW]) == []


def test_a_sentence_naming_a_priority_by_its_telling_words() -> None:
    """“the ERP import” names “Import customers from a CSV or straight from the ERP”."""
    found = words("The ERP import is planned for Q1 2027.", windows=[Q1], priorities=[ERP, PREVIEW])
    assert found == ["Q1 2027"]
    assert (
        words(
            "The invoice preview is planned for Q1 2027.", windows=[Q1], priorities=[ERP, PREVIEW]
        )
        == []
    )


@pytest.mark.django_db
def test_the_update_checker_reads_each_prioritys_own_window(cast: object) -> None:
    with clock.frozen(datetime(2027, 1, 20, 9, 0, tzinfo=UTC)):
        world = w.build(cast)  # type: ignore[arg-type]
        PriorityStatus.objects.create(
            workspace=world.cast.acme, program=world.cast.program, priority=world.card,
            status="planned", window_kind=QUARTER, window_start=date(2027, 4, 1),
            proposed_by=world.cast.users["facilitator"], published_at=clock.now(),
            published_by=world.cast.users["facilitator"],
        )  # fmt: skip
        about = named_priorities(world.cast.program.pk, [world.card.pk, world.quiet.pk])
        assert {p.label: p.windows for p in about} == {
            "Invoice approval takes three weeks": (Window.of(QUARTER, date(2027, 4, 1)),),
            "Let us approve invoices from the phone": (),
        }
        q2 = [Window.of(QUARTER, date(2027, 4, 1))]
        phone = "We will let you approve invoices from the phone in Q2 2027."
        assert [p.words for p in text_problems(phone, windows=q2, priorities=about)] == [
            "Q2 2027",
            "will",
        ]
        approval = "Invoice approval takes three weeks today; we plan to fix it in Q2 2027."
        assert text_problems(approval, windows=q2, priorities=about) == []
