"""An update nobody would receive says why in plain words, on the draft's page before anyone
asks for approval and again when asked (docs/loop.md, "Updates"): a program with no
customers taking part yet is not "every candidate is excluded"."""

from __future__ import annotations

import html as markup
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.loop.models import Approval, Update, UpdateState
from traction.loop.services import updates

from . import world as w

pytestmark = pytest.mark.django_db

NO_CUSTOMERS = "Nobody to send this to: the program has no customers taking part yet"
ALL_EXCLUDED = "every candidate is excluded"


def url(cast: Cast, name: str, **kw: object) -> str:
    return reverse(f"loop:{name}", kwargs={"workspace_slug": cast.acme.slug, **kw})


def test_a_program_with_no_customers_says_so_on_the_draft_and_when_asked(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    fran = client_for("facilitator")
    empty = cast.other_program  # "Renewals": no session, no customer has taken part
    with clock.frozen(w.NOW):
        made = fran.post(
            url(cast, "update-new", program_id=empty.pk), {"audience": "program", "kind": "update"}
        )
        assert made.status_code == 302, made.content.decode()[:2000]
        update = Update.objects.latest("pk")
        page = markup.unescape(fran.get(url(cast, "update", update_id=update.pk)).content.decode())
        # Said before anyone asks, with what to do.
        assert 'id="nobody"' in page
        assert NO_CUSTOMERS in page
        assert "invite them to a session of the program" in page
        assert ALL_EXCLUDED not in page
        asked = fran.post(
            url(cast, "update-submit", update_id=update.pk), {"version": 1}, follow=True
        )
    said = markup.unescape(asked.content.decode())
    assert NO_CUSTOMERS in said
    assert ALL_EXCLUDED not in said
    update.refresh_from_db()
    assert update.state == UpdateState.DRAFT
    assert not Approval.objects.filter(update=update).exists()


def test_everyone_excluded_still_says_see_why_beside_each_name(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    with clock.frozen(w.NOW):
        update = updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.customer.pk,
        )
        updates.edit(cast.viewer("facilitator"), update, left_out=[cast.contact.pk])
        page = markup.unescape(
            client_for("facilitator").get(url(cast, "update", update_id=update.pk)).content.decode()
        )
    assert "Nobody would receive this update: every candidate is excluded" in page
    assert "Gina Globex" in page  # beside the name, why


def test_a_draft_someone_receives_says_nothing_of_nobody(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    with clock.frozen(w.NOW):
        update = updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.customer.pk,
        )
        page = client_for("facilitator").get(url(cast, "update", update_id=update.pk))
    assert 'id="nobody"' not in page.content.decode()


def test_an_organisation_that_never_took_part_is_named_in_the_reason(world: w.World) -> None:
    cast = world.cast
    update = Update(program=cast.other_program, audience="customer", customer=cast.customer)
    said = updates.nobody_to_send_to(update, [])
    assert said.startswith(
        "Nobody to send this to: nobody at Globex has raised, voted on or followed a priority"
    )
