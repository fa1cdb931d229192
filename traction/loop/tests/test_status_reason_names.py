"""A status is read by every customer of its priority: its reason (and a reusable reason
text) names no customer organisation of the workspace and none of their contacts."""

from __future__ import annotations

import pytest

from traction.core.errors import ValidationFailed
from traction.core.testing.cast import Cast
from traction.loop import checker
from traction.loop.services import publishing

from . import world as w

pytestmark = pytest.mark.django_db


def test_a_status_reason_naming_another_customer_is_refused(cast: Cast) -> None:
    """Moved from the s15 review: Initech's name in a reason every customer reads."""
    world = w.build(cast)
    other = cast.other_customer.name
    with pytest.raises(ValidationFailed) as refused:
        publishing.propose_status(
            cast.viewer("facilitator"),
            cast.program,
            priority_id=world.card.pk,
            status="heard",
            customer_reason=f"{other} asked for this first.",
        )
    errors = refused.value.errors
    assert other in str(errors["customer_reason"]), errors
    assert f"Remove “{other}”" in " ".join(errors["customer_reason"])


@pytest.mark.parametrize("who", ["customer", "contact", "other_contact"])
def test_a_status_reason_naming_any_customer_or_contact_is_refused(cast: Cast, who: str) -> None:
    """Even the priority's own customer: the status is read by all of its customers."""
    world = w.build(cast)
    name = getattr(cast, who).name
    with pytest.raises(ValidationFailed) as refused:
        publishing.propose_status(
            cast.viewer("facilitator"),
            cast.program,
            priority_id=world.card.pk,
            status="heard",
            customer_reason=f"As {name.upper()} told us, this matters.",
        )
    assert name.upper() in " ".join(refused.value.errors["customer_reason"])


def test_a_status_reason_without_names_is_proposed(cast: Cast) -> None:
    world = w.build(cast)
    proposal = publishing.propose_status(
        cast.viewer("facilitator"),
        cast.program,
        priority_id=world.card.pk,
        status="heard",
        customer_reason="Several customers asked for this.",
    )
    assert proposal.customer_reason == "Several customers asked for this."


def test_a_reason_text_naming_a_customer_is_refused(cast: Cast) -> None:
    other = cast.other_contact.name
    with pytest.raises(ValidationFailed) as refused:
        publishing.add_reason_text(
            cast.viewer("facilitator"), title="Why not", text=f"{other} did not need it."
        )
    assert f"Remove “{other}”" in " ".join(refused.value.errors["text"])


def test_names_match_whole_words_without_case() -> None:
    assert checker.named("globex asked", ["Globex"]) == ["globex"]
    assert checker.named("Globexian asked", ["Globex"]) == []
    assert checker.problems("Nothing to see.", names=["Globex"]) == []
