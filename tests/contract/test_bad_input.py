"""Input no route can use gets a clear 4xx from every route, web and API, never a 500.

NUL characters (PostgreSQL cannot store them), unreadable multipart bodies, deeply nested
JSON in a form field, numbers written with non-ASCII digits ("²".isdigit() is True but
int("²") fails), 25- and 5,000-digit numbers; and a bug in the API answers JSON, not HTML.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.customers.models import Customer
from traction.insights.models import ImportBatch, Insight
from traction.insights.tests.conftest import Room, build_room

pytestmark = pytest.mark.django_db

BIG = "9" * 25
HUGE = "9" * 5000
NUL_MESSAGE = "contains a NUL character, which cannot be stored; remove it."


@pytest.fixture
def room(cast: Cast) -> Room:
    return built_on(cast, build_room)


@pytest.fixture
def web(client_for: Callable[[str], Client]) -> Client:
    client = client_for("facilitator")
    client.raise_request_exception = False
    return client


@pytest.fixture
def api(api_client_for: Callable[[str], Client]) -> Client:
    client = api_client_for("facilitator")
    client.raise_request_exception = False
    return client


def customers() -> int:
    return Customer.objects.count()


# --- NUL characters -------------------------------------------------------------------------


def test_web_refuses_a_nul_in_a_query_parameter_naming_it(web: Client) -> None:
    response = web.get("/w/acme/customers/", {"q": "in\x00voice"})
    assert response.status_code == 400
    assert f"The query parameter “q” {NUL_MESSAGE}" in response.content.decode()


def test_web_refuses_a_nul_in_a_form_field_naming_it(web: Client) -> None:
    before = customers()
    response = web.post("/w/acme/customers/new/", {"name": "Evil\x00", "segment": "enterprise"})
    assert response.status_code == 400
    assert f"The form field “name” {NUL_MESSAGE}" in response.content.decode()
    assert customers() == before


def test_api_refuses_a_nul_in_a_query_parameter_or_json_field_naming_it(api: Client) -> None:
    found = api.get("/api/v1/customers", {"q": "a\x00"})
    assert found.status_code == 422
    assert found.json()["detail"][0]["loc"] == ["query", "q"]
    before = customers()
    body = {"name": "Evil", "segment": "enterprise", "notes": "ok", "region": "\x00"}
    sent = api.post("/api/v1/customers", json.dumps(body), content_type="application/json")
    assert sent.status_code == 422
    assert sent.json()["detail"][0]["loc"] == ["body", "region"]
    assert sent.json()["message"] == f"region: The field “region” {NUL_MESSAGE}"
    assert customers() == before


def test_api_refuses_a_nul_inside_a_json_form_field(room: Room, api: Client) -> None:
    response = api.post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {
            "file": SimpleUploadedFile("notes.txt", b"Gina Globex: Hello.\n"),
            "speakers": json.dumps({"Gina\x00": "-"}),  # sent as \u0000: decoded, a NUL
        },
    )
    assert response.status_code == 422
    assert response.json()["message"] == "speakers: Gina\\0: NUL characters cannot be stored."
    assert not ImportBatch.objects.exists()


# --- unreadable bodies ------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_a_multipart_body_without_a_boundary_is_a_clear_400(
    room: Room, web: Client, api: Client, content_type: str
) -> None:
    answer = api.post(
        f"/api/v1/sessions/{room.session.pk}/imports", "--x\r\n", content_type=content_type
    )
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["detail"].startswith(
        "The request body cannot be read: multipart/form-data needs a boundary"
    )
    page = web.post("/w/acme/customers/new/", "a=b", content_type=content_type)
    assert page.status_code == 400
    assert "multipart/form-data needs a boundary" in page.content.decode()


def test_deeply_nested_json_in_a_form_field_is_refused_naming_it(room: Room, api: Client) -> None:
    response = api.post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {
            "file": SimpleUploadedFile("notes.txt", b"Gina Globex: Hello.\n"),
            "speakers": "[" * 40_000 + "]" * 40_000,
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "speakers"]
    assert "nested too deeply" in response.json()["message"]
    assert not Insight.objects.exists()


def test_a_json_body_nested_thousands_deep_is_a_400_saying_so(api: Client) -> None:
    before = customers()
    for deep in (
        "[" * 100_000 + "]" * 100_000,
        '{"name": ' + '{"a":' * 50_000 + "1" + "}" * 50_001,
    ):
        sent = api.post("/api/v1/customers", deep, content_type="application/json")
        assert sent.status_code == 400
        assert sent.json()["detail"] == (
            "Cannot parse request body: it is nested too deeply; send a JSON object of fields."
        )
    sent = api.post("/api/v1/customers", "{not json", content_type="application/json")
    assert sent.json()["detail"] == "Cannot parse request body: send a JSON object."
    assert customers() == before


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [BIG, HUGE, "-" + BIG])
def test_ids_too_large_for_any_row_are_not_found(
    room: Room, web: Client, api: Client, number: str
) -> None:
    assert web.get(f"/w/acme/customers/{number}/").status_code == 404
    assert web.get(f"/w/acme/insights/sessions/{number}/import/").status_code == 404
    program = room.session.program_id
    for method, path in (
        ("GET", f"/api/v1/sessions/{number}/imports"),
        ("GET", f"/api/v1/customers/{number}"),
        # The fuzzer's find: a negative 28-digit user id overflowed SQLite (a 500).
        ("DELETE", f"/api/v1/programs/{program}/policy-makers/{number}"),
    ):
        response = api.generic(method, path)
        assert (response.status_code, response["Content-Type"]) == (404, "application/json")


@pytest.mark.parametrize(
    "path", ["/api/v1/customers", "/api/v1/programs", "/api/v1/sessions", "/api/v1/recommendations"]
)
def test_a_query_parameter_an_operation_does_not_take_is_named(
    room: Room, api: Client, path: str
) -> None:
    """A misspelt filter (``segmnt``) would otherwise be ignored and the list come back whole."""
    response = api.get(path, {"segmnt": "enterprise", "page": "1"})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", "segmnt"]]
    assert "page" in response.json()["detail"][0]["msg"]  # it lists the ones it takes
    assert api.get(path, {"page": "1"}).status_code == 200


def test_a_write_with_a_query_parameter_it_does_not_take_writes_nothing(
    room: Room, api: Client
) -> None:
    """``?dryrun=true`` (for ``dry_run``) must not be a real write."""
    before = Customer.objects.count()
    response = api.post(
        "/api/v1/customers?dryrun=true",
        {"name": "Umbrella", "segment": "enterprise", "size": "5000+", "region": "APAC"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "dryrun"]
    assert "takes none" in response.json()["detail"][0]["msg"]
    assert Customer.objects.count() == before


@pytest.mark.parametrize("number", ["²", BIG, HUGE, "-1"])
def test_numbers_in_api_queries_and_forms_are_parsed_strictly(
    room: Room, api: Client, number: str
) -> None:
    assert api.get("/api/v1/customers", {"page": number}).status_code == 422
    response = api.post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {"file": SimpleUploadedFile("notes.txt", b"Gina Globex: Hello.\n"), "scenario_id": number},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "scenario_id"]


@pytest.mark.parametrize("number", ["²", BIG + "0", HUGE, "0"])
def test_a_speaker_mapped_to_a_new_contact_of_a_strange_number_is_refused(
    room: Room, api: Client, number: str
) -> None:
    response = api.post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {
            "file": SimpleUploadedFile("notes.txt", b"Hank Newman: Hello.\n"),
            "speakers": json.dumps({"Hank Newman": f"new:{number}"}),
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "speakers"]
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("number", ["²", BIG, HUGE])
def test_the_web_import_confirm_reads_numbers_strictly(
    room: Room, web: Client, number: str
) -> None:
    url = f"/w/acme/insights/sessions/{room.session.pk}/import/"
    wall = b"text,author\nContract is long,Gina Globex\n"
    shown = web.post(url, {"file": SimpleUploadedFile("wall.csv", wall)})
    assert shown.status_code == 200
    upload = shown.context["preview"].sha256
    response = web.post(
        url + "confirm/",
        {"upload": upload, "filename": "wall.csv", "scenario": number, "column_text": number},
    )
    # Refused on the preview (the upload kept), each reason beside its chooser and never
    # the value posted; nothing is imported.
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["scenario"] == ["Choose one of the session's scenarios."]
    assert errors["column_text"] == ["Choose one of the file's columns."]
    assert number not in response.content.decode()
    assert not Insight.objects.exists()
    assert not ImportBatch.objects.exists()


# --- a bug in the API -------------------------------------------------------------------------


def test_a_bug_in_the_api_answers_json_with_an_error_id_that_is_in_the_log(
    api: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from traction.api import api as api_module

    def broken(key: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api_module, "viewer_for_bearer", broken)
    with caplog.at_level(logging.ERROR, logger="traction.api.api"):
        response = api.get("/api/v1/customers")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    error_id = body["error_id"]
    assert len(error_id) == 12
    assert body["detail"] == (
        "Something went wrong on our side; it has been logged. If you report it, quote the "
        f"error id {error_id}."
    )
    assert response["X-Error-Id"] == error_id
    logged = [r for r in caplog.records if r.name == "traction.api.api"]
    assert [r.getMessage() for r in logged] == [f"API error {error_id}: GET /api/v1/customers"]
    assert logged[0].exc_info is not None
    assert str(logged[0].exc_info[1]) == "a bug"


def test_an_unknown_api_path_or_method_answers_json_too(api: Client) -> None:
    missing = api.get("/api/v1/no-such-thing")
    assert (missing.status_code, missing["Content-Type"]) == (404, "application/json")
    assert missing.json() == {
        "detail": "Not found: there is no API operation at this path (see /api/v1/docs)."
    }
    wrong = api.put("/api/v1/customers")
    assert (wrong.status_code, wrong["Content-Type"]) == (405, "application/json")
    assert wrong.json() == {"detail": "This method is not allowed here."}
    assert "GET" in wrong["Allow"]


def test_a_form_body_over_the_limit_is_a_json_413_from_the_api(room: Room, api: Client) -> None:
    response = api.post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {
            "file": SimpleUploadedFile("notes.txt", b"Gina Globex: Hello.\n"),
            "speakers": "x" * (3 * 1024 * 1024),
        },
    )
    assert (response.status_code, response["Content-Type"]) == (413, "application/json")
    assert response.json() == {"detail": "The request body is too large: send at most 2560 KiB."}


def test_a_request_over_the_size_cap_is_a_413_naming_both_sizes_before_reading_it(
    room: Room, web: Client, api: Client, settings: Any
) -> None:
    # A file over TRACTION_MAX_REQUEST_MB is refused by its Content-Length, web and API,
    # before the body is read (never spooled to disk) and with nothing written.
    settings.TRACTION_MAX_REQUEST_MB = 1
    wall = b"text,author\n" + b"Contract is long,Gina Globex\n" * 80_000  # 2.2 MB
    page = web.post(
        f"/w/acme/insights/sessions/{room.session.pk}/import/",
        {"file": SimpleUploadedFile("wall.csv", wall)},
    )
    assert page.status_code == 413
    text = page.content.decode()
    assert "The request is 2.2 MB; Traction accepts at most 1 MB in one request" in text
    assert "Split the file into smaller ones" in text
    answer = api.post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {"file": SimpleUploadedFile("wall.csv", wall)},
    )
    assert (answer.status_code, answer["Content-Type"]) == (413, "application/json")
    assert answer.json()["detail"].startswith("The request is 2.2 MB; Traction accepts at most")
    assert not Insight.objects.exists()
    assert not ImportBatch.objects.exists()
    # Under the cap, the same route reads the file as before.
    settings.TRACTION_MAX_REQUEST_MB = 30
    shown = web.post(
        f"/w/acme/insights/sessions/{room.session.pk}/import/",
        {"file": SimpleUploadedFile("wall.csv", wall)},
    )
    assert shown.status_code == 200


def test_a_huge_upload_is_answered_413_without_waiting_for_its_body(
    live_server: Any, transactional_db: None
) -> None:
    # Over a real socket: headers announcing 10 GB and not one byte of body. The answer
    # comes at once; were the body read first, this would wait for bytes that never come.
    url = urlsplit(live_server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(
            b"POST /w/acme/customers/new/ HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 10737418240\r\n\r\n"
        )
        head = conn.recv(65536).decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head[:200]


def test_a_content_length_that_is_not_a_number_is_a_400(web: Client) -> None:
    page = web.post("/w/acme/customers/new/", {"name": "X"}, CONTENT_LENGTH="lots")
    assert page.status_code == 400
    assert "The Content-Length header is not a number of bytes." in page.content.decode()


def test_the_api_flow_refuse_then_keep_inserts_the_rows_once(room: Room, api: Client) -> None:
    # The documented flow: a 422 listing the unmatched names, then the same upload with
    # unmatched=keep. The refusal comes before any row is written, not after a rollback.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    data = b"Hank Newman: I sign.\nGina Globex: Approval is slow.\n"
    url = f"/api/v1/sessions/{room.session.pk}/imports"
    with CaptureQueriesContext(connection) as seen:
        refused = api.post(url, {"file": SimpleUploadedFile("call.txt", data)})
        kept = api.post(url, {"file": SimpleUploadedFile("call.txt", data), "unmatched": "keep"})
    assert (refused.status_code, kept.status_code) == (422, 201)
    into = [
        q["sql"] for q in seen.captured_queries if 'INSERT INTO "insights_insight" ' in q["sql"]
    ]
    assert len(into) == 1  # one chunk of two rows (one bulk_create), once
    assert Insight.objects.filter(session=room.session).count() == 2


def test_a_nul_in_the_address_is_refused(room: Room, web: Client, api: Client) -> None:
    page = web.get("/rsvp/abc%00def/")
    assert page.status_code == 400
    assert "The address contains a NUL character" in page.content.decode()
    answer = api.get("/api/v1/customers/1%00")
    assert (answer.status_code, answer["Content-Type"]) == (400, "application/json")


def test_a_forecast_point_with_a_field_it_does_not_take_is_refused_naming_it(
    cast: Cast, api_client_for: Callable[[str], Client]
) -> None:
    # Attacker's review: objects nested in a body were not all strict.
    from traction.debrief.models import ScorecardMetric

    response = api_client_for("core_team").post(
        f"/api/v1/programs/{cast.program.pk}/metrics",
        {"name": "Days to value", "forecast": [{"on": "2027-06-30", "value": 8, "colour": "red"}]},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "forecast", 0, "colour"]]
    assert not ScorecardMetric.objects.exists()


def test_a_lone_surrogate_in_any_json_string_is_refused_naming_it(room: Room, api: Client) -> None:
    # Attacker's review: "\ud800" is valid JSON but no text, and the database cannot encode
    # it. A plain string field (an insight's speaker, not typed as text) refuses it too.
    body = '{"kind": "outcome", "text": "Slow", "speaker": "Gina \\ud800"}'
    sent = api.post(
        f"/api/v1/sessions/{room.session.pk}/insights", body, content_type="application/json"
    )
    assert sent.status_code == 422, sent.content
    assert sent.json()["detail"][0]["loc"] == ["body", "speaker"]
    assert "unicode string" in sent.json()["message"]
    assert not Insight.objects.filter(text="Slow").exists()
    # A pair of surrogates is one character (here 😀), taken as it is.
    fine = '{"kind": "outcome", "text": "Slow \\ud83d\\ude00"}'
    taken = api.post(
        f"/api/v1/sessions/{room.session.pk}/insights", fine, content_type="application/json"
    )
    assert taken.status_code == 201, taken.content
    assert Insight.objects.get(pk=taken.json()["id"]).text == "Slow \U0001f600"


def test_a_delivery_naming_too_many_priorities_is_refused_at_the_field(
    cast: Cast, api_client_for: Callable[[str], Client]
) -> None:
    # Attacker's review: a body of 300,000 priority ids (2 MB, under the body limit) was one
    # database query with a variable per id, over SQLite's limit: a 500.
    from traction.loop.models import Delivery

    api = api_client_for("facilitator")
    api.raise_request_exception = False
    path = f"/api/v1/programs/{cast.program.pk}/deliveries"
    body = {"on": "2020-01-01", "title": "Big", "priority_ids": list(range(1, 300_001))}
    sent = api.post(path, json.dumps(body), content_type="application/json")
    assert sent.status_code == 422, sent.content[:300]
    assert sent.json()["detail"][0]["loc"] == ["body", "priority_ids"]
    assert "300,000" in sent.json()["message"]
    # Under the cap, unknown ids are named, a few of them, not all.
    body = {"on": "2020-01-01", "title": "Big", "priority_ids": list(range(10**6, 10**6 + 100))}
    sent = api.post(path, json.dumps(body), content_type="application/json")
    assert sent.status_code == 422, sent.content[:300]
    assert len(sent.content) < 2000
    assert "and 90 more" in sent.json()["message"]
    assert not Delivery.objects.exists()
