"""The drafted letters read well to a customer (docs/loop.md, "Updates"): a letter to
several organisations greets them neutrally (never by the program's internal name), and a
name spliced into a sentence (a recommendation's customer summary, which starts with a
capital letter) is quoted, in every kind of letter."""

from __future__ import annotations

from datetime import date

import pytest

from traction.core import clock
from traction.loop import drafting
from traction.loop.drafting import PriorityFacts
from traction.loop.models import AtRisk, Delivery, PriorityStatus
from traction.loop.services import updates
from traction.loop.update_checker import update_problems

from . import world as w
from .test_updates import NOW

SUMMARY = "A preview of your first invoice, before it goes out."
NAME = "A preview of your first invoice, before it goes out"


def published(value: str) -> PriorityStatus:
    return PriorityStatus(status=value, window_kind="", window_start=None, customer_reason="")


def delivered_fact() -> PriorityFacts:
    return PriorityFacts(
        1,
        "internal words",
        5,
        published("delivered"),
        summaries=[(7, SUMMARY)],
        deliveries=[(11, "Invoice preview", date(2026, 12, 2))],
    )


@pytest.mark.django_db
def test_a_program_letter_greets_customers_neutrally_not_by_the_programs_name(
    cast: object,
) -> None:
    with clock.frozen(NOW):
        world = w.build(cast)  # type: ignore[arg-type]
        program = world.cast.program
        update = updates.compose(world.cast.viewer("facilitator"), program, audience="program")
        assert update_problems(update) == []
    first = update.body.splitlines()[0]
    assert first == "Hello,"
    assert program.name not in first


def test_a_summary_named_by_a_delivery_is_quoted_not_spliced_with_its_capital() -> None:
    (done,) = dict(drafting.sections([delivered_fact()]))["What is done"]
    assert done == f"Invoice preview (2 December 2026), for “{NAME}”."


def test_a_letter_after_a_silence_quotes_the_names_its_deliveries_answer() -> None:
    who = drafting.Audience("program", "Hello,", False)
    got = drafting.render_re_engagement("Onboarding", who, [delivered_fact()], None)
    assert f"Invoice preview (2 December 2026), for “{NAME}”." in got.body
    assert ", for A preview" not in got.body


def test_a_change_of_plan_quotes_the_summary_it_puts_in_place_of_the_cards_words() -> None:
    fact = PriorityFacts(1, "Invoice approval takes three weeks", 5, published("planned"))
    fact.summaries = [(7, SUMMARY)]
    risk = AtRisk(draft="An honest update on “Invoice approval takes three weeks”: it slipped.")
    who = drafting.Audience("program", "Hello,", False)
    got = drafting.render_change_of_plan(who, risk, [fact])
    assert f"An honest update on “{NAME}”: it slipped." in got.body
    assert "three weeks" not in got.body


def test_a_quoted_name_is_not_quoted_twice() -> None:
    assert drafting.quoted("“Their own words”") == "“Their own words”"
    assert drafting.quoted("SSO for every team") == "“SSO for every team”"


def test_a_delivery_letter_names_what_it_answers_at_the_start_of_its_lines() -> None:
    who = drafting.Audience("program", "Hello,", False)
    delivery = Delivery(title="Invoice preview", on=date(2026, 12, 2))
    got = drafting.render_deliveries(who, [delivery], [delivered_fact()])
    assert got.body.startswith("Hello,\n\nOn 2 December 2026 we delivered “Invoice preview”.")
    assert f"- {NAME}." in got.body
