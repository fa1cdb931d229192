"""Erasure stays within the erased person's reach: queued emails of other workspaces keep a
namesake's name, and only rows that mention the person are loaded (a database pre-filter)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from traction.core.tasks import deliver_email
from traction.core.testing.cast import Cast
from traction.customers import services

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued() -> dict[str, list[object]]:
    rows = DBTaskResult.objects.values_list("args_kwargs", flat=True)
    return {str(args["args"][2][0]): args["args"][:2] for args in rows}


def test_queued_emails_of_other_workspaces_keep_a_namesakes_name(cast: Cast) -> None:
    assert cast.contact is not None
    pk = cast.contact.pk
    with override_settings(TASKS=DB_TASKS):
        # To her, to a member of her workspace about her, and to a rival member about
        # another Gina Globex (Rival's own customer, say).
        deliver_email.enqueue("Hello", "Dear Gina Globex", ["gina@globex.test"])
        deliver_email.enqueue("Approved", "Gina Globex may be invited", ["fran@acme.test"])
        deliver_email.enqueue("Rival news", "Gina Globex joined us", ["stan@rival.test"])
    services.erase_contact(cast.viewer("admin"), contact=cast.contact, reason="Asked")
    assert queued() == {
        f"contact-{pk}@erased.invalid": ["Hello", f"Dear Erased contact {pk}"],
        "fran@acme.test": ["Approved", f"Erased contact {pk} may be invited"],
        "stan@rival.test": ["Rival news", "Gina Globex joined us"],
    }


def test_only_rows_mentioning_the_person_are_loaded(cast: Cast) -> None:
    assert cast.contact is not None
    with CaptureQueriesContext(connection) as ctx:
        services.erase_contact(cast.viewer("admin"), contact=cast.contact, reason="Asked")
    scans = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT")
        and any(
            f'FROM "{table}"' in q["sql"]
            for table in ("core_auditevent", "insights_insight", "accounts_notice")
        )
        and '"workspace_id" =' in q["sql"]
    ]
    assert scans
    assert all("LIKE" in sql for sql in scans), scans
