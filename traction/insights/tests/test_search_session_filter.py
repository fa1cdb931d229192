"""Search's Session filter stays short however many sessions there are: the latest few (of
the program chosen, if one is), grouped by program, and the session chosen wherever it
falls; the page costs the same queries at two sizes. (The number listed is made small here.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.insights.search import forms
from traction.sessions import services
from traction.sessions.models import Session

pytestmark = pytest.mark.django_db


def plan(cast: Cast, title: str, day: int, program: Any = None) -> Session:
    with clock.frozen(datetime(2030, 5, 1, 8, tzinfo=UTC)):
        return services.plan_session(
            cast.viewer("facilitator"),
            program=program or cast.program,
            title=title,
            starts_at=datetime(2030, 6, day, 9),
            ends_at=datetime(2030, 6, day, 12),
        )


def search_url() -> str:
    return reverse("insights:search", kwargs={"workspace_slug": "acme"})


def session_select(page: str) -> str:
    found = re.search(r'<select name="session".*?</select>', page, re.S)
    assert found is not None
    return found.group(0)


def test_the_filter_lists_the_latest_grouped_by_program_and_the_one_chosen(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forms, "SESSIONS_OFFERED", 3)
    sessions = {day: plan(cast, f"Growth {day}", day) for day in range(1, 7)}
    other = plan(cast, "Elsewhere", 5, program=cast.other_program)
    client = client_for("facilitator")
    select = session_select(client.get(search_url()).content.decode())
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select) == [
        "Any session (the 3 latest listed)",
        "Growth 6 (6 Jun 2030)",
        "Growth 5 (5 Jun 2030)",
        "Elsewhere (5 Jun 2030)",
    ]
    assert re.findall(r'<optgroup label="([^"]+)">', select) == [
        cast.program.name,
        cast.other_program.name,
    ]
    # An older one, chosen (e.g. from its session page's link), is offered and selected.
    response = client.get(search_url(), {"session": sessions[1].pk})
    assert response.status_code == 200
    select = session_select(response.content.decode())
    assert f'<option value="{sessions[1].pk}" selected>Growth 1 (1 Jun 2030)</option>' in select
    assert "errorlist" not in session_select(response.content.decode())
    # With a program chosen, that program's latest.
    select = session_select(
        client.get(search_url(), {"program": cast.other_program.pk}).content.decode()
    )
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select) == [
        "Any session",
        "Elsewhere (5 Jun 2030)",
    ]
    assert f'value="{other.pk}"' in select


def test_a_session_the_viewer_may_not_see_is_not_offered(cast: Cast, client_for: Any) -> None:
    hidden = plan(cast, "Not for Cora", 3, program=cast.other_program)
    page = client_for("core_team").get(search_url(), {"session": hidden.pk}).content.decode()
    assert "Not for Cora" not in page


def test_the_search_page_costs_the_same_queries_at_two_sizes(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forms, "SESSIONS_OFFERED", 3)
    client = client_for("facilitator")
    counts = []
    oldest = plan(cast, "Growth 1", 1)  # chosen: outside the latest listed at both sizes
    for days in (range(2, 6), range(6, 16)):
        for day in days:
            plan(cast, f"Growth {day}", day)
        path = f"{search_url()}?session={oldest.pk}&q=invoice"
        client.get(path)
        with CaptureQueriesContext(connection) as seen:
            assert client.get(path).status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1], counts
