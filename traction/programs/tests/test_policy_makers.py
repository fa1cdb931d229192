"""Policy makers: who decides a program's recommendations, what they see, and whether the
program is cross-functional."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.accounts import services as account_services
from traction.accounts.models import Membership
from traction.accounts.services import remove_member
from traction.core import clock
from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import PASSWORD, Cast
from traction.programs import selectors, services
from traction.programs.models import PolicyMaker
from traction.sessions import selectors as session_selectors
from traction.sessions import services as session_services

pytestmark = pytest.mark.django_db


def set_function(cast: Cast, principal: str, function: str) -> None:
    Membership.objects.filter(user=cast.users[principal], workspace=cast.acme).update(
        function=function
    )


def test_add_and_remove_keep_history_and_audit(cast: Cast) -> None:
    fran, owen = cast.viewer("facilitator"), cast.users["account_owner"]
    assert cast.program is not None
    maker = services.add_policy_maker(
        fran, program=cast.program, user_id=owen.pk, responsibility="Support budget"
    )
    assert maker.responsibility == "Support budget"
    assert list(PolicyMaker.objects.filter(program=cast.program)) == [maker]
    with pytest.raises(ValidationFailed, match="Already"):
        services.add_policy_maker(fran, program=cast.program, user_id=owen.pk)
    with clock.frozen(datetime(2030, 1, 2, tzinfo=UTC)):
        services.remove_policy_maker(fran, program=cast.program, user_id=owen.pk)
    assert not PolicyMaker.objects.filter(program=cast.program).exists()
    ended = PolicyMaker.history.get(program=cast.program, user=owen)
    assert ended.left_at == datetime(2030, 1, 2, tzinfo=UTC)
    with pytest.raises(NotFound):
        services.remove_policy_maker(fran, program=cast.program, user_id=owen.pk)
    # Named again: a fresh row, the old one stays.
    services.add_policy_maker(fran, program=cast.program, user_id=owen.pk)
    assert PolicyMaker.history.filter(program=cast.program, user=owen).count() == 2
    changes = [
        e.changes
        for e in AuditEvent.objects.filter(
            action="program.policy_makers_changed", object_id=str(cast.program.pk)
        ).order_by("id")
    ]
    assert [c["added"] for c in changes] == [[owen.pk], [], [owen.pk]]
    assert changes[1]["removed"] == [owen.pk]


def test_only_workspace_members_never_the_sponsor_and_a_one_line_responsibility(
    cast: Cast,
) -> None:
    fran = cast.viewer("facilitator")
    assert cast.program is not None
    with pytest.raises(ValidationFailed, match="Not members"):
        services.add_policy_maker(fran, program=cast.program, user_id=cast.users["stranger"].pk)
    with pytest.raises(ValidationFailed, match="sponsor decides already"):
        services.add_policy_maker(fran, program=cast.program, user_id=cast.users["sponsor"].pk)
    with pytest.raises(ValidationFailed) as two_lines:
        services.add_policy_maker(
            fran, program=cast.program, user_id=cast.users["admin"].pk, responsibility="a\nb"
        )
    assert "responsibility" in two_lines.value.errors
    assert not PolicyMaker.objects.exists()


@pytest.mark.parametrize("principal", ["core_team", "sponsor", "observer", "account_owner"])
def test_the_same_permission_as_editing_the_program(cast: Cast, principal: str) -> None:
    assert cast.program is not None
    with pytest.raises((PermissionDenied, NotFound)):
        services.add_policy_maker(
            cast.viewer(principal), program=cast.program, user_id=cast.users["admin"].pk
        )


def test_set_policy_makers_is_the_whole_list(cast: Cast) -> None:
    fran, admin, owen = cast.viewer("facilitator"), cast.users["admin"], cast.users["account_owner"]
    assert cast.program is not None
    services.set_policy_makers(
        fran, program=cast.program, people=[(admin.pk, "Budget"), (owen.pk, "")]
    )
    makers = services.set_policy_makers(
        fran, program=cast.program, people=[(owen.pk, "Globex relationship")]
    )
    assert [(m.user, m.responsibility) for m in makers] == [(owen, "Globex relationship")]
    assert PolicyMaker.history.get(user=admin).left_at is not None
    with pytest.raises(ValidationFailed, match="twice"):
        services.set_policy_makers(
            fran, program=cast.program, people=[(owen.pk, ""), (owen.pk, "")]
        )


def test_a_policy_maker_outside_the_team_sees_the_program_and_its_sessions_until_removed(
    cast: Cast,
) -> None:
    fran, cora = cast.viewer("facilitator"), cast.viewer("core_team")
    renewals = cast.other_program
    assert renewals is not None
    with clock.frozen(datetime(2030, 1, 1, tzinfo=UTC)):
        session = session_services.plan_session(
            fran,
            program=renewals,
            title="Renewals advisory board",
            starts_at=datetime(2030, 2, 1, 9, 0),
            ends_at=datetime(2030, 2, 1, 11, 0),
            time_zone="Europe/Berlin",
        )
    assert renewals not in selectors.programs(cora)
    with pytest.raises(NotFound):
        session_selectors.session(cora, session.pk)
    services.add_policy_maker(fran, program=renewals, user_id=cora.user_id)
    assert renewals in selectors.programs(cora)
    assert selectors.program(cora, renewals.pk) == renewals
    assert session_selectors.session(cora, session.pk) == session
    assert session in session_selectors.sessions(cora)
    services.remove_policy_maker(fran, program=renewals, user_id=cora.user_id)
    assert renewals not in selectors.programs(cora)
    with pytest.raises(NotFound):
        selectors.program(cora, renewals.pk)
    with pytest.raises(NotFound):
        session_selectors.session(cora, session.pk)


def test_leaving_the_workspace_ends_the_role(cast: Cast) -> None:
    assert cast.program is not None
    owen = cast.users["account_owner"]
    services.add_policy_maker(cast.viewer("facilitator"), program=cast.program, user_id=owen.pk)
    remove_member(cast.viewer("admin"), membership=cast.membership("account_owner"))
    assert not PolicyMaker.objects.filter(user=owen).exists()
    assert PolicyMaker.history.get(user=owen).left_at is not None


def test_the_cross_functional_check_names_what_is_missing(cast: Cast) -> None:
    assert cast.program is not None
    set_function(cast, "core_team", "product")
    set_function(cast, "sponsor", "operations")
    set_function(cast, "account_owner", "support")
    services.add_policy_maker(
        cast.viewer("facilitator"),
        program=cast.program,
        user_id=cast.users["account_owner"].pk,
        responsibility="Support budget",
    )
    coverage = selectors.function_coverage(selectors.program(cast.viewer("admin"), cast.program.pk))
    assert [(str(d.user), d.responsibility, d.sponsor) for d in coverage.deciders] == [
        ("Sam Sponsor", "Executive sponsor", True),
        ("Owen Owner", "Support budget", False),
    ]
    assert coverage.present == {
        "product": ["Cora Core"],
        "support": ["Owen Owner"],
        "operations": ["Sam Sponsor"],
    }
    assert coverage.missing == ["Sales", "Finance"]
    assert coverage.missing_sentence == "No one from Sales or Finance."
    set_function(cast, "core_team", "")
    coverage = selectors.function_coverage(selectors.program(cast.viewer("admin"), cast.program.pk))
    assert coverage.not_stated == ["Cora Core"]
    assert coverage.missing_sentence == "No one from Product, Sales or Finance."


def test_the_program_page_and_the_policy_makers_page(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    assert cast.program is not None
    set_function(cast, "account_owner", "finance")
    admin = client_for("admin")
    detail = reverse("programs:detail", args=[cast.acme.slug, cast.program.pk])
    page = admin.get(detail).content.decode()
    assert "Who decides" in page
    assert "Sam Sponsor" in page
    assert "No one from Product, Support, Sales, Finance or Operations." in page
    manage = reverse("programs:policy_makers", args=[cast.acme.slug, cast.program.pk])
    refused = admin.post(manage, {"user": cast.users["sponsor"].pk, "responsibility": ""})
    assert refused.status_code == 422
    assert "sponsor decides already" in refused.content.decode()
    done = admin.post(
        manage,
        {"user": cast.users["account_owner"].pk, "responsibility": "Support budget"},
        follow=True,
    )
    assert "Owen Owner" in done.content.decode()
    page = admin.get(detail).content.decode()
    assert "Support budget" in page
    assert "No one from Product, Support, Sales or Operations." in page
    remove = reverse(
        "programs:policy_maker_remove",
        args=[cast.acme.slug, cast.program.pk, cast.users["account_owner"].pk],
    )
    admin.post(remove)
    assert not PolicyMaker.objects.exists()
    assert client_for("core_team").get(manage).status_code == 403
    assert "Name the policy makers" not in client_for("core_team").get(detail).content.decode()


def test_the_api(cast: Cast, api_client_for: Callable[[str], Client]) -> None:
    assert cast.program is not None
    set_function(cast, "account_owner", "finance")
    api = api_client_for("facilitator")
    base = f"/api/v1/programs/{cast.program.pk}"
    owen = cast.users["account_owner"]
    added = api.post(
        base + "/policy-makers",
        {"user_id": owen.pk, "responsibility": "Support budget"},
        content_type="application/json",
    )
    assert added.status_code == 201, added.content
    body = added.json()
    assert body["policy_makers"] == [
        {
            "user": {"id": owen.pk, "email": owen.email, "full_name": "Owen Owner"},
            "responsibility": "Support budget",
            "function": "finance",
        }
    ]
    assert body["functions"]["missing"] == ["product", "support", "sales", "operations"]
    assert body["functions"]["summary"] == "No one from Product, Support, Sales or Operations."
    assert body["functions"]["present"] == [
        {"function": "finance", "label": "Finance", "people": ["Owen Owner"]}
    ]
    duplicate = api.post(
        base + "/policy-makers", {"user_id": owen.pk}, content_type="application/json"
    )
    assert duplicate.status_code == 422
    replaced = api.put(
        base + "/policy-makers",
        {"policy_makers": [{"user_id": cast.users["admin"].pk, "responsibility": "Budget"}]},
        content_type="application/json",
    )
    assert [p["user"]["id"] for p in replaced.json()["policy_makers"]] == [cast.users["admin"].pk]
    assert api.delete(base + f"/policy-makers/{owen.pk}").status_code == 404
    gone = api.delete(base + f"/policy-makers/{cast.users['admin'].pk}")
    assert gone.status_code == 200
    assert gone.json()["policy_makers"] == []
    sponsor_api = api_client_for("sponsor")
    assert sponsor_api.get(base).json()["policy_makers"] == []
    assert sponsor_api.delete(base + f"/policy-makers/{owen.pk}").status_code == 403


# --- the Member select is bounded -----------------------------------------------------------


def add_members(cast: Cast, n: int, name: str = "Member") -> list[Any]:
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


def member_options(html: str) -> list[int]:
    select = html.split('name="user"')[1].split("</select>")[0]
    return [int(v) for v in re.findall(r'<option value="(\d+)"', select)]


def test_the_member_select_lists_the_first_by_name_and_the_chosen_with_the_same_queries(
    cast: Cast, client_for: Callable[[str], Client], django_assert_num_queries: Any
) -> None:
    assert cast.program is not None
    admin = client_for("admin")
    manage = reverse("programs:policy_makers", args=[cast.acme.slug, cast.program.pk])
    admin.get(manage)
    with CaptureQueriesContext(connection) as seen:
        small = admin.get(manage).content.decode()
    everyone = member_options(small)
    assert cast.users["account_owner"].pk in everyone
    assert "Only the first" not in small
    last = add_members(cast, 40, name="Zed")[-1]  # after every cast member by name
    with django_assert_num_queries(len(seen)):
        large = admin.get(manage).content.decode()
    assert len(member_options(large)) == 30
    assert last.pk not in member_options(large)
    assert "Only the first 30 members by name are listed below" in large
    # The one chosen is offered wherever it falls (one more query, whatever the number).
    with CaptureQueriesContext(connection) as one:
        admin.get(manage, {"user": everyone[0]})
    with django_assert_num_queries(len(one)):
        picked = admin.get(manage, {"user": last.pk, "responsibility": "Budget"})
    html = picked.content.decode()
    assert len(member_options(html)) == 31
    assert f'<option value="{last.pk}" selected>' in html
    assert 'value="Budget"' in html


def test_find_a_member_narrows_by_name_or_email_and_one_past_the_first_is_added(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    assert cast.program is not None
    admin = client_for("admin")
    manage = reverse("programs:policy_makers", args=[cast.acme.slug, cast.program.pk])
    add_members(cast, 35)
    (wanted,) = add_members(cast, 1, name="Zora Quill")
    found = admin.get(manage, {"user_q": "QUILL"}).content.decode()
    assert member_options(found) == [wanted.pk]
    assert "Listed below: the members whose name or email address holds “QUILL”." in found
    by_email = admin.get(manage, {"user_q": "zora.quill"}).content.decode()
    assert member_options(by_email) == [wanted.pk]
    none = admin.get(manage, {"user_q": "nobody like it"}).content.decode()
    assert member_options(none) == []
    assert "No member's name or email address holds “nobody like it”." in none
    added = admin.post(manage, {"user": wanted.pk, "responsibility": "Support budget"})
    assert added.status_code == 302
    assert PolicyMaker.objects.get().user_id == wanted.pk
    stranger = admin.post(manage, {"user": cast.users["stranger"].pk, "responsibility": ""})
    assert stranger.status_code == 422
    beside = stranger.content.decode().split('id="find-user-note"')[1].split("</select>")[0]
    assert "Select a valid choice" in beside
    assert PolicyMaker.objects.count() == 1
