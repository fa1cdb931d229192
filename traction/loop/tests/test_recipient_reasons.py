"""The update page says once why each person gets it: one line per reason (how many
priorities, since when), never the same reason repeated per priority, and never the stored
values ("raiser", "voter") once the recipients are fixed."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from traction.core import clock
from traction.loop.models import Approval, UpdateRecipient

from . import world as w
from .test_updates_web_api import compose_on_the_web, url

pytestmark = pytest.mark.django_db


def recipients_section(html: str) -> str:
    found = re.search(r'id="recipients-head".*?</section>', html, re.S)
    assert found, html[:2000]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def test_each_reason_is_said_once_with_how_many_priorities(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    fran, owen = client_for("facilitator"), client_for("account_owner")
    with clock.frozen(w.NOW):
        # Gina said two cards and put dots on both: two priorities for each reason.
        second = w.said(world, "Approvers cannot see the purchase order")
        w.vote(world, second, cast.contact, dots=2)
        update = compose_on_the_web(world, fran)
        draft = recipients_section(
            fran.get(url(cast, "update", update_id=update.pk)).content.decode()
        )
        assert (
            "Gina Globex (Globex) — Their words are in it (2 priorities, since 20 Jan 2027); "
            "They voted on it (2 priorities, since 20 Jan 2027)"
        ) in draft
        assert draft.count("Their words are in it") == 1
        assert draft.count("They voted on it") == 1

        fran.post(url(cast, "update-submit", update_id=update.pk), {"version": 1})
        owen.post(url(cast, "update-approve", update_approval_id=Approval.objects.get().pk))
    assert UpdateRecipient.objects.get(update=update).reasons == ["raiser", "voter"]
    fixed = recipients_section(fran.get(url(cast, "update", update_id=update.pk)).content.decode())
    assert "Gina Globex (Globex) Their words are in it; They voted on it" in fixed
    assert "raiser" not in fixed
    assert "voter" not in fixed
