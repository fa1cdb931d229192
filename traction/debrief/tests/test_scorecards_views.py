"""The scorecard pages: the program's scorecard, a metric's page with its chart and table,
defining and editing metrics (the merge prompt), the CSV import with its preview, a
checkpoint, the room's panel and its shortcut."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.models import Measurement, MeasurementSource, ScorecardMetric
from traction.debrief.services import scorecards
from traction.debrief.services.scorecards import Entry
from traction.insights.services.capture import capture_insight

from .scorecard_helpers import make_debrief, make_metric

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
ClientFor = Callable[[str], Client]


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with clock.frozen(NOW) as frozen:
        yield frozen


def url(cast: Cast, tail: str) -> str:
    return f"/w/{cast.acme.slug}/debriefs/{tail}"


def test_scorecard_shows_latest_progress_and_whats_missing(
    cast: Cast, client_for: ClientFor
) -> None:
    m = make_metric(cast)
    make_metric(cast, "Tickets per account", definition="", unit="", baseline=None, target=None)
    scorecards.record_measurements(
        cast.viewer("core_team"),
        entries=[
            Entry(m, date(2027, 3, 1), Decimal("10")),
            Entry(m, date(2027, 4, 1), Decimal("7.5")),
        ],
    )
    page = client_for("observer").get(url(cast, f"programs/{cast.program.pk}/scorecard/"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Days to first invoice" in html
    assert "7.5" in html
    assert "50%" in html
    assert "On track" in html
    assert "missing: definition, unit, baseline, target" in html
    assert 'class="sparkline"' in html
    assert "Add a metric" not in html  # observers read
    assert (
        client_for("core_team")
        .get(url(cast, f"programs/{cast.program.pk}/scorecard/"))
        .content.decode()
        .count("Add a metric")
        == 1
    )


def test_a_scorecard_row_says_what_each_metric_is_and_escapes_its_words(
    cast: Cast, client_for: ClientFor
) -> None:
    """Each row: the metric's link and name, direction, unit, parts and owner; what it lacks;
    its latest value and day (or a dash); baseline → target (or "?") and by when; its
    progress bar and status. Every word typed by a person is escaped."""
    paid = make_metric(cast, "Paid <b>now</b>", unit="", direction="up", baseline="0", target="50")
    signed = make_metric(cast, "Signed & sealed", direction="up", baseline="0", target="100")
    share = make_metric(
        cast, "Share paid", unit="%", direction="up", baseline="0.1", target="0.5",
        target_on=date(2027, 12, 31), numerator_id=paid.pk, denominator_id=signed.pk,
    )  # fmt: skip
    make_metric(cast, "Blank", definition="", unit="", baseline=None, target=None)
    scorecards.record_measurements(
        cast.viewer("core_team"),
        entries=[
            Entry(paid, date(2027, 3, 1), Decimal("12")),
            Entry(signed, date(2027, 3, 1), Decimal("30")),
        ],
    )
    html = client_for("observer").get(url(cast, f"programs/{cast.program.pk}/scorecard/"))
    html = " ".join(html.content.decode().split())
    metric = url(cast, "metrics/")
    owner = ScorecardMetric.objects.get(pk=share.pk).owner
    who = f" · {owner}" if owner else ""
    assert (
        f'<td><a href="{metric}{share.pk}/">Share paid</a> <br><span class="muted small">'
        f"Higher is better · % · Paid &lt;b&gt;now&lt;/b&gt; ÷ Signed &amp; sealed{who}</span> "
        '</td> <td class="num">0.4<br><span class="muted small">1 Mar 2027</span></td> '
        '<td class="num">0.1 → 0.5<br><span class="muted small">by 31 Dec 2027</span></td> '
        '<td><progress class="scorecard-progress" max="100" value="75" '
        'aria-label="Progress of Share paid">75%</progress> 75%<br>'
    ) in html
    assert f'<a href="{metric}{paid.pk}/">Paid &lt;b&gt;now&lt;/b&gt;</a>' in html
    assert "<b>now</b>" not in html
    assert (
        '<span class="badge badge-warn">Not ready</span> <span class="small">missing: '
        'definition, unit, baseline, target</span> </td> <td class="num"><span class="muted">—'
        '</span></td> <td class="num">? → ?</td> <td><span class="badge badge-muted">'
    ) in html


def test_empty_scorecard_says_what_to_do(cast: Cast, client_for: ClientFor) -> None:
    html = (
        client_for("core_team")
        .get(url(cast, f"programs/{cast.program.pk}/scorecard/"))
        .content.decode()
    )
    assert "No metrics yet." in html
    assert "Add the first metric" in html


def test_metric_page_chart_table_and_adding_a_measurement(
    cast: Cast, client_for: ClientFor
) -> None:
    m = make_metric(
        cast, forecast=[{"on": "2027-04-01", "value": "8"}], baseline_on=date(2027, 1, 1)
    )
    client = client_for("core_team")
    bad = client.post(
        url(cast, f"metrics/{m.pk}/measurements/"), {"on": "2027-05-01", "value": "many"}
    )
    assert bad.status_code == 422
    assert "“many” is not a number." in bad.content.decode()
    future = client.post(
        url(cast, f"metrics/{m.pk}/measurements/"), {"on": "2027-07-01", "value": "3"}
    )
    assert "is in the future" in future.content.decode()
    ancient = client.post(
        url(cast, f"metrics/{m.pk}/measurements/"), {"on": "0001-01-01", "value": "3"}
    )
    assert "is before 1 January 2000" in ancient.content.decode()
    ok = client.post(
        url(cast, f"metrics/{m.pk}/measurements/"),
        {"on": "2027-05-01", "value": "6,5", "note": "Holiday dip"},
        follow=True,
    )
    html = ok.content.decode()
    assert Measurement.objects.get().value == Decimal("6.5")
    assert '<svg class="metric-chart"' in html
    assert "<title id=" in html
    assert "<desc id=" in html
    assert "Holiday dip" in html
    assert "Forecast path" in html
    # The observer sees the page but no form.
    seen = client_for("observer").get(url(cast, f"metrics/{m.pk}/")).content.decode()
    assert "Add a measurement" not in seen
    assert "Holiday dip" in seen


def test_measurements_are_paginated(cast: Cast, client_for: ClientFor) -> None:
    m = make_metric(cast)
    scorecards.record_measurements(
        cast.viewer("core_team"),
        entries=[Entry(m, date(2027, 1, 1).replace(day=d), Decimal(d)) for d in range(1, 31)],
    )
    html = client_for("core_team").get(url(cast, f"metrics/{m.pk}/")).content.decode()
    assert "Page 1 of 2 (30 in all)" in html


def test_create_and_edit_a_metric_with_a_merge_prompt(cast: Cast, client_for: ClientFor) -> None:
    client = client_for("core_team")
    form = {
        "name": "Days to first invoice",
        "definition": "Days from signing to first paid invoice",
        "unit": "days",
        "direction": "down",
        "frequency": "monthly",
        "baseline": "14",
        "baseline_on": "2027-01-01",
        "target": "30",
        "forecast": "2027-03-01 10\nnot a line",
    }
    refused = client.post(url(cast, f"programs/{cast.program.pk}/scorecard/metrics/new/"), form)
    html = refused.content.decode()
    assert "Line 2: write a date and a value" in html
    form["forecast"] = "2027-03-01 10"
    refused = client.post(url(cast, f"programs/{cast.program.pk}/scorecard/metrics/new/"), form)
    assert "Lower is better for this metric" in refused.content.decode()
    form["target"] = "1"
    created = client.post(url(cast, f"programs/{cast.program.pk}/scorecard/metrics/new/"), form)
    m = ScorecardMetric.objects.get()
    assert created.status_code == 302
    assert m.forecast == [{"on": "2027-03-01", "value": "10"}]
    # Two editors from version 1: the second sees the first's values beside theirs.
    scorecards.update_metric(
        cast.viewer("facilitator"), metric=m, changes={"unit": "working days"}, version=1
    )
    edit = {**form, "unit": "hours", "version": "1", "forecast": "2027-03-01 10"}
    prompt = client.post(url(cast, f"metrics/{m.pk}/edit/"), edit)
    html = prompt.content.decode()
    assert "Someone else saved this metric" in html
    assert "working days" in html
    assert "hours" in html
    m.refresh_from_db()
    assert m.unit == "working days"
    assert 'name="version" value="2"' in html
    again = client.post(url(cast, f"metrics/{m.pk}/edit/"), {**edit, "version": "2"})
    assert again.status_code == 302
    m.refresh_from_db()
    assert m.unit == "hours"


def test_metric_edit_merges_three_ways_against_the_opened_values(
    cast: Cast, client_for: ClientFor
) -> None:
    """Review 20 finding 4: a field only the other person changed keeps their value, one only
    I changed keeps mine, and only a field we both changed is asked about. A browser's CRLF
    in the forecast is not a change."""
    m = make_metric(
        cast, forecast=[{"on": "2027-03-01", "value": "10"}, {"on": "2027-06-01", "value": "8"}]
    )
    client = client_for("core_team")
    page = client.get(url(cast, f"metrics/{m.pk}/edit/"))
    form = page.context["form"]
    posted = {k: ("" if v is None else v) for k, v in form.initial.items() if k != "serves"}
    posted["forecast"] = str(posted["forecast"]).replace("\n", "\r\n")
    version = m.version
    # Someone else changes the unit and the data source meanwhile.
    scorecards.update_metric(
        cast.viewer("facilitator"),
        metric=m,
        changes={"unit": "calendar days", "data_source": "CRM renewals report"},
        version=version,
    )
    mine = {**posted, "target": "2", "baseline": "14.0"}  # 14.0 is the saved 14
    saved = client.post(url(cast, f"metrics/{m.pk}/edit/"), mine)
    assert saved.status_code == 302
    m.refresh_from_db()
    assert (m.unit, m.data_source, m.target) == ("calendar days", "CRM renewals report", 2)
    assert len(m.forecast) == 2
    # Both change the unit: only the unit is asked about, with mine and theirs.
    page = client.get(url(cast, f"metrics/{m.pk}/edit/"))
    form = page.context["form"]
    posted = {k: ("" if v is None else v) for k, v in form.initial.items() if k != "serves"}
    posted["forecast"] = str(posted["forecast"]).replace("\n", "\r\n")
    scorecards.update_metric(
        cast.viewer("facilitator"),
        metric=m,
        changes={"unit": "working days", "definition": "Counted by finance"},
        version=m.version,
    )
    prompt = client.post(url(cast, f"metrics/{m.pk}/edit/"), {**posted, "unit": "hours"})
    assert prompt.status_code == 422
    assert [row["name"] for row in prompt.context["merge"]] == ["unit"]
    assert prompt.context["taken"] == ["Definition"]
    html = prompt.content.decode()
    assert 'id="merge-unit"' in html
    assert "Forecast path" not in html.split('id="merge-prompt"')[1].split("</section>")[0]
    # Keeping theirs saves their unit with their definition: nothing of theirs is lost.
    again = prompt.context["form"].data.copy()
    again["keep_unit"] = "theirs"
    assert client.post(url(cast, f"metrics/{m.pk}/edit/"), again).status_code == 302
    m.refresh_from_db()
    assert (m.unit, m.definition) == ("working days", "Counted by finance")


def test_the_owner_picker_offers_only_who_may_see_and_measure_the_metric(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for("core_team")
    new = url(cast, f"programs/{cast.program.pk}/scorecard/metrics/new/")
    page = client.get(new)
    offered = {str(u) for u in page.context["form"].fields["owner"].queryset}
    assert offered == {str(cast.users[p]) for p in ("admin", "facilitator", "core_team", "sponsor")}
    refused = client.post(
        new,
        {
            "name": "X",
            "direction": "up",
            "frequency": "monthly",
            "owner": cast.users["observer"].pk,
        },
    )
    assert "That choice is not one of the available choices" in str(
        refused.context["form"].errors["owner"]  # beside the field
    )
    assert not ScorecardMetric.objects.exists()


def test_account_owner_may_not_define_metrics(cast: Cast, client_for: ClientFor) -> None:
    page = client_for("account_owner").get(
        url(cast, f"programs/{cast.program.pk}/scorecard/metrics/new/")
    )
    assert page.status_code == 404  # not in the program: not theirs to know about


def test_csv_import_preview_points_out_a_percent_on_a_metric_not_in_percent(
    cast: Cast, client_for: ClientFor
) -> None:
    """Review 20 finding 17: "22,25%" for a metric in days is read as 22.25, and the preview
    says so before anything is imported."""
    make_metric(cast)  # in days
    make_metric(cast, "Paid within a day", unit="%", direction="up", baseline="10", target="50")
    client = client_for("core_team")
    target = url(cast, f"programs/{cast.program.pk}/scorecard/import/")
    data = (
        b"metric;date;value\nDays to first invoice;2027-02-28;22,25%\n"
        b"Paid within a day;2027-02-28;40%\n"
    )
    preview = client.post(target, {"file": SimpleUploadedFile("m.csv", data)})
    assert preview.status_code == 200
    assert preview.context["outcome"].warnings == [
        "Line 2: the value has a “%” and is read as 22.25, but “Days to first invoice” is "
        "measured in days."
    ]
    assert 'id="import-warnings"' in preview.content.decode()
    assert not Measurement.objects.exists()


def test_csv_import_preview_then_import(cast: Cast, client_for: ClientFor) -> None:
    make_metric(cast)
    client = client_for("core_team")
    target = url(cast, f"programs/{cast.program.pk}/scorecard/import/")
    bad = client.post(
        target,
        {
            "file": SimpleUploadedFile(
                "m.csv",
                b"metric,date,value\nDays to first invoice,2027-02-30,3\nNope,2027-01-01,1\n",
            )
        },
    )
    html = bad.content.decode()
    assert bad.status_code == 422
    # The import pages' shared block (includes/import_errors.html): every problem at once.
    assert '<section class="form-errors" role="alert"' in html
    assert "Nothing was imported. Fix 2 problems:" in html
    assert "Line 2: “2027-02-30” is not a date in the calendar." in html
    assert "Line 3: no metric named “Nope” in this program." in html
    good = b"metric,date,value,note\nDays to first invoice,2027-02-28,9,Invoices on day one\n"
    preview = client.post(target, {"file": SimpleUploadedFile("m.csv", good)})
    html = preview.content.decode()
    assert "1</strong> new" in html
    assert not Measurement.objects.exists()
    digest = preview.context["digest"]
    done = client.post(target, {"confirm": "1", "digest": digest})
    assert done.status_code == 302
    assert list(Measurement.objects.values_list("value", "source")) == [(Decimal("9"), "csv")]


def test_the_import_pages_example_is_a_file_it_takes(cast: Cast, client_for: ClientFor) -> None:
    client = client_for("core_team")
    target = url(cast, f"programs/{cast.program.pk}/scorecard/import/")

    def example() -> str:
        page = client.get(target).content.decode()
        code = page.split("Example:<br><code>")[1].split("</code>")[0]
        return html.unescape(code.replace("<br>", "\n"))  # what the reader copies

    # No metric yet: a placeholder, not another program's metric.
    assert "Your metric's name,20" in example()
    assert "Days to first invoice" not in example()
    # The program's own measured metric (a calculated one cannot be imported), quoted
    # when its name holds a comma.
    parts = [make_metric(cast, name=n) for n in ("Paid invoices, week", "Signed contracts")]
    make_metric(cast, "A ratio", numerator_id=parts[0].pk, denominator_id=parts[1].pk)
    text = example()
    assert text.count('"Paid invoices, week",') == 2
    preview = client.post(target, {"file": SimpleUploadedFile("m.csv", text.encode())})
    assert preview.status_code == 200, preview.context.get("errors")
    assert "2</strong> new" in preview.content.decode()


def test_checkpoint_page_and_room_panel(cast: Cast, client_for: ClientFor) -> None:
    debrief = make_debrief(cast, ends_at=datetime(2027, 1, 31, 17, tzinfo=UTC), closed=True)
    card = capture_insight(
        cast.viewer("facilitator"),
        session=debrief.session,
        kind="customer_metric",
        text="Time from signature to first paid invoice",
    )
    metric = make_metric(
        cast,
        baseline_on=date(2027, 1, 31),
        target_on=date(2028, 1, 31),
        forecast=[{"on": "2027-03-31", "value": "10"}, {"on": "2027-05-31", "value": "6"}],
    )
    scorecards.record_measurements(
        cast.viewer("core_team"),
        entries=[Entry(metric, date(2027, 4, 1), Decimal("9"), "")],
        source=MeasurementSource.MANUAL,
    )
    [cp, *_] = scorecards.ensure_checkpoints(debrief)
    client = client_for("core_team")
    page = client.get(url(cast, f"programs/{cast.program.pk}/scorecard/checkpoints/{cp.pk}/"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "3-month checkpoint" in html
    # Actual, forecast (10 → 6 read on 30 April: 8.0328…) and target formatted alike: no
    # "9.00", and the forecast rounded like the numbers it is read between (review 20 #14).
    cells = [c.split("<")[0] for c in html.split('<td class="num">')[1:4]]
    assert cells == ["9", "8", "1"]
    assert "Lower is better · in days" in html
    assert (
        client.get(
            url(cast, f"programs/{cast.other_program.pk}/scorecard/checkpoints/{cp.pk}/")
        ).status_code
        == 404
    )
    panel = client.get(url(cast, f"{debrief.pk}/scorecard/")).content.decode()
    assert "Time from signature to first paid invoice" in panel
    # A closed debrief offers no shortcut, and refuses it when posted.
    assert f'name="insight_id" value="{card.pk}"' not in panel
    closed = client.post(
        url(cast, f"{debrief.pk}/scorecard/from-card/"), {"insight_id": card.pk}, follow=True
    )
    assert "This debrief is closed" in closed.content.decode()
    assert not ScorecardMetric.objects.filter(debrief=debrief).exists()


def test_a_metric_from_a_card_is_made_only_when_its_form_is_saved(
    cast: Cast, client_for: ClientFor
) -> None:
    """Review 20 finding 10: the shortcut opens the new-metric form filled in from the card;
    leaving it leaves nothing, a second click makes no "(2)", and a card already served by a
    current metric is refused with that metric's name."""
    debrief = make_debrief(cast, ends_at=datetime(2027, 5, 31, 17, tzinfo=UTC))
    card = capture_insight(
        cast.viewer("facilitator"),
        session=debrief.session,
        kind="customer_metric",
        text="Time from signature to first paid invoice",
    )
    client = client_for("core_team")
    panel = client.get(url(cast, f"{debrief.pk}/scorecard/")).content.decode()
    assert f'name="insight_id" value="{card.pk}"' in panel
    # Sending the form without choosing a card says so, and makes nothing.
    unchosen = client.post(url(cast, f"{debrief.pk}/scorecard/from-card/"), {}, follow=True)
    assert "Choose a customer metric card first." in unchosen.content.decode()
    made = client.post(url(cast, f"{debrief.pk}/scorecard/from-card/"), {"insight_id": card.pk})
    twice = client.post(url(cast, f"{debrief.pk}/scorecard/from-card/"), {"insight_id": card.pk})
    assert made.status_code == twice.status_code == 302
    assert made["Location"] == twice["Location"]
    assert f"scorecard/metrics/new/?debrief={debrief.pk}&card={card.pk}" in made["Location"]
    assert not ScorecardMetric.objects.exists()  # nothing until the form is saved
    page = client.get(made["Location"])
    form = page.context["form"]
    assert form.initial["name"] == "Time from signature to first paid invoice"
    assert form.initial["serves"] == [card.pk]
    assert "Nothing is saved until you add the metric" in page.content.decode()
    posted = {
        "name": form.initial["name"],
        "definition": form.initial["definition"],
        "direction": "down",
        "frequency": "monthly",
        "serves": [card.pk],
    }
    saved = client.post(made["Location"], posted)
    m = ScorecardMetric.objects.get(debrief=debrief)
    assert saved.status_code == 302
    assert (m.name, list(m.serves.all())) == ("Time from signature to first paid invoice", [card])
    panel = client.get(url(cast, f"{debrief.pk}/scorecard/")).content.decode()
    assert "missing: unit, baseline, target" in panel
    # Saving the same form again (a double click) makes no "(2)": the card is served now.
    again = client.post(made["Location"], posted, follow=True)
    assert "already served by" in again.content.decode()
    assert ScorecardMetric.objects.count() == 1
    # The card is now served: the shortcut names the metric instead of opening a form.
    served = client.post(
        url(cast, f"{debrief.pk}/scorecard/from-card/"), {"insight_id": card.pk}, follow=True
    )
    assert "already served by “Time from signature to first paid invoice”" in html.unescape(
        served.content.decode()
    )
    # Observers see the panel without the shortcut.
    assert (
        "Create a metric from the chosen card"
        not in client_for("observer").get(url(cast, f"{debrief.pk}/scorecard/")).content.decode()
    )


def test_the_program_page_links_to_its_scorecard(cast: Cast, client_for: ClientFor) -> None:
    html = (
        client_for("observer")
        .get(f"/w/{cast.acme.slug}/programs/{cast.program.pk}/")
        .content.decode()
    )
    assert f"/debriefs/programs/{cast.program.pk}/scorecard/" in html


def _page_queries(cast: Cast, client: Client, n: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    core = cast.viewer("core_team")
    have = ScorecardMetric.objects.count()
    for i in range(have, n):
        m = make_metric(cast, f"Metric {i:02d}")
        scorecards.record_measurements(
            core, entries=[Entry(m, date(2027, 1, d), Decimal(d)) for d in range(1, 29)]
        )
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url(cast, f"programs/{cast.program.pk}/scorecard/"))
    assert page.status_code == 200
    assert page.content.decode().count('class="sparkline"') == n
    return len(queries)


def test_the_scorecard_page_costs_the_same_queries_for_2_and_20_metrics(
    cast: Cast, client_for: ClientFor, django_assert_max_num_queries: Any
) -> None:
    client = client_for("core_team")
    few = _page_queries(cast, client, 2)
    many = _page_queries(cast, client, 20)
    assert few == many
    with django_assert_max_num_queries(few):
        client.get(url(cast, f"programs/{cast.program.pk}/scorecard/"))


def test_the_room_panel_is_registered_for_the_debrief_room(cast: Cast) -> None:
    from django.template.loader import render_to_string

    from traction.core import sections

    debrief = make_debrief(cast)
    make_metric(cast, debrief=debrief, unit="")
    shown = {
        s["key"]: s for s in sections.for_page("debrief-room", cast.viewer("core_team"), debrief)
    }
    panel = shown["scorecard"]
    html = render_to_string(
        panel["template"],
        {"section": panel["context"], "current_workspace": cast.acme},
    )
    assert "Metrics created in this debrief" in html
    assert "missing: unit" in html
    assert "No customer metric cards were captured in this session." in html


def test_the_scorecard_page_lists_its_metrics_a_page_at_a_time(
    cast: Cast, client_for: ClientFor
) -> None:
    from traction.debrief.views.scorecards import METRICS_PAGE

    for i in range(METRICS_PAGE + 2):
        make_metric(cast, f"Metric {i:02d}")
    client = client_for("observer")
    first = client.get(url(cast, f"programs/{cast.program.pk}/scorecard/")).content.decode()
    assert f"{METRICS_PAGE + 2} metrics, 1–{METRICS_PAGE} shown, by name." in first
    assert f"Metric {METRICS_PAGE - 1:02d}</a>" in first
    assert f"Metric {METRICS_PAGE:02d}</a>" not in first
    assert f"Page 1 of 2 ({METRICS_PAGE + 2} in all)" in first
    # Each row's link (the base reversed once, then the id) is the metric's page.
    m = ScorecardMetric.objects.get(name="Metric 00")
    assert f'href="/w/{cast.acme.slug}/debriefs/metrics/{m.pk}/">Metric 00</a>' in first
    second = client.get(
        url(cast, f"programs/{cast.program.pk}/scorecard/") + "?page=2"
    ).content.decode()
    assert f"Metric {METRICS_PAGE:02d}</a>" in second
    assert f"Metric {METRICS_PAGE + 1:02d}</a>" in second
    assert "Metric 00</a>" not in second
    # One page: no pager.
    ScorecardMetric.objects.filter(name__gte="Metric 02").delete()
    few = client.get(url(cast, f"programs/{cast.program.pk}/scorecard/")).content.decode()
    assert "2 metrics, by name." in few
    assert "Page 1 of" not in few


def test_the_room_shows_the_first_metric_cards_and_links_to_them_all(
    cast: Cast, client_for: ClientFor
) -> None:
    from traction.debrief.selectors_scorecards import CARDS_PAGE, ROOM_CARDS

    # An open debrief: a closed one offers no shortcut, so no card to choose.
    debrief = make_debrief(cast, ends_at=datetime(2027, 5, 31, 17, tzinfo=UTC))
    fran = cast.viewer("facilitator")
    cards = [
        capture_insight(
            fran, session=debrief.session, kind="customer_metric", text=f"Card number {n:02d}"
        )
        for n in range(CARDS_PAGE + 1)
    ]
    client = client_for("core_team")
    room = client.get(url(cast, f"{debrief.pk}/")).content.decode()
    assert f"Card number {ROOM_CARDS - 1:02d}" in room
    assert f"Card number {ROOM_CARDS:02d}" not in room
    assert f"{CARDS_PAGE + 1} cards" in room
    assert f"See all {CARDS_PAGE + 1} customer metric cards" in room
    assert f'href="{url(cast, f"{debrief.pk}/scorecard/")}"' in room
    # The panel's page lists them all, a page at a time, each to choose.
    first = client.get(url(cast, f"{debrief.pk}/scorecard/")).content.decode()
    assert f'name="insight_id" value="{cards[CARDS_PAGE - 1].pk}"' in first
    assert f'value="{cards[CARDS_PAGE].pk}"' not in first
    assert f"Page 1 of 2 ({CARDS_PAGE + 1} in all)" in first
    second = client.get(url(cast, f"{debrief.pk}/scorecard/") + "?page=2").content.decode()
    assert f'name="insight_id" value="{cards[CARDS_PAGE].pk}"' in second
    assert "See all" not in second


def test_the_metric_form_shows_every_problem_at_once_beside_its_field(
    cast: Cast, client_for: ClientFor
) -> None:
    """A name already taken (whatever its case), a forecast line that is no date, and a
    target date before the baseline's: all three on the first submit, each beside its
    field, in the service's (the API's) words."""
    make_metric(cast, "First invoices paid within a day")
    form = {
        "name": "first invoices paid within\u00a0a day",
        "direction": "up",
        "frequency": "monthly",
        "baseline_on": "2026-11-01",
        "target_on": "2026-10-01",
        "forecast": "2027-03-31 40\n31/06/2027 60",
    }
    page = client_for("core_team").post(
        url(cast, f"programs/{cast.program.pk}/scorecard/metrics/new/"), form
    )
    assert page.context["form"].errors == {
        "name": [
            "A metric named “First invoices paid within a day” already exists in this program."
        ],
        "forecast": ["Line 2: “31/06/2027” is not a date in the calendar."],
        "target_on": ["The target date must be after the baseline date."],
    }
    assert "is violated" not in page.content.decode()
    # No name: said by the service too, with the rest (the field is still marked required).
    page = client_for("core_team").post(
        url(cast, f"programs/{cast.program.pk}/scorecard/metrics/new/"), {**form, "name": " "}
    )
    assert page.context["form"].errors["name"] == ["Name the metric."]
    assert len(page.context["form"].errors) == 3
    assert "field-required field-text" in page.content.decode()


def test_expected_by_now_is_rounded_and_has_the_unit(cast: Cast, client_for: ClientFor) -> None:
    m = make_metric(
        cast,
        "Credit notes issued the same day",
        unit="%",
        direction="up",
        baseline="12,5",
        baseline_on=date(2026, 11, 1),
        target="80",
        target_on=date(2027, 11, 1),
    )
    scorecards.record_measurements(
        cast.viewer("core_team"), entries=[Entry(m, date(2026, 12, 1), Decimal("13.25"))]
    )
    html = client_for("observer").get(url(cast, f"metrics/{m.pk}/")).content.decode()
    assert "(expected by now: 18.05 %)" in html


def test_a_metric_made_in_a_debrief_links_back_to_its_room(
    cast: Cast, client_for: ClientFor
) -> None:
    """Adding a metric from the room lands on the metric's page: it names the debrief it was
    created in and leads back to the room's scorecard panel. A metric made on the scorecard
    page names none."""
    debrief = make_debrief(cast, ends_at=datetime(2027, 5, 31, 17, tzinfo=UTC))
    made = make_metric(cast, debrief=debrief)
    plain = make_metric(cast, name="Invoices paid on time")
    client = client_for("core_team")
    page = html.unescape(client.get(url(cast, f"metrics/{made.pk}/")).content.decode())
    room = url(cast, f"{debrief.pk}/")
    assert (
        f'<a href="{room}#room-scorecard-{debrief.pk}">the debrief of “{debrief.session.title}”</a>'
        in page
    )
    assert "Created in" not in client.get(url(cast, f"metrics/{plain.pk}/")).content.decode()


def test_the_import_page_names_the_metrics_a_file_may_use(
    cast: Cast, client_for: ClientFor
) -> None:
    """A file's metric column must spell a metric's name: the page lists the program's
    measured metrics (not the calculated ones), also beside a refusal, so a newcomer need
    not leave the page to find them; a program without one says where to add it."""
    client = client_for("core_team")
    target = url(cast, f"programs/{cast.program.pk}/scorecard/import/")
    empty = html.unescape(client.get(target).content.decode())
    assert "This program has no measured metric yet" in empty
    days = make_metric(cast)
    paid = make_metric(cast, name="Invoices paid on time", unit="%", direction="up", target=90)
    make_metric(cast, name="Share paid", numerator_id=paid.pk, denominator_id=days.pk)
    page = html.unescape(client.get(target).content.decode())
    names = page.split('id="metric-names">')[1].split("</p>")[0]
    assert "“Days to first invoice”, “Invoices paid on time”." in names
    assert "Share paid" not in names
    bad = client.post(
        target, {"file": SimpleUploadedFile("m.csv", b"metric,date,value\nNope,2027-01-01,1\n")}
    )
    refused = html.unescape(bad.content.decode())
    assert "no metric named “Nope” in this program." in refused
    assert "“Days to first invoice”, “Invoices paid on time”." in refused
