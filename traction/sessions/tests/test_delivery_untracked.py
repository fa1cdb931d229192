"""Invitations made before delivery was tracked are not claimed to be delivered."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps

from traction.core.testing.cast import Cast
from traction.sessions.models import DeliveryStatus, Invitation
from traction.sessions.tests.test_history import invited, plan

pytestmark = pytest.mark.django_db


def test_migration_0002_marks_earlier_invitations_untracked_not_delivered(
    cast: Cast, client_for: Any
) -> None:
    session = plan(cast)
    invitation = invited(cast, session)
    # As the added column left it: the default, never sent by the tracked path.
    Invitation.objects.filter(pk=invitation.pk).update(delivery="queued", delivery_attempts=0)
    migration = importlib.import_module("traction.sessions.migrations.0002_history_kept")
    migration.mark_earlier_invitations_untracked(apps, None)
    found = Invitation.objects.get(pk=invitation.pk)
    assert (found.delivery, found.delivery_attempts, found.delivered_at) == ("untracked", 0, None)
    assert found.get_delivery_display() == "Sent before delivery was tracked"
    assert DeliveryStatus.UNTRACKED == "untracked"
    page = client_for("facilitator").get(f"/w/acme/sessions/{session.pk}/").content.decode()
    assert "(sent before delivery was tracked)" in page
    assert "Delivered" not in page
