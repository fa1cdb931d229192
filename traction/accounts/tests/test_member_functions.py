"""Member functions: set by admins (invitation, members page, API), seen by members."""

from __future__ import annotations

import typing
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from traction.accounts import services
from traction.accounts.models import MemberFunction, Membership
from traction.accounts.schemas import FunctionValue
from traction.core.errors import PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast

pytestmark = pytest.mark.django_db


def test_the_api_lists_every_function() -> None:
    assert list(typing.get_args(FunctionValue)) == MemberFunction.values


def test_an_admin_sets_a_function_audited_and_not_stated_again(cast: Cast) -> None:
    membership = cast.membership("core_team")
    assert membership.function == ""
    changed = services.set_member_function(
        cast.viewer("admin"), membership=membership, function="finance"
    )
    assert changed.function == "finance"
    assert Membership.objects.get(pk=membership.pk).get_function_display() == "Finance"
    services.set_member_function(cast.viewer("admin"), membership=membership, function="")
    events = AuditEvent.objects.filter(
        action="member.function_changed", object_id=str(membership.pk)
    )
    assert [e.changes for e in events.order_by("id")] == [
        {"function": ["", "finance"]},
        {"function": ["finance", ""]},
    ]
    with pytest.raises(ValidationFailed) as unknown:
        services.set_member_function(cast.viewer("admin"), membership=membership, function="cfo")
    assert "function" in unknown.value.errors
    with pytest.raises(PermissionDenied):
        services.set_member_function(
            cast.viewer("facilitator"), membership=membership, function="sales"
        )


def test_an_invitation_carries_the_function_into_the_membership(cast: Cast) -> None:
    _, link = services.invite_member(
        cast.viewer("admin"), email="nia@acme.test", role="core_team", function="support"
    )
    secret = link.rstrip("/").rsplit("/", 1)[-1]
    membership = services.accept_invitation(
        secret=secret, full_name="Nia New", password="a long enough pass 42"
    )
    assert membership.function == "support"
    with pytest.raises(ValidationFailed):
        services.invite_member(
            cast.viewer("admin"), email="x@acme.test", role="core_team", function="nope"
        )


def test_the_members_page(cast: Cast, client_for: Callable[[str], Client]) -> None:
    membership = cast.membership("core_team")
    admin = client_for("admin")
    url = reverse("accounts:members", args=[cast.acme.slug])
    assert f'id="function-{membership.pk}"' in admin.get(url).content.decode()
    answer = admin.post(
        reverse("accounts:member_function", args=[cast.acme.slug, membership.pk]),
        {"function": "sales"},
        follow=True,
    )
    assert "Cora Core&#x27;s function: Sales." in answer.content.decode()
    member_view = client_for("core_team").get(url).content.decode()
    assert "<td>Sales</td>" in member_view
    assert 'name="function"' not in member_view
    refused = client_for("facilitator").post(
        reverse("accounts:member_function", args=[cast.acme.slug, membership.pk]),
        {"function": "finance"},
    )
    assert refused.status_code == 403
    invite = admin.post(
        reverse("accounts:member_invite", args=[cast.acme.slug]),
        {"email": "pia@acme.test", "role": "observer", "function": "finance"},
    )
    assert "as Observer, in Finance." in invite.content.decode()


def test_the_api_reads_and_sets_it(cast: Cast, api_client_for: Callable[[str], Client]) -> None:
    membership = cast.membership("core_team")
    api = api_client_for("admin")
    url = f"/api/v1/members/{membership.pk}"
    assert api.get(url).json()["function"] == ""
    changed = api.patch(url, {"function": "product"}, content_type="application/json")
    assert changed.status_code == 200
    assert changed.json()["function"] == "product"
    assert changed.json()["role"] == "core_team"
    both = api.patch(
        url, {"role": "observer", "function": ""}, content_type="application/json"
    ).json()
    assert (both["role"], both["function"]) == ("observer", "")
    assert api.patch(url, {"function": "cfo"}, content_type="application/json").status_code == 422
    invited = api.post(
        "/api/v1/invitations",
        {"email": "q@acme.test", "role": "observer", "function": "finance"},
        content_type="application/json",
    )
    assert invited.status_code == 201
    assert invited.json()["function"] == "finance"
