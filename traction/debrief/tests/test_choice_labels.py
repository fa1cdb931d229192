"""Pickers say what their empty choice means: "Choose the owner" for a new action item, no
empty choice at all for an existing one's owner (an action always has one), "Nobody yet" for a
metric's owner and "Not calculated" for its parts; never Django's bare "---------"."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.services import actions as services

from .actions_world import approved, make_debrief

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(NOW) as f:
        yield f


def empty_option(html: str, name: str) -> str | None:
    """The text of the ``<select name=...>``'s option without a value, or None."""
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select, f"no select {name}"
    found = re.search(r'<option value=""[^>]*>([^<]*)</option>', select.group(0))
    return found.group(1) if found else None


def test_the_action_and_metric_pickers_name_their_empty_choice(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    debrief = make_debrief(cast, ends_at=NOW - timedelta(days=3))
    rec = approved(cast, debrief)
    fran = client_for("facilitator")
    base = f"/w/{cast.acme.slug}/debriefs"

    add_page = fran.get(f"{base}/{debrief.pk}/actions/").content.decode()
    assert empty_option(add_page, "owner") == "Choose the owner"
    # Leaving it unchosen is still refused beside the field.
    refused = fran.post(
        f"{base}/{debrief.pk}/actions/",
        {"recommendation": rec.pk, "title": "Ship it", "owner": "", "due_on": "2027-03-31"},
    )
    assert refused.status_code == 422
    assert refused.context["form"].errors["owner"] == ["This field is required."]

    action = services.create_action(
        cast.viewer("facilitator"),
        recommendation=rec,
        title="Ship the one-page approval",
        owner_id=cast.users["core_team"].pk,
        due_on=date(2027, 3, 31),
    )
    edit_page = fran.get(f"{base}/actions/{action.pk}/edit/").content.decode()
    assert empty_option(edit_page, "owner") is None

    metric_page = fran.get(f"{base}/programs/{cast.program.pk}/scorecard/metrics/new/")
    html = metric_page.content.decode()
    assert empty_option(html, "owner") == "Nobody yet"
    assert empty_option(html, "numerator") == "Not calculated: measured directly"
    assert empty_option(html, "denominator") == "Not calculated: measured directly"
    for page in (add_page, edit_page, html):
        assert "---------" not in page
