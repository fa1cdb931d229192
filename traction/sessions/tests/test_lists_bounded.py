"""Lists and pickers stay a page long as history grows: the sessions list pages its
upcoming, cancelled and past sessions; the program page and a sponsor's home show the
soonest few and how many there are; the practice-session picker offers a page of candidates
and the one linked. Each page costs the same queries at two sizes. (Page sizes are made
small here so a few sessions fill several pages.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.accounts import services as account_services
from traction.accounts.models import Membership
from traction.core import clock
from traction.core.testing.cast import PASSWORD, Cast
from traction.customers.models import Contact
from traction.sessions import selectors, services
from traction.sessions.models import Session
from traction.sessions.views import sessions as session_views

pytestmark = pytest.mark.django_db

PLANNED_AT = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)  # the pages are read then


def plan(cast: Cast, title: str, day: int, kind: str = "co_design", **fields: Any) -> Session:
    """A session on ``day`` June 2030 (past when the pages are read if day < 15)."""
    values: dict[str, Any] = {
        "program": cast.program,
        "title": title,
        "kind": kind,
        "starts_at": datetime(2030, 6, day, 9, 0),
        "ends_at": datetime(2030, 6, day, 12, 0),
        "time_zone": "Europe/Berlin",
        **fields,
    }
    with clock.frozen(PLANNED_AT):
        return services.plan_session(cast.viewer("facilitator"), **values)


def url(name: str, *args: object) -> str:
    return reverse(f"sessions:{name}", args=["acme", *args])


def get(client: Client, path: str) -> str:
    with clock.frozen(NOW):
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def queries(client: Client, path: str) -> int:
    get(client, path)  # warm
    with CaptureQueriesContext(connection) as seen:
        get(client, path)
    return len(seen)


def titles(page: str) -> list[str]:
    return re.findall(r'<a href="/w/acme/sessions/\d+/">([^<]+)</a>', page)


def test_the_sessions_list_pages_upcoming_and_past(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_views, "LIST_PAGE", 3)
    for day in range(16, 23):
        plan(cast, f"Ahead {day}", day)
    for day in range(2, 7):
        plan(cast, f"Gone {day}", day)
    client = client_for("facilitator")
    page = get(client, url("list"))
    assert titles(page) == ["Ahead 16", "Ahead 17", "Ahead 18", "Gone 6", "Gone 5", "Gone 4"]
    assert '<nav class="pagination" aria-label="Pages of upcoming sessions">' in page
    assert "Page 1 of 3 (7 in all)" in page
    assert 'href="?page=2#upcoming" rel="next"' in page
    assert "Page 1 of 2 (5 in all)" in page
    assert 'href="?past=2#past" rel="next"' in page
    # Each pager keeps the other's page and the filters.
    page = get(client, url("list") + f"?program={cast.program.pk}&page=3&past=2")
    assert titles(page) == ["Ahead 22", "Gone 3", "Gone 2"]
    assert f'href="?program={cast.program.pk}&amp;past=2&amp;page=2#upcoming"' in page
    assert f'href="?program={cast.program.pk}&amp;page=3&amp;past=1#past" rel="prev"' in page


def test_cancelled_upcoming_sessions_are_paged_too(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_views, "CANCELLED_PAGE", 2)
    for day in range(16, 21):
        session = plan(cast, f"Called off {day}", day)
        with clock.frozen(PLANNED_AT):
            services.cancel_session(cast.viewer("facilitator"), session=session, reason="No room")
    page = get(client_for("facilitator"), url("list") + "?cancelled=3")
    assert "Called off 20" in page
    assert "Called off 16" not in page
    assert 'href="?cancelled=2#cancelled" rel="prev"' in page
    assert "<strong>No upcoming sessions.</strong>" in page  # cancelled ones are not upcoming


def test_a_filtered_list_with_nothing_past_says_so(cast: Cast, client_for: Any) -> None:
    page = get(client_for("facilitator"), url("list") + "?kind=practice")
    assert "No past sessions match these filters." in page
    page = get(client_for("facilitator"), url("list"))
    assert "No past sessions." in page


def test_the_sessions_list_costs_the_same_queries_at_two_sizes(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_views, "LIST_PAGE", 3)
    client = client_for("facilitator")
    counts = []
    for days in (range(16, 20), range(20, 28)):
        for day in days:
            plan(cast, f"Ahead {day}", day)
            plan(cast, f"Gone {day - 14}", day - 14)
        counts.append(queries(client, url("list")))
    assert counts[0] == counts[1], counts


def test_the_program_page_shows_the_soonest_and_how_many(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "UPCOMING_SHOWN", 3)
    client = client_for("facilitator")
    program_page = reverse("programs:detail", args=["acme", cast.program.pk])
    plan(cast, "Ahead 16", 16)
    page = get(client, program_page)
    assert titles(page) == ["Ahead 16"]
    assert "soonest of" not in page
    assert "All sessions of this program, past and cancelled ones too" in page
    for day in range(17, 28):
        plan(cast, f"Ahead {day}", day)
    page = get(client, program_page)
    assert titles(page) == ["Ahead 16", "Ahead 17", "Ahead 18"]
    assert "The 3 soonest of 12 upcoming sessions." in page
    assert f'href="{url("list")}?program={cast.program.pk}">All sessions of this program' in page
    # (Past a dozen, the debriefs' section below counts its own too: both sizes are past it.)
    small = queries(client, program_page)
    for day in range(28, 31):
        plan(cast, f"Ahead {day}", day)
        later = {"starts_at": datetime(2030, 6, day, 14), "ends_at": datetime(2030, 6, day, 17)}
        plan(cast, f"Ahead {day} later", day, **later)
    assert "The 3 soonest of 18 upcoming sessions." in get(client, program_page)
    assert queries(client, program_page) == small


def test_a_sponsors_home_shows_the_soonest_and_how_many(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "UPCOMING_SHOWN", 3)
    client = client_for("sponsor")
    home = reverse("accounts:workspace_home", args=["acme"])
    for day in range(16, 19):
        plan(cast, f"Ahead {day}", day)
    small = queries(client, home)
    assert "All 3 upcoming sessions" not in get(client, home)
    for day in range(19, 25):
        plan(cast, f"Ahead {day}", day)
    page = get(client, home)
    assert [t for t in titles(page) if t.startswith("Ahead")] == [
        "Ahead 16",
        "Ahead 17",
        "Ahead 18",
    ]
    assert f'<a href="{url("list")}">All 9 upcoming sessions</a>' in page
    assert queries(client, home) == small


# --- the practice-session picker ------------------------------------------------------------


def options(page: str) -> list[str]:
    select = re.search(r'<select name="practice".*?</select>', page, re.S)
    assert select is not None
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))


def test_the_practice_picker_offers_a_page_nearest_first_and_the_one_linked(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_views, "PRACTICE_PAGE", 3)
    session = plan(cast, "The real one", 28)
    rehearsals = {
        day: plan(cast, f"Rehearsal {day}", day, kind="practice") for day in range(20, 26)
    }
    client = client_for("facilitator")
    page = get(client, url("detail", session.pk))
    assert options(page) == [
        "No practice session",
        "Rehearsal 25 (25 Jun 2030)",
        "Rehearsal 24 (24 Jun 2030)",
        "Rehearsal 23 (23 Jun 2030)",
    ]
    assert "Practice sessions 1–3 of 6, the nearest before this session first" in page
    assert 'href="?practice=2" rel="next"' in page
    assert options(get(client, url("detail", session.pk) + "?practice=2"))[1:] == [
        "Rehearsal 22 (22 Jun 2030)",
        "Rehearsal 21 (21 Jun 2030)",
        "Rehearsal 20 (20 Jun 2030)",
    ]
    # One from the second page is linked: it stays offered (selected) on the first.
    with clock.frozen(NOW):
        response = client.post(url("practice", session.pk), {"practice": rehearsals[20].pk})
    assert response.status_code == 302
    page = get(client, url("detail", session.pk))
    assert (
        f'<option value="{rehearsals[20].pk}" selected>Rehearsal 20 (20 Jun 2030)</option>' in page
    )
    assert len(options(page)) == 5


def test_the_session_page_costs_the_same_queries_however_many_practice_sessions(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_views, "PRACTICE_PAGE", 3)
    session = plan(cast, "The real one", 28)
    client = client_for("facilitator")
    for day in range(20, 24):
        plan(cast, f"Rehearsal {day}", day, kind="practice")
    small = queries(client, url("detail", session.pk))
    for day in range(16, 20):
        plan(cast, f"Rehearsal {day}", day, kind="practice")
    assert queries(client, url("detail", session.pk)) == small


# --- the participants page's Member select ---------------------------------------------------


def add_members(cast: Cast, n: int, name: str = "Zed") -> list[Any]:
    """``n`` more observers, named after every cast member (so past the first by name)."""
    start = Membership.objects.filter(user__full_name__startswith=name).count()
    made = []
    for i in range(start, start + n):
        user = account_services.create_user(
            email=f"{name.lower().replace(' ', '.')}{i}@acme.test",
            full_name=f"{name} {i:03d}",
            password=PASSWORD,
        )
        account_services.add_member(None, workspace=cast.acme, user=user, role="observer")
        made.append(user)
    return made


def member_options(page: str) -> list[int]:
    select = page.split('name="user"')[1].split("</select>")[0]
    return [int(v) for v in re.findall(r'<option value="(\d+)"', select)]


def test_the_participants_member_select_is_bounded_with_the_same_queries(
    cast: Cast, client_for: Any, django_assert_num_queries: Any
) -> None:
    session = plan(cast, "Co-design", 20)
    client = client_for("facilitator")
    path = url("participants", session.pk)
    few = queries(client, path)
    assert cast.users["core_team"].pk in member_options(get(client, path))
    last = add_members(cast, 40)[-1]
    with django_assert_num_queries(few):
        large = get(client, path)
    assert len(member_options(large)) == 30
    assert last.pk not in member_options(large)
    assert "Only the first 30 members by name are listed below" in large
    chosen = get(client, f"{path}?user={last.pk}&role=note_taker&user_q=zed+039")
    assert member_options(chosen) == [last.pk]
    assert f'<option value="{last.pk}" selected>' in chosen
    assert '<option value="note_taker" selected>' in chosen
    with clock.frozen(NOW):
        added = client.post(path, {"user": last.pk, "role": "observer"})
    assert added.status_code == 302
    assert session.participants.get().user_id == last.pk


# --- the outreach form's contacts ------------------------------------------------------------


def add_contacts(cast: Cast, n: int, name: str = "Zz contact") -> list[Contact]:
    """``n`` more consenting contacts of Globex, named after the cast's."""
    start = Contact.objects.filter(name__startswith=name).count()
    return [
        Contact.objects.create(
            workspace=cast.acme,
            customer=cast.customer,
            name=f"{name} {i:03d}",
            email=f"{name.lower().replace(' ', '.')}{i}@globex.test",
            consent_to_contact=True,
        )
        for i in range(start, start + n)
    ]


def contact_boxes(page: str) -> list[int]:
    return [int(v) for v in re.findall(r'name="contacts" value="(\d+)"', page)]


def test_the_outreach_form_lists_the_first_contacts_and_those_ticked_with_the_same_queries(
    cast: Cast, client_for: Any, django_assert_num_queries: Any
) -> None:
    session = plan(cast, "Co-design", 20)
    client = client_for("facilitator")
    path = url("outreach_new", session.pk)
    few = queries(client, path)
    assert cast.contact is not None
    assert cast.contact.pk in contact_boxes(get(client, path))
    made = add_contacts(cast, 40)
    with django_assert_num_queries(few):
        large = get(client, path)
    assert len(contact_boxes(large)) == 30
    assert made[-1].pk not in contact_boxes(large)
    assert "Only the first 30 contacts by name are listed below" in large
    # What the Find button sends: the form by GET; the ticked stay listed and ticked.
    found = get(client, f"{path}?contacts={made[-1].pk}&message=Hello+there&contacts_q=CONTACT+001")
    assert contact_boxes(found) == [made[-1].pk, made[1].pk]
    assert re.search(rf'value="{made[-1].pk}"[^>]*checked', found)
    assert not re.search(rf'value="{made[1].pk}"[^>]*checked', found)
    assert "Hello there</textarea>" in found
    assert 'value="CONTACT 001"' in found
    none = get(client, f"{path}?contacts_q=nobody+like+it")
    assert contact_boxes(none) == []
    assert "No contact's name, email address or title holds “nobody like it”." in none


def test_outreach_is_requested_for_a_contact_past_the_first_ones(
    cast: Cast, client_for: Any
) -> None:
    session = plan(cast, "Co-design", 20)
    last = add_contacts(cast, 40)[-1]
    client = client_for("facilitator")
    with clock.frozen(NOW - timedelta(days=20)):
        answer = client.post(
            url("outreach_new", session.pk), {"contacts": [last.pk], "message": "Why them."}
        )
    assert answer.status_code == 302, answer.content.decode()
    assert list(session.outreach_requests.values_list("contact_id", flat=True)) == [last.pk]
