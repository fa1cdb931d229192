"""Input rules of customers, accounts, programs and sessions, through the web, the API and the
services: names and titles on one line, start times that exist in their zone, and numbers
read strictly (a clear refusal, never a 500)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from traction.accounts import services as account_services
from traction.core.errors import ValidationFailed
from traction.core.testing.cast import Cast
from traction.core.text import QUERY_VALUE_MAX
from traction.customers.models import Contact, Customer
from traction.programs.models import Program
from traction.sessions import services
from traction.sessions.models import AgendaItem, Session

pytestmark = pytest.mark.django_db

API = "/api/v1"
ONE_LINE = "Use one line: line breaks are not allowed here."


def api_errors(response: Any) -> dict[str, str]:
    return {".".join(map(str, d["loc"][1:])): d["msg"] for d in response.json()["detail"]}


def plan(cast: Cast) -> Session:
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 12, 30),
        time_zone="Europe/Berlin",
    )


# --- 7. names and titles are one line -----------------------------------------------------------


@pytest.mark.parametrize("brk", ["\n", "\r\n", "\u2028", "\x85"])
def test_the_api_refuses_line_breaks_in_names_and_titles(
    cast: Cast, api_client_for: Any, brk: str
) -> None:
    assert cast.customer is not None
    assert cast.contact is not None
    admin = api_client_for("admin")
    session = plan(cast)
    cases = [
        ("POST", "/customers", {"name": f"Glo{brk}bex", "segment": "enterprise"}, "name"),
        ("PATCH", f"/customers/{cast.customer.pk}", {"name": f"A{brk}B"}, "name"),
        (
            "POST",
            f"/customers/{cast.customer.pk}/contacts",
            {"name": "Hal", "email": "hal@globex.test", "title": f"CTO{brk}CEO"},
            "title",
        ),
        ("PATCH", f"/contacts/{cast.contact.pk}", {"name": f"Gina{brk}G"}, "name"),
        ("POST", "/programs", {"name": f"P{brk}Q", "goal": "Goal"}, "name"),
        ("PATCH", f"/programs/{cast.program.pk}", {"name": f"P{brk}Q"}, "name"),  # type: ignore[union-attr]
        ("PATCH", f"/sessions/{session.pk}", {"title": f"T{brk}U"}, "title"),
        (
            "PUT",
            f"/sessions/{session.pk}/agenda",
            {"items": [{"title": f"Wel{brk}come", "minutes": 10}]},
            "items.0.title",
        ),
    ]
    for method, url, body, field in cases:
        response = admin.generic(
            method, API + url, json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 422, (url, response.content)
        assert api_errors(response)[field] == f"Value error, {ONE_LINE}", url
    assert Customer.objects.get(pk=cast.customer.pk).name == "Globex"
    assert not Contact.objects.filter(email="hal@globex.test").exists()
    assert Program.objects.filter(workspace=cast.acme).count() == 2
    assert Session.objects.get(pk=session.pk).title == "Onboarding co-design"
    assert AgendaItem.objects.filter(session=session).count() > 1  # the template, untouched


def test_web_forms_refuse_line_breaks(cast: Cast, client_for: Any) -> None:
    assert cast.customer is not None
    client = client_for("facilitator")
    page = client.post(
        "/w/acme/customers/new/", {"name": "Glo\r\nbex Two", "segment": "enterprise"}
    ).content.decode()
    assert ONE_LINE in page
    assert not Customer.objects.filter(name__startswith="Glo\r").exists()
    page = client.post(
        f"/w/acme/customers/{cast.customer.pk}/contacts/new/",
        {
            "name": "Hal",
            "email": "hal@globex.test",
            "title": "CTO\nCEO",
            "preferred_channel": "email",
            "update_cadence": "as_needed",
        },
    ).content.decode()
    assert ONE_LINE in page
    assert not Contact.objects.filter(email="hal@globex.test").exists()
    session = plan(cast)
    page = client.post(
        f"/w/acme/sessions/{session.pk}/agenda/",
        {
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-0-title": "Wel\ncome",
            "items-0-minutes": "10",
            "items-0-ORDER": "1",
        },
    ).content.decode()
    assert ONE_LINE in page


def test_services_refuse_line_breaks_whatever_called_them(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as user:
        account_services.create_user(email="x@acme.test", full_name="X\nY", password=None)
    assert user.value.errors == {"full_name": [ONE_LINE]}
    with pytest.raises(ValidationFailed) as titled:
        services.plan_session(
            cast.viewer("facilitator"),
            program=cast.program,
            title="A\u2029B",
            starts_at=datetime(2030, 7, 1, 9, 0),
            ends_at=datetime(2030, 7, 1, 10, 0),
        )
    assert titled.value.errors == {"title": [ONE_LINE]}


BEL = (
    "Remove the control character U+0007: it cannot be shown or printed, so nobody would see "
    "it here."
)


@pytest.mark.parametrize(
    ("ch", "code"), [("\x07", "0007"), ("\x1b", "001B"), ("\x7f", "007F"), ("\x9b", "009B")]
)
def test_control_characters_are_refused_in_names_and_titles_everywhere(
    cast: Cast, api_client_for: Any, client_for: Any, ch: str, code: str
) -> None:
    """A control character (a BEL pasted from a terminal, an ESC from a log) shows as nothing:
    the name would differ from its look-alike unseen. Refused like a line break, naming it."""
    assert cast.customer is not None
    said = BEL.replace("0007", code)
    api = api_client_for("admin").post(
        API + "/customers",
        json.dumps({"name": f"Glo{ch}bex Two", "segment": "enterprise"}),
        content_type="application/json",
    )
    assert api.status_code == 422, api.content
    assert api_errors(api)["name"] == f"Value error, {said}"
    page = client_for("facilitator").post(
        "/w/acme/customers/new/", {"name": f"Glo{ch}bex Two", "segment": "enterprise"}
    )
    assert page.status_code == 200
    assert said in page.content.decode()
    with pytest.raises(ValidationFailed) as titled:
        services.plan_session(
            cast.viewer("facilitator"),
            program=cast.program,
            title=f"Kick{ch}off",
            starts_at=datetime(2030, 7, 1, 9, 0),
            ends_at=datetime(2030, 7, 1, 10, 0),
        )
    assert titled.value.errors == {"title": [said]}
    assert not Customer.objects.filter(name__startswith="Glo").exclude(name="Globex").exists()


def test_a_tab_in_a_name_is_still_text(cast: Cast) -> None:
    session = services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Kick-off\tday one",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 10, 0),
    )
    assert session.title == "Kick-off\tday one"


# --- 8. a start time in a daylight-saving gap says so --------------------------------------------

GAP = (
    "02:30 on 28 March 2027 does not exist in Europe/Berlin (clocks go forward); pick another time."
)


def test_the_api_refuses_a_start_in_the_spring_gap(cast: Cast, api_client_for: Any) -> None:
    assert cast.program is not None
    response = api_client_for("facilitator").post(
        f"{API}/sessions",
        {
            "program_id": cast.program.pk,
            "title": "Night owls",
            "starts_at": "2027-03-28T02:30",
            "ends_at": "2027-03-28T04:00",
            "time_zone": "Europe/Berlin",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "starts_at"], "msg": GAP, "type": "value_error"}
    ]
    assert not Session.objects.filter(title="Night owls").exists()


def test_the_form_puts_the_gap_on_the_start_time(cast: Cast, client_for: Any) -> None:
    assert cast.program is not None
    page = (
        client_for("facilitator")
        .post(
            "/w/acme/sessions/new/",
            {
                "program": cast.program.pk,
                "kind": "co_design",
                "title": "Night owls",
                "date": "2027-03-28",
                "start_time": "02:30",
                "end_time": "04:00",
                "time_zone": "Europe/Berlin",
            },
        )
        .content.decode()
    )
    assert GAP in page
    assert not Session.objects.filter(title="Night owls").exists()


def test_an_update_into_the_gap_is_refused_and_a_real_time_is_kept(cast: Cast) -> None:
    session = plan(cast)
    with pytest.raises(ValidationFailed) as refused:
        services.update_session(
            cast.viewer("facilitator"),
            session=session,
            changes={"starts_at": datetime(2027, 3, 28, 2, 30)},
        )
    assert refused.value.errors == {"starts_at": [GAP]}
    # The hour the clocks go back exists (twice): accepted, read as the first one.
    moved = services.update_session(
        cast.viewer("facilitator"),
        session=session,
        changes={
            "starts_at": datetime(2027, 10, 31, 2, 30),
            "ends_at": datetime(2027, 10, 31, 5, 0),
        },
    )
    assert moved.starts_at.astimezone(UTC).isoformat() == "2027-10-31T00:30:00+00:00"


def test_a_gap_and_an_end_before_the_start_are_said_together(
    cast: Cast, client_for: Any, api_client_for: Any
) -> None:
    """Review 19, 14.5: every field's error in one pass, not the gap first and the end after
    it is fixed."""
    assert cast.program is not None
    page = (
        client_for("facilitator")
        .post(
            "/w/acme/sessions/new/",
            {
                "program": cast.program.pk,
                "kind": "co_design",
                "title": "Night owls",
                "date": "2027-03-28",
                "start_time": "02:30",
                "end_time": "01:00",
                "time_zone": "Europe/Berlin",
            },
        )
        .content.decode()
    )
    assert GAP in page
    assert "The session must end after it starts." in page
    response = api_client_for("facilitator").post(
        f"{API}/sessions",
        {
            "program_id": cast.program.pk,
            "title": "Night owls",
            "starts_at": "2027-03-28T02:30",
            "ends_at": "2027-03-28T01:00",
            "time_zone": "Europe/Berlin",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {
        ("body", "starts_at"),
        ("body", "ends_at"),
    }
    assert not Session.objects.filter(title="Night owls").exists()
    # Changing a session: the start into the gap and the end before it, both named.
    session = plan(cast)
    with pytest.raises(ValidationFailed) as refused:
        services.update_session(
            cast.viewer("facilitator"),
            session=session,
            changes={
                "starts_at": datetime(2027, 3, 28, 2, 30),
                "ends_at": datetime(2027, 3, 28, 1, 0),
            },
        )
    assert refused.value.errors == {
        "starts_at": [GAP],
        "ends_at": ["The session must end after it starts."],
    }


# --- 10. numbers are read strictly ---------------------------------------------------------------

BAD_NUMBERS = ["²", "٣", "9" * 25, "9" * 5000, "-1", "1e3"]


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_web_numbers_from_people_never_500(cast: Cast, client_for: Any, bad: str) -> None:
    assert cast.customer is not None
    client = client_for("facilitator")
    session = plan(cast)
    # A query parameter past 2,000 characters is refused before any page reads it (400).
    shown = 400 if len(bad) > QUERY_VALUE_MAX else 200
    assert client.get(f"/w/acme/sessions/new/?program={bad}").status_code == shown
    briefing = client.get(f"/w/acme/sessions/{session.pk}/briefing/?participant={bad}")
    assert briefing.status_code == (shown if shown == 400 else 302)
    pick = client.post(f"/w/acme/sessions/{session.pk}/questions/pick/", {"pick": bad})
    notice = client.post("/w/acme/notices/", {"notice": bad})
    # Each is read as "no such choice": the page goes back where it came from.
    assert (pick.status_code, notice.status_code) == (302, 302)
    assert (
        client.post(f"/w/acme/sessions/{session.pk}/outreach/new/", {"contacts": bad}).status_code
        == 200
    )
    edit = client.post(
        f"/w/acme/customers/{cast.customer.pk}/edit/",
        {"name": "Globex Two", "segment": "mid_market", "version": bad},
    )
    assert edit.status_code == 200
    assert "changed by someone else" not in edit.content.decode()
    assert Customer.objects.get(pk=cast.customer.pk).name == "Globex"


@pytest.mark.parametrize("bad", ["²", "9" * 25, "9" * 5000])
def test_api_numbers_from_people_never_500(cast: Cast, api_client_for: Any, bad: str) -> None:
    assert cast.contact is not None
    client = api_client_for("facilitator")
    session = plan(cast)
    digits = bad.isascii()
    # Not JSON at all (a quoted Python string, a superscript, an integer past Python's digit
    # limit) is a 400; JSON whose number is out of range is a 422 naming the field; a path id
    # that is digits but no row is a 404, one that is not digits a 422.
    json_number = 422 if digits and len(bad) < 4300 else 400
    for method, url, body, expected in [
        ("PATCH", f"/contacts/{cast.contact.pk}", f'{{"title": "x", "version": {bad!r}}}', 400),
        (
            "PATCH",
            f"/contacts/{cast.contact.pk}",
            '{"title": "x", "version": ' + bad + "}",
            json_number,
        ),
        (
            "PUT",
            f"/sessions/{session.pk}/agenda",
            '{"items": [{"title": "a", "minutes": ' + bad + "}]}",
            json_number,
        ),
        ("GET", f"/customers?account_owner_id={bad}", None, 422),
        ("GET", f"/contacts/{bad}", None, 404 if digits else 422),
        ("GET", f"/sessions/{bad}", None, 404 if digits else 422),
    ]:
        response = client.generic(method, API + url, body or "", content_type="application/json")
        assert response.status_code == expected, (method, url[:60], response.status_code)
    assert Contact.objects.get(pk=cast.contact.pk).title == ""


@pytest.mark.parametrize("bad", ["²", "9" * 25, "9" * 5000, "0"])
def test_command_line_ids_are_read_strictly(cast: Cast, bad: str) -> None:
    from click.testing import CliRunner

    from traction.cli.main import cli

    for args in (
        ["sessions", "invite", bad, "--as", "fran@acme.test"],
        ["sessions", "invite", "1", "--contact", bad, "--as", "fran@acme.test"],
        ["privacy", "erase", bad, "--reason", "x", "--as", "alice@acme.test", "--yes"],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args[:2], result.output)
        assert "Invalid value" in result.output
