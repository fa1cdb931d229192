"""The scorecard API: metrics (409 on a stale version), measurements one by one (idempotent
upsert), in bulk and by CSV (all or nothing), the scorecard summary and checkpoints."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.models import Measurement, ScorecardMetric
from traction.debrief.services import scorecards
from traction.programs.models import ProgramMember

from .scorecard_helpers import Sink, make_debrief, make_metric

pytestmark = pytest.mark.django_db

API = "/api/v1"
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
ApiClientFor = Callable[[str], Client]


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with clock.frozen(NOW) as frozen:
        yield frozen


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    data = "" if body is None else json.dumps(body)
    return client.generic(method, API + url, data, content_type="application/json")


def test_metric_crud_with_conflicts(cast: Cast, api_client_for: ApiClientFor) -> None:
    core = api_client_for("core_team")
    created = send(
        core,
        "POST",
        f"/programs/{cast.program.pk}/metrics",
        {
            "name": "Days to first invoice",
            "definition": "Signing to first paid invoice.",
            "unit": "days",
            "direction": "down",
            "baseline": 14,
            "baseline_on": "2027-01-01",
            "target": "1.5",
            "target_on": "2027-12-31",
            "forecast": [{"on": "2027-06-30", "value": 8}],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["ready"] is True
    assert body["missing"] == []
    assert body["forecast"] == [{"on": "2027-06-30", "value": "8"}]
    metric_id = body["id"]
    first = send(core, "PATCH", f"/metrics/{metric_id}", {"unit": "working days", "version": 1})
    assert first.status_code == 200
    assert first.json()["version"] == 2
    stale = send(core, "PATCH", f"/metrics/{metric_id}", {"unit": "hours", "version": 1})
    assert stale.status_code == 409
    assert ScorecardMetric.objects.get().unit == "working days"
    wrong = send(core, "PATCH", f"/metrics/{metric_id}", {"target": 40})
    assert wrong.status_code == 422
    assert "Lower is better" in wrong.content.decode()
    cleared = send(core, "PATCH", f"/metrics/{metric_id}", {"baseline": None})
    assert cleared.json()["missing"] == ["baseline"]
    assert send(api_client_for("observer"), "GET", f"/metrics/{metric_id}").status_code == 200
    assert (
        send(
            api_client_for("observer"), "PATCH", f"/metrics/{metric_id}", {"unit": "x"}
        ).status_code
        == 403
    )
    archived = send(
        core, "POST", f"/metrics/{metric_id}/archive", {"version": cleared.json()["version"]}
    )
    assert archived.status_code == 200, archived.content
    assert archived.json()["archived_at"] is not None


def test_an_observer_cannot_own_a_metric(cast: Cast, api_client_for: ApiClientFor) -> None:
    refused = send(
        api_client_for("sponsor"),
        "POST",
        f"/programs/{cast.program.pk}/metrics",
        {"name": "Owned by Olive", "owner_id": cast.users["observer"].pk},
    )
    assert refused.status_code == 422, refused.content
    (error,) = refused.json()["detail"]
    assert error["loc"][-1] == "owner_id"
    assert "Observers change nothing" in error["msg"]
    assert not ScorecardMetric.objects.exists()


def test_measurements_one_by_one_are_an_idempotent_upsert(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    m = make_metric(cast)
    client = api_client_for("account_owner")  # not in the program: may not measure
    assert (
        send(
            client, "POST", f"/metrics/{m.pk}/measurements", {"on": "2027-05-01", "value": 3}
        ).status_code
        == 404
    )
    core = api_client_for("core_team")
    with Sink() as sink:
        first = send(
            core, "POST", f"/metrics/{m.pk}/measurements", {"on": "2027-05-01", "value": 9}
        )
        same = send(core, "POST", f"/metrics/{m.pk}/measurements", {"on": "2027-05-01", "value": 9})
        fixed = send(
            core,
            "POST",
            f"/metrics/{m.pk}/measurements",
            {"on": "2027-05-01", "value": "8.25", "note": "Recount"},
        )
    assert (first.status_code, same.status_code, fixed.status_code) == (201, 200, 200)
    assert fixed.json()["value"] == "8.25"
    assert fixed.json()["source"] == "api"
    assert len(sink.events) == 2  # the repeat changed nothing and announced nothing
    assert Measurement.objects.count() == 1
    bad = send(
        core, "POST", f"/metrics/{m.pk}/measurements", {"on": "2027-05-01", "value": "1.23456"}
    )
    assert bad.status_code == 422
    ancient = send(core, "POST", f"/metrics/{m.pk}/measurements", {"on": "0001-01-01", "value": 3})
    assert ancient.status_code == 422
    assert "before 1 January 2000" in ancient.content.decode()
    # The error names the field sent ("on"), not the bulk call's "measurements".
    assert ancient.json()["detail"][0]["loc"] == ["body", "on"]
    future = send(core, "POST", f"/metrics/{m.pk}/measurements", {"on": "2099-09-01", "value": 3})
    assert future.json()["detail"][0]["loc"] == ["body", "on"]
    listed = send(core, "GET", f"/metrics/{m.pk}/measurements")
    assert [row["value"] for row in listed.json()["items"]] == ["8.25"]


@pytest.mark.parametrize("value", ["1e400", "-1e400", "null", "true", "false", "[1]", '{"a": 1}'])
def test_a_value_that_is_not_a_number_gets_one_message_naming_value(
    cast: Cast, api_client_for: ApiClientFor, value: str
) -> None:
    m = make_metric(cast)
    core = api_client_for("core_team")
    # Raw JSON: 1e400 is read as infinity by JSON readers; json.dumps cannot write it.
    body = '{"on": "2027-05-01", "value": VALUE}'.replace("VALUE", value)
    one = core.post(f"{API}/metrics/{m.pk}/measurements", body, content_type="application/json")
    assert one.status_code == 422, one.content
    (error,) = one.json()["detail"]
    assert error["loc"][-1] == "value"
    assert "a number with at most 4 decimals" in error["msg"]
    assert "inf" not in error["msg"]
    assert one.json()["message"].startswith("value: ")
    bulk = core.post(
        f"{API}/programs/{cast.program.pk}/measurements",
        '{"measurements": [{"metric_id": ID, "on": "2027-05-01", "value": VALUE}]}'.replace(
            "ID", str(m.pk)
        ).replace("VALUE", value),
        content_type="application/json",
    )
    assert bulk.status_code == 422, bulk.content
    assert not Measurement.objects.exists()


def test_an_account_owner_who_sees_a_metric_but_may_not_measure_it_is_told_so(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    m = make_metric(cast)
    ProgramMember.objects.create(
        program=cast.program, user=cast.users["account_owner"], kind="observer"
    )
    owner = api_client_for("account_owner")  # in the program: reads it, owns no metric
    assert send(owner, "GET", f"/metrics/{m.pk}").status_code == 200
    refused = send(owner, "POST", f"/metrics/{m.pk}/measurements", {"on": "2027-05-01", "value": 3})
    assert refused.status_code == 403, refused.content
    assert not Measurement.objects.exists()


def test_bulk_upsert_is_all_or_nothing(cast: Cast, api_client_for: ApiClientFor) -> None:
    m = make_metric(cast)
    other = scorecards.create_metric(
        cast.viewer("facilitator"), program=cast.other_program, name="Elsewhere"
    )
    core = api_client_for("core_team")
    url = f"/programs/{cast.program.pk}/measurements"
    refused = send(
        core,
        "POST",
        url,
        {
            "measurements": [
                {"metric_id": m.pk, "on": "2027-01-31", "value": 12},
                {"metric_id": other.pk, "on": "2027-01-31", "value": 1},
                {"metric_id": m.pk, "on": "2027-01-31", "value": 11},
            ]
        },
    )
    assert refused.status_code == 422
    text = refused.content.decode()
    assert f"Item 2: no metric {other.pk} in this program." in text
    assert not Measurement.objects.exists()
    items = [{"metric_id": m.pk, "on": f"2027-0{i}-01", "value": 10 - i} for i in range(1, 5)]
    done = send(core, "POST", url, {"measurements": items})
    assert done.json() == {
        "created": 4,
        "corrected": 0,
        "unchanged": 0,
        "dry_run": False,
        "warnings": [],
    }
    items[0]["value"] = 1
    again = send(core, "POST", url, {"measurements": items})
    assert again.json() == {
        "created": 0,
        "corrected": 1,
        "unchanged": 3,
        "dry_run": False,
        "warnings": [],
    }
    assert Measurement.objects.count() == 4


def test_csv_import_endpoint(cast: Cast, api_client_for: ApiClientFor) -> None:
    make_metric(cast)
    core = api_client_for("core_team")
    url = f"{API}/programs/{cast.program.pk}/measurements/import"
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = core.post(
        url, {"file": SimpleUploadedFile("m.csv", b"metric,date,value\nNope,2027-01-01,1\n")}
    )
    assert bad.status_code == 422
    assert "Line 2: no metric named “Nope” in this program." in bad.content.decode()
    good = b"metric,date,value\nDays to first invoice,2027-01-01,12\n"
    preview = core.post(url + "?dry_run=true", {"file": SimpleUploadedFile("m.csv", good)})
    assert preview.json() == {
        "created": 1,
        "corrected": 0,
        "unchanged": 0,
        "dry_run": True,
        "warnings": [],
    }
    assert not Measurement.objects.exists()
    done = core.post(url, {"file": SimpleUploadedFile("m.csv", good)})
    assert done.json()["created"] == 1
    assert core.post(url, {}).status_code == 422


PERCENT = (
    "the value has a “%” and is read as {value}, but “Days to first invoice” is measured {unit}."
)


def test_a_value_with_a_percent_sign_is_warned_of_in_every_api_answer(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    """As the web import's preview: "45%" for a metric not measured in % is read as 45 and
    accepted, and the answer says so where it was written (the value, the item, the line)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    m = make_metric(cast)
    assert "%" not in m.unit
    unit = f"in {m.unit}" if m.unit else "without a unit"
    core = api_client_for("core_team")
    one = send(core, "POST", f"/metrics/{m.pk}/measurements", {"on": "2027-05-01", "value": "45%"})
    assert one.status_code == 201
    assert one.json()["value"] == "45"
    assert one.json()["warnings"] == ["value: " + PERCENT.format(value="45", unit=unit)]
    plain = send(core, "POST", f"/metrics/{m.pk}/measurements", {"on": "2027-05-01", "value": 45})
    assert plain.json()["warnings"] == []
    bulk = send(
        core,
        "POST",
        f"/programs/{cast.program.pk}/measurements",
        {
            "measurements": [
                {"metric_id": m.pk, "on": "2027-05-02", "value": 7},
                {"metric_id": m.pk, "on": "2027-05-03", "value": "12,5 %"},
            ],
            "dry_run": True,
        },
    )
    assert bulk.status_code == 200
    assert bulk.json()["warnings"] == ["Item 2: " + PERCENT.format(value="12.5", unit=unit)]
    url = f"{API}/programs/{cast.program.pk}/measurements/import?dry_run=true"
    csv = (
        b"metric,date,value\n"
        b"Days to first invoice,2027-05-04,1\n"
        b"Days to first invoice,2027-05-05,30%\n"
    )
    imported = core.post(url, {"file": SimpleUploadedFile("m.csv", csv)})
    assert imported.status_code == 200
    assert imported.json()["warnings"] == ["Line 3: " + PERCENT.format(value="30", unit=unit)]
    # A metric measured in % has nothing to warn of.
    ScorecardMetric.objects.filter(pk=m.pk).update(unit="%")
    again = send(
        core, "POST", f"/metrics/{m.pk}/measurements", {"on": "2027-05-06", "value": "45%"}
    )
    assert again.json()["warnings"] == []


def test_scorecard_summary_and_checkpoints(cast: Cast, api_client_for: ApiClientFor) -> None:
    debrief = make_debrief(cast, ends_at=datetime(2027, 1, 31, 17, tzinfo=UTC), closed=True)
    m = make_metric(cast)
    make_metric(cast, "Straight line", baseline_on=date(2027, 1, 1), target_on=date(2028, 1, 1))
    scorecards.record_measurement(
        cast.viewer("core_team"), metric=m, on=date(2027, 4, 1), value="7.5"
    )
    scorecards.ensure_checkpoints(debrief)
    client = api_client_for("observer")
    summary = send(client, "GET", f"/programs/{cast.program.pk}/scorecard").json()
    assert summary["metrics"][1]["name"] == "Straight line"
    del summary["metrics"][1]
    assert summary["metrics"] == [
        {
            "id": m.pk,
            "name": "Days to first invoice",
            "unit": "days",
            "direction": "down",
            "calculated": False,
            "baseline": "14",
            "target": "1",
            "target_on": None,
            "latest": "7.5",
            "latest_on": "2027-04-01",
            "progress_percent": 50,
            "status": "on_track",
            "ready": True,
            "missing": [],
        }
    ]
    assert [c["on"] for c in summary["checkpoints"]] == ["2027-04-30", "2027-07-31", "2028-01-31"]
    cp_id = summary["checkpoints"][0]["id"]
    report = send(client, "GET", f"/checkpoints/{cp_id}").json()
    assert report["rows"][0]["actual"] == "7.5"
    # The forecast read on the day (14 → 1 over 2027: 9.7616… on 30 April), rounded like the
    # numbers it is read between (review 20 finding 14), not 28 decimals.
    assert report["rows"][1]["name"] == "Straight line"
    assert report["rows"][1]["forecast"] == "10"
    assert report["session_id"] == debrief.session_id
    assert send(api_client_for("account_owner"), "GET", f"/checkpoints/{cp_id}").status_code == 404
    listed = send(client, "GET", f"/programs/{cast.program.pk}/checkpoints").json()
    assert listed["count"] == 3
    assert [c["months"] for c in listed["items"]] == [3, 6, 12]  # soonest first
    assert Decimal(report["rows"][0]["target"]) == Decimal(1)


def test_a_duplicate_metric_name_is_refused_on_the_name(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    make_metric(cast, "Credit notes issued the same day")
    core = api_client_for("core_team")
    for typed in ("credit notes issued the same day ", "Credit\u00a0notes issued the same day"):
        refused = send(core, "POST", f"/programs/{cast.program.pk}/metrics", {"name": typed})
        assert refused.status_code == 422
        [error] = refused.json()["detail"]
        assert error["loc"] == ["body", "name"]
        assert error["msg"] == (
            "A metric named “Credit notes issued the same day” already exists in this program."
        )
    assert ScorecardMetric.objects.count() == 1
