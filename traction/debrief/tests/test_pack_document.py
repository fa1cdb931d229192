"""The debrief pack, generated from the data: the PDF read back with pypdf and the HTML
file hold the prioritised map, the decided recommendations with their decision and evidence
quotes, the undecided priorities with revisit dates, the action items with owners and dates,
and the scorecard; every reader sees only what the policy lets them see."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html import unescape

import pypdf
import pytest
from django.template.loader import render_to_string
from django.test import Client

from traction.accounts import services as accounts
from traction.core import clock
from traction.core.errors import NotFound
from traction.core.testing.cast import Cast
from traction.debrief import pack, selectors_pack
from traction.debrief.models import Debrief
from traction.debrief.services import closing
from traction.debrief.services.closing import Revisit
from traction.debrief.tests.room_world import make_debrief
from traction.insights.models import Insight
from traction.programs.models import ProgramMember
from traction.voting.tests.test_voting import build_room

from .pack_data import PackWorld, build_pack_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> PackWorld:
    w = build_pack_world(cast)
    u = cast.users
    on = clock.today() + timedelta(days=14)
    closing.close_debrief(
        cast.viewer("facilitator"),
        debrief=w.debrief,
        attendance={u["facilitator"].pk: True, u["core_team"].pk: True, u["sponsor"].pk: True},
        note="Invoices on signing day; approvals wait for the new tool.",
        undecided=[
            Revisit(w.cards["idea"].pk, on),
            Revisit(w.cards["issue2"].pk, on, "Ask support"),
        ],
    )
    w.debrief = Debrief.objects.get(pk=w.debrief.pk)
    return w


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


EXPECTED = [
    # the prioritised map
    "Team Blue",
    "The first invoice arrives",
    # decided recommendations, their decision and evidence
    "Send the first invoice on signing day",
    "Approved by Sam Sponsor (Executive sponsor)",
    "The cheapest way to cut the days to the first invoice.",
    "Fast-track enterprise approvals",
    "Deferred until",
    "Petra Policy (Policy maker (Finance budget))",
    "Gina Globex, Globex",
    "Ian Initech, Initech",
    # undecided priorities
    "Let us pay by card",
    "Nobody answers the phone",
    "Ask support",
    # action items and owners
    "Automate the invoice on signature",
    "Cora Core",
    "Tell new customers about same-day invoices",
    "Fran Facilitator",
    # the scorecard
    "Days to first invoice",
    "Invoices paid on time",
    "21",
    "14",
    # the closing
    "Invoices on signing day; approvals wait for the new tool.",
]


def test_the_pdf_read_back_holds_recommendations_owners_and_metrics(world: PackWorld) -> None:
    data = pack.render_pdf(world.cast.viewer("facilitator"), world.debrief)
    assert data.startswith(b"%PDF-")
    text = flat(pdf_text(data))
    missing = [phrase for phrase in EXPECTED if phrase not in text]
    assert not missing, f"not in the PDF: {missing}\n{text}"
    # Text, not pictures: no image in the document.
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert all(not page.images for page in reader.pages)
    # The drafted recommendation is not among the decided ones.
    assert "Staff the phone line" not in text
    assert "1 drafted recommendation not decided" in text


def test_chinese_japanese_korean_and_emoji_print_as_text_not_boxes(world: PackWorld) -> None:
    # A customer's words in any script: with DejaVu alone these printed as empty boxes (and
    # copied out of the PDF as garbage). make pdf-deps installs WenQuanYi Micro Hei (Chinese,
    # Japanese kana, Korean) and Symbola (emoji), and the pack's stylesheet names them.
    words = ["予約を簡単に", "東京の田中さん", "한국어 고객", "テスト", "✅", "🚀"]
    Insight.objects.filter(pk=world.cards["mot"].pk).update(text=" ".join(words))
    data = pack.render_pdf(world.cast.viewer("facilitator"), world.debrief)
    text = flat(pdf_text(data))
    missing = [w for w in words if w not in text]
    assert not missing, f"not in the PDF as text: {missing}"
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in pypdf.PdfReader(io.BytesIO(data)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    for family in ("WenQuanYi-Micro-Hei", "Symbola"):
        assert any(name.startswith(family) for name in fonts), fonts


def test_a_long_link_breaks_across_lines_instead_of_running_off_the_page(
    world: PackWorld,
) -> None:
    # A link of 300 characters in a card's text (the prioritised map): at 10pt about
    # 1,800pt wide on a page of 595; written on one line it ran off the page and was cut.
    link = "https://tracker.example.test/" + "a" * 300 + "/end"
    Insight.objects.filter(pk=world.cards["mot"].pk).update(text=link)
    data = pack.render_pdf(world.cast.viewer("facilitator"), world.debrief)
    lines = [line for line in pdf_text(data).splitlines() if "aaaa" in line or "/end" in line]
    assert len(lines) > 3
    assert all(len(line) < 100 for line in lines)  # each within the page's width
    assert "".join(line.strip() for line in lines).count("a" * 300) == 1  # all of it
    assert lines[-1].strip().endswith("/end")


def test_an_owner_who_left_is_flagged_in_the_pdf_the_html_and_the_email(
    world: PackWorld,
) -> None:
    """As the room, My actions and the API say it: the pack names no departed owner as if
    they still owned the action."""
    cast = world.cast
    accounts.remove_member(cast.viewer("admin"), membership=cast.membership("core_team"))
    fran = cast.viewer("facilitator")
    flag = "No owner: Cora Core left the workspace"
    pdf = flat(pdf_text(pack.render_pdf(fran, world.debrief)))
    assert flag in pdf
    assert "Tell new customers about same-day invoices — Fran Facilitator" in pdf
    html = flat(unescape(re.sub(r"<[^>]+>", " ", pack.render_html(fran, world.debrief))))
    assert f"Automate the invoice on signature — {flag}" in html
    assert html.count(flag) == 2  # under the recommendation and in the action table
    found = selectors_pack.pack(fran, world.debrief, now=clock.now())
    context = {"pack": found, "debrief": world.debrief}
    assert flag in render_to_string("debrief/pack/email/pack.txt", context)
    assert flag in render_to_string("debrief/pack/email/pack.html", context)


def test_a_session_without_voting_says_it_had_no_ranked_priorities(cast: Cast) -> None:
    debrief = make_debrief(cast, build_room(cast))  # nobody voted: no card has a dot
    fran = cast.viewer("facilitator")
    html = flat(unescape(re.sub(r"<[^>]+>", " ", pack.render_html(fran, debrief))))
    assert "The session had no ranked priorities" in html
    assert "Ranked cards not on any step of the map" not in html
    assert "0 dots" not in html
    pdf = flat(pdf_text(pack.render_pdf(fran, debrief)))
    assert "The session had no ranked priorities" in pdf
    assert "0 dots" not in pdf


def test_the_html_file_is_standalone_and_holds_the_same(world: PackWorld) -> None:
    html = pack.render_html(world.cast.viewer("facilitator"), world.debrief)
    assert html.startswith("<!doctype html>")
    assert "<style>" in html
    assert "@page" in html
    text = flat(unescape(re.sub(r"<[^>]+>", "", html)))
    missing = [phrase for phrase in EXPECTED if phrase not in text]
    assert not missing, missing


def test_the_pack_is_computed_from_the_data_each_time(world: PackWorld) -> None:
    fran = world.cast.viewer("facilitator")
    world.actions[0].title = "Automate the invoice when the contract is signed"
    world.actions[0].save()
    text = flat(pdf_text(pack.render_pdf(fran, world.debrief)))
    assert "Automate the invoice when the contract is signed" in text


def test_the_pack_page_and_pdf_download(world: PackWorld) -> None:
    client = Client()
    client.force_login(world.cast.users["core_team"])
    page = client.get(world.url + "pack/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Send the first invoice on signing day" in body
    assert "Download PDF" in body
    assert "Send the pack" not in body  # Cora may not send it
    download = client.get(world.url + "pack.pdf")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith(
        'attachment; filename="debrief-pack-voting-session-'
    )
    assert "Days to first invoice" in flat(pdf_text(download.content))


def test_who_may_not_see_the_debrief_gets_nothing(world: PackWorld) -> None:
    # Owen (account owner) is not in the program: the debrief is not his to know about.
    with pytest.raises(NotFound):
        selectors_pack.debrief_for(world.cast.viewer("account_owner"), world.debrief.pk)
    client = Client()
    client.force_login(world.cast.users["account_owner"])
    assert client.get(world.url + "pack/").status_code == 404
    assert client.get(world.url + "pack.pdf").status_code == 404


def test_an_account_owner_in_the_program_reads_only_their_customers_evidence(
    world: PackWorld,
) -> None:
    """Owen joins the program as an observer: the pack he reads counts only Globex's cards and
    votes (his customers), never Initech's words."""
    assert world.cast.program is not None
    ProgramMember.objects.create(
        program=world.cast.program, user=world.cast.users["account_owner"], kind="observer"
    )
    owen = world.cast.viewer("account_owner")
    found = selectors_pack.pack(owen, world.debrief, now=clock.now())
    texts = {c.text for s in found.map for step in s.steps for c in step.cards}
    assert texts == {"The first invoice arrives", "Let us pay by card"}
    quotes = {d.rec.title: [q.text for q in d.quotes] for d in found.decided}
    assert quotes["Send the first invoice on signing day"] == ["The first invoice arrives"]
    assert quotes["Fast-track enterprise approvals"] == []
    hidden = {d.rec.title: d.hidden_quotes for d in found.decided}
    assert hidden["Fast-track enterprise approvals"] == 1
    undecided = [u.text for u in found.undecided]
    assert undecided == ["Let us pay by card", ""]  # Iris's issue is not his to read
    text = flat(pdf_text(pack.render_pdf(owen, world.debrief)))
    assert "Initech" not in text
    assert "Approval takes three weeks" not in text
    assert "A priority you may not see" in text
