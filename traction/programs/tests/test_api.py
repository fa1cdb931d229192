"""The programs API: happy paths, refusals that change nothing, the wall."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.programs import services
from traction.programs.models import Program, ProgramMember, ProgramStatus
from traction.programs.schemas import StatusValue

pytestmark = pytest.mark.django_db

API = "/api/v1"
ApiClientFor = Callable[[str], Client]


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    data = "" if body is None else json.dumps(body)
    return client.generic(method, API + url, data, content_type="application/json")


def names(response: Any) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


def error_fields(response: Any) -> list[str]:
    return [str(e["loc"][-1]) for e in response.json()["detail"]]


def team(program: Program, kind: str) -> list[str]:
    return sorted(
        program.members.filter(kind=kind).values_list("user__email", flat=True)  # type: ignore[arg-type]
    )


def test_list_programs(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.program is not None
    response = api_client_for("facilitator").get(f"{API}/programs")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert names(response) == ["Effortless onboarding", "Renewals"]
    assert body["items"][0] == {
        "id": cast.program.pk,
        "name": "Effortless onboarding",
        "goal": "New mid-market customers pay their first invoice within a day of signing.",
        "executive_sponsor_id": cast.users["sponsor"].pk,
        "status": "planning",
        "results_window_start": "2027-01-01",
        "results_window_end": "2027-09-30",
        "core_team_size": 1,
        "version": 1,
        "created_at": body["items"][0]["created_at"],
        "updated_at": body["items"][0]["updated_at"],
    }


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("core_team", ["Effortless onboarding"]),
        ("sponsor", ["Effortless onboarding"]),
        ("observer", ["Effortless onboarding"]),
        ("account_owner", []),
        ("stranger", ["Rival program"]),
    ],
)
def test_members_list_only_their_programs(
    api_client_for: ApiClientFor, principal: str, expected: list[str]
) -> None:
    assert names(api_client_for(principal).get(f"{API}/programs")) == expected


def test_list_programs_filters(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.other_program is not None
    services.update_program(
        cast.viewer("admin"), program=cast.other_program, changes={"status": "active"}
    )
    client = api_client_for("admin")
    assert names(client.get(f"{API}/programs?status=active")) == ["Renewals"]
    assert names(client.get(f"{API}/programs?q=invoice")) == ["Effortless onboarding"]
    sponsor = cast.users["sponsor"].pk
    assert names(client.get(f"{API}/programs?sponsor_id={sponsor}")) == ["Effortless onboarding"]
    assert names(client.get(f"{API}/programs?page=2&page_size=1")) == ["Renewals"]
    bad = client.get(f"{API}/programs?status=paused")
    assert bad.status_code == 422
    assert error_fields(bad) == ["status"]


def test_get_program_with_team(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.program is not None
    response = api_client_for("observer").get(f"{API}/programs/{cast.program.pk}")
    assert response.status_code == 200
    body = response.json()
    sam, cora, olive = (cast.users[p] for p in ("sponsor", "core_team", "observer"))
    assert body["executive_sponsor"] == {
        "id": sam.pk,
        "email": sam.email,
        "full_name": sam.full_name,
    }
    assert body["core_team"] == [{"id": cora.pk, "email": cora.email, "full_name": cora.full_name}]
    assert body["observers"] == [
        {"id": olive.pk, "email": olive.email, "full_name": olive.full_name}
    ]
    assert body["core_team_size"] == 1


def test_program_of_another_workspace_or_not_yours_is_404(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.rival_program is not None
    assert cast.other_program is not None
    rival = api_client_for("admin").get(f"{API}/programs/{cast.rival_program.pk}")
    assert rival.status_code == 404
    assert rival.json() == {"detail": "Program not found."}
    hidden = api_client_for("core_team").get(f"{API}/programs/{cast.other_program.pk}")
    assert hidden.status_code == 404


def test_create_program(cast: Cast, api_client_for: ApiClientFor) -> None:
    cora, sam = cast.users["core_team"], cast.users["sponsor"]
    response = send(
        api_client_for("facilitator"),
        "POST",
        "/programs",
        {
            "name": "Faster support",
            "goal": "Every ticket answered within an hour.",
            "executive_sponsor_id": sam.pk,
            "status": "active",
            "results_window_start": "2027-03-01",
            "results_window_end": "2027-12-31",
            "core_team_ids": [cora.pk],
        },
    )
    assert response.status_code == 201
    body = response.json()
    program = Program.objects.get(name="Faster support")
    assert body["id"] == program.pk
    assert (body["status"], body["results_window_start"], body["results_window_end"]) == (
        "active",
        "2027-03-01",
        "2027-12-31",
    )
    assert [m["id"] for m in body["core_team"]] == [cora.pk]
    assert body["observers"] == []
    assert body["core_team_size"] == 1
    assert program.workspace_id == cast.acme.pk
    assert team(program, "core_team") == [cora.email]
    assert AuditEvent.objects.get(action="program.created", object_id=str(program.pk)).via == "api"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "P", "goal": "G", "workspace_id": 2}, "workspace_id"),
        ({"name": "P", "goal": "G", "id": 5}, "id"),
        ({"name": "P", "goal": "G", "results_window_start": "01/03/2027"}, "results_window_start"),
        ({"name": "P", "goal": "G", "results_window_start": 20270301}, "results_window_start"),
        ({"name": "P", "goal": "G", "results_window_end": "2027-02-30"}, "results_window_end"),
        ({"name": "P", "goal": "G", "core_team_ids": ["4"]}, "0"),
        ({"name": "P", "goal": "G", "core_team_ids": [999999]}, "core_team_ids"),
        ({"name": "P", "goal": "G", "status": "paused"}, "status"),
        ({"name": "P", "goal": ""}, "goal"),
        (
            {
                "name": "P",
                "goal": "G",
                "results_window_start": "2027-05-01",
                "results_window_end": "2027-04-01",
            },
            "results_window_end",
        ),
    ],
)
def test_create_program_bad_payload_is_422_and_saves_nothing(
    cast: Cast, api_client_for: ApiClientFor, body: dict[str, Any], field: str
) -> None:
    response = send(api_client_for("admin"), "POST", "/programs", body)
    assert response.status_code == 422
    assert field in error_fields(response)
    assert not Program.objects.filter(name="P").exists()


def test_create_program_refused_for_sponsor(cast: Cast, api_client_for: ApiClientFor) -> None:
    response = send(api_client_for("sponsor"), "POST", "/programs", {"name": "P", "goal": "G"})
    assert response.status_code == 403
    assert not Program.objects.filter(name="P").exists()


def test_update_program(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.program is not None
    response = send(
        api_client_for("facilitator"),
        "PATCH",
        f"/programs/{cast.program.pk}",
        {"status": "measuring", "results_window_end": None, "version": 1},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["results_window_end"], body["version"]) == ("measuring", None, 2)
    assert [m["email"] for m in body["core_team"]] == ["cora@acme.test"]
    stored = Program.objects.get(pk=cast.program.pk)
    assert (stored.status, stored.results_window_end) == (ProgramStatus.MEASURING, None)


def test_update_program_stale_version_is_409(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.program is not None
    services.update_program(cast.viewer("admin"), program=cast.program, changes={"goal": "New."})
    response = send(
        api_client_for("admin"),
        "PATCH",
        f"/programs/{cast.program.pk}",
        {"name": "X", "version": 1},
    )
    assert response.status_code == 409
    assert Program.objects.get(pk=cast.program.pk).name == "Effortless onboarding"


def test_update_program_refused_for_its_sponsor(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.program is not None
    response = send(
        api_client_for("sponsor"), "PATCH", f"/programs/{cast.program.pk}", {"name": "Mine"}
    )
    assert response.status_code == 403
    assert Program.objects.get(pk=cast.program.pk).name == "Effortless onboarding"


def test_update_other_workspaces_program_is_404(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.rival_program is not None
    response = send(
        api_client_for("admin"), "PATCH", f"/programs/{cast.rival_program.pk}", {"name": "Mine"}
    )
    assert response.status_code == 404
    assert Program.objects.get(pk=cast.rival_program.pk).name == "Rival program"


def test_set_program_team(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.program is not None
    fran, olive, cora = (cast.users[p] for p in ("facilitator", "observer", "core_team"))
    response = send(
        api_client_for("admin"),
        "PUT",
        f"/programs/{cast.program.pk}/team",
        {"core_team_ids": [fran.pk, olive.pk], "observer_ids": [cora.pk]},
    )
    assert response.status_code == 200
    body = response.json()
    assert [m["email"] for m in body["core_team"]] == ["fran@acme.test", "olive@acme.test"]
    assert [m["email"] for m in body["observers"]] == ["cora@acme.test"]
    assert body["core_team_size"] == 2
    assert team(cast.program, ProgramMember.Kind.CORE_TEAM) == ["fran@acme.test", "olive@acme.test"]
    assert team(cast.program, ProgramMember.Kind.OBSERVER) == ["cora@acme.test"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"core_team_ids": [], "observer_ids": [999999]}, "observer_ids"),
        ({"core_team_ids": [999999], "observer_ids": []}, "core_team_ids"),
        ({"core_team_ids": []}, "observer_ids"),
        ({"core_team_ids": [], "observer_ids": [], "kind": "observer"}, "kind"),
    ],
)
def test_set_program_team_bad_payload_changes_nothing(
    cast: Cast, api_client_for: ApiClientFor, body: dict[str, Any], field: str
) -> None:
    assert cast.program is not None
    response = send(api_client_for("admin"), "PUT", f"/programs/{cast.program.pk}/team", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert team(cast.program, "core_team") == ["cora@acme.test"]
    assert team(cast.program, "observer") == ["olive@acme.test"]


def test_set_program_team_someone_in_both_lists_is_422(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.program is not None
    cora = cast.users["core_team"].pk
    response = send(
        api_client_for("admin"),
        "PUT",
        f"/programs/{cast.program.pk}/team",
        {"core_team_ids": [cora], "observer_ids": [cora]},
    )
    assert response.status_code == 422
    assert error_fields(response) == ["observer_ids"]
    assert f"[{cora}]" in response.json()["message"]


def test_set_team_of_other_workspaces_program_is_404(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.rival_program is not None
    response = send(
        api_client_for("admin"),
        "PUT",
        f"/programs/{cast.rival_program.pk}/team",
        {"core_team_ids": [], "observer_ids": []},
    )
    assert response.status_code == 404


def test_status_choices_match_the_model() -> None:
    assert list(typing.get_args(StatusValue)) == ProgramStatus.values


def test_the_api_refuses_a_sponsor_the_rule_does_not_allow(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    response = send(
        api_client_for("facilitator"),
        "POST",
        "/programs",
        {
            "name": "Sponsored by Cora",
            "goal": "x",
            "executive_sponsor_id": cast.users["core_team"].pk,
        },
    )
    assert response.status_code == 422
    assert error_fields(response) == ["executive_sponsor_id"]
    assert not Program.objects.filter(name="Sponsored by Cora").exists()
