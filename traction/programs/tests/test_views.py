"""Web pages for programs and their team."""

from __future__ import annotations

import re
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.accounts import services as account_services
from traction.accounts.models import Membership, User
from traction.core.models import AuditEvent
from traction.core.testing.cast import PASSWORD
from traction.programs import services
from traction.programs.models import Program, ProgramMember


def html(response) -> str:
    return response.content.decode()


def field_error(field: str, message: str) -> str:
    return f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li></ul>'


def url(name: str, *args: object) -> str:
    return reverse(f"programs:{name}", args=["acme", *args])


def team(program: Program, kind: str) -> list[str]:
    return sorted(program.members.filter(kind=kind).values_list("user__email", flat=True))


def test_list_for_a_facilitator(cast, client_for):
    page = html(client_for("facilitator").get(url("list")))
    assert "<title>Programs · Acme · Traction</title>" in page
    assert f'<a href="/w/acme/programs/{cast.program.pk}/">Effortless onboarding</a>' in page
    assert '<span class="badge status-planning">Planning</span>' in page
    assert "<td>Sam Sponsor</td>" in page
    assert "Jan 2027 \N{EN DASH} Sep 2027" in page
    assert ">Renewals</a>" in page
    assert 'href="/w/acme/programs/new/">Start a program</a>' in page


def test_an_observer_lists_only_their_programs_without_the_start_button(cast, client_for):
    page = html(client_for("observer").get(url("list")))
    assert ">Effortless onboarding</a>" in page
    assert "Renewals" not in page
    assert "Start a program" not in page


def test_an_account_owner_in_no_program_is_told_how_to_join_one(cast, client_for):
    page = html(client_for("account_owner").get(url("list")))
    assert "<strong>No programs yet.</strong>" in page
    assert "A facilitator adds you to a program's core team or as an observer." in page


def test_search_with_no_match(cast, client_for):
    page = html(client_for("facilitator").get(url("list"), {"q": "zzz"}))
    assert "<strong>No programs match these filters.</strong>" in page


def test_create_form(cast, client_for):
    page = html(client_for("facilitator").get(url("create")))
    assert "<h1>Start a program</h1>" in page
    assert '<input type="date" name="results_window_start"' in page
    # Sponsors come from sponsor, admin and facilitator roles; the core team from everyone.
    assert f'<option value="{cast.users["sponsor"].pk}">Sam Sponsor</option>' in page
    assert f'<option value="{cast.users["observer"].pk}">Olive Observer</option>' not in page
    assert f'value="{cast.users["observer"].pk}"' in page


def test_an_observer_cannot_open_the_create_form(cast, client_for):
    assert client_for("observer").get(url("create")).status_code == 403


def test_invalid_create_shows_the_error_beside_the_field(cast, client_for):
    before = Program.objects.count(), AuditEvent.objects.count()
    response = client_for("facilitator").post(
        url("create"),
        {
            "name": "Churn",
            "goal": "Fewer surprises.",
            "status": "planning",
            "results_window_start": "2027-06-01",
            "results_window_end": "2027-01-01",
        },
    )
    page = html(response)
    assert (
        field_error("results_window_end", "The results window must end on or after its start.")
        in page
    )
    assert (Program.objects.count(), AuditEvent.objects.count()) == before

    page = html(
        client_for("facilitator").post(
            url("create"), {"name": "", "goal": "", "status": "planning"}
        )
    )
    assert field_error("name", "This field is required.") in page
    assert field_error("goal", "This field is required.") in page
    assert Program.objects.count() == before[0]


def test_create_a_program_with_its_core_team(cast, client_for):
    response = client_for("facilitator").post(
        url("create"),
        {
            "name": "Churn",
            "goal": "Fewer surprises.",
            "status": "planning",
            "executive_sponsor": cast.users["sponsor"].pk,
            "results_window_start": "2027-03-01",
            "results_window_end": "2027-12-31",
            "core_team": [cast.users["core_team"].pk, cast.users["account_owner"].pk],
        },
    )
    churn = Program.objects.get(name="Churn")
    assert response["Location"] == f"/w/acme/programs/{churn.pk}/"
    assert (churn.results_window_start, churn.executive_sponsor_id) == (
        date(2027, 3, 1),
        cast.users["sponsor"].pk,
    )
    assert team(churn, "core_team") == ["cora@acme.test", "owen@acme.test"]
    assert AuditEvent.objects.filter(action="program.created", object_id=str(churn.pk)).count() == 1
    assert (
        AuditEvent.objects.filter(action="program.team_changed", object_id=str(churn.pk)).count()
        == 1
    )


def test_detail_shows_the_program(cast, client_for):
    page = html(client_for("observer").get(url("detail", cast.program.pk)))
    assert "<h1>Effortless onboarding</h1>" in page
    assert (
        '<p class="lead goal">New mid-market customers pay their first invoice '
        "within a day of signing.</p>" in page
    )
    assert "<dt>Executive sponsor</dt><dd>Sam Sponsor</dd>" in page
    assert "<dt>Results window</dt><dd>1 January 2027 to 30 September 2027</dd>" in page
    assert '<ul class="people"><li>Cora Core</li></ul>' in page
    assert '<ul class="people"><li>Olive Observer</li></ul>' in page
    # The sessions app adds its section (an observer may not plan one).
    assert "<strong>No upcoming sessions.</strong>" in page
    assert "Plan the first session" not in page
    assert "Choose team" not in page
    assert ">Edit</a>" not in page


def test_detail_for_a_facilitator_offers_edit_and_team(cast, client_for):
    page = html(client_for("facilitator").get(url("detail", cast.program.pk)))
    assert f'href="/w/acme/programs/{cast.program.pk}/edit/">Edit</a>' in page
    assert f'href="/w/acme/programs/{cast.program.pk}/team/">Choose team</a>' in page


def test_a_stranger_gets_404_on_an_acme_program(cast, client_for):
    assert client_for("stranger").get(url("detail", cast.program.pk)).status_code == 404


def test_edit_and_stale_edit(cast, client_for):
    program = cast.program
    client = client_for("facilitator")
    page = html(client.get(url("edit", program.pk)))
    assert 'value="2027-01-01"' in page
    assert '<input type="hidden" name="version" value="1" id="id_version">' in page
    data = {
        "name": program.name,
        "goal": program.goal,
        "status": "active",
        "executive_sponsor": cast.users["sponsor"].pk,
        "results_window_start": "2027-01-01",
        "results_window_end": "2027-09-30",
        "version": 1,
    }
    response = client.post(url("edit", program.pk), data)
    assert response["Location"] == f"/w/acme/programs/{program.pk}/"
    program.refresh_from_db()
    assert (program.status, program.version) == ("active", 2)
    assert AuditEvent.objects.get(action="program.changed").changes == {
        "status": ["planning", "active"]
    }

    page = html(client.post(url("edit", program.pk), {**data, "status": "closed"}))
    assert "This program was changed by someone else since you opened it." in page
    program.refresh_from_db()
    assert program.status == "active"


def test_edit_is_refused_to_a_sponsor(cast, client_for):
    assert client_for("sponsor").get(url("edit", cast.program.pk)).status_code == 403


def test_team_page_sets_core_team_and_observers(cast, client_for):
    program = cast.program
    client = client_for("facilitator")
    page = html(client.get(url("team", program.pk)))
    assert f'value="{cast.users["core_team"].pk}" id="id_core_team_' in page
    response = client.post(
        url("team", program.pk),
        {
            "core_team": [cast.users["core_team"].pk, cast.users["observer"].pk],
            "observers": [cast.users["account_owner"].pk],
        },
    )
    assert response["Location"] == f"/w/acme/programs/{program.pk}/"
    assert team(program, "core_team") == ["cora@acme.test", "olive@acme.test"]
    assert team(program, "observer") == ["owen@acme.test"]
    assert (
        AuditEvent.objects.filter(action="program.team_changed", object_id=str(program.pk)).count()
        == 4
    )


def test_team_page_refuses_someone_in_both_lists(cast, client_for):
    program = cast.program
    response = client_for("facilitator").post(
        url("team", program.pk),
        {"core_team": [cast.users["core_team"].pk], "observers": [cast.users["core_team"].pk]},
    )
    assert field_error(
        "observers", "Choose core team or observer, not both, for: Cora Core."
    ) in html(response)
    assert team(program, "core_team") == ["cora@acme.test"]
    assert team(program, "observer") == ["olive@acme.test"]


def test_team_change_is_all_or_nothing(cast, client_for, monkeypatch):
    program = cast.program
    real = services._set_members  # the one service writes the core team, then the observers

    def failing_for_observers(actor, program, user_ids, kind):
        if kind == ProgramMember.Kind.OBSERVER:
            from traction.core.errors import ValidationFailed

            raise ValidationFailed.field("observer_ids", "Not members of this workspace: [999].")
        return real(actor, program, user_ids, kind)

    monkeypatch.setattr(services, "_set_members", failing_for_observers)
    response = client_for("facilitator").post(
        url("team", program.pk), {"core_team": [cast.users["account_owner"].pk], "observers": []}
    )
    assert field_error("observers", "Not members of this workspace: [999].") in html(response)
    assert team(program, "core_team") == ["cora@acme.test"]


def test_the_sponsor_field_offers_the_sponsor_candidates_only(cast, client_for):
    page = html(client_for("facilitator").get(url("create")))
    offered = page[
        page.index('name="executive_sponsor"') : page.index(
            "</select>", page.index('name="executive_sponsor"')
        )
    ]
    assert [
        name for name in ("Alice Admin", "Fran Facilitator", "Sam Sponsor") if name in offered
    ] == [
        "Alice Admin",
        "Fran Facilitator",
        "Sam Sponsor",
    ]
    assert not [n for n in ("Cora Core", "Owen Owner", "Olive Observer") if n in offered]


def test_the_lists_pager_keeps_the_filters_and_drops_the_page(cast, client_for):
    for i in range(26):
        services.create_program(cast.viewer("facilitator"), name=f"Paged {i:02d}", goal="Paged.")
    client = client_for("facilitator")
    first = html(client.get(url("list") + "?page=1&q=Paged&status=planning"))
    assert 'href="?q=Paged&amp;status=planning&amp;page=2" rel="next"' in first
    second = html(client.get(url("list") + "?page=2&q=Paged&status=planning"))
    assert 'href="?q=Paged&amp;status=planning&amp;page=1" rel="prev"' in second
    assert "Page 2 of 2 (26 in all)" in second


# --- the team page's lists are bounded ------------------------------------------------------


def add_members(cast, n: int, name: str = "Zed") -> list:
    start = User.objects.filter(full_name__startswith=name).count()
    made = []
    for i in range(start, start + n):
        user = account_services.create_user(
            email=f"{name.lower()}{i}@acme.test", full_name=f"{name} {i:03d}", password=PASSWORD
        )
        account_services.add_member(None, workspace=cast.acme, user=user, role="observer")
        made.append(user)
    return made


def boxes(page: str, name: str) -> list[int]:
    return [int(v) for v in re.findall(rf'name="{name}" value="(\d+)"', page)]


def ticked(page: str, name: str) -> list[int]:
    return [int(v) for v in re.findall(rf'name="{name}" value="(\d+)"[^>]*checked', page)]


def test_the_team_page_lists_the_team_and_the_first_members_with_the_same_queries(
    cast, client_for, django_assert_num_queries
):
    client = client_for("facilitator")
    path = url("team", cast.program.pk)
    client.get(path)
    with CaptureQueriesContext(connection) as seen:
        small = html(client.get(path))
    cora = cast.users["core_team"].pk
    assert cora in ticked(small, "core_team")
    made = add_members(cast, 40)
    services.set_program_team(
        cast.viewer("facilitator"),
        program=cast.program,
        core_team_ids=[cora, made[-1].pk],
        observer_ids=[made[-2].pk],
    )
    with django_assert_num_queries(len(seen)):
        large = html(client.get(path))
    assert len(boxes(large, "core_team")) == 33  # the three on the team, and 30 others
    assert set(ticked(large, "core_team")) == {cora, made[-1].pk}
    assert ticked(large, "observers") == [made[-2].pk]
    assert "Only the first 30 members by name are listed below" in large


def test_find_a_member_keeps_the_ticks_and_saving_keeps_the_team_past_the_first(cast, client_for):
    client = client_for("facilitator")
    path = url("team", cast.program.pk)
    made = add_members(cast, 40)
    cora = cast.users["core_team"].pk
    # What "Find" sends: the ticks as they are, by GET.
    found = html(client.get(path, {"core_team": [cora], "observers": [], "members_q": "zed 039"}))
    assert set(boxes(found, "core_team")) == {cora, made[-1].pk}
    assert ticked(found, "core_team") == [cora]
    assert ticked(found, "observers") == []
    saved = client.post(path, {"core_team": [cora, made[-1].pk], "observers": [made[0].pk]})
    assert saved.status_code == 302
    assert team(cast.program, "core_team") == sorted(["cora@acme.test", made[-1].email])
    assert team(cast.program, "observer") == [made[0].email]


def add_sponsors(cast, n: int, name: str = "Zoe") -> list:
    made = add_members(cast, n, name=name)
    Membership.objects.filter(user__in=made).update(role="sponsor")
    return made


def test_the_program_form_bounds_the_sponsor_and_the_core_team_with_the_same_queries(
    cast, client_for, django_assert_num_queries
):
    client = client_for("facilitator")
    create = url("create")
    client.get(create)
    with CaptureQueriesContext(connection) as seen:
        small = html(client.get(create))
    assert f'<option value="{cast.users["sponsor"].pk}">Sam Sponsor</option>' in small
    sponsors = add_sponsors(cast, 40)
    members = add_members(cast, 40)
    with django_assert_num_queries(len(seen)):
        large = html(client.get(create))
    sponsor_select = large.split('name="executive_sponsor"')[1].split("</select>")[0]
    assert len(re.findall(r'<option value="\d+"', sponsor_select)) == 30
    assert len(boxes(large, "core_team")) == 30
    assert "Only the first 30 members by name are listed below" in large
    # "Find" carries the answers back; one past the first is chosen and saved.
    found = html(
        client.get(
            create,
            {
                "name": "Churn",
                "goal": "Keep them.",
                "status": "planning",
                "executive_sponsor": sponsors[-1].pk,
                "core_team": [members[-1].pk],
                "members_q": "zed 038",
            },
        )
    )
    assert f'<option value="{sponsors[-1].pk}" selected>' in found
    assert set(boxes(found, "core_team")) == {members[-1].pk, members[-2].pk}
    assert ticked(found, "core_team") == [members[-1].pk]
    assert 'value="Churn"' in found
    made = client.post(
        create,
        {
            "name": "Churn",
            "goal": "Keep them.",
            "status": "planning",
            "executive_sponsor": sponsors[-1].pk,
            "core_team": [members[-1].pk],
        },
    )
    assert made.status_code == 302
    churn = Program.objects.get(name="Churn")
    assert churn.executive_sponsor_id == sponsors[-1].pk
    assert team(churn, "core_team") == [members[-1].email]
    # The edit page offers the sponsor wherever it falls, selected.
    edit = html(client.get(url("edit", churn.pk)))
    assert f'<option value="{sponsors[-1].pk}" selected>' in edit
