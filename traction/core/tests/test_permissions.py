import pytest

from traction.core import permissions
from traction.core.errors import NotFound, PermissionDenied
from traction.customers.models import Customer
from traction.programs.models import Program


def names(qs):
    return sorted(o.name for o in qs)


def test_scope_all_own_none_and_the_workspace_wall(cast):
    qs = Customer.objects.all()
    assert names(permissions.scope(cast.viewer("facilitator"), "customer.view", qs)) == [
        "Globex",
        "Initech",
    ]
    assert names(permissions.scope(cast.viewer("account_owner"), "customer.view", qs)) == ["Globex"]
    with pytest.raises(PermissionDenied):
        permissions.scope(cast.viewer("observer"), "customer.view", qs)
    assert names(permissions.scope(cast.viewer("stranger"), "customer.view", qs)) == [
        "Rival customer"
    ]


def test_program_membership_decides_for_non_facilitators(cast):
    qs = Program.objects.all()
    for principal in ["core_team", "sponsor", "observer"]:
        assert names(permissions.scope(cast.viewer(principal), "program.view", qs)) == [
            "Effortless onboarding"
        ]
    assert names(permissions.scope(cast.viewer("account_owner"), "program.view", qs)) == []
    assert names(permissions.scope(cast.viewer("admin"), "program.view", qs)) == [
        "Effortless onboarding",
        "Renewals",
    ]


def test_check_raises_not_found_across_workspaces_and_denied_within(cast):
    with pytest.raises(NotFound):
        permissions.check(cast.viewer("stranger"), "customer.change", cast.customer)
    with pytest.raises(PermissionDenied):
        permissions.check(cast.viewer("account_owner"), "customer.change", cast.other_customer)
    permissions.check(cast.viewer("account_owner"), "customer.change", cast.customer)
    with pytest.raises(PermissionDenied, match="Observer"):
        permissions.check(cast.viewer("observer"), "program.change", cast.program)


def test_unknown_action_is_a_programming_error(cast):
    with pytest.raises(LookupError, match=r"rules\.py"):
        permissions.check(cast.viewer("admin"), "nothing.here")


def test_rule_with_own_scope_needs_an_own_filter():
    with pytest.raises(ValueError, match="own"):
        permissions.rule("x.view", admin=permissions.OWN)


def test_own_filters_read_no_rows(cast, django_assert_num_queries):
    # Every rule's "own" filter is a Q built from the viewer's ids, never from rows read
    # now: scoping a query adds no query of its own.
    from django.db.models import Q

    rules = [r for r in permissions.registry.rules.values() if r.own is not None]
    assert rules
    for principal in ["core_team", "sponsor", "account_owner", "observer"]:
        viewer = cast.viewer(principal)
        with django_assert_num_queries(0):
            for r in rules:
                assert isinstance(r.own(viewer), Q), r.action
