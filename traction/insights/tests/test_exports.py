"""Exports (issue 11): a session's insights, a search's insights and a session's ranking as
CSV and XLSX, read back with the csv module and openpyxl and compared with the API's data."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from openpyxl import load_workbook

from traction.core.testing.cast import Cast
from traction.core.testing.snapshot import built_on
from traction.customers.models import Customer
from traction.insights import exports
from traction.insights import services as insight_services
from traction.insights.tests.test_scoping import owen_owns_globex_only
from traction.sessions import services as session_services
from traction.voting import exports as voting_exports
from traction.voting import services as voting
from traction.voting.tests.test_voting import Room, add, api_client, build_room, call, web

pytestmark = pytest.mark.django_db

TODAY = dt.datetime.now(dt.UTC).date().isoformat()
HEADER = [c.title for c in exports.INSIGHT_COLUMNS]


@pytest.fixture
def room(cast: Cast) -> Room:
    return built_on(cast, build_room)


def body(response: Any) -> bytes:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)  # type: ignore[arg-type]
    return bytes(response.content)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes) -> tuple[Any, list[list[Any]]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    return sheet, rows


def page(cast: Cast, room: Room, name: str) -> str:
    return f"/w/{cast.acme.slug}/insights/sessions/{room.session.pk}/{name}"


def test_a_session_export_holds_the_api_s_insights_cell_for_cell(cast: Cast, room: Room) -> None:
    fran = cast.viewer("facilitator")
    step = room.cards["mot"].step
    note = insight_services.capture_insight(
        fran, session=room.session, kind="quote", text="Nobody reads the manual", speaker=""
    )
    client = web(cast)
    response = client.get(page(cast, room, "map/export/"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="voting-session-insights-{TODAY}.csv"'
    )
    rows = read_csv(body(response))
    assert rows[0] == HEADER
    status, api = call(
        api_client(cast, "facilitator"), "GET", f"/sessions/{room.session.pk}/insights"
    )
    assert status == 200
    assert [int(r[0]) for r in rows[1:]] == [i["id"] for i in api["items"]]
    assert [r[5] for r in rows[1:]] == [i["text"] for i in api["items"]]
    c = room.cards
    when = {
        i.pk: i.created_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        for i in [*c.values(), note]
    }
    blue, sign_up = "Team Blue", step.title if step else ""
    assert sign_up == "Sign up"
    assert rows[1:] == [
        [str(c["mot"].pk), "Voting session", blue, sign_up, "Moment of truth",
         "The first invoice arrives", "Customer", "Gina Globex", "Globex", "", "Accepted",
         when[c["mot"].pk]],
        [str(c["issue"].pk), "Voting session", blue, sign_up, "Issue",
         "Approval takes three weeks", "Customer", "Ian Initech", "Initech", "", "Accepted",
         when[c["issue"].pk]],
        [str(c["idea"].pk), "Voting session", blue, sign_up, "Idea", "Let us pay by card",
         "Customer", "Gus Globex", "Globex", "", "Accepted", when[c["idea"].pk]],
        [str(c["issue2"].pk), "Voting session", blue, sign_up, "Issue",
         "Nobody answers the phone", "Customer", "Iris Initech", "Initech", "", "Accepted",
         when[c["issue2"].pk]],
        [str(c["internal"].pk), "Voting session", blue, sign_up, "Issue", "Our tool is slow",
         "Internal remark", rows[5][7], "", "", "Accepted", when[c["internal"].pk]],
        [str(c["quote"].pk), "Voting session", blue, sign_up, "Quote", "We print every invoice",
         "Customer", "Gina Globex", "Globex", "", "Accepted", when[c["quote"].pk]],
        [str(note.pk), "Voting session", "", "", "Quote", "Nobody reads the manual",
         "Unattributed note", "", "", "", "Accepted", when[note.pk]],
    ]  # fmt: skip
    assert rows[5][7] == cast.users["core_team"].full_name
    # The same rows in the XLSX, numbers as numbers and moments as dates (not text), with a
    # frozen header and set widths.
    response = client.get(page(cast, room, "map/export/"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"] == (
        f'attachment; filename="voting-session-insights-{TODAY}.xlsx"'
    )
    sheet, cells = read_xlsx(body(response))
    assert cells[0] == HEADER
    moment = "%Y-%m-%d %H:%M:%S"
    assert cells[1:] == [
        [int(r[0]), *r[1:-1], dt.datetime.strptime(r[-1], moment)] for r in rows[1:]
    ]
    captured = sheet["L2"]
    assert captured.is_date
    assert captured.number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width == 70
    assert sheet["A1"].font.b is True


def test_formulas_are_neutralised_in_csv_and_xlsx(cast: Cast, room: Room) -> None:
    fran = cast.viewer("facilitator")
    texts = ['=HYPERLINK("http://evil.test")', "+1+1", "-2+3", "@SUM(A1)", "a = b"]
    for text in texts:
        insight_services.capture_insight(
            fran, session=room.session, kind="quote", text=text, speaker=f"c:{room.gina.pk}"
        )
    client = web(cast)
    rows = read_csv(body(client.get(page(cast, room, "map/export/"))))
    want = ['\'=HYPERLINK("http://evil.test")', "'+1+1", "'-2+3", "'@SUM(A1)", "a = b"]
    assert [r[5] for r in rows[-5:]] == want
    sheet, cells = read_xlsx(body(client.get(page(cast, room, "map/export/?format=xlsx"))))
    assert [r[5] for r in cells[-5:]] == want
    # No cell of the sheet is a formula.
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    # Tabs and carriage returns too (the capture form trims them, an import may not).
    assert exports.neutralise("\tcmd") == "'\tcmd"
    assert exports.neutralise("\rcmd") == "'\rcmd"
    assert exports.neutralise(-5) == -5
    assert exports.neutralise("") == ""


def test_control_characters_are_dropped_so_the_xlsx_is_written(cast: Cast, room: Room) -> None:
    # Text pasted from Word or a terminal: a vertical tab (Word's line break), an escape
    # sequence, a bell. XML cannot hold them: openpyxl refused the whole file (a 500).
    fran = cast.viewer("facilitator")
    insight_services.capture_insight(
        fran,
        session=room.session,
        kind="quote",
        text="Pasted\vfrom Word \x1b[1mbold\x1b[0m\x07, 日本語 🎉",
        speaker="",
    )
    insight_services.capture_insight(
        fran, session=room.session, kind="quote", text="\x01=cmd", speaker=""
    )
    want = ["Pasted\nfrom Word [1mbold[0m, 日本語 🎉", "'=cmd"]
    client = web(cast)
    response = client.get(page(cast, room, "map/export/"), {"format": "xlsx"})
    assert response.status_code == 200
    _, cells = read_xlsx(body(response))
    assert [r[5] for r in cells[-2:]] == want
    rows = read_csv(body(client.get(page(cast, room, "map/export/"))))
    assert [r[5] for r in rows[-2:]] == want


def test_an_account_owner_exports_only_their_customers_words(cast: Cast, room: Room) -> None:
    owen_owns_globex_only(cast)
    session_services.add_participant(
        cast.viewer("facilitator"),
        session=room.session,
        user_id=cast.users["account_owner"].pk,
        role="observer",
    )
    voting.open_voting(cast.viewer("facilitator"), session=room.session)
    add(cast, room, room.gina, "mot", 2)
    add(cast, room, room.ian, "issue", 3)
    add(cast, room, room.gus, "idea", 1)
    owen = web(cast, "account_owner")
    api = api_client(cast, "account_owner")
    sid = room.session.pk
    status, listed = call(api, "GET", f"/sessions/{sid}/insights")
    assert status == 200
    for fmt in ("csv", "xlsx"):
        response = owen.get(page(cast, room, "map/export/"), {"format": fmt})
        assert response.status_code == 200
        data = body(response)
        rows = read_csv(data) if fmt == "csv" else read_xlsx(data)[1]
        ids = [int(r[0]) for r in rows[1:]]
        assert ids == [i["id"] for i in listed["items"]]
        assert {r[8] for r in rows[1:]} <= {"Globex", ""}
        assert not any("Initech" in str(v) or "Ian" in str(v) for r in rows for v in r)
        # The ranking: Globex's cards and Globex's voters only.
        response = owen.get(page(cast, room, "results/export/"), {"format": fmt})
        assert response.status_code == 200
        data = body(response)
        ranked = read_csv(data) if fmt == "csv" else read_xlsx(data)[1]
        assert ranked[0][:11] == [c.title for c in voting_exports.RANKING_COLUMNS]
        assert [(r[2], r[3], str(r[8])) for r in ranked[1:]] == [
            ("Moment of truth", "The first invoice arrives", "2"),
            ("Idea", "Let us pay by card", "1"),
        ]
        assert "Organisation: Initech" not in ranked[0]
    status, results = call(api, "GET", f"/sessions/{sid}/voting/results")
    assert [c["insight_id"] for c in results["overall"]] == [
        room.cards["mot"].pk,
        room.cards["idea"].pk,
    ]
    # The API's export is the same file as the page's.
    response = api.get(f"/api/v1/sessions/{sid}/voting/results/export", {"format": "csv"})
    assert response.status_code == 200
    assert [int(r[1]) for r in read_csv(body(response))[1:]] == [
        c["insight_id"] for c in results["overall"]
    ]


def test_the_ranking_export_matches_the_api_results(cast: Cast, room: Room) -> None:
    voting.open_voting(cast.viewer("facilitator"), session=room.session)
    add(cast, room, room.gina, "mot", 2)
    add(cast, room, room.ian, "issue", 3)
    add(cast, room, room.iris, "issue", 1)
    api = api_client(cast, "facilitator")
    sid = room.session.pk
    _, results = call(api, "GET", f"/sessions/{sid}/voting/results")
    response = api.get(f"/api/v1/sessions/{sid}/voting/results/export", {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="voting-session-ranking-{TODAY}.xlsx"'
    )
    sheet, rows = read_xlsx(body(response))
    segments = [s["label"] for s in results["overall"][0]["by_segment"]]
    orgs = [o["name"] for o in results["overall"][0]["by_organisation"]]
    assert rows[0] == [
        *(c.title for c in voting_exports.RANKING_COLUMNS),
        *(f"Segment: {s}" for s in segments),
        *(f"Organisation: {o}" for o in orgs),
    ]
    assert [r[:4] + r[8:10] for r in rows[1:]] == [
        [c["rank"], c["insight_id"], exports_kind(c["kind"]), c["text"], c["dots"], c["voters"]]
        for c in results["overall"]
    ]
    assert rows[1][:10] == [
        1, room.cards["issue"].pk, "Issue", "Approval takes three weeks", "Team Blue",
        "Sign up", "Ian Initech", "Initech", 4, 2,
    ]  # fmt: skip
    assert sheet.freeze_panes == "A2"


def exports_kind(kind: str) -> str:
    from traction.insights.models import InsightKind

    return str(InsightKind(kind).label)


def test_a_ranking_header_is_cleaned_like_its_cells(cast: Cast, room: Room) -> None:
    # A column per organisation, titled with the customer's name: a control character in
    # it made openpyxl refuse the whole XLSX.
    Customer.objects.filter(pk=room.gina.customer_id).update(name="Globex\x1b[0m\u202e Ltd")
    voting.open_voting(cast.viewer("facilitator"), session=room.session)
    add(cast, room, room.gina, "mot", 2)
    api = api_client(cast, "facilitator")
    url = f"/api/v1/sessions/{room.session.pk}/voting/results/export"
    response = api.get(url, {"format": "xlsx"})
    assert response.status_code == 200
    _, rows = read_xlsx(body(response))
    assert "Organisation: Globex[0m Ltd" in rows[0]
    header = read_csv(body(api.get(url, {"format": "csv"})))[0]
    assert "Organisation: Globex[0m Ltd" in header


def test_search_exports_follow_the_search(cast: Cast, room: Room) -> None:
    api = api_client(cast, "facilitator")
    _, found = call(api, "GET", "/search/insights?q=invoice")
    assert found["count"] == 2
    response = api.get("/api/v1/search/insights/export", {"q": "invoice", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="insights-search-{TODAY}.csv"'
    )
    rows = read_csv(body(response))
    assert [int(r[0]) for r in rows[1:]] == [i["id"] for i in found["items"]]
    # The web page links to the export with its own filters.
    client = web(cast)
    url = f"/w/{cast.acme.slug}/insights/search/"
    html = client.get(url, {"q": "invoice", "kind": "quote"}).content.decode()
    link = f"/w/{cast.acme.slug}/insights/search/export/?q=invoice&amp;kind=quote&amp;format=xlsx"
    assert link in html
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    _, cells = read_xlsx(body(response))
    assert [r[0] for r in cells[1:]] == [room.cards["quote"].pk]
    # Internal remarks are marked; customers_only leaves them out.
    rows = read_csv(body(client.get(url + "export/", {"q": "slow"})))
    assert [(r[5], r[6]) for r in rows[1:]] == [("Our tool is slow", "Internal remark")]
    rows = read_csv(body(client.get(url + "export/", {"q": "slow", "customers_only": "on"})))
    assert rows[1:] == []


def test_a_search_export_cut_at_its_limit_says_so(
    cast: Cast, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 19, finding 12: more matches than the limit → the first ones, in the search's
    order, and a header saying the file was cut (no marker row: data rows only); the search
    page says so beside its buttons when it counted more than its cap."""
    from traction.insights import exports
    from traction.insights.search import selectors as search_selectors

    api = api_client(cast, "facilitator")
    _, found = call(api, "GET", "/search/insights")
    assert found["count"] > 2
    whole = api.get("/api/v1/search/insights/export")
    assert exports.TRUNCATED_HEADER not in whole
    monkeypatch.setattr(exports, "SEARCH_LIMIT", 2)
    cut = api.get("/api/v1/search/insights/export")
    assert cut[exports.TRUNCATED_HEADER] == "2 of more than 2"
    rows = read_csv(body(cut))
    assert [int(r[0]) for r in rows[1:]] == [i["id"] for i in found["items"][:2]]
    client = web(cast)
    url = f"/w/{cast.acme.slug}/insights/search/"
    assert client.get(url + "export/")[exports.TRUNCATED_HEADER] == "2 of more than 2"
    html = client.get(url, {"q": ""}).content.decode()
    assert "A download holds at most the first" not in html
    # The page counts up to its cap (1,000); past it, the download may be cut: it says so.
    defaults = search_selectors.search.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "cap", 2)
    html = client.get(url, {"q": ""}).content.decode()
    assert "A download holds at most the first 10,000 results" in html


def test_an_account_owner_s_search_export_is_scoped(cast: Cast, room: Room) -> None:
    owen_owns_globex_only(cast)
    api = api_client(cast, "account_owner")
    _, found = call(api, "GET", "/search/insights")
    response = api.get("/api/v1/search/insights/export")
    rows = read_csv(body(response))
    assert [int(r[0]) for r in rows[1:]] == [i["id"] for i in found["items"]]
    assert b"Initech" not in body(api.get("/api/v1/search/insights/export"))


def test_a_big_session_is_streamed(cast: Cast, room: Room) -> None:
    fran = cast.viewer("facilitator")
    for n in range(450):
        insight_services.capture_insight(
            fran, session=room.session, kind="quote", text=f"Line {n}", speaker=""
        )
    response = web(cast).get(page(cast, room, "map/export/"))
    assert isinstance(response, StreamingHttpResponse)
    chunks = list(response.streaming_content)
    assert len(chunks) >= 3  # the header, then a few hundred rows at a time
    rows = read_csv(b"".join(chunks))  # type: ignore[arg-type]
    assert len(rows) == 1 + 6 + 450
    assert rows[-1][5] == "Line 449"


def test_exports_are_refused_to_whoever_may_not_see_the_session(cast: Cast, room: Room) -> None:
    assert web(cast, "stranger").get(page(cast, room, "map/export/")).status_code == 404
    assert web(cast, "stranger").get(page(cast, room, "results/export/")).status_code == 404
    assert Client().get(page(cast, room, "map/export/")).status_code == 302
    assert web(cast).get(page(cast, room, "map/export/?format=pdf")).status_code == 404
    response = api_client(cast, "facilitator").get(
        f"/api/v1/sessions/{room.session.pk}/insights/export", {"format": "pdf"}
    )
    assert response.status_code == 422
    response = api_client(cast, "stranger").get(
        f"/api/v1/sessions/{room.session.pk}/insights/export"
    )
    assert response.status_code == 404


def test_the_map_and_ranking_pages_link_to_their_exports(cast: Cast, room: Room) -> None:
    voting.open_voting(cast.viewer("facilitator"), session=room.session)
    client = web(cast, "observer")
    for name, export in (("map/", "map/export/"), ("results/", "results/export/")):
        html = client.get(page(cast, room, name)).content.decode()
        for fmt, label in (("csv", "Download CSV"), ("xlsx", "Download XLSX")):
            link = f'href="{page(cast, room, export)}?format={fmt}" download>{label}</a>'
            assert link in html
