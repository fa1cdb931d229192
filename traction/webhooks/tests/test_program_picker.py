"""The endpoint form's Chosen programs: bounded (the first 30 by name and those ticked), a
"Find a program" box narrowing them by GET with the answers kept."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from traction.core.testing.cast import Cast
from traction.programs import services as program_services
from traction.programs.models import Program
from traction.webhooks import services
from traction.webhooks.models import WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_events")]


def base(cast: Cast) -> str:
    return f"/w/{cast.acme.slug}/webhooks/"


def add_programs(cast: Cast, n: int) -> list[Program]:
    """``n`` more programs, named before the cast's by name."""
    admin = cast.viewer("admin")
    return [
        program_services.create_program(admin, name=f"Aardvark {i:03d}", goal="Learn.")
        for i in range(n)
    ]


def offered(page: str) -> list[int]:
    return [int(v) for v in re.findall(r'name="programs" value="(\d+)"', page)]


def test_the_program_checkboxes_are_bounded_with_the_same_queries(
    cast: Cast, client_for: Callable[[str], Client], django_assert_num_queries
) -> None:
    admin = client_for("admin")
    new = f"{base(cast)}new/"
    admin.get(new)
    with CaptureQueriesContext(connection) as seen:
        small = admin.get(new, {"programs_q": "", "programs": [cast.program.pk]}).content.decode()
    assert cast.program.pk in offered(small)
    made = add_programs(cast, 40)
    with django_assert_num_queries(len(seen)):
        large = admin.get(new, {"programs_q": "", "programs": [cast.program.pk]}).content.decode()
    # The first 30 by name, and the one ticked wherever it falls, still ticked.
    assert len(offered(large)) == 31
    assert made[-1].pk not in offered(large)
    assert re.search(rf'value="{cast.program.pk}"[^>]*checked', large)
    assert "Only the first 30 programs by name are listed below" in large
    # What Find sends: the form by GET; the answers come back as they were.
    found = admin.get(
        new,
        {
            "url": "https://jira.example.test/hook",
            "description": "Jira",
            "event_scope": "chosen",
            "event_types": ["testing.item_done"],
            "program_scope": "chosen",
            "programs": [cast.program.pk],
            "programs_q": "039",
        },
    ).content.decode()
    assert sorted(offered(found)) == sorted([made[-1].pk, cast.program.pk])
    assert 'value="https://jira.example.test/hook"' in found
    assert 'value="Jira"' in found
    assert re.search(r'value="testing.item_done"[^>]*checked', found)
    assert "Listed below: the programs whose name holds “039” (and those ticked)." in found
    assert WebhookEndpoint.objects.count() == 0  # a Find writes nothing
    # A program past the first 30 may be chosen, and the edit page offers it, ticked.
    answer = admin.post(
        new,
        {
            "url": "https://jira.example.test/hook",
            "event_scope": "all",
            "program_scope": "chosen",
            "programs": [made[-1].pk],
            "active": "on",
        },
    )
    assert answer.status_code == 302
    hook = WebhookEndpoint.objects.get()
    assert [p.pk for p in hook.programs.all()] == [made[-1].pk]
    edit = admin.get(f"{base(cast)}{hook.pk}/edit/").content.decode()
    assert len(offered(edit)) == 31
    assert re.search(rf'value="{made[-1].pk}"[^>]*checked', edit)
    # Find on the edit page keeps what was ticked there, not what is saved.
    refound = admin.get(
        f"{base(cast)}{hook.pk}/edit/",
        {"url": "https://jira.example.test/hook", "program_scope": "chosen",
         "programs": [cast.program.pk], "programs_q": "nothing-such", "version": hook.version},
    ).content.decode()  # fmt: skip
    assert offered(refound) == [cast.program.pk]
    assert "No program but those ticked has a name holding “nothing-such”." in refound


def test_an_endpoint_edit_saves_a_program_past_the_first(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    made = add_programs(cast, 35)
    hook, _ = services.create_endpoint(cast.viewer("admin"), url="https://a.example.test/h")
    edited = client_for("admin").post(
        f"{base(cast)}{hook.pk}/edit/",
        {
            "url": "https://a.example.test/h",
            "event_scope": "all",
            "program_scope": "chosen",
            "programs": [made[-1].pk],
            "version": str(hook.version),
        },
    )
    assert edited.status_code == 302
    assert [p.pk for p in hook.programs.all()] == [made[-1].pk]
