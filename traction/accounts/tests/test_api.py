"""The workspace API: who am I, members, invitations, the audit trail."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from traction.accounts import services
from traction.accounts.models import MemberInvitation, Membership
from traction.accounts.schemas import RoleValue
from traction.core.models import AuditEvent
from traction.core.permissions import Role
from traction.core.testing.cast import Cast

pytestmark = pytest.mark.django_db

API = "/api/v1"
ApiClientFor = Callable[[str], Client]


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    data = "" if body is None else json.dumps(body)
    return client.generic(method, API + url, data, content_type="application/json")


def error_fields(response: Any) -> list[str]:
    return [str(e["loc"][-1]) for e in response.json()["detail"]]


def emails(response: Any) -> list[str]:
    return [item["user"]["email"] for item in response.json()["items"]]


# --- me -------------------------------------------------------------------------------------


def test_me(cast: Cast, api_client_for: ApiClientFor) -> None:
    response = api_client_for("sponsor").get(f"{API}/me")
    assert response.status_code == 200
    sam = cast.users["sponsor"]
    assert response.json() == {
        "user": {"id": sam.pk, "email": "sam@acme.test", "full_name": "Sam Sponsor"},
        "workspace": {"id": cast.acme.pk, "name": "Acme", "slug": "acme"},
        "role": "sponsor",
    }


def test_me_for_the_stranger_is_their_own_workspace(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    body = api_client_for("stranger").get(f"{API}/me").json()
    assert (body["workspace"]["slug"], body["role"]) == ("rival", "admin")


def test_me_without_token_is_401(cast: Cast) -> None:
    assert Client().get(f"{API}/me").status_code == 401


# --- members --------------------------------------------------------------------------------


def test_list_members(cast: Cast, api_client_for: ApiClientFor) -> None:
    response = api_client_for("observer").get(f"{API}/members")
    assert response.status_code == 200
    assert response.json()["count"] == 6
    assert emails(response) == [
        "alice@acme.test",
        "cora@acme.test",
        "fran@acme.test",
        "olive@acme.test",
        "owen@acme.test",
        "sam@acme.test",
    ]
    first = response.json()["items"][0]
    assert first == {
        "id": cast.membership("admin").pk,
        "user": {
            "id": cast.users["admin"].pk,
            "email": "alice@acme.test",
            "full_name": "Alice Admin",
        },
        "role": "admin",
        "function": "",
        "created_at": first["created_at"],
        "version": 1,
        "removed_at": None,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("role=facilitator", ["fran@acme.test"]),
        ("q=olive", ["olive@acme.test"]),
        ("q=Sponsor", ["sam@acme.test"]),
        ("role=admin&q=fran", []),
        ("page=2&page_size=4", ["owen@acme.test", "sam@acme.test"]),
    ],
)
def test_list_members_filters(
    api_client_for: ApiClientFor, query: str, expected: list[str]
) -> None:
    response = api_client_for("admin").get(f"{API}/members?{query}")
    assert response.status_code == 200
    assert emails(response) == expected


def test_list_members_bad_role_is_422(api_client_for: ApiClientFor) -> None:
    response = api_client_for("admin").get(f"{API}/members?role=owner")
    assert response.status_code == 422
    assert error_fields(response) == ["role"]


def test_get_member(cast: Cast, api_client_for: ApiClientFor) -> None:
    client = api_client_for("core_team")
    response = client.get(f"{API}/members/{cast.membership('observer').pk}")
    assert response.status_code == 200
    assert (response.json()["user"]["email"], response.json()["role"]) == (
        "olive@acme.test",
        "observer",
    )
    rival = client.get(f"{API}/members/{cast.membership('stranger').pk}")
    assert rival.status_code == 404


def test_update_member_role(cast: Cast, api_client_for: ApiClientFor) -> None:
    membership = cast.membership("observer")
    response = send(
        api_client_for("admin"), "PATCH", f"/members/{membership.pk}", {"role": "core_team"}
    )
    assert response.status_code == 200
    assert response.json()["role"] == "core_team"
    assert Membership.objects.get(pk=membership.pk).role == Role.CORE_TEAM
    event = AuditEvent.objects.get(action="member.role_changed")
    assert (event.changes, event.via) == ({"role": ["observer", "core_team"]}, "api")


def test_a_role_change_based_on_a_stale_version_is_a_409(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    membership = cast.membership("observer")
    admin = api_client_for("admin")
    read = admin.get(f"{API}/members/{membership.pk}").json()
    assert read["version"] == 1
    first = send(admin, "PATCH", f"/members/{membership.pk}", {"role": "core_team", "version": 1})
    assert (first.status_code, first.json()["version"]) == (200, 2)
    # A second admin, who read version 1 too, would undo the first change without knowing.
    stale = send(admin, "PATCH", f"/members/{membership.pk}", {"role": "sponsor", "version": 1})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]
    assert Membership.objects.get(pk=membership.pk).role == Role.CORE_TEAM
    # Role and function in one request: both on the version read, one after the other.
    both = send(
        admin,
        "PATCH",
        f"/members/{membership.pk}",
        {"role": "observer", "function": "sales", "version": 2},
    )
    assert both.status_code == 200
    assert (both.json()["role"], both.json()["function"], both.json()["version"]) == (
        "observer",
        "sales",
        4,
    )
    stale_function = send(
        admin, "PATCH", f"/members/{membership.pk}", {"function": "legal", "version": 3}
    )
    assert stale_function.status_code == 409
    assert Membership.objects.get(pk=membership.pk).function == "sales"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "owner"}, "role"),
        ({"role": "admin", "version": 0}, "version"),
        ({"role": "admin", "user_id": 1}, "user_id"),
        ({"function": "cfo"}, "function"),
    ],
)
def test_update_member_bad_payload_is_422(
    cast: Cast, api_client_for: ApiClientFor, body: dict[str, Any], field: str
) -> None:
    membership = cast.membership("observer")
    response = send(api_client_for("admin"), "PATCH", f"/members/{membership.pk}", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert Membership.objects.get(pk=membership.pk).role == Role.OBSERVER


def test_last_admin_keeps_the_admin_role(cast: Cast, api_client_for: ApiClientFor) -> None:
    membership = cast.membership("admin")
    response = send(
        api_client_for("admin"), "PATCH", f"/members/{membership.pk}", {"role": "observer"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "role"],
            "msg": "A workspace needs at least one admin.",
            "type": "value_error",
        }
    ]
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN


def test_update_member_refused_for_facilitator(cast: Cast, api_client_for: ApiClientFor) -> None:
    membership = cast.membership("observer")
    response = send(
        api_client_for("facilitator"), "PATCH", f"/members/{membership.pk}", {"role": "admin"}
    )
    assert response.status_code == 403
    assert Membership.objects.get(pk=membership.pk).role == Role.OBSERVER


def test_remove_member_and_their_tokens_stop_working(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    olive = api_client_for("observer")
    assert olive.get(f"{API}/me").status_code == 200
    membership = cast.membership("observer")
    response = send(api_client_for("admin"), "DELETE", f"/members/{membership.pk}")
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert olive.get(f"{API}/me").status_code == 401
    # Kept as history: listed among the former members, and removing again is a 404.
    admin = api_client_for("admin")
    former = admin.get(f"{API}/members?removed=true").json()["items"]
    assert [(m["id"], m["user"]["email"]) for m in former] == [(membership.pk, "olive@acme.test")]
    assert former[0]["removed_at"] is not None
    current = [m["user"]["email"] for m in admin.get(f"{API}/members").json()["items"]]
    assert "olive@acme.test" not in current
    assert send(admin, "DELETE", f"/members/{membership.pk}").status_code == 404


def test_remove_member_of_another_workspace_is_404(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    membership = cast.membership("stranger")
    response = send(api_client_for("admin"), "DELETE", f"/members/{membership.pk}")
    assert response.status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- invitations ----------------------------------------------------------------------------


def test_create_invitation_returns_the_link_once(
    cast: Cast, api_client_for: ApiClientFor, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_client_for("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            client, "POST", "/invitations", {"email": "New@Acme.test", "role": "facilitator"}
        )
    assert response.status_code == 201
    body = response.json()
    invitation = MemberInvitation.objects.get(email="new@acme.test")
    assert body["id"] == invitation.pk
    assert (body["email"], body["role"], body["status"]) == (
        "new@acme.test",
        "facilitator",
        "pending",
    )
    assert body["invited_by_id"] == cast.users["admin"].pk
    assert body["accept_url"].startswith("http://")
    assert invitation.status == "pending"
    secret = body["accept_url"].rstrip("/").rsplit("/", 1)[-1]
    assert services.find_invitation(secret) == invitation
    assert len(mail.outbox) == 1
    assert body["accept_url"] in mail.outbox[0].body
    listed = client.get(f"{API}/invitations").json()
    assert listed["count"] == 1
    assert "accept_url" not in listed["items"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "role": "observer"}, "email"),
        ({"email": "x@acme.test", "role": "owner"}, "role"),
        ({"email": "x@acme.test", "role": "observer", "workspace_id": 2}, "workspace_id"),
        ({"email": "x@acme.test", "role": "observer", "invited_by_id": 2}, "invited_by_id"),
        ({"email": "fran@acme.test", "role": "observer"}, "email"),
    ],
)
def test_create_invitation_bad_payload_is_422(
    cast: Cast, api_client_for: ApiClientFor, body: dict[str, Any], field: str
) -> None:
    response = send(api_client_for("admin"), "POST", "/invitations", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert MemberInvitation.objects.count() == 0
    assert mail.outbox == []


def test_create_invitation_refused_for_facilitator(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    response = send(
        api_client_for("facilitator"),
        "POST",
        "/invitations",
        {"email": "x@a.test", "role": "admin"},
    )
    assert response.status_code == 403
    assert MemberInvitation.objects.count() == 0


def test_revoke_invitation(cast: Cast, api_client_for: ApiClientFor) -> None:
    invitation, _ = services.invite_member(
        cast.viewer("admin"), email="soon@acme.test", role="observer"
    )
    client = api_client_for("admin")
    response = send(client, "POST", f"/invitations/{invitation.pk}/revoke")
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert response.json()["revoked_at"] is not None
    assert MemberInvitation.objects.get(pk=invitation.pk).status == "revoked"
    assert client.get(f"{API}/invitations").json()["count"] == 0
    again = send(client, "POST", f"/invitations/{invitation.pk}/revoke")
    assert again.status_code == 422
    assert again.json()["message"] == "This invitation is already revoked."


def test_revoke_other_workspaces_invitation_is_404(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    invitation, _ = services.invite_member(
        cast.viewer("stranger"), email="theirs@rival.test", role="observer"
    )
    response = send(api_client_for("admin"), "POST", f"/invitations/{invitation.pk}/revoke")
    assert response.status_code == 404
    assert MemberInvitation.objects.get(pk=invitation.pk).status == "pending"


# --- audit trail ----------------------------------------------------------------------------


def test_list_audit_events(cast: Cast, api_client_for: ApiClientFor) -> None:
    client = api_client_for("admin")
    send(client, "POST", "/invitations", {"email": "audited@acme.test", "role": "observer"})
    response = client.get(f"{API}/audit-events?action=invitation.")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    event = body["items"][0]
    invitation = MemberInvitation.objects.get(email="audited@acme.test")
    assert event == {
        "id": event["id"],
        "at": event["at"],
        "actor_id": cast.users["admin"].pk,
        "actor_label": "alice@acme.test",
        "via": "api",
        "action": "invitation.sent",
        "object_type": "accounts.memberinvitation",
        "object_id": str(invitation.pk),
        "object_repr": "Invitation for audited@acme.test to Acme",
        "changes": {"email": "audited@acme.test", "role": "observer"},
        "reason": "",
    }


def test_audit_events_filters(cast: Cast, api_client_for: ApiClientFor) -> None:
    client = api_client_for("admin")
    all_acme = AuditEvent.objects.filter(workspace=cast.acme).count()
    assert client.get(f"{API}/audit-events?page_size=200").json()["count"] == all_acme
    by_fran = AuditEvent.objects.filter(workspace=cast.acme, actor_label="fran@acme.test").count()
    response = client.get(f"{API}/audit-events?actor_email=FRAN@acme.test")
    assert response.json()["count"] == by_fran > 0
    customers = client.get(f"{API}/audit-events?object_type=customers.customer").json()
    assert [e["object_repr"] for e in customers["items"]] == ["Initech", "Globex"]
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert client.get(f"{API}/audit-events", {"since": future}).json()["count"] == 0
    assert client.get(f"{API}/audit-events", {"until": future}).json()["count"] == all_acme
    assert client.get(f"{API}/audit-events?since=2020-01-01").json()["count"] == all_acme


@pytest.mark.parametrize("value", ["yesterday", "0.5", "2027-02-30", "1700000000"])
def test_audit_events_bad_time_is_422(api_client_for: ApiClientFor, value: str) -> None:
    response = api_client_for("admin").get(f"{API}/audit-events", {"since": value})
    assert response.status_code == 422
    assert error_fields(response) == ["since"]


def test_audit_events_are_for_admins(api_client_for: ApiClientFor) -> None:
    response = api_client_for("facilitator").get(f"{API}/audit-events")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your role (Facilitator) does not allow this: “Read the audit trail.”"
    }


def test_role_choices_match_the_model() -> None:
    assert list(typing.get_args(RoleValue)) == Role.values
