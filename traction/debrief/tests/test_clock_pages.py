"""The clock's pages, API and command: the list (filters, badges, empty state, pagination),
the booking (errors beside the field, the merge prompt on a stale version), answering, the
.ics, the settings; the session, program and home sections; queries that do not grow with
the number of sessions or debriefs; ``traction remind``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from traction.cli.main import cli
from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.models import Attendee, Debrief, DebriefStatus
from traction.debrief.services import clock as svc
from traction.programs.models import PolicyMaker
from traction.sessions import services as sessions
from traction.sessions.models import Session

ClientFor = Callable[[str], Client]
T0 = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(T0) as c:
        yield c


def plan(cast: Cast, day: int = 10, title: str = "Onboarding co-design") -> Session:
    return sessions.plan_session(
        cast.viewers["facilitator"],
        program=cast.program,  # type: ignore[arg-type]
        title=title,
        starts_at=datetime(2027, 3, day, 9, 0),
        ends_at=datetime(2027, 3, day, 12, 30),
        time_zone="Europe/Berlin",
    )


def text(response: Any) -> str:
    return str(response.content.decode())


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_each_debrief_with_its_badge_and_answers(
    cast: Cast, client_for: ClientFor, frozen: clock.FrozenClock
) -> None:
    PolicyMaker.objects.create(program=cast.program, user=cast.users["account_owner"])
    debrief = Debrief.objects.get(session=plan(cast))
    svc.respond(cast.viewers["account_owner"], debrief=debrief, answer="accepted")
    frozen.at = debrief.due_at - timedelta(hours=5)
    page = text(client_for("sponsor").get("/w/acme/debriefs/"))
    assert "Onboarding co-design" in page
    assert "Due in 5 h" in page
    assert "1 of 3" in page
    assert "a policy maker accepted" in page
    assert f"/w/acme/debriefs/{debrief.pk}/" in page
    frozen.at = debrief.due_at + timedelta(hours=2)
    assert "Late by 2 h" in text(client_for("sponsor").get("/w/acme/debriefs/"))
    missed = text(client_for("sponsor").get("/w/acme/debriefs/?timeliness=missed"))
    assert "No debriefs match these filters." in missed


def test_the_list_says_which_kinds_of_session_get_a_debrief(
    cast: Cast, client_for: ClientFor
) -> None:
    said = "Co-design sessions and customer advisory board meetings each get a debrief"
    assert said in text(client_for("core_team").get("/w/acme/debriefs/"))  # the defaults
    svc.update_settings(
        cast.viewers["admin"], kinds=["co_design", "interview"], default_minutes=120
    )
    admin = text(client_for("admin").get("/w/acme/debriefs/"))
    assert "Co-design sessions and interviews each get a debrief due 24 hours after they end" in (
        admin
    )
    assert "(which kinds: Debrief settings)" in admin
    assert "Debrief settings)" not in text(client_for("core_team").get("/w/acme/debriefs/"))
    svc.update_settings(cast.viewers["admin"], kinds=[], default_minutes=120)
    assert "No kind of session gets a debrief" in text(client_for("admin").get("/w/acme/debriefs/"))


def test_the_list_is_empty_usefully_and_paginates(cast: Cast, client_for: ClientFor) -> None:
    empty = text(client_for("core_team").get("/w/acme/debriefs/"))
    assert "No debriefs yet." in empty
    for n in range(26):
        Session.objects.create(
            workspace=cast.acme,
            program=cast.program,
            title=f"Old session {n}",
            starts_at=T0 - timedelta(days=40 + n, hours=3),
            ends_at=T0 - timedelta(days=40 + n),
        )
    svc.catch_up()
    page = text(client_for("core_team").get("/w/acme/debriefs/"))
    assert "Page 1 of 2 (26 in all)" in page
    assert page.count("Missed</span>") == 25
    # The pager keeps the filters and drops only the page.
    missed = text(client_for("core_team").get("/w/acme/debriefs/?page=2&timeliness=missed"))
    assert "Page 2 of 2 (26 in all)" in missed
    assert 'href="?timeliness=missed&amp;page=1" rel="prev"' in missed


def test_the_list_queries_do_not_grow_with_debriefs(cast: Cast, client_for: ClientFor) -> None:
    client = client_for("core_team")
    counts = []
    for n in range(4):
        debrief = Debrief.objects.get(session=plan(cast, day=10 + n, title=f"Session {n}"))
        svc.respond(cast.viewers["core_team"], debrief=debrief, answer="accepted")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/w/acme/debriefs/").status_code == 200
        counts.append(len(queries))
    assert counts[1:] == [counts[1]] * 3, counts


def test_the_session_list_and_program_page_do_not_query_more_with_debriefs(
    cast: Cast, client_for: ClientFor
) -> None:
    """The readiness check the debrief adds comes as annotations: one query for the list."""
    client = client_for("facilitator")
    counts: dict[str, list[int]] = {"sessions": [], "program": []}
    for n in range(4):
        debrief = Debrief.objects.get(session=plan(cast, day=10 + n, title=f"Session {n}"))
        svc.respond(cast.viewers["sponsor"], debrief=debrief, answer="accepted")
        for key, address in (
            ("sessions", "/w/acme/sessions/"),
            ("program", f"/w/acme/programs/{cast.program.pk}/"),  # type: ignore[union-attr]
        ):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(address)
            assert response.status_code == 200
            counts[key].append(len(queries))
    for key, found in counts.items():
        assert found[1:] == [found[1]] * 3, (key, found)


# --- the booking, answering, the calendar file, the settings -----------------------------------


def test_the_booking_page_moves_the_slot_and_explains_errors_beside_the_field(
    cast: Cast, client_for: ClientFor
) -> None:
    debrief = Debrief.objects.get(session=plan(cast))
    client = client_for("facilitator")
    address = f"/w/acme/debriefs/{debrief.pk}/booking/"
    page = text(client.get(address))
    assert "Move the slot" in page
    assert 'value="13:30"' in page  # the session's zone
    bad = client.post(
        address,
        {"date": "2027-03-01", "start_time": "09:00", "minutes": "180", "version": debrief.version},
    )
    assert bad.status_code == 400
    assert "The debrief cannot start before its session." in text(bad)
    ok = client.post(
        address,
        {
            "date": "2027-03-11",
            "start_time": "09:00",
            "minutes": "120",
            "location": "Room Havel",
            "version": debrief.version,
        },
    )
    assert ok.status_code == 302
    moved = Debrief.objects.get(pk=debrief.pk)
    assert moved.starts_at == datetime(2027, 3, 11, 8, 0, tzinfo=UTC)
    # A second editor from the old version: theirs beside yours, yours kept in the form.
    stale = client.post(
        address,
        {"date": "2027-03-11", "start_time": "10:00", "minutes": "90", "version": debrief.version},
    )
    assert stale.status_code == 409
    page = text(stale)
    assert "Someone else changed this booking" in page
    assert "Room Havel" in page  # theirs
    assert 'value="10:00"' in page  # yours
    assert f'name="version" value="{moved.version}"' in page
    # The core team reads the booking but may not move it.
    read = text(client_for("core_team").get(address))
    assert "Move the slot" not in read
    assert "Cora Core" in read


def test_an_invitee_answers_from_the_page_and_the_session_shows_it(
    cast: Cast, client_for: ClientFor
) -> None:
    session = plan(cast)
    debrief = Debrief.objects.get(session=session)
    sam = client_for("sponsor")
    section = text(sam.get(f"/w/acme/sessions/{session.pk}/"))
    assert "Debrief booked, at least one policy maker accepted" in section
    assert "Booked; no policy maker has accepted yet" in section
    assert f"/w/acme/debriefs/{debrief.pk}/respond/" in section
    answered = sam.post(
        f"/w/acme/debriefs/{debrief.pk}/respond/",
        {"answer": "accepted", "next": f"/w/acme/sessions/{session.pk}/"},
    )
    assert answered.status_code == 302
    assert answered["Location"] == f"/w/acme/sessions/{session.pk}/"
    page = text(sam.get(f"/w/acme/sessions/{session.pk}/"))
    assert "Booked; a policy maker accepted" in page
    assert "1 of 2 accepted, a policy maker among them" in page
    assert Attendee.objects.get(debrief=debrief, user=cast.users["sponsor"]).response == "accepted"
    # Not invited: refused.
    assert client_for("observer").get(f"/w/acme/debriefs/{debrief.pk}/respond/").status_code == 403


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "/\\/evil.example/",
        "https://evil.example/",
        "/\t/evil.example/",
    ],
)
def test_answering_never_leads_off_site(cast: Cast, client_for: ClientFor, target: str) -> None:
    # Browsers read "/\\evil.example" as "//evil.example" (another site): the answer is kept
    # and the page comes back to the debrief.
    debrief = Debrief.objects.get(session=plan(cast))
    answered = client_for("sponsor").post(
        f"/w/acme/debriefs/{debrief.pk}/respond/", {"answer": "accepted", "next": target}
    )
    assert answered.status_code == 302
    assert answered["Location"] == f"/w/acme/debriefs/{debrief.pk}/respond/"
    assert Attendee.objects.get(debrief=debrief, user=cast.users["sponsor"]).response == "accepted"


def test_the_calendar_file(cast: Cast, client_for: ClientFor) -> None:
    debrief = Debrief.objects.get(session=plan(cast))
    response = client_for("core_team").get(f"/w/acme/debriefs/{debrief.pk}/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    [event] = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert str(event["UID"]) == f"{debrief.calendar_uid}@traction"
    assert str(event["SUMMARY"]) == "Debrief: Onboarding co-design"
    # Review 20 finding 3: no calendar reply is asked for (Traction never reads one); the
    # description says to answer with the link.
    found = event["ATTENDEE"]
    attendees = found if isinstance(found, list) else [found]
    assert attendees
    assert all(a.params["RSVP"] == "FALSE" for a in attendees)
    assert "RSVP=TRUE" not in response.content.decode()
    assert "answer given in your calendar does not reach Traction" in str(event["DESCRIPTION"])


def test_the_calendar_file_of_someone_not_invited_publishes_the_event(
    cast: Cast, client_for: ClientFor
) -> None:
    """A member who may see the debrief but is not invited gets the event published (METHOD
    PUBLISH, no attendee; RFC 5546 wants a REQUEST to name its attendees), cancelled once
    the debrief is over; an invitee still gets the invitation."""
    debrief = Debrief.objects.get(session=plan(cast))
    invited = set(Attendee.objects.filter(debrief=debrief).values_list("user_id", flat=True))
    role = next(r for r in ("admin", "account_owner", "sponsor") if cast.users[r].pk not in invited)
    url = f"/w/acme/debriefs/{debrief.pk}/calendar.ics"
    response = client_for(role).get(url)
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    [event] = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert "ATTENDEE" not in event
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(Calendar.from_ical(client_for("core_team").get(url).content)["METHOD"]) == "REQUEST"
    Debrief.objects.filter(pk=debrief.pk).update(status=DebriefStatus.CANCELLED)
    calendar = Calendar.from_ical(client_for(role).get(url).content)
    [event] = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert (str(calendar["METHOD"]), str(event["STATUS"])) == ("PUBLISH", "CANCELLED")


def test_the_settings_page(cast: Cast, client_for: ClientFor) -> None:
    client = client_for("admin")
    page = text(client.get("/w/acme/debriefs/settings/"))
    checked = set(re.findall(r'value="(\w+)" id="id_kinds_\d+" checked', page))
    assert checked == {"co_design", "cab_meeting"}
    # Review 20 finding 8: adding a kind says what happens to its past sessions.
    assert "Its sessions already over get no debrief, so none of them is marked missed." in page
    bad = client.post(
        "/w/acme/debriefs/settings/", {"kinds": ["co_design"], "default_minutes": "5"}
    )
    assert bad.status_code == 400
    assert "greater than or equal to 30" in text(bad)
    ok = client.post(
        "/w/acme/debriefs/settings/", {"kinds": ["interview"], "default_minutes": "90"}
    )
    assert ok.status_code == 302
    assert svc.settings_of(cast.acme.pk).kinds == ["interview"]
    # The workspace settings page says what is chosen and leads here.
    shown = text(client.get("/w/acme/workspace-settings/"))
    assert "Each of your <strong>interviews</strong> gets a debrief" in shown
    assert "booked for 1 hour 30 minutes" in shown
    assert 'href="/w/acme/debriefs/settings/"' in shown


# --- sections -----------------------------------------------------------------------------


def test_the_program_and_home_say_when_a_debrief_is_due_or_late(
    cast: Cast, client_for: ClientFor, frozen: clock.FrozenClock
) -> None:
    debrief = Debrief.objects.get(session=plan(cast))
    frozen.at = debrief.due_at - timedelta(hours=3)
    home = text(client_for("core_team").get("/w/acme/"))
    assert "Debrief of “Onboarding co-design”: due in 3 h." in home
    # An observer of the program, not invited, is not asked to hold it.
    assert "Debrief of" not in text(client_for("observer").get("/w/acme/"))
    assert "Debrief of" in text(client_for("facilitator").get("/w/acme/"))
    frozen.at = debrief.due_at + timedelta(days=8)
    program = text(client_for("sponsor").get(f"/w/acme/programs/{cast.program.pk}/"))  # type: ignore[union-attr]
    assert "1 debrief missed" in program
    assert "Missed</span>" in program
    assert "Debrief of" not in text(client_for("core_team").get("/w/acme/"))  # missed: the list


def test_the_navigation_has_debriefs(cast: Cast, client_for: ClientFor) -> None:
    page = text(client_for("observer").get("/w/acme/"))
    assert 'href="/w/acme/debriefs/"' in page


# --- API --------------------------------------------------------------------------------------


def test_the_api_lists_filters_moves_with_409_and_answers(
    cast: Cast, api_client_for: ClientFor, frozen: clock.FrozenClock
) -> None:
    debrief = Debrief.objects.get(session=plan(cast))
    fran = api_client_for("facilitator")
    listed = fran.get(f"/api/v1/debriefs?program_id={cast.program.pk}&timeliness=due").json()  # type: ignore[union-attr]
    assert [d["id"] for d in listed["items"]] == [debrief.pk]
    assert listed["items"][0]["timeliness"] == "due"
    assert fran.get("/api/v1/debriefs?timeliness=late").json()["count"] == 0
    detail = fran.get(f"/api/v1/debriefs/{debrief.pk}").json()
    assert [a["name"] for a in detail["attendees"]] == ["Sam Sponsor", "Cora Core"]
    assert [e["kind"] for e in detail["clock_events"]] == ["due", "booked"]

    def move(version: int) -> Any:
        return fran.put(
            f"/api/v1/debriefs/{debrief.pk}/booking",
            json.dumps({"starts_at": "2027-03-11T09:00:00", "minutes": 120, "version": version}),
            content_type="application/json",
        )

    moved = move(detail["version"])
    assert moved.status_code == 200, moved.content
    assert moved.json()["starts_at"].startswith("2027-03-11T08:00:00")
    assert moved.json()["calendar_sequence"] == 1
    stale = move(detail["version"])
    assert stale.status_code == 409
    answered = api_client_for("core_team").post(
        f"/api/v1/debriefs/{debrief.pk}/respond",
        json.dumps({"answer": "declined"}),
        content_type="application/json",
    )
    assert answered.status_code == 200
    assert {a["name"]: a["response"] for a in answered.json()["attendees"]}["Cora Core"] == (
        "declined"
    )


def test_the_api_settings(cast: Cast, api_client_for: ClientFor) -> None:
    admin = api_client_for("admin")
    assert admin.get("/api/v1/debrief-settings").json() == {
        "kinds": ["co_design", "cab_meeting"],
        "default_minutes": 180,
    }
    bad = admin.put(
        "/api/v1/debrief-settings",
        json.dumps({"kinds": ["party"], "default_minutes": 180}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "Unknown session kind: party." in bad.content.decode()


# --- traction remind ----------------------------------------------------------------------------


def test_traction_remind_runs_every_periodic_job(cast: Cast) -> None:
    Session.objects.create(
        workspace=cast.acme,
        program=cast.program,
        title="The demo's held session",
        starts_at=T0 - timedelta(days=21, hours=3),
        ends_at=T0 - timedelta(days=21),
    )
    result = CliRunner().invoke(cli, ["remind"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("sessions.rsvp_daily: flagged 0, digests 0")
    assert lines[1] == "debrief.clock: created 1, reminded 1, late 0, missed 1"
    again = CliRunner().invoke(cli, ["remind"], catch_exceptions=False)
    assert "debrief.clock: created 0, reminded 0, late 0, missed 0" in again.output
    assert Debrief.objects.get().status == DebriefStatus.BOOKED
    # ``traction sessions remind`` still works.
    sessions_remind = CliRunner().invoke(cli, ["sessions", "remind"], catch_exceptions=False)
    assert "RSVP digest(s) sent" in sessions_remind.output


def test_a_session_recorded_afterwards_does_not_say_marking_it_held_starts_the_clock(
    cast: Cast, client_for: ClientFor
) -> None:
    """Review 20, 17.3: the clock of a session recorded once it was over already runs (from
    its recording); the session page asks to mark it held without saying that starts it."""
    session = sessions.plan_session(
        cast.viewers["facilitator"],
        program=cast.program,  # type: ignore[arg-type]
        title="Recorded afterwards",
        starts_at=datetime(2027, 2, 26, 9, 0),
        ends_at=datetime(2027, 2, 26, 12, 0),
        time_zone="Europe/Berlin",
    )
    page = text(client_for("facilitator").get(f"/w/acme/sessions/{session.pk}/"))
    assert "This session is over: mark it held below with when it actually ended" in page
    assert "debrief clock starts" not in page


def test_a_slot_after_the_deadline_is_saved_with_a_warning(
    cast: Cast, client_for: ClientFor
) -> None:
    """Review 20, 17.6: due 11 March 12:30 (Berlin); a slot after it is late, one more than
    seven days after it counts as missed: saved, with a warning beside the slot."""
    debrief = Debrief.objects.get(session=plan(cast))
    client = client_for("facilitator")
    address = f"/w/acme/debriefs/{debrief.pk}/booking/"
    assert 'id="slot-warning"' not in text(client.get(address))
    late = client.post(
        address,
        {
            "date": "2027-03-12",
            "start_time": "09:00",
            "minutes": "120",
            "version": debrief.version,
        },
        follow=True,
    )
    assert "This slot starts after the deadline: held then, the debrief is late." in text(late)
    debrief = Debrief.objects.get(pk=debrief.pk)
    missed = client.post(
        address,
        {
            "date": "2027-06-17",
            "start_time": "09:00",
            "minutes": "120",
            "version": debrief.version,
        },
        follow=True,
    )
    page = text(missed)
    assert 'id="slot-warning"' in page
    assert "more than 7 days after the deadline: held then, the debrief counts as missed" in page


def test_the_api_warns_of_a_late_slot_as_the_form_does(
    cast: Cast, api_client_for: ClientFor
) -> None:
    """Due 11 March 12:30 (Berlin): the booking API saves a slot after the deadline and
    answers ``warnings`` with the web form's words; a slot before it, none."""
    debrief = Debrief.objects.get(session=plan(cast))
    fran = api_client_for("facilitator")

    def book(starts_at: str) -> dict[str, Any]:
        version = Debrief.objects.get(pk=debrief.pk).version
        answer = fran.put(
            f"/api/v1/debriefs/{debrief.pk}/booking",
            json.dumps({"starts_at": starts_at, "minutes": 120, "version": version}),
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.content
        return answer.json()  # type: ignore[no-any-return]

    assert book("2027-03-11T09:00:00")["warnings"] == []
    late = book("2027-03-12T09:00:00")
    assert late["starts_at"].startswith("2027-03-12T08:00:00")  # saved all the same
    assert late["warnings"] == [
        "This slot starts after the deadline: held then, the debrief is late. "
        "Book it before the deadline if you can."
    ]
    missed = book("2027-06-17T09:00:00")
    assert missed["warnings"] == [
        "This slot starts more than 7 days after the deadline: held then, the debrief counts "
        "as missed. Book it before the deadline."
    ]
    assert missed["warnings"] == [Debrief.objects.get(pk=debrief.pk).slot_warning]
    # Only the answer to a booking carries warnings; reading the debrief does not.
    assert "warnings" not in fran.get(f"/api/v1/debriefs/{debrief.pk}").json()


def test_the_list_and_program_say_which_debriefs_are_in_the_room_or_closed(
    cast: Cast, client_for: ClientFor, frozen: clock.FrozenClock
) -> None:
    """Besides on time or late, where each debrief stands: in the room, closed, its pack sent
    or not; once the room has opened, nobody's answer to the invitation is awaited."""
    plan(cast, 10, "Booked one")  # its room never opened
    in_room = Debrief.objects.get(session=plan(cast, 11, "Open one"))
    closed = Debrief.objects.get(session=plan(cast, 12, "Closed one"))
    sent = Debrief.objects.get(session=plan(cast, 13, "Sent one"))
    frozen.at = datetime(2027, 3, 14, 9, 0, tzinfo=UTC)
    Debrief.objects.filter(pk=in_room.pk).update(status=DebriefStatus.OPEN, opened_at=frozen.at)
    for d, pack in ((closed, None), (sent, frozen.at)):
        Debrief.objects.filter(pk=d.pk).update(
            status=DebriefStatus.CLOSED, opened_at=frozen.at, closed_at=frozen.at, pack_sent_at=pack
        )
    page = text(client_for("sponsor").get("/w/acme/debriefs/"))
    program = text(client_for("sponsor").get(f"/w/acme/programs/{cast.program.pk}/"))  # type: ignore[union-attr]

    def row(html: str, title: str) -> str:
        return html.split(f">{title}</a>")[1].split("</tr>")[0]

    for html in (page, program):
        assert "debrief-stage" not in row(html, "Booked one")
        assert "in the room</div>" in row(html, "Open one")
        assert "closed · pack not sent yet</div>" in row(html, "Closed one")
        assert "closed · pack sent</div>" in row(html, "Sent one")
    assert "no policy maker yet" in row(page, "Booked one")
    for title in ("Open one", "Closed one", "Sent one"):
        assert "no policy maker yet" not in row(page, title)


def test_the_clock_record_says_what_happened_not_a_bare_due(
    cast: Cast, client_for: ClientFor
) -> None:
    """The booking page's record of the clock: "Due 1 Mar 2027, 09:00" read as the deadline
    while the deadline is days later; each entry now says what happened at that moment."""
    debrief = Debrief.objects.get(session=plan(cast))
    page = text(client_for("facilitator").get(f"/w/acme/debriefs/{debrief.pk}/booking/"))
    record = page.split('id="clock"')[1].split("</section>")[0]
    assert "The clock's record</h2>" in page
    assert "<strong>Deadline set</strong>" in record
    assert "<strong>Slot booked</strong>" in record
    assert "<strong>Due</strong>" not in record


def test_a_closed_debrief_shows_who_was_present_and_asks_no_answer(
    cast: Cast, client_for: ClientFor, frozen: clock.FrozenClock
) -> None:
    # Accepting or not no longer matters once the debrief closed: the list, the program and
    # the session say who the closing recorded as present, and nobody is offered buttons.
    session = plan(cast)
    debrief = Debrief.objects.get(session=session)
    frozen.at = datetime(2027, 3, 11, 9, 0, tzinfo=UTC)
    Debrief.objects.filter(pk=debrief.pk).update(
        status=DebriefStatus.CLOSED, opened_at=frozen.at, closed_at=frozen.at
    )
    Attendee.objects.filter(debrief=debrief, user=cast.users["sponsor"]).update(present=True)
    invited = Attendee.objects.filter(debrief=debrief).count()
    sam = client_for("sponsor")
    page = text(sam.get("/w/acme/debriefs/"))
    assert f"1 of {invited} present" in page
    assert "a policy maker present" in page
    assert "accepted" not in page.split(">Onboarding co-design</a>")[1].split("</tr>")[0]
    program = text(sam.get(f"/w/acme/programs/{cast.program.pk}/"))  # type: ignore[union-attr]
    assert f"1 of {invited} present" in program
    on_session = text(sam.get(f"/w/acme/sessions/{session.pk}/"))
    assert f"1 of {invited} invited were present, a policy maker among them" in on_session
    assert 'name="answer"' not in on_session
    for path in (
        f"/w/acme/debriefs/{debrief.pk}/booking/",
        f"/w/acme/debriefs/{debrief.pk}/respond/",
    ):
        shown = text(sam.get(path))
        assert 'name="answer"' not in shown, path
        assert "This debrief is closed: its invitation is no longer answered." in shown, path
        assert "The closing recorded you as present." in shown, path
