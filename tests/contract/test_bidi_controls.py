"""Bidirectional controls (U+202A–U+202E, U+2066–U+2069; review 20): invisible, they reorder
what follows them ("Trojan Source"), so a text holding U+202E shows reversed on the map, the
ballot, exports and email. Refused in every input, naming where: the API's bodies and query
parameters (422, ``loc``), the web's query parameters (400), a web form's field (beside it,
what was typed kept), an imported file's line. Right-to-left text (Arabic, Hebrew) and the
marks U+200E/U+200F stay allowed. Output no HTML protects (CSV/XLSX cells, mail, .ics) drops
them, for text stored before the rule."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from openpyxl import load_workbook

from traction.core import mail as outbound
from traction.core.errors import ValidationFailed
from traction.core.tasks import deliver_email
from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.core.text import bidi_control, bidi_message, without_bidi_controls
from traction.customers.models import Customer
from traction.insights import exports, imports
from traction.insights.models import ImportBatch, Insight
from traction.insights.services import capture_insight
from traction.insights.tests.conftest import Room, build_room
from traction.loop.models import Delivery
from traction.portal import behalf
from traction.sessions import calendar

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
REFUSED = bidi_message(RLO)
ARABIC = "\u200fشركة النور"  # an RLM mark, then Arabic: allowed
HEBREW = "חברת האור"


@pytest.fixture
def room(cast: Cast) -> Room:
    return built_on(cast, build_room)


@pytest.fixture
def web(client_for: Callable[[str], Client]) -> Client:
    return client_for("facilitator")


@pytest.fixture
def api(api_client_for: Callable[[str], Client]) -> Client:
    return api_client_for("facilitator")


def test_the_rule_knows_the_nine_controls_and_lets_marks_and_rtl_scripts_through() -> None:
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
        assert bidi_control(f"a{ch}b") == ch
        assert without_bidi_controls(f"a{ch}b") == "ab"
    for fine in (ARABIC, HEBREW, "\u200eLTR mark", "\u061c", "plain ascii", ""):
        assert bidi_control(fine) is None
        assert without_bidi_controls(fine) == fine


# --- the API: bodies and query parameters ---------------------------------------------------


@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["escaped", "utf8"])
def test_the_api_refuses_a_control_in_a_json_field_naming_it(
    api: Client, ensure_ascii: bool
) -> None:
    before = Customer.objects.count()
    body = {"name": "Evil", "segment": "enterprise", "region": f"EM{RLO}EA"}
    sent = api.post(
        "/api/v1/customers",
        json.dumps(body, ensure_ascii=ensure_ascii),
        content_type="application/json",
    )
    assert sent.status_code == 422, sent.content
    assert [(e["loc"], e["msg"]) for e in sent.json()["detail"]] == [
        (["body", "region"], f"The field “region”: {REFUSED}")
    ]
    assert Customer.objects.count() == before


def test_the_api_refuses_a_control_nested_in_a_list(room: Room, api: Client) -> None:
    sent = api.post(
        f"/api/v1/sessions/{room.session.pk}/insights",
        json.dumps({"kind": "issue", "text": "Fine", "tags": ["ok", f"x{RLO}"]}),
        content_type="application/json",
    )
    assert sent.status_code == 422, sent.content
    assert sent.json()["detail"][0]["loc"] == ["body", "tags", 1]
    assert not Insight.objects.filter(session=room.session).exists()


def test_the_api_refuses_a_control_in_a_query_parameter(api: Client) -> None:
    found = api.get("/api/v1/customers", {"q": f"glo{RLO}bex"})
    assert found.status_code == 422
    assert found.json()["detail"][0]["loc"] == ["query", "q"]
    assert REFUSED in found.json()["detail"][0]["msg"]


def test_right_to_left_text_is_taken_as_it_is(api: Client) -> None:
    body = {"name": ARABIC, "segment": "enterprise", "notes": HEBREW}
    sent = api.post("/api/v1/customers", json.dumps(body), content_type="application/json")
    assert sent.status_code == 201, sent.content
    stored = Customer.objects.get(pk=sent.json()["id"])
    assert (stored.name, stored.notes) == (ARABIC, HEBREW)
    assert api.get("/api/v1/customers", {"q": HEBREW}).status_code == 200


# --- the web: query parameters, form fields ---------------------------------------------------


def test_the_web_refuses_a_control_in_a_query_parameter_naming_it(web: Client) -> None:
    page = web.get("/w/acme/customers/", {"q": f"in{RLO}voice"})
    assert page.status_code == 400
    assert f"The query parameter “q”: {REFUSED}" in page.content.decode()


def test_a_web_form_shows_the_refusal_beside_the_field_and_keeps_the_text(web: Client) -> None:
    before = Customer.objects.count()
    typed = f"Globex {RLO}lanigiro"
    page = web.post("/w/acme/customers/new/", {"name": typed, "segment": "enterprise"})
    assert page.status_code == 200
    form = page.context["form"]
    assert form.errors["name"] == [REFUSED]
    assert form["name"].value() == typed
    assert Customer.objects.count() == before
    made = web.post("/w/acme/customers/new/", {"name": ARABIC, "segment": "enterprise"})
    assert made.status_code == 302
    assert Customer.objects.filter(name=ARABIC).exists()


def test_a_control_stored_before_the_rule_keeps_the_row_editable(cast: Cast, web: Client) -> None:
    old = f"Globex {RLO}dlo"
    Customer.objects.filter(pk=cast.customer.pk).update(name=old)
    edit = f"/w/acme/customers/{cast.customer.pk}/edit/"
    form = web.get(edit).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    page = web.post(edit, {**data, "region": "APAC"})
    assert page.status_code == 302, page.context["form"].errors
    assert Customer.objects.get(pk=cast.customer.pk).region == "APAC"


def test_text_posted_outside_a_form_is_refused_by_its_service(room: Room) -> None:
    with pytest.raises(ValidationFailed) as refused:
        behalf.withdraw(room.cast.viewer("facilitator"), "insight", 1, reason=f"asked{RLO}")
    assert refused.value.errors == {"reason": [REFUSED]}


def test_a_mail_providers_report_is_not_refused(client: Client) -> None:
    # Nobody typed it: the hook answers for its own reasons (here: no such address), never
    # with the guard's refusal.
    answer = client.post(
        "/hooks/mail/postmark/nope/?x=" + RLO, "{}", content_type="application/json"
    )
    assert "bidirectional" not in answer.content.decode()


# --- imported files: refused at the line -------------------------------------------------------


def test_an_imported_transcript_is_refused_at_the_line_holding_a_control(room: Room) -> None:
    content = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nGina Globex: fine\n\n"
        f"00:00:03.000 --> 00:00:04.000\nGina Globex: {RLO}desrever\n"
    )
    with pytest.raises(ValidationFailed) as refused:
        imports.import_file(
            room.cast.viewer("core_team"),
            session=room.session,
            stream=io.BytesIO(content.encode()),
            filename="call.vtt",
        )
    assert refused.value.errors["file"] == [f"Line 7: {bidi_message(RLO, 'This line')}"]
    assert not ImportBatch.objects.exists()


def test_the_import_api_names_the_line(room: Room, api: Client) -> None:
    data = f"text,author\nFine,Gina\nAlso {RLO}fine,Gina\n".encode()
    answer = api.post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {"file": SimpleUploadedFile("wall.csv", data)},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "file"]
    assert answer.json()["message"].startswith("file: Line 3: This line contains an invisible")
    assert not ImportBatch.objects.exists()


def test_a_deliveries_csv_is_refused_at_the_line(cast: Cast, api: Client) -> None:
    data = f"date,title\n2027-01-09,Fine\r\n2027-01-10,Re{RLO}lease\r\n".encode()
    answer = api.post(
        f"/api/v1/programs/{cast.program.pk}/deliveries/import",
        {"file": SimpleUploadedFile("d.csv", data)},
    )
    assert answer.status_code in (400, 422), answer.content
    assert f"Line 3: {bidi_message(RLO, 'This line')}" in answer.content.decode()
    assert not Delivery.objects.exists()


# --- output no HTML protects: text stored before the rule -----------------------------------


def test_exports_drop_controls_from_old_text(room: Room) -> None:
    insight = capture_insight(
        room.cast.viewer("facilitator"), session=room.session, kind="issue", text="Old"
    )
    Insight.objects.filter(pk=insight.pk).update(text=f"=1+1 {RLO}tset")  # stored before
    insight.refresh_from_db()
    table = exports.insights_table([insight])
    text = exports.csv_bytes(table).decode("utf-8-sig")
    assert RLO not in text
    assert "tset" in text
    book = load_workbook(io.BytesIO(exports.xlsx_bytes(exports.insights_table([insight]))))
    cells = [c.value for row in book.active.iter_rows() for c in row]
    assert not any(isinstance(v, str) and RLO in v for v in cells)
    assert exports.neutralise(f"{RLO}=cmd") == "'=cmd"  # dropped first: still a formula


def test_mail_and_calendar_files_drop_controls(room: Room) -> None:
    session = room.session
    session.title = f"Onboarding {RLO}ngised"
    ics = calendar.build_ics(
        session,
        method="REQUEST",
        attendees=[],
        organizer_email="fran@acme.test",
        organizer_name="Fran",
    )
    assert RLO.encode() not in ics
    assert b"ngised" in ics

    message = EmailMultiAlternatives(f"Re: {RLO}olleh", f"Body {RLO}txet", to=["a@example.test"])
    message.attach_alternative(f"<p>{RLO}lmth</p>", "text/html")
    outbound.outgoing(message).send()
    deliver_email.call(f"Plain {RLO}tcejbus", f"{RLO}ydob", ["b@example.test"])
    sent = mail.outbox[-2:]
    assert [m.subject for m in sent] == ["Re: olleh", "Plain tcejbus"]
    assert [m.body for m in sent] == ["Body txet", "ydob"]
    assert sent[0].alternatives[0].content == "<p>lmth</p>"
    assert RLO not in sent[0].message().as_string()
