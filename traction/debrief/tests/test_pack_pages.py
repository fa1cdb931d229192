"""The closing form (errors beside their fields, a merge prompt on a conflict, closed once),
the room's closing panel, and who may reach the pack's pages."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext

from traction.accounts.models import Membership
from traction.core import clock, sections
from traction.core.testing.cast import Cast
from traction.debrief import selectors_pack
from traction.debrief.models import Attendee, Debrief, DebriefStatus, Undecided
from traction.debrief.tests.room_world import make_debrief
from traction.voting.tests.test_voting import build_room

from .pack_data import PackWorld, build_pack_world, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> PackWorld:
    return build_pack_world(cast)


def signed_in(w: PackWorld, who: str = "facilitator") -> Client:
    client = Client()
    client.force_login(w.cast.users[who])
    return client


def form_data(w: PackWorld, **kw: str) -> dict[str, str]:
    on = (clock.today() + timedelta(days=10)).isoformat()
    u = w.cast.users
    data = {
        "version": str(w.debrief.version),
        "note": "Closed on the page.",
        f"present_{u['facilitator'].pk}": "on",
        f"present_{u['sponsor'].pk}": "on",
        "extra": str(w.petra.pk),
        f"revisit_{w.cards['idea'].pk}": on,
        f"revisit_{w.cards['issue2'].pk}": on,
        f"revisit_note_{w.cards['issue2'].pk}": "Ask support first",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v != "-"}


def test_the_form_lists_attendees_members_to_add_and_undecided_priorities(world: PackWorld) -> None:
    page = signed_in(world).get(world.url + "close/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sam Sponsor (policy maker) was present</label>" in html  # a sentence, no colon
    assert "was present:" not in html
    assert "Petra Policy" in html  # a member who can be added
    assert "Gina" not in html.split("Top priorities left undecided")[0]  # no customer to add
    assert "Revisit “Let us pay by card” on" in html
    assert "Revisit “Nobody answers the phone” on" in html
    assert "Why was nothing decided?" not in html  # two decisions were taken


def test_who_drafted_or_decided_in_the_room_is_ticked_present(world: PackWorld) -> None:
    # Sam never answered the invitation, Petra was not invited, yet both decided in the room
    # (Cora drafted): the form ticks them, so the pack does not say the decider was absent.
    u = world.cast.users
    Attendee.objects.filter(debrief=world.debrief).update(response="")
    html = signed_in(world).get(world.url + "close/").content.decode()

    def ticked(input_id: str) -> bool:
        tag = re.search(rf'<input[^>]*id="{input_id}"[^>]*>', html)
        assert tag is not None, input_id
        return "checked" in tag.group(0)

    assert ticked(f"id_present_{u['sponsor'].pk}")  # decided
    assert ticked(f"id_present_{u['core_team'].pk}")  # drafted
    petra = re.search(rf'<input[^>]*name="extra" value="{world.petra.pk}"[^>]*>', html)
    assert petra is not None
    assert "checked" in petra.group(0)
    assert "Ticked to start with" in html
    # A member who did nothing in the room and never accepted is not ticked.
    Attendee.objects.create(debrief=world.debrief, user=u["observer"], response="")
    html = signed_in(world).get(world.url + "close/").content.decode()
    assert not ticked(f"id_present_{u['observer'].pk}")


def test_the_close_form_and_the_pack_lead_back_to_the_room(world: PackWorld) -> None:
    # Both are reached from the room: their way back is the room, not the session's page.
    client = signed_in(world)
    back = f'<a href="{world.url}">← Debrief of {world.debrief.session.title}</a>'
    close = client.get(world.url + "close/").content.decode()
    assert back in close
    assert f'<a href="{world.url}">Back to the room</a>' in close
    assert back in client.get(world.url + "pack/").content.decode()


def test_errors_show_beside_their_fields_and_nothing_closes(world: PackWorld) -> None:
    data = form_data(world, note="", **{f"revisit_{world.cards['idea'].pk}": ""})
    page = signed_in(world).post(world.url + "close/", data)
    assert page.status_code == 422
    html = page.content.decode()
    assert "Please correct the 2 fields marked below." in html
    assert "Write a closing note: what the debrief decided and what is next." in html
    assert "“Let us pay by card” has no decision: give a date to revisit it." in html
    assert Debrief.objects.get(pk=world.debrief.pk).status == DebriefStatus.OPEN


def test_closing_on_the_page_then_the_pack(world: PackWorld) -> None:
    client = signed_in(world)
    done = client.post(world.url + "close/", form_data(world))
    assert done.status_code == 302
    assert done["Location"].endswith(world.url + "pack/")
    closed = Debrief.objects.get(pk=world.debrief.pk)
    assert closed.status == DebriefStatus.CLOSED
    present = dict(Attendee.objects.filter(debrief=closed).values_list("user__email", "present"))
    assert present == {
        "fran@acme.test": True,
        "cora@acme.test": False,
        "sam@acme.test": True,
        "petra@acme.test": True,
    }
    assert list(Undecided.objects.values_list("note", flat=True)) == ["", "Ask support first"]
    pack = client.get(world.url + "pack/").content.decode()
    assert "The debrief is closed. Its pack is ready to read and send." in pack
    assert "Ask support first" in pack
    # Closed: the form says so and links to the pack; posting again is refused.
    again = client.get(world.url + "close/").content.decode()
    assert "This debrief is closed." in again
    refused = client.post(world.url + "close/", form_data(world, version=str(closed.version)))
    assert refused.status_code == 422
    assert "This debrief is already closed: nothing was changed." in refused.content.decode()


def test_a_conflict_shows_what_is_saved_and_keeps_what_was_typed(world: PackWorld) -> None:
    Debrief.objects.filter(pk=world.debrief.pk).update(version=world.debrief.version + 1)
    page = signed_in(world).post(world.url + "close/", form_data(world, note="My careful note"))
    html = page.content.decode()
    assert page.status_code == 422
    assert "Someone else changed this debrief while you were closing it." in html
    assert "My careful note" in html  # nothing lost


def test_an_empty_debrief_asks_why(cast: Cast) -> None:
    w = build_pack_world(cast, decided=False)
    html = signed_in(w).get(w.url + "close/").content.decode()
    assert "Why was nothing decided?" in html


def test_a_session_without_voting_has_no_ranked_priorities_to_close(cast: Cast) -> None:
    room = build_room(cast)
    room.session.held_at = clock.now()  # it took place: its debrief may close
    room.session.save(update_fields=["held_at"])
    d = make_debrief(cast, room)  # nobody voted: no card has a dot
    client = Client()
    client.force_login(cast.users["facilitator"])
    html = client.get(f"/w/{cast.acme.slug}/debriefs/{d.pk}/close/").content.decode()
    assert "The session had no ranked priorities" in html
    assert "Every top priority has a decided recommendation." not in html


@pytest.mark.parametrize("who", ["core_team", "sponsor", "observer"])
def test_only_facilitators_and_admins_close_and_send(world: PackWorld, who: str) -> None:
    client = signed_in(world, who)
    assert client.get(world.url + "close/").status_code == 403
    assert client.post(world.url + "close/", form_data(world)).status_code == 403
    assert client.get(world.url + "send/").status_code == 403
    assert client.get(world.url + "pack/").status_code == 200


def test_the_room_panel_links_to_close_then_to_the_pack(world: PackWorld) -> None:
    fran = world.cast.viewer("facilitator")
    [panel] = [
        s for s in sections.for_page("debrief-room", fran, world.debrief) if s["key"] == "closing"
    ]
    assert panel["context"]["undecided"] == 2

    def render(section: dict[str, object]) -> str:
        return render_to_string(
            "debrief/pack/room_panel.html",
            {"section": section, "current_workspace": world.cast.acme},
        )

    html = render(panel["context"])
    assert f"{world.url}close/" in html
    assert "Close the debrief" in html
    Debrief.objects.filter(pk=world.debrief.pk).update(status="closed", closed_at=clock.now())
    closed = Debrief.objects.get(pk=world.debrief.pk)
    [panel] = [s for s in sections.for_page("debrief-room", fran, closed) if s["key"] == "closing"]
    html = render(panel["context"])
    assert f"{world.url}pack/" in html
    assert "Read the debrief pack" in html
    assert "Close the debrief" not in html


def test_whoever_opened_the_room_is_listed_with_those_asked_and_ticked(world: PackWorld) -> None:
    fran = world.cast.users["facilitator"]
    Attendee.objects.filter(debrief=world.debrief, user=fran).delete()  # opened, not asked
    client = signed_in(world)
    html = client.get(world.url + "close/").content.decode()
    who, rest = html.split("Also present, though not invited")
    label = f"{fran.full_name} (opened the room) was present"
    assert label in who.split("<legend>Who attended</legend>")[1]
    assert f'name="present_{fran.pk}" id="id_present_{fran.pk}" checked' in who
    assert f'value="{fran.pk}"' not in rest.split("Closing note")[0]  # not among the uninvited
    done = client.post(world.url + "close/", form_data(world, extra="-"))
    assert done.status_code == 302
    present = dict(Attendee.objects.filter(debrief=world.debrief).values_list("user", "present"))
    assert present[fran.pk] is True


def test_nobody_present_is_said_under_who_attended(world: PackWorld) -> None:
    u = world.cast.users
    data = form_data(
        world,
        extra="-",
        **{f"present_{u['facilitator'].pk}": "-", f"present_{u['sponsor'].pk}": "-"},
    )
    page = signed_in(world).post(world.url + "close/", data)
    assert page.status_code == 422
    html = page.content.decode()
    who = html.split("<legend>Who attended</legend>")[1]
    error = who.index("Mark at least one person as present.")
    assert error < who.index("was present")  # beside the question, above the boxes
    assert error < who.index("Also present, though not invited")


# --- "also present": bounded however many members the workspace has -----------------------


def add_members(w: PackWorld, n: int, name: str = "Member") -> list[Any]:
    start = Membership.objects.filter(user__full_name__startswith=name).count()
    return [
        member(w.cast, f"{name.lower()}{i}@acme.test", f"{name} {i:03d}", "observer")
        for i in range(start, start + n)
    ]


def offered(html: str) -> list[int]:
    extra = html.split("Also present, though not invited")[1].split("Closing note")[0]
    return [int(v) for v in re.findall(r'name="extra" value="(\d+)"', extra)]


def test_the_members_to_add_are_bounded_with_the_same_queries(
    world: PackWorld, django_assert_num_queries: Any
) -> None:
    client = signed_in(world)
    add_members(world, 1)
    client.get(world.url + "close/")
    with CaptureQueriesContext(connection) as seen:
        small = client.get(world.url + "close/").content.decode()
    few = offered(small)
    assert world.petra.pk in few
    assert "Only the first" not in small
    add_members(world, 45)
    with django_assert_num_queries(len(seen)):
        large = client.get(world.url + "close/").content.decode()
    shown = offered(large)
    assert len(shown) == selectors_pack.ADDABLE_OFFERED == 30
    # The likely attendees first: Petra decides in the program (a policy maker).
    assert shown[0] == world.petra.pk
    assert "Petra Policy (decides)" in large
    assert "Only the first 30 are listed below" in large


def test_a_member_is_found_by_name_and_the_form_comes_back_as_typed(world: PackWorld) -> None:
    client = signed_in(world)
    add_members(world, 40)
    (late,) = add_members(world, 1, name="Zora")
    assert late.pk not in offered(client.get(world.url + "close/").content.decode())
    data = form_data(world, note="Typed before finding", member_q="zora", find="members")
    found = client.post(world.url + "close/", data)
    assert found.status_code == 200
    html = found.content.decode()
    assert offered(html) == sorted([world.petra.pk, late.pk], key=lambda pk: pk != world.petra.pk)
    assert f'name="extra" value="{world.petra.pk}"' in html  # ticked, kept and still ticked
    assert re.search(rf'name="extra" value="{world.petra.pk}"[^>]*checked', html)
    assert "Typed before finding" in html
    assert Debrief.objects.get(pk=world.debrief.pk).closed_at is None  # finding closes nothing
    # Ticked, then closed: the one found is recorded as present.
    done = client.post(world.url + "close/", form_data(world, extra=str(late.pk)))
    assert done.status_code == 302
    assert Attendee.objects.get(debrief=world.debrief, user=late).present is True
    none = client.post(world.url + "close/", form_data(world, member_q="nobody", find="members"))
    assert "This debrief is closed" in none.content.decode()


def test_finding_nobody_says_so(world: PackWorld) -> None:
    html = (
        signed_in(world)
        .post(world.url + "close/", form_data(world, extra="-", member_q="nobody", find="1"))
        .content.decode()
    )
    assert "No member who was not invited has “nobody” in their name or email." in html
    assert Debrief.objects.get(pk=world.debrief.pk).closed_at is None


def test_a_member_ticked_beyond_the_first_ones_is_kept_and_an_outsider_refused(
    world: PackWorld,
) -> None:
    client = signed_in(world)
    late = add_members(world, 40)[-1]
    stranger = world.cast.users["stranger"]
    refused = client.post(world.url + "close/", form_data(world, extra=str(stranger.pk)))
    assert refused.status_code == 422
    assert "Select a valid choice" in refused.content.decode()
    assert Debrief.objects.get(pk=world.debrief.pk).closed_at is None
    done = client.post(world.url + "close/", form_data(world, extra=str(late.pk)))
    assert done.status_code == 302
    assert Attendee.objects.get(debrief=world.debrief, user=late).present is True


def test_before_its_session_took_place_the_debrief_offers_no_closing(world: PackWorld) -> None:
    """A debrief of a session still ahead cannot close: the room's panel says why instead of
    offering "Close the debrief", and the close page says so (with the way back) instead of
    a whole form refused once filled in."""
    from traction.sessions.models import Session

    Session.objects.filter(pk=world.debrief.session_id).update(
        held_at=None,
        starts_at=clock.now() + timedelta(days=2),
        ends_at=clock.now() + timedelta(days=3),
    )
    Debrief.objects.filter(pk=world.debrief.pk).update(
        status=DebriefStatus.BOOKED, opened_at=None, opened_by=None
    )
    debrief = Debrief.objects.get(pk=world.debrief.pk)
    fran = world.cast.viewer("facilitator")
    [panel] = [s for s in sections.for_page("debrief-room", fran, debrief) if s["key"] == "closing"]
    html = render_to_string(
        "debrief/pack/room_panel.html",
        {"section": panel["context"], "current_workspace": world.cast.acme},
    )
    assert "The session has not taken place yet" in html
    assert f"{world.url}close/" not in html
    assert f"{world.url}pack/" in html  # the pack may still be previewed
    client = signed_in(world)
    page = client.get(world.url + "close/").content.decode()
    assert 'id="close-too-early"' in page
    assert "The session has not taken place yet" in page
    assert "Closing note" not in page
    assert f'<a class="button" href="{world.url}">Back to the room</a>' in page
    posted = client.post(world.url + "close/", form_data(world))
    assert posted.status_code == 422
    assert Debrief.objects.get(pk=world.debrief.pk).status == DebriefStatus.BOOKED
