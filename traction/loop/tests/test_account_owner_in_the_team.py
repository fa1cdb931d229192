"""An account owner who is also in the program's team (an observer of it) still reads only
their own customers: nothing of Initech (its name, its contact, its card's words) on the
pages and API reads of the program, its session, debrief, loop and search, though Initech's
card has a published status, a radar mark, a delivery, a sent update, an unsubscribe of
Owen's contact from it, and is a decided recommendation's evidence (attacker's review,
December 2026)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.test import Client

from traction.core import clock
from traction.customers.models import Contact
from traction.debrief.models import Evidence
from traction.loop.models import AtRisk, Delivery, DeliveryPriority, PriorityStatus
from traction.loop.services import subscriptions
from traction.programs import services as programs

from . import mail_world as mw
from . import world as w

INITECH = ["Initech", "Ian Initech", "ian@initech", "approve invoices from the phone"]


def _body(response: object) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")  # type: ignore[attr-defined]
    return response.content.decode("utf-8", "replace")  # type: ignore[attr-defined]


def test_nothing_of_another_customer_reaches_an_account_owner_in_the_team(
    world: w.World,
    client_for: Callable[[str], Client],
    api_client_for: Callable[[str], Client],
) -> None:
    cast = world.cast
    fran = cast.users["facilitator"]
    programs.set_core_team(
        cast.viewer("facilitator"),
        program=cast.program,
        user_ids=[cast.users["observer"].pk, cast.users["account_owner"].pk],
        kind="observer",
    )
    for card in (world.card, world.quiet):
        status = PriorityStatus.objects.create(
            workspace=cast.acme, program=cast.program, priority=card, status="planned",
            proposed_by=fran, published_by=fran, published_at=clock.now(),
        )  # fmt: skip
        AtRisk.objects.create(
            workspace=cast.acme, program=cast.program, priority=card, status=status,
            since=clock.now(), reasons=["Blocked."],
        )  # fmt: skip
    shipped = Delivery.objects.create(
        workspace=cast.acme, program=cast.program, title="Shipped", on=date(2027, 1, 10),
        recorded_by=fran,
    )  # fmt: skip
    for card in (world.card, world.quiet):
        DeliveryPriority.objects.create(delivery=shipped, priority=card, linked_by=fran)
    Contact.objects.filter(pk=cast.other_contact.pk).update(consent_to_contact=True)
    update, _ = mw.sent_update(
        world, [cast.contact, cast.other_contact], priorities=[world.card.pk, world.quiet.pk]
    )
    rec = w.approved(world)
    subscriptions.record_unsubscribe(
        cast.viewer("admin"), contact=cast.contact, scope="priority",
        priority_id=world.quiet.pk, why="Asked on the phone",
    )  # fmt: skip
    Evidence.objects.get_or_create(
        recommendation=rec, insight=world.quiet, defaults={"added_by": fran}
    )
    ws, p, s, d = f"/w/{cast.acme.slug}", cast.program.pk, world.session.pk, world.debrief.pk
    pages = [
        f"{ws}/", f"{ws}/programs/{p}/", f"{ws}/loop/programs/{p}/priorities/",
        f"{ws}/loop/programs/{p}/deliveries/", f"{ws}/loop/programs/{p}/plan/",
        f"{ws}/loop/programs/{p}/updates/", f"{ws}/loop/updates/{update.pk}/",
        f"{ws}/customers/contacts/{cast.contact.pk}/edit/", f"{ws}/sessions/{s}/",
        f"{ws}/debriefs/", f"{ws}/debriefs/{d}/", f"{ws}/debriefs/{d}/actions/",
        f"{ws}/debriefs/{d}/pack/", f"{ws}/debriefs/programs/{p}/scorecard/",
        f"{ws}/insights/search/?q=phone", f"{ws}/insights/search/export/?q=phone",
        f"{ws}/insights/sessions/{s}/map/", f"{ws}/insights/sessions/{s}/map/export/",
        f"{ws}/insights/sessions/{s}/results/",
    ]  # fmt: skip
    reads = [
        f"/programs/{p}/priorities", f"/programs/{p}/deliveries", f"/programs/{p}/updates",
        f"/updates/{update.pk}", f"/updates/{update.pk}/candidates",
        f"/updates/{update.pk}/approvals", f"/programs/{p}/comms-plan/rows",
        f"/contacts/{cast.contact.pk}/subscriptions", f"/debriefs/{d}",
        f"/recommendations?debrief_id={d}", f"/recommendations/{rec.pk}",
        f"/debriefs/{d}/pack?format=html", f"/sessions/{s}/insights",
    ]  # fmt: skip
    owen, owen_api = client_for("account_owner"), api_client_for("account_owner")
    seen = [(url, owen.get(url)) for url in pages]
    seen += [(url, owen_api.get(f"/api/v1{url}")) for url in reads]
    assert [url for url, r in seen if r.status_code != 200] == []
    leaks = [(url, [x for x in INITECH if x in _body(r)]) for url, r in seen]
    assert [leak for leak in leaks if leak[1]] == []
    # The world does hold Initech's words where a facilitator reads them.
    assert "approve invoices from the phone" in _body(
        client_for("facilitator").get(f"{ws}/loop/programs/{p}/priorities/")
    )
