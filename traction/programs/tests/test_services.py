import datetime as dt

import pytest

from traction.core.errors import PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.programs import selectors, services
from traction.programs.models import Program


def test_create_program_with_core_team(cast):
    fran = cast.viewer("facilitator")
    program = services.create_program(
        fran,
        name="Faster renewals",
        goal="Renewal quotes the same day.",
        executive_sponsor_id=cast.users["sponsor"].pk,
        results_window_start=dt.date(2027, 3, 1),
        results_window_end=dt.date(2027, 12, 1),
        core_team_ids=[cast.users["core_team"].pk, cast.users["account_owner"].pk],
    )
    assert sorted(m.user.email for m in program.members.all()) == [
        "cora@acme.test",
        "owen@acme.test",
    ]
    assert [
        e.action
        for e in AuditEvent.objects.filter(
            object_id=str(program.pk), object_type="programs.program"
        )
    ] == [
        "program.team_changed",
        "program.created",
    ]
    # Belonging makes it visible to the account owner now.
    assert "Faster renewals" in [p.name for p in selectors.programs(cast.viewer("account_owner"))]


def test_results_window_must_end_after_it_starts(cast):
    with pytest.raises(ValidationFailed) as exc:
        services.create_program(
            cast.viewer("admin"),
            name="Backwards",
            goal="x",
            results_window_start=dt.date(2027, 5, 1),
            results_window_end=dt.date(2027, 1, 1),
        )
    assert "results_window_end" in exc.value.errors
    assert not Program.objects.filter(name="Backwards").exists()


def test_sponsor_and_team_must_be_workspace_members(cast):
    admin = cast.viewer("admin")
    with pytest.raises(ValidationFailed) as exc:
        services.create_program(
            admin, name="X", goal="x", executive_sponsor_id=cast.users["stranger"].pk
        )
    assert list(exc.value.errors) == ["executive_sponsor_id"]
    with pytest.raises(ValidationFailed):
        services.set_core_team(admin, program=cast.program, user_ids=[cast.users["stranger"].pk])
    assert [m.user.email for m in cast.program.members.filter(kind="core_team")] == [
        "cora@acme.test"
    ]


@pytest.mark.parametrize("principal", ["core_team", "sponsor", "account_owner", "observer"])
def test_only_admins_and_facilitators_change_programs(cast, principal):
    with pytest.raises(PermissionDenied):
        services.update_program(
            cast.viewer(principal), program=cast.program, changes={"status": "closed"}
        )
    cast.program.refresh_from_db()
    assert cast.program.status == "planning"


def test_moving_a_member_from_observer_to_core_team(cast):
    fran = cast.viewer("facilitator")
    olive = cast.users["observer"].pk
    services.set_core_team(fran, program=cast.program, user_ids=[cast.users["core_team"].pk, olive])
    kinds = dict(cast.program.members.values_list("user__email", "kind"))
    assert kinds == {"cora@acme.test": "core_team", "olive@acme.test": "core_team"}


def test_sponsor_eligibility_is_one_rule_for_choices_and_checks(cast):
    """``selectors.sponsor_candidates``: sponsors, admins and facilitators of the workspace."""
    fran = cast.viewer("facilitator")
    assert [u.email for u in selectors.sponsor_candidates(fran)] == [
        "alice@acme.test",
        "fran@acme.test",
        "sam@acme.test",
    ]
    before = Program.objects.count(), AuditEvent.objects.count()
    for principal in ("core_team", "account_owner", "observer", "stranger"):
        with pytest.raises(ValidationFailed) as exc:
            services.create_program(
                fran, name="X", goal="x", executive_sponsor_id=cast.users[principal].pk
            )
        assert exc.value.errors == {
            "executive_sponsor_id": [
                "The executive sponsor must be a member of this workspace with one of the "
                "roles: executive sponsor, admin, facilitator."
            ]
        }
        with pytest.raises(ValidationFailed):
            services.update_program(
                fran,
                program=cast.program,
                changes={"executive_sponsor_id": cast.users[principal].pk},
            )
    assert (Program.objects.count(), AuditEvent.objects.count()) == before
    cast.program.refresh_from_db()
    assert cast.program.executive_sponsor_id == cast.users["sponsor"].pk
    services.update_program(
        fran, program=cast.program, changes={"executive_sponsor_id": cast.users["admin"].pk}
    )
    cast.program.refresh_from_db()
    assert cast.program.executive_sponsor_id == cast.users["admin"].pk


def test_set_program_team_is_one_use_case_all_or_nothing(cast):
    fran = cast.viewer("facilitator")
    program = cast.program
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.set_program_team(
            fran,
            program=program,
            core_team_ids=[cast.users["account_owner"].pk],
            observer_ids=[cast.users["stranger"].pk],
        )
    assert exc.value.errors == {
        "observer_ids": [f"Not members of this workspace: [{cast.users['stranger'].pk}]."]
    }
    with pytest.raises(ValidationFailed) as exc:
        services.set_program_team(
            fran,
            program=program,
            core_team_ids=[cast.users["account_owner"].pk],
            observer_ids=[cast.users["account_owner"].pk],
        )
    assert exc.value.errors == {
        "observer_ids": [
            f"Core team or observer, not both, for user ids [{cast.users['account_owner'].pk}]."
        ]
    }
    # Nothing of the core team was written before the refusal.
    assert [m.user.email for m in program.members.filter(kind="core_team")] == ["cora@acme.test"]
    assert AuditEvent.objects.count() == before
    services.set_program_team(
        fran,
        program=program,
        core_team_ids=[cast.users["account_owner"].pk],
        observer_ids=[cast.users["core_team"].pk],
    )
    assert [m.user.email for m in program.members.filter(kind="core_team")] == ["owen@acme.test"]
    assert [m.user.email for m in program.members.filter(kind="observer")] == ["cora@acme.test"]
