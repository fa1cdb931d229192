"""The debriefs list's Program filter is bounded (the chosen and the first 30 by name), with
a "Find a program" box narrowing it by GET, the filters kept; the page costs the same
queries however many programs there are."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from traction.core.testing.cast import Cast
from traction.programs import services as program_services

from .scorecard_helpers import make_debrief

pytestmark = pytest.mark.django_db


def programs(page: str) -> list[int]:
    select = page.split('name="program"')[1].split("</select>")[0]
    return [int(v) for v in re.findall(r'<option value="(\d+)"', select)]


def test_the_program_filter_is_bounded_and_find_narrows_it(
    cast: Cast, client_for: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    debrief = make_debrief(cast)
    client = client_for("facilitator")
    path = "/w/acme/debriefs/"
    chosen = {"program": cast.program.pk, "timeliness": ""}
    client.get(path, chosen)
    with CaptureQueriesContext(connection) as seen:
        small = client.get(path, chosen).content.decode()
    assert cast.program.pk in programs(small)
    admin = cast.viewer("admin")
    made = [
        program_services.create_program(admin, name=f"Aardvark {i:03d}", goal="Learn.")
        for i in range(40)
    ]
    with django_assert_max_num_queries(len(seen)):
        large = client.get(path, chosen).content.decode()
    assert len(programs(large)) == 31
    assert made[-1].pk not in programs(large)
    assert f'<option value="{cast.program.pk}" selected>' in large
    assert "Only the first 30 programs by name are listed below" in large
    assert debrief.session.title in large  # the filter still filters
    found = client.get(path, {**chosen, "program_q": "039"}).content.decode()
    assert sorted(programs(found)) == sorted([made[-1].pk, cast.program.pk])
    assert "Listed below: the programs whose name holds “039” (and those chosen)." in found
    assert debrief.session.title in found
    none = client.get(path, {"program_q": "zebra"}).content.decode()
    assert programs(none) == []
    assert "No program has a name holding “zebra”." in none
