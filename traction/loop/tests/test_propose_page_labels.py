"""The propose-a-status page says what a priority rests on in people's words
(docs/loop.md, "Statuses and what each needs"): an action item's status and a
recommendation's outcome by their labels, never their stored values."""

from __future__ import annotations

import html as markup
import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from . import world as w

pytestmark = pytest.mark.django_db


def test_what_a_priority_rests_on_shows_labels_not_stored_values(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    action = w.act(world, w.approved(world), date(2027, 3, 15), title="Build the page")
    w.move(world, action, "in_progress")
    w.decide(world, w.recommend(world, title="Ask for the PO number"), "rejected")
    page = client_for("core_team").get(
        reverse("loop:propose", args=[cast.acme.slug, cast.program.pk])
        + f"?priority={world.card.pk}"
    )
    facts = markup.unescape(
        page.content.decode().split('id="facts-head"', 1)[1].split("</section>", 1)[0]
    )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", facts))
    assert "One-page approval — Approved" in text
    assert "Build the page: In progress, due 15 Mar 2027" in text
    assert "in_progress" not in text
    assert "approved" not in text
    assert "Ask for the PO number — Rejected" in text
    assert "rejected" not in text
