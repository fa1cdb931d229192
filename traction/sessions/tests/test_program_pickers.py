"""The sessions list's Program filter and the new-session form's Program select are
bounded (the chosen and the first 30 by name), each with a "Find a program" box narrowing
them by GET with the filters or the form's answers kept; each page costs the same queries
however many programs there are, and a program past the first 30 stays chosen after a
refusal."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.core.testing.cast import Cast
from traction.programs import services as program_services
from traction.programs.models import Program
from traction.sessions.models import Session

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str], Client]


def url(name: str) -> str:
    return reverse(f"sessions:{name}", args=["acme"])


def add_programs(cast: Cast, n: int) -> list[Program]:
    """``n`` more programs, named before the cast's by name."""
    admin = cast.viewer("admin")
    return [
        program_services.create_program(admin, name=f"Aardvark {i:03d}", goal="Learn.")
        for i in range(n)
    ]


def programs(page: str) -> list[int]:
    select = page.split('name="program"')[1].split("</select>")[0]
    return [int(v) for v in re.findall(r'<option value="(\d+)"', select)]


def test_the_program_filter_is_bounded_with_the_same_queries(
    cast: Cast, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    client = client_for("facilitator")
    chosen = {"program": cast.program.pk, "kind": "co_design"}
    client.get(url("list"), chosen)
    with CaptureQueriesContext(connection) as seen:
        small = client.get(url("list"), chosen).content.decode()
    assert cast.program.pk in programs(small)
    made = add_programs(cast, 40)
    with django_assert_max_num_queries(len(seen)):
        large = client.get(url("list"), chosen).content.decode()
    assert len(programs(large)) == 31
    assert made[-1].pk not in programs(large)
    assert f'<option value="{cast.program.pk}" selected>' in large
    assert "Only the first 30 programs by name are listed below" in large
    # Find narrows the options; the filters chosen are kept and still filter.
    found = client.get(url("list"), {**chosen, "program_q": "039"}).content.decode()
    assert sorted(programs(found)) == sorted([made[-1].pk, cast.program.pk])
    assert f'<option value="{cast.program.pk}" selected>' in found
    assert re.search(r'<option value="co_design" selected>', found)
    assert "Listed below: the programs whose name holds “039” (and those chosen)." in found
    # A program past the first 30 filters the list and stays chosen.
    past = client.get(url("list"), {"program": made[-1].pk}).content.decode()
    assert f'<option value="{made[-1].pk}" selected>' in past


def test_the_new_session_program_select_is_bounded_and_keeps_a_choice_past_the_first(
    cast: Cast, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    client = client_for("facilitator")
    new = url("create")
    client.get(new, {"program": cast.program.pk})
    with CaptureQueriesContext(connection) as seen:
        client.get(new, {"program": cast.program.pk})
    made = add_programs(cast, 40)
    with django_assert_max_num_queries(len(seen)):
        large = client.get(new, {"program": cast.program.pk}).content.decode()
    assert len(programs(large)) == 31
    assert f'<option value="{cast.program.pk}" selected>' in large
    # Find reloads the form by GET with its answers kept.
    form = {"program": made[-1].pk, "kind": "co_design", "title": "Berlin co-design",
            "date": "2031-07-15", "start_time": "09:30", "end_time": "13:30",
            "time_zone": "Europe/Berlin", "location": "", "video_link": ""}  # fmt: skip
    found = client.get(new, {**form, "program_q": "03"}).content.decode()
    assert sorted(programs(found)) == sorted(p.pk for p in [made[3], *made[30:40]])
    assert f'<option value="{made[-1].pk}" selected>' in found
    assert 'value="Berlin co-design"' in found
    assert "Listed below: the programs whose name holds “03” (and those chosen)." in found
    # A refusal keeps the program chosen past the first 30.
    refused = client.post(new, {**form, "end_time": "08:00"})
    page = refused.content.decode()
    assert refused.status_code == 200
    assert not Session.objects.filter(title="Berlin co-design").exists()
    assert f'<option value="{made[-1].pk}" selected>' in page
    assert len(programs(page)) == 31
    # A program the viewer may not see is refused beside the field.
    other = client.post(new, {**form, "program": 999_999})
    assert "program" in other.context["form"].errors
    saved = client.post(new, form)
    assert saved.status_code == 302
    assert Session.objects.get(title="Berlin co-design").program_id == made[-1].pk
