"""A drafted update never contradicts itself: each priority, each recommendation's summary
and each delivery is told once, in the one part its facts put it (docs/loop.md, "Updates")."""

from __future__ import annotations

from datetime import date

import pytest

from traction.core import clock
from traction.debrief.models import Evidence, Recommendation
from traction.loop import drafting
from traction.loop.drafting import PriorityFacts, Quote
from traction.loop.models import DeliveryPriority, PriorityStatus
from traction.loop.services import updates
from traction.loop.update_checker import text_problems, update_problems
from traction.loop.windows import QUARTER, Window

from . import world as w
from .test_updates import NOW

Q4 = Window.of(QUARTER, date(2026, 10, 1))
SUMMARY = "Approve an invoice on one page."


def status(value: str, window: Window | None = None, reason: str = "") -> PriorityStatus:
    return PriorityStatus(
        status=value,
        window_kind=window.kind if window else "",
        window_start=window.start if window else None,
        customer_reason=reason,
    )


def parts(found: list[PriorityFacts]) -> dict[str, list[str]]:
    return dict(drafting.sections(found))


def body(found: list[PriorityFacts]) -> str:
    return "\n".join(line for _, lines in drafting.sections(found) for line in lines)


def test_two_priorities_sharing_a_recommendation_are_told_once_most_advanced() -> None:
    """One recommendation answers a planned and a delivered priority: "planned for Q4 2026"
    and "delivered" of the same thing in one message was the contradiction."""
    found = [
        PriorityFacts(1, "a", 5, status("planned", Q4), summaries=[(7, SUMMARY)]),
        PriorityFacts(2, "b", 3, status("delivered"), summaries=[(7, SUMMARY)]),
    ]
    got = parts(found)
    assert got["What is done"] == ["Approve an invoice on one page: delivered."]
    assert got["What is next, and when"] == []
    assert got["What we decided"] == []
    # "What you told us" and "What is done", once each.
    assert body(found).count("Approve an invoice on one page") == 2
    assert "planned for Q4 2026" not in body(found)


def test_heard_and_under_consideration_of_one_recommendation_are_one_line() -> None:
    found = [
        PriorityFacts(1, "a", 5, status("heard"), summaries=[(7, SUMMARY)]),
        PriorityFacts(2, "b", 3, status("under_consideration"), summaries=[(7, SUMMARY)]),
    ]
    assert parts(found)["What we decided"] == [
        "Approve an invoice on one page: under consideration."
    ]


def test_a_delivery_touching_two_priorities_is_told_once_naming_both() -> None:
    delivery = (11, "One-page approval", date(2026, 11, 3))
    found = [
        PriorityFacts(
            1, "a", 5, status("delivered"), summaries=[(7, SUMMARY)], deliveries=[delivery]
        ),
        PriorityFacts(
            2,
            "b",
            3,
            status("delivered"),
            summaries=[(8, "Faster invoices.")],
            deliveries=[delivery],
        ),
    ]
    assert parts(found)["What is done"] == [
        "One-page approval (3 November 2026), for “Approve an invoice on one page” and "
        "“Faster invoices”."
    ]


def test_a_delivery_of_a_priority_still_planned_does_not_tell_the_priority_twice() -> None:
    delivery = (11, "First step", date(2026, 11, 3))
    found = [
        PriorityFacts(
            1, "a", 5, status("planned", Q4), summaries=[(7, SUMMARY)], deliveries=[delivery]
        )
    ]
    got = parts(found)
    assert got["What is done"] == ["First step (3 November 2026)."]
    assert got["What is next, and when"] == ["Approve an invoice on one page: planned for Q4 2026."]


def test_a_priority_in_their_own_words_carries_its_decision_in_its_one_part() -> None:
    quote = Quote(3, "Invoice approval takes three weeks", date(2026, 1, 20), "you told us")
    found = [PriorityFacts(1, "a", 5, status("planned", Q4), summaries=[(7, SUMMARY)], quote=quote)]
    assert parts(found)["What is next, and when"] == [
        "“Invoice approval takes three weeks”: planned for Q4 2026. We decided: Approve an "
        "invoice on one page."
    ]


def test_a_summary_is_told_beside_the_most_advanced_priority_it_answers() -> None:
    """Told to their own organisation, priorities are named by their words: the decision is
    told once, beside the delivered one, never beside "planned for Q4 2026"."""
    first = Quote(3, "The first invoice is correct", date(2026, 1, 20), "you told us")
    preview = Quote(4, "A preview before it goes out", date(2026, 1, 20), "you told us")
    found = [
        PriorityFacts(1, "a", 5, status("planned", Q4), summaries=[(7, SUMMARY)], quote=first),
        PriorityFacts(2, "b", 3, status("delivered"), summaries=[(7, SUMMARY)], quote=preview),
    ]
    got = parts(found)
    assert got["What is next, and when"] == ["“The first invoice is correct”: planned for Q4 2026."]
    assert got["What is done"] == [
        "“A preview before it goes out”: delivered. We decided: Approve an invoice on one page."
    ]


def test_a_summary_naming_a_priority_is_not_repeated_beside_another() -> None:
    quote = Quote(3, "Invoice approval takes three weeks", date(2026, 1, 20), "you told us")
    found = [
        PriorityFacts(1, "a", 5, status("planned", Q4), summaries=[(7, SUMMARY)], quote=quote),
        PriorityFacts(
            2, "b", 3, status("not_planned", reason="It conflicts."), summaries=[(7, SUMMARY)]
        ),
    ]
    got = parts(found)
    assert got["What is next, and when"] == [
        "“Invoice approval takes three weeks”: planned for Q4 2026."
    ]
    # The second priority is named by the summary: said once, as its name.
    assert got["What we are not doing, and why"] == [
        "Approve an invoice on one page: not planned. It conflicts."
    ]
    assert got["What we decided"] == []


@pytest.mark.django_db
def test_a_program_draft_tells_a_shared_recommendation_once(cast: object) -> None:
    """Through the services: Globex's card delivered, Initech's planned, one recommendation
    citing both; the drafted program update says it once and passes its checker."""
    with clock.frozen(NOW):
        world = w.build(cast)  # type: ignore[arg-type]
        rec = w.approved(world)
        Evidence.objects.create(recommendation=rec, insight=world.quiet)
        Recommendation.objects.filter(pk=rec.pk).update(customer_summary=SUMMARY)
        from traction.loop.services import deliveries as delivery_services
        from traction.loop.services.deliveries import Entry

        fran = world.cast.viewer("facilitator")
        delivered = delivery_services.record_delivery(
            fran,
            world.cast.program,
            Entry(
                on=date(2027, 1, 18),
                title="One-page approval",
                priorities=(world.card.pk, world.quiet.pk),
            ),
            source="manual",
        )
        assert DeliveryPriority.objects.filter(delivery=delivered).count() == 2
        for card, value in ((world.card, "delivered"), (world.quiet, "under_consideration")):
            PriorityStatus.objects.create(
                workspace=world.cast.acme, program=world.cast.program, priority=card,
                status=value, proposed_by=world.cast.users["facilitator"],
                published_at=clock.now(), published_by=world.cast.users["facilitator"],
            )  # fmt: skip
        update = updates.compose(fran, world.cast.program, audience="program")
        assert update_problems(update) == []
    text = update.body
    assert text.count("One-page approval (18 January 2027)") == 1
    assert "under consideration" not in text
    assert "What we decided" not in text


def test_the_checker_flags_a_sentence_said_in_two_parts() -> None:
    text = (
        "Dear customers,\n\nWhat we decided\n- One-page approval: planned for Q4 2026.\n\n"
        "What is done\n- One-page approval: delivered.\n- Invoice preview (3 November 2026).\n\n"
        "What is next, and when\n- Faster imports: planned for Q4 2026.\n"
        "- One-page approval: planned for Q4 2026.\n"
    )
    found = text_problems(text, windows=[Q4], today=date(2026, 11, 20))
    assert [p.words for p in found] == ["One-page approval: planned for Q4 2026."]
    assert "said in two parts" in found[0].message


def test_the_same_sentence_within_one_part_or_in_their_own_quoted_words_is_fine() -> None:
    quote = "Approvals are slow. We chase them by phone."
    text = (
        f"What you told us\n- You told us: “{quote}”\n\n"
        f"What is next, and when\n- “{quote}”: planned for Q4 2026.\n"
        "- We looked at it carefully. It stays.\n- We looked at it carefully. It goes.\n"
    )
    found = text_problems(text, windows=[Q4], quoted=[quote], today=date(2026, 11, 20))
    assert found == []
