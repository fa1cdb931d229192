"""The rename of accounts' Invitation to MemberInvitation keeps every row, and the audit
trail names the renamed model by its new label (migrations 0005 and 0006), both ways.

The rows are made in an emptied test database walked forwards to the migrations before the
rename (``fresh_at``), then the rename is applied and unapplied."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from traction.core.testing.migrations import back_to_latest, fresh_at
from traction.core.testing.migrations import migrate as walk

BEFORE = [("accounts", "0004_notice_action_resolved"), ("core", "0001_initial")]
AFTER = [("accounts", "0006_audit_names_member_invitations")]


def migrate(targets: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    return walk(targets).loader.project_state(targets).apps


@pytest.mark.sqlite_only_migration
@pytest.mark.django_db(transaction=True)
def test_the_rename_keeps_invitations_and_relabels_their_audit_events() -> None:
    try:
        apps = fresh_at(BEFORE).loader.project_state(BEFORE).apps
        workspace = apps.get_model("accounts", "Workspace").objects.create(name="Acme", slug="acme")
        invitation = apps.get_model("accounts", "Invitation").objects.create(
            workspace=workspace,
            email="nia@acme.test",
            role="observer",
            token_hash="a" * 64,
            expires_at=datetime(2027, 1, 1, tzinfo=UTC),
        )
        events = apps.get_model("core", "AuditEvent").objects
        for object_type in ("accounts.invitation", "accounts.membership"):
            events.create(
                workspace=workspace,
                actor_label="ada@acme.test",
                action="member.invited",
                object_type=object_type,
                object_id=str(invitation.pk),
                object_repr="Invitation for nia@acme.test to Acme",
            )
        apps = migrate(AFTER)
        moved = apps.get_model("accounts", "MemberInvitation").objects.get()
        assert (moved.pk, moved.email, moved.role, moved.token_hash, moved.workspace_id) == (
            invitation.pk,
            "nia@acme.test",
            "observer",
            "a" * 64,
            workspace.pk,
        )
        types = apps.get_model("core", "AuditEvent").objects.order_by("pk")
        assert list(types.values_list("object_type", flat=True)) == [
            "accounts.memberinvitation",
            "accounts.membership",
        ]
        # And back: the rename is reversible, with the old label.
        apps = migrate(BEFORE)
        assert apps.get_model("accounts", "Invitation").objects.get().pk == invitation.pk
        types = apps.get_model("core", "AuditEvent").objects.order_by("pk")
        assert list(types.values_list("object_type", flat=True)) == [
            "accounts.invitation",
            "accounts.membership",
        ]
    finally:
        back_to_latest()
