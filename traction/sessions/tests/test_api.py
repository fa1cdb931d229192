"""The sessions API: happy paths, refusals that change nothing, gatekeeping, the wall."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.sessions import services
from traction.sessions.models import (
    AgendaItem,
    Invitation,
    OutreachRequest,
    OutreachStatus,
    Participant,
    ParticipantRole,
    Session,
    SessionKind,
    TopQuestion,
)
from traction.sessions.schemas import KindValue, OutreachStatusValue, RoleValue

pytestmark = pytest.mark.django_db

API = "/api/v1"
ApiClientFor = Callable[[str], Client]


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    data = "" if body is None else json.dumps(body)
    return client.generic(method, API + url, data, content_type="application/json")


def error_fields(response: Any) -> list[str]:
    return [str(e["loc"][-1]) for e in response.json()["detail"]]


def plan(cast: Cast, principal: str = "facilitator", **fields: Any) -> Session:
    values: dict[str, Any] = {
        "program": cast.program,
        "title": "Onboarding co-design",
        "starts_at": datetime(2030, 7, 1, 9, 0),
        "ends_at": datetime(2030, 7, 1, 12, 30),
        "time_zone": "Europe/Berlin",
        **fields,
    }
    return services.plan_session(cast.viewer(principal), **values)


def requested(cast: Cast, session: Session) -> OutreachRequest:
    assert cast.contact is not None
    return services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )


def approved(cast: Cast, session: Session, conditions: str = "") -> OutreachRequest:
    return services.decide_outreach(
        cast.viewer("account_owner"),
        request=requested(cast, session),
        approve=True,
        conditions=conditions,
    )


def with_participant(cast: Cast, session: Session, principal: str, role: str) -> Participant:
    return services.add_participant(
        cast.viewer("facilitator"), session=session, user_id=cast.users[principal].pk, role=role
    )


def test_choice_literals_match_the_models() -> None:
    assert list(typing.get_args(KindValue)) == SessionKind.values
    assert list(typing.get_args(OutreachStatusValue)) == OutreachStatus.values
    assert list(typing.get_args(RoleValue)) == ParticipantRole.values


# --- sessions -------------------------------------------------------------------------------


def test_plan_session_reads_local_times_in_its_zone(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.program is not None
    response = send(
        api_client_for("facilitator"),
        "POST",
        "/sessions",
        {
            "program_id": cast.program.pk,
            "kind": "co_design",
            "title": "Onboarding co-design, Berlin",
            "starts_at": "2030-07-01T09:00",
            "ends_at": "2030-07-01T12:30:00",
            "time_zone": "Europe/Berlin",
            "location": "Globex HQ, Room 4",
            "video_link": "https://meet.example.test/abc",
        },
    )
    assert response.status_code == 201
    body = response.json()
    session = Session.objects.get(title="Onboarding co-design, Berlin")
    assert session.starts_at == datetime(2030, 7, 1, 7, 0, tzinfo=UTC)
    assert body["id"] == session.pk
    assert (body["starts_at"], body["ends_at"]) == (
        "2030-07-01T07:00:00.000Z",
        "2030-07-01T10:30:00.000Z",
    )
    assert (body["local_start"], body["local_end"]) == (
        "2030-07-01T09:00:00.000+02:00",
        "2030-07-01T12:30:00.000+02:00",
    )
    assert (body["program_id"], body["kind"], body["status"], body["length_minutes"]) == (
        cast.program.pk,
        "co_design",
        "planned",
        210,
    )
    assert (body["location"], body["video_link"], body["practice_id"]) == (
        "Globex HQ, Room 4",
        "https://meet.example.test/abc",
        None,
    )
    assert [(i["position"], i["title"], i["minutes"]) for i in body["agenda"]] == [
        (1, "Welcome", 15),
        (2, "Issues & vision discussion", 45),
        (3, "Scenario mapping in customer teams", 90),
        (4, "Prioritisation", 30),
        (5, "Questions from our team", 20),
        (6, "Next steps", 10),
    ]
    assert body["agenda_minutes"] == 210
    assert body["readiness"]["percent"] == 14  # only the agenda is ready (1 of 7 checks)
    assert [c["key"] for c in body["readiness"]["checks"] if c["done"]] == ["agenda"]
    assert body["readiness"]["checks"][4] == {
        "key": "agenda",
        "label": "Agenda complete",
        "done": True,
        "detail": "210 of 210 minutes planned",
    }
    event = AuditEvent.objects.get(action="session.planned", object_id=str(session.pk))
    assert event.via == "api"


def test_plan_session_accepts_offsets_and_skips_the_template(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.program is not None
    response = send(
        api_client_for("admin"),
        "POST",
        "/sessions",
        {
            "program_id": cast.program.pk,
            "kind": "interview",
            "title": "Gina interview",
            "starts_at": "2031-01-15T09:00:00+01:00",
            "ends_at": "2031-01-15T09:45Z",
            "time_zone": "America/New_York",
            "use_template": False,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["starts_at"], body["ends_at"]) == (
        "2031-01-15T08:00:00.000Z",
        "2031-01-15T09:45:00.000Z",
    )
    assert body["local_start"] == "2031-01-15T03:00:00.000-05:00"
    assert (body["agenda"], body["agenda_minutes"]) == ([], 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"workspace_id": 2}, "workspace_id"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "Europe"}, "time_zone"),
        ({"starts_at": "01/07/2030 09:00"}, "starts_at"),
        ({"starts_at": "2030-07-01"}, "starts_at"),
        ({"starts_at": 1909000000}, "starts_at"),
        ({"starts_at": "9999-12-31T23:00"}, "starts_at"),
        ({"ends_at": "2030-07-01T08:00"}, "ends_at"),
        ({"title": ""}, "title"),
        ({"kind": "workshop"}, "kind"),
        ({"use_template": "yes"}, "use_template"),
        ({"program_id": "1"}, "program_id"),
        ({"program_id": 0}, "program_id"),
        ({"program_id": 999999}, "program_id"),
        ({"video_link": "not a link"}, "video_link"),
    ],
)
def test_plan_session_bad_payload_is_422_and_saves_nothing(
    cast: Cast, api_client_for: ApiClientFor, changes: dict[str, Any], field: str
) -> None:
    assert cast.program is not None
    body = {
        "program_id": cast.program.pk,
        "title": "S",
        "starts_at": "2030-07-01T09:00",
        "ends_at": "2030-07-01T12:00",
        "time_zone": "Europe/Berlin",
        **changes,
    }
    response = send(api_client_for("admin"), "POST", "/sessions", body)
    assert response.status_code == 422
    assert field in error_fields(response)
    assert not Session.objects.exists()


def test_plan_session_in_another_workspaces_program_names_the_field(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.rival_program is not None
    response = send(
        api_client_for("admin"),
        "POST",
        "/sessions",
        {
            "program_id": cast.rival_program.pk,
            "title": "S",
            "starts_at": "2030-07-01T09:00",
            "ends_at": "2030-07-01T12:00",
        },
    )
    assert response.status_code == 422
    assert response.json()["message"] == "program_id: Program not found."
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        ("core_team", 403),
        ("sponsor", 403),
        ("observer", 403),
        ("account_owner", 422),  # not in the program: it is not there for them to name
    ],
)
def test_plan_session_refused_for_others(
    cast: Cast, api_client_for: ApiClientFor, principal: str, status: int
) -> None:
    assert cast.program is not None
    response = send(
        api_client_for(principal),
        "POST",
        "/sessions",
        {
            "program_id": cast.program.pk,
            "title": "S",
            "starts_at": "2030-07-01T09:00",
            "ends_at": "2030-07-01T12:00",
        },
    )
    assert response.status_code == status
    assert not Session.objects.exists()


def test_list_sessions_filters_and_scopes(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.other_program is not None
    codesign = plan(cast)
    practice = plan(
        cast,
        kind="practice",
        title="Practice",
        starts_at=datetime(2030, 6, 28, 9),
        ends_at=datetime(2030, 6, 28, 10),
    )
    renewals = plan(cast, program=cast.other_program, title="Renewals CAB", kind="cab_meeting")
    past = plan(
        cast, title="Pilot", starts_at=datetime(2020, 3, 2, 9), ends_at=datetime(2020, 3, 2, 12)
    )

    def titles(client: Client, query: str = "") -> list[str]:
        response = client.get(f"{API}/sessions{query}")
        assert response.status_code == 200
        return [s["title"] for s in response.json()["items"]]

    fran = api_client_for("facilitator")
    assert titles(fran) == [past.title, practice.title, codesign.title, renewals.title]
    assert titles(fran, f"?program_id={cast.other_program.pk}") == [renewals.title]
    assert titles(fran, "?kind=practice") == [practice.title]
    assert titles(fran, "?upcoming=true") == [practice.title, codesign.title, renewals.title]
    assert titles(fran, "?upcoming=false") == [past.title]
    assert titles(fran, "?page=2&page_size=3") == [renewals.title]
    # Members of Onboarding see its sessions; the account owner and the stranger none yet.
    assert titles(api_client_for("core_team")) == [past.title, practice.title, codesign.title]
    assert titles(api_client_for("account_owner")) == []
    assert titles(api_client_for("stranger")) == []
    bad = fran.get(f"{API}/sessions?kind=workshop")
    assert bad.status_code == 422
    assert error_fields(bad) == ["kind"]


def test_get_session_respects_the_wall(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.other_program is not None
    session = plan(cast)
    hidden = plan(cast, program=cast.other_program)
    ok = api_client_for("observer").get(f"{API}/sessions/{session.pk}")
    assert ok.status_code == 200
    assert ok.json()["title"] == "Onboarding co-design"
    for principal, session_id in [("observer", hidden.pk), ("stranger", session.pk)]:
        response = api_client_for(principal).get(f"{API}/sessions/{session_id}")
        assert response.status_code == 404
        assert response.json() == {"detail": "Session not found."}
    assert api_client_for("anonymous").get(f"{API}/sessions/{session.pk}").status_code == 401


def test_update_session_partially_with_version(cast: Cast, api_client_for: ApiClientFor) -> None:
    session = plan(cast)
    client = api_client_for("facilitator")
    response = send(
        client,
        "PATCH",
        f"/sessions/{session.pk}",
        {"starts_at": "2030-07-01T10:00", "title": "Later start", "version": 1},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["starts_at"], body["version"], body["calendar_sequence"]) == (
        "Later start",
        "2030-07-01T08:00:00.000Z",
        2,
        1,
    )
    assert body["length_minutes"] == 150
    stale = send(client, "PATCH", f"/sessions/{session.pk}", {"title": "Lost", "version": 1})
    assert stale.status_code == 409
    session.refresh_from_db()
    assert (session.title, session.version) == ("Later start", 2)
    bad = send(client, "PATCH", f"/sessions/{session.pk}", {"ends_at": "2030-07-01T07:00"})
    assert bad.status_code == 422
    assert "ends_at" in error_fields(bad)
    extra = send(client, "PATCH", f"/sessions/{session.pk}", {"status": "cancelled"})
    assert extra.status_code == 422
    assert error_fields(extra) == ["status"]
    session.refresh_from_db()
    assert (session.title, session.version, session.status) == ("Later start", 2, "planned")
    refused = send(api_client_for("observer"), "PATCH", f"/sessions/{session.pk}", {"title": "X"})
    assert refused.status_code == 403


def test_cancel_session(cast: Cast, api_client_for: ApiClientFor) -> None:
    session = plan(cast)
    client = api_client_for("facilitator")
    empty = send(client, "POST", f"/sessions/{session.pk}/cancel", {"reason": "  "})
    assert empty.status_code == 422
    assert error_fields(empty) == ["reason"]
    response = send(client, "POST", f"/sessions/{session.pk}/cancel", {"reason": "Venue closed."})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["calendar_sequence"]) == ("cancelled", 1)
    again = send(client, "POST", f"/sessions/{session.pk}/cancel", {"reason": "Again."})
    assert again.status_code == 422
    assert again.json()["message"] == "This session is cancelled."


def test_set_agenda(cast: Cast, api_client_for: ApiClientFor) -> None:
    session = plan(cast)
    client = api_client_for("facilitator")
    items = [
        {"title": "Welcome", "minutes": 20, "notes": "Coffee"},
        {"title": "Scenario mapping", "minutes": 180},
    ]
    response = send(client, "PUT", f"/sessions/{session.pk}/agenda", {"items": items})
    assert response.status_code == 200
    body = response.json()
    assert body["agenda"] == [
        {"position": 1, "title": "Welcome", "minutes": 20, "notes": "Coffee"},
        {"position": 2, "title": "Scenario mapping", "minutes": 180, "notes": ""},
    ]
    assert body["agenda_minutes"] == 200
    bad = send(
        client, "PUT", f"/sessions/{session.pk}/agenda", {"items": [{"title": "X", "minutes": 0}]}
    )
    assert bad.status_code == 422
    assert error_fields(bad) == ["minutes"]
    assert AgendaItem.objects.filter(session=session).count() == 2
    refused = send(
        api_client_for("core_team"), "PUT", f"/sessions/{session.pk}/agenda", {"items": []}
    )
    assert refused.status_code == 403
    assert AgendaItem.objects.filter(session=session).count() == 2


def test_link_practice(cast: Cast, api_client_for: ApiClientFor) -> None:
    session = plan(cast)
    practice = plan(
        cast, kind="practice", starts_at=datetime(2030, 6, 28, 9), ends_at=datetime(2030, 6, 28, 10)
    )
    interview = plan(cast, kind="interview")
    client = api_client_for("facilitator")
    wrong = send(client, "PUT", f"/sessions/{session.pk}/practice", {"practice_id": interview.pk})
    assert wrong.status_code == 422
    assert error_fields(wrong) == ["practice_id"]
    missing = send(client, "PUT", f"/sessions/{session.pk}/practice", {"practice_id": 999999})
    assert missing.status_code == 422
    assert error_fields(missing) == ["practice_id"]
    linked = send(client, "PUT", f"/sessions/{session.pk}/practice", {"practice_id": practice.pk})
    assert linked.status_code == 200
    assert linked.json()["practice_id"] == practice.pk
    unlinked = send(client, "PUT", f"/sessions/{session.pk}/practice", {"practice_id": None})
    assert unlinked.json()["practice_id"] is None


# --- outreach -------------------------------------------------------------------------------


def test_request_outreach(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.contact is not None
    session = plan(cast)
    response = send(
        api_client_for("facilitator"),
        "POST",
        f"/sessions/{session.pk}/outreach-requests",
        {"contact_id": cast.contact.pk, "message": "Her team onboards 20 people a month."},
    )
    assert response.status_code == 201
    body = response.json()
    request = OutreachRequest.objects.get()
    owen, fran = cast.users["account_owner"], cast.users["facilitator"]
    assert body == {
        "id": request.pk,
        "session_id": session.pk,
        "session_title": "Onboarding co-design",
        "contact_id": cast.contact.pk,
        "contact_name": "Gina Globex",
        "customer_id": cast.contact.customer_id,
        "customer_name": "Globex",
        "account_owner_id": owen.pk,
        "account_owner": {"id": owen.pk, "email": owen.email, "full_name": owen.full_name},
        "requested_by_id": fran.pk,
        "requested_by": {"id": fran.pk, "email": fran.email, "full_name": fran.full_name},
        "message": "Her team onboards 20 people a month.",
        "status": "pending",
        "conditions": "",
        "reason": "",
        "decided_by_id": None,
        "decided_at": None,
        "created_at": body["created_at"],
        "age_seconds": 0,
        "invited": False,
        "batch": str(OutreachRequest.objects.get(pk=body["id"]).batch),
    }


@pytest.mark.parametrize(
    ("contact", "field"),
    [("other_contact", "contact_id"), ("rival_contact", "contact_id")],
)
def test_request_outreach_refusals_name_the_contact(
    cast: Cast, api_client_for: ApiClientFor, contact: str, field: str
) -> None:
    session = plan(cast)
    response = send(
        api_client_for("facilitator"),
        "POST",
        f"/sessions/{session.pk}/outreach-requests",
        {"contact_id": getattr(cast, contact).pk},
    )
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert not OutreachRequest.objects.exists()


def test_account_owner_sees_and_decides_their_requests(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    request = requested(cast, plan(cast))
    owen = api_client_for("account_owner")
    mine = owen.get(f"{API}/outreach-requests?mine=true&status=pending")
    assert mine.status_code == 200
    assert [r["id"] for r in mine.json()["items"]] == [request.pk]
    assert owen.get(f"{API}/outreach-requests/{request.pk}").status_code == 200
    # The owner now sees the session the request is about.
    assert owen.get(f"{API}/sessions/{request.session_id}").status_code == 200
    response = send(
        owen,
        "POST",
        f"/outreach-requests/{request.pk}/decision",
        {"approve": True, "conditions": "Do not discuss pricing."},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["conditions"], body["decided_by_id"]) == (
        "approved",
        "Do not discuss pricing.",
        cast.users["account_owner"].pk,
    )
    again = send(owen, "POST", f"/outreach-requests/{request.pk}/decision", {"approve": True})
    assert again.status_code == 422
    assert again.json()["message"] == "This request is already approved."


def test_decline_needs_a_reason(cast: Cast, api_client_for: ApiClientFor) -> None:
    request = requested(cast, plan(cast))
    owen = api_client_for("account_owner")
    url = f"/outreach-requests/{request.pk}/decision"
    bad = send(owen, "POST", url, {"approve": False})
    assert bad.status_code == 422
    assert error_fields(bad) == ["reason"]
    request.refresh_from_db()
    assert request.status == "pending"
    declined = send(owen, "POST", url, {"approve": False, "reason": "Renewal talks."})
    assert (declined.json()["status"], declined.json()["reason"]) == ("declined", "Renewal talks.")


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        ("facilitator", 403),  # sees it, but is not Globex's account owner
        ("admin", 403),
        ("observer", 403),  # observers never see nor approve outreach
        ("stranger", 404),
    ],
)
def test_only_the_account_owner_decides(
    cast: Cast, api_client_for: ApiClientFor, principal: str, status: int
) -> None:
    request = requested(cast, plan(cast))
    response = send(
        api_client_for(principal),
        "POST",
        f"/outreach-requests/{request.pk}/decision",
        {"approve": True},
    )
    assert response.status_code == status
    request.refresh_from_db()
    assert request.status == "pending"


def test_account_owner_acts_only_on_their_own_customers(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    """A request for another owner's customer is hidden from Owen: 404, unchanged."""
    from traction.accounts import services as account_services
    from traction.customers import services as customer_services

    assert cast.other_customer is not None
    assert cast.other_contact is not None
    otto = account_services.create_user(
        email="otto@acme.test", full_name="Otto Other", password="x" * 12
    )
    account_services.add_member(None, workspace=cast.acme, user=otto, role="account_owner")
    admin = cast.viewer("admin")
    customer_services.update_customer(
        admin, customer=cast.other_customer, changes={"account_owner_id": otto.pk}
    )
    customer_services.update_contact(
        admin, contact=cast.other_contact, changes={"consent_to_contact": True}
    )
    cast.other_contact.refresh_from_db()
    session = plan(cast)
    request = services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.other_contact
    )
    owen = api_client_for("account_owner")
    assert owen.get(f"{API}/outreach-requests/{request.pk}").status_code == 404
    decided = send(owen, "POST", f"/outreach-requests/{request.pk}/decision", {"approve": True})
    assert decided.status_code == 404
    assert owen.get(f"{API}/outreach-requests").json()["count"] == 0
    request.refresh_from_db()
    assert request.status == "pending"


def test_waive_outreach(cast: Cast, api_client_for: ApiClientFor) -> None:
    request = requested(cast, plan(cast))
    url = f"/outreach-requests/{request.pk}/waiver"
    refused = send(api_client_for("facilitator"), "POST", url, {"reason": "Hurry."})
    assert refused.status_code == 403
    alice = api_client_for("admin")
    empty = send(alice, "POST", url, {"reason": ""})
    assert empty.status_code == 422
    assert error_fields(empty) == ["reason"]
    response = send(alice, "POST", url, {"reason": "Owen is on leave."})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("waived", "Owen is on leave.")


# --- invitations ----------------------------------------------------------------------------


def test_no_invitation_without_approval_is_409(cast: Cast, api_client_for: ApiClientFor) -> None:
    request = requested(cast, plan(cast))
    response = send(
        api_client_for("facilitator"), "POST", f"/outreach-requests/{request.pk}/invitation"
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Gina Globex cannot be invited: the account owner has not approved "
        "(waiting for the account owner)."
    }
    assert not Invitation.objects.exists()


def test_invitation_after_approval(cast: Cast, api_client_for: ApiClientFor) -> None:
    session = plan(cast)
    request = approved(cast, session)
    fran = api_client_for("facilitator")
    refused = send(
        api_client_for("account_owner"), "POST", f"/outreach-requests/{request.pk}/invitation"
    )
    assert refused.status_code == 403
    response = send(fran, "POST", f"/outreach-requests/{request.pk}/invitation")
    assert response.status_code == 201
    invitation = Invitation.objects.get()
    body = response.json()
    assert body == {
        "id": invitation.pk,
        "session_id": session.pk,
        "outreach_id": request.pk,
        "contact_id": request.contact_id,
        "contact_name": "Gina Globex",
        "customer_name": "Globex",
        "rsvp": "invited",
        "rsvp_note": "",
        "responded_at": None,
        "sent_at": body["sent_at"],
        "delivery": "queued",
        "delivery_error": "",
        "delivered_at": None,
        "last_sequence_sent": 0,
    }
    listed = api_client_for("observer").get(f"{API}/sessions/{session.pk}/invitations")
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["items"]] == [invitation.pk]
    assert fran.get(f"{API}/outreach-requests/{request.pk}").json()["invited"] is True


def test_send_invitations_sends_all_allowed(cast: Cast, api_client_for: ApiClientFor) -> None:
    session = plan(cast)
    request = approved(cast, session)
    fran = api_client_for("facilitator")
    response = send(fran, "POST", f"/sessions/{session.pk}/invitations")
    assert response.status_code == 200
    assert [(i["outreach_id"], i["contact_name"]) for i in response.json()] == [
        (request.pk, "Gina Globex")
    ]
    assert send(fran, "POST", f"/sessions/{session.pk}/invitations").json() == []
    assert Invitation.objects.count() == 1


# --- participants and briefings ----------------------------------------------------------------


def test_participants_and_briefing(cast: Cast, api_client_for: ApiClientFor) -> None:
    session = plan(cast)
    approved(cast, session, conditions="Do not discuss pricing.")
    fran = api_client_for("facilitator")
    cora = cast.users["core_team"]
    added = send(
        fran,
        "POST",
        f"/sessions/{session.pk}/participants",
        {"user_id": cora.pk, "role": "note_taker"},
    )
    assert added.status_code == 201
    participant = Participant.objects.get(user=cora)
    assert added.json() == {
        "id": participant.pk,
        "session_id": session.pk,
        "user": {"id": cora.pk, "email": cora.email, "full_name": cora.full_name},
        "role": "note_taker",
        "briefing_acknowledged_at": None,
        "attended_practice": False,
        "added_at": added.json()["added_at"],
    }
    listed = fran.get(f"{API}/sessions/{session.pk}/participants").json()
    assert [p["id"] for p in listed["items"]] == [participant.pk]

    cora_client = api_client_for("core_team")
    briefing = cora_client.get(f"{API}/sessions/{session.pk}/briefing")
    assert briefing.status_code == 200
    body = briefing.json()
    assert body["participant"]["id"] == participant.pk
    assert body["session"]["id"] == session.pk
    assert body["role_duty"].startswith("Captures what customers say")
    assert body["rules"][0] == (
        "Do not interrupt customers during the issues & vision discussion: listen."
    )
    assert len(body["agenda"]) == 6
    assert body["customers"] == [
        {
            "organisation": "Globex",
            "segment": "Mid-market",
            "contact": "Gina Globex",
            "title": "",
            "account_owner": "Owen Owner",
            "conditions": "Do not discuss pricing.",
            "rsvp": "Approved",
        }
    ]
    assert body["practice"] is None
    by_id = fran.get(f"{API}/sessions/{session.pk}/briefing?participant_id={participant.pk}")
    assert by_id.json()["participant"]["id"] == participant.pk
    # Not a participant: no briefing of one's own.
    assert fran.get(f"{API}/sessions/{session.pk}/briefing").status_code == 404

    ack = send(cora_client, "POST", f"/sessions/{session.pk}/briefing/acknowledgement")
    assert ack.status_code == 200
    assert ack.json()["briefing_acknowledged_at"] is not None
    not_taking_part = send(fran, "POST", f"/sessions/{session.pk}/briefing/acknowledgement")
    assert not_taking_part.status_code == 404

    removed = send(fran, "DELETE", f"/participants/{participant.pk}")
    assert removed.status_code == 204
    assert not Participant.objects.exists()
    assert send(fran, "DELETE", f"/participants/{participant.pk}").status_code == 404


def test_participant_refusals(cast: Cast, api_client_for: ApiClientFor) -> None:
    session = plan(cast)
    fran = api_client_for("facilitator")
    url = f"/sessions/{session.pk}/participants"
    stranger = send(fran, "POST", url, {"user_id": cast.users["stranger"].pk, "role": "observer"})
    assert stranger.status_code == 422
    assert error_fields(stranger) == ["user_id"]
    bad_role = send(fran, "POST", url, {"user_id": cast.users["core_team"].pk, "role": "boss"})
    assert bad_role.status_code == 422
    assert error_fields(bad_role) == ["role"]
    refused = send(
        api_client_for("core_team"),
        "POST",
        url,
        {"user_id": cast.users["core_team"].pk, "role": "observer"},
    )
    assert refused.status_code == 403
    assert not Participant.objects.exists()
    participant = with_participant(cast, session, "core_team", "note_taker")
    assert (
        send(api_client_for("stranger"), "DELETE", f"/participants/{participant.pk}").status_code
        == 404
    )
    hidden = api_client_for("account_owner")  # cannot see this session
    assert send(hidden, "DELETE", f"/participants/{participant.pk}").status_code == 404
    assert Participant.objects.count() == 1


def test_record_practice_attendance(cast: Cast, api_client_for: ApiClientFor) -> None:
    session = plan(cast)
    start = datetime.now(UTC) - timedelta(days=1)
    practice = plan(
        cast,
        kind="practice",
        starts_at=start - timedelta(days=1),
        ends_at=start - timedelta(hours=23),
    )
    services.link_practice(cast.viewer("facilitator"), session=session, practice=practice)
    participant = with_participant(cast, session, "core_team", "note_taker")
    url = f"/participants/{participant.pk}/practice-attendance"
    refused = send(api_client_for("core_team"), "PUT", url, {"attended": True})
    assert refused.status_code == 403
    response = send(api_client_for("facilitator"), "PUT", url, {"attended": True})
    assert response.status_code == 200
    assert response.json()["attended_practice"] is True
    strict = send(api_client_for("facilitator"), "PUT", url, {"attended": "yes"})
    assert strict.status_code == 422
    assert error_fields(strict) == ["attended"]


# --- top questions ----------------------------------------------------------------------------


def test_questions_submit_vote_pick(cast: Cast, api_client_for: ApiClientFor) -> None:
    session = plan(cast)
    with_participant(cast, session, "core_team", "note_taker")
    with_participant(cast, session, "observer", "observer")
    cora, olive, fran = (api_client_for(p) for p in ("core_team", "observer", "facilitator"))
    url = f"/sessions/{session.pk}/questions"
    first = send(cora, "POST", url, {"text": "What slows you down?"})
    assert first.status_code == 201
    q1 = TopQuestion.objects.get(text="What slows you down?")
    assert first.json() == {
        "id": q1.pk,
        "session_id": session.pk,
        "author_id": cast.users["core_team"].pk,
        "text": "What slows you down?",
        "picked": False,
        "position": None,
        "vote_count": 0,
        "voted": False,
        "created_at": first.json()["created_at"],
    }
    q2 = send(olive, "POST", url, {"text": "Who signs the invoice?"}).json()["id"]
    voted = send(olive, "PUT", f"/questions/{q1.pk}/vote", {"up": True})
    assert voted.json() == {"question_id": q1.pk, "vote_count": 1, "voted": True}
    listed = olive.get(f"{API}{url}").json()["items"]
    assert [(q["id"], q["vote_count"], q["voted"]) for q in listed] == [
        (q1.pk, 1, True),
        (q2, 0, False),
    ]
    picked = send(fran, "PUT", f"{url}/picked", {"question_ids": [q2, q1.pk]})
    assert picked.status_code == 200
    assert [(q["id"], q["position"], q["picked"]) for q in picked.json()] == [
        (q2, 1, True),
        (q1.pk, 2, True),
    ]
    assert [q["id"] for q in cora.get(f"{API}{url}").json()["items"]] == [q2, q1.pk]
    refused = send(cora, "PUT", f"{url}/picked", {"question_ids": []})
    assert refused.status_code == 403
    unknown = send(fran, "PUT", f"{url}/picked", {"question_ids": [999999]})
    assert unknown.status_code == 422
    assert error_fields(unknown) == ["question_ids"]
    empty = send(cora, "POST", url, {"text": ""})
    assert empty.status_code == 422
    assert error_fields(empty) == ["text"]
    assert TopQuestion.objects.count() == 2
    # Someone not taking part cannot ask; a stranger does not see the question at all.
    assert send(api_client_for("sponsor"), "POST", url, {"text": "Mine?"}).status_code == 403
    assert (
        send(
            api_client_for("stranger"), "PUT", f"/questions/{q1.pk}/vote", {"up": True}
        ).status_code
        == 404
    )
