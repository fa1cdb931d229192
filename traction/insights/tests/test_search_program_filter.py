"""Search's Program filter stays short however many programs there are: the first 30 by
name, narrowed by "Find a program", and the program chosen wherever it falls; a program the
viewer may not see is refused as before; the page costs the same queries at two sizes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.insights import services
from traction.insights.tests.conftest import Room
from traction.programs import services as program_services

pytestmark = pytest.mark.django_db


def search_url() -> str:
    return reverse("insights:search", kwargs={"workspace_slug": "acme"})


def options(page: str) -> list[str]:
    found = re.search(r'<select name="program".*?</select>', page, re.S)
    assert found is not None
    return re.findall(r"<option[^>]*>([^<]*)</option>", found.group(0))


def test_the_program_filter_is_bounded_narrowed_by_find_and_keeps_the_choice(
    room: Room, client_for: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    services.capture_insight(
        room.cast.viewer("facilitator"), session=room.session, kind="issue",
        text="The invoice arrives late", speaker=room.speaker("gina"),
    )  # fmt: skip
    client = client_for("facilitator")
    chosen = {"q": "invoice", "program": room.session.program_id}
    client.get(search_url(), chosen)
    with CaptureQueriesContext(connection) as seen:
        client.get(search_url(), chosen)
    admin = room.cast.viewer("admin")
    for i in range(40):
        program_services.create_program(admin, name=f"Aardvark {i:03d}", goal="Learn.")
    name = room.session.program.name
    with django_assert_max_num_queries(len(seen)):
        page = client.get(search_url(), chosen).content.decode()
    listed = options(page)
    assert listed[0] == "Any program (the first 30 listed: type a name to narrow)"
    assert len(listed) == 32  # Any, the first 30 and the one chosen
    assert f'<option value="{room.session.program_id}" selected>{name}</option>' in page
    assert "<strong>1 result</strong>" in page
    # Find narrows the options; the chosen one stays, and still filters.
    found = client.get(search_url(), {**chosen, "program_q": "039"}).content.decode()
    assert sorted(options(found)) == sorted(["Any program", "Aardvark 039", name])
    assert "<strong>1 result</strong>" in found
    nothing = client.get(search_url(), {"program_q": "zebra"}).content.decode()
    assert options(nothing) == ["Any program (none is named “zebra”)"]
    # Typing, with scripts: the results bring the narrowed options along (out of band).
    partial = client.get(
        search_url(), {"program_q": "039"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert '<div id="program-filter" hx-swap-oob="true">' in partial
    assert options(partial) == ["Any program", "Aardvark 039"]
    # A program the viewer may not see is refused, as before.
    refused = client.get(search_url(), {"program": 999_999}).content.decode()
    assert "Select a valid choice" in refused
