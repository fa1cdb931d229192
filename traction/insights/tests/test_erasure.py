"""Erasing a contact in insights: their labels ("Al", "G") are replaced where they are the
speaker and nowhere else; their full former name leaves every text, tag, file name, reason,
scenario, step, frozen ranking, audit event and the full-text index; colleagues' words stay."""

from __future__ import annotations

import io

import pytest

from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.customers import services as customer_services
from traction.insights import imports, search, services
from traction.insights.imports import ImportOptions
from traction.insights.models import ImportBatch, Insight, Scenario, Step
from traction.voting import services as voting
from traction.voting.models import VotingRound
from traction.voting.tests.test_voting import Room, build_room

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(cast: Cast) -> Room:
    return built_on(cast, build_room)


def erase(cast: Cast, room: Room) -> str:
    customer_services.erase_contact(cast.viewer("admin"), contact=room.gina, reason="Asked")
    return f"Erased contact {room.gina.pk}"


def test_a_short_speaker_label_is_replaced_as_the_label_never_inside_colleagues_words(
    cast: Cast, room: Room
) -> None:
    fran = cast.viewer("facilitator")
    imports.import_file(
        fran,
        session=room.session,
        stream=io.BytesIO(b"Al: We print every invoice twice.\nG: Going live took a month.\n"),
        filename="notes.txt",
        options=ImportOptions(
            speakers={"Al": f"c:{room.gina.pk}", "G": f"c:{room.gina.pk}"}, accept=True
        ),
    )
    ians = services.capture_insight(
        fran, session=room.session, kind="issue", speaker=f"c:{room.ian.pk}",
        text="Approval is slow; Al also agrees. Going green gets greater gains.",
    )  # fmt: skip
    guss = services.capture_insight(
        fran, session=room.session, kind="idea", speaker=f"c:{room.gus.pk}",
        text="A gallery of G-codes, as Al and G said", tags="billing gala",
    )  # fmt: skip
    tomb = erase(cast, room)
    assert Insight.objects.get(pk=ians.pk).text == (
        "Approval is slow; Al also agrees. Going green gets greater gains."
    )
    gus_card = Insight.objects.get(pk=guss.pk)
    assert (gus_card.text, gus_card.tags) == (
        "A gallery of G-codes, as Al and G said",
        "billing gala",
    )
    said = Insight.objects.filter(speaker_contact=room.gina, source="import").order_by("pk")
    assert [(i.speaker_name, i.text) for i in said] == [
        (tomb, "We print every invoice twice."),
        (tomb, "Going live took a month."),
    ]
    batch = ImportBatch.objects.get(filename="notes.txt")
    assert batch.mapping["speakers"] == {tomb: f"c:{room.gina.pk}"}


def test_the_full_name_leaves_tags_file_names_reasons_scenarios_and_the_index(
    cast: Cast, room: Room
) -> None:
    fran = cast.viewer("facilitator")
    gina = room.gina
    imports.import_file(
        fran, session=room.session, stream=io.BytesIO(b"Gina Globex: Invoices are late.\n"),
        filename="Workshop with Gina Globex.txt", options=ImportOptions(accept=True),
    )  # fmt: skip
    tagged = services.capture_insight(
        fran, session=room.session, kind="issue", speaker=f"c:{room.ian.pk}",
        text="Same as the other customer", tags="billing gina-globex",
    )  # fmt: skip
    services.capture_insight(
        fran, session=room.session, kind="quote", speaker=f"c:{room.ian.pk}",
        text="Gina Globex told us invoices are late",
    )  # fmt: skip
    scenario = services.create_scenario(
        fran, session=room.session, title="Gina Globex team",
        outcome="Gina Globex pays in a day", steps=["Call Gina Globex"],
    )  # fmt: skip
    voting.open_voting(fran, session=room.session)
    voting.close_voting(fran, session=room.session, reason="Gina Globex had to leave")
    voting.reopen_voting(fran, session=room.session, reason="Gina Globex is back")
    voting.close_voting(fran, session=room.session, reason="Done, thanks Gina Globex")
    admin = cast.viewer("admin")
    assert search.search(admin, "gina").count == 2
    tomb = erase(cast, room)
    tag = f"erased-contact-{gina.pk}"
    assert Insight.objects.get(pk=tagged.pk).tags == f"billing {tag}"
    assert search.search(admin, "gina").count == 0
    assert search.search(admin, "globex").count == 0
    assert search.search(admin, "billing erased").count == 1
    assert search.search(admin, "Erased").count == 2
    assert ImportBatch.objects.filter(filename=f"Workshop with {tomb}.txt").count() == 1
    found = Scenario.objects.get(pk=scenario.pk)
    assert (found.title, found.outcome) == (f"{tomb} team", f"{tomb} pays in a day")
    assert list(Step.objects.filter(scenario=scenario).values_list("title", flat=True)) == [
        f"Call {tomb}"
    ]
    assert VotingRound.objects.get(session=room.session).close_reason == f"Done, thanks {tomb}"
    reasons = AuditEvent.objects.filter(action__startswith="voting.").values_list(
        "reason", flat=True
    )
    assert not [r for r in reasons if "gina" in r.lower()]
    assert f"{tomb} is back" in reasons


def test_a_name_only_insights_recorded_leaves_the_merge_event(cast: Cast, room: Room) -> None:
    fran = cast.viewer("facilitator")
    gina = room.gina
    said = services.capture_insight(
        fran, session=room.session, kind="issue", text="Invoices are late",
        speaker=f"c:{gina.pk}",
    )  # fmt: skip
    # Renamed later: customers knows "Gina Globex-Smith"; insights wrote "Gina Globex".
    customer_services.update_contact(fran, contact=gina, changes={"name": "Gina Globex-Smith"})
    services.merge_insights(fran, into=room.cards["issue"], others=[said.pk])
    merged = AuditEvent.objects.get(action="insights.merged")
    assert merged.changes["speakers"] == {str(said.pk): "Gina Globex"}
    tomb = erase(cast, room)
    merged.refresh_from_db()
    assert merged.changes["speakers"] == {str(said.pk): tomb}
    captured = AuditEvent.objects.get(action="insight.captured", object_id=str(said.pk))
    assert captured.changes["speaker"] == tomb
    renamed = AuditEvent.objects.get(action="contact.changed", changes__has_key="name")
    assert renamed.changes["name"] == [tomb, tomb]
    assert not AuditEvent.objects.filter(changes__icontains="gina globex").exists()


def test_a_refused_voting_link_keeps_no_trace_of_the_address(cast: Cast, room: Room) -> None:
    from traction.voting.models import LinkDelivery

    found = voting.open_voting(cast.viewer("facilitator"), session=room.session)
    address = room.gina.email
    LinkDelivery.objects.create(
        workspace_id=room.session.workspace_id,
        round=found,
        invitation=room.invitations["gina"],
        status="failed",
        error=f"Link not delivered: the mail server refused the address (550 {address} unknown).",
    )
    tomb = erase(cast, room)
    error = LinkDelivery.objects.get(invitation=room.invitations["gina"]).error
    assert address not in error
    assert error.startswith("Link not delivered: the mail server refused the address (550 ")
    assert tomb.split()[0] == "Erased"
