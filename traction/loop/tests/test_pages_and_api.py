"""The loop's pages and API: the priorities page, proposing with the refusal beside the
field, approval gating (account owners approve their own customers, admins waive) through
the web and the API, deliveries by hand, by CSV (bad rows with their lines, re-import
idempotent) and through the API."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from traction.core.testing.cast import Cast
from traction.loop.models import Approval, Delivery, PriorityStatus

from . import world as w

NOW = w.NOW  # the shared world fixture (conftest.py) freezes the clock there


def url(cast: Cast, name: str, **kw: object) -> str:
    from django.urls import reverse

    return reverse(f"loop:{name}", kwargs={"workspace_slug": cast.acme.slug, **kw})


def api(cast: Cast, path: str) -> str:
    return f"/api/v1{path}"


def test_priorities_page_ranks_cards_and_says_what_customers_hear(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    page = client_for("facilitator").get(url(cast, "priorities", program_id=cast.program.pk))
    assert page.status_code == 200
    html = page.content.decode()
    # 4 dots on Globex's issue, 2 on Initech's idea: ranked in that order.
    assert html.index("Invoice approval takes three weeks") < html.index("approve invoices")
    assert "nothing published yet" in html
    empty = client_for("facilitator").get(url(cast, "priorities", program_id=cast.other_program.pk))
    assert "No customer priorities yet." in empty.content.decode()


def test_propose_on_the_web_shows_the_refusal_beside_the_field(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    client = client_for("core_team")
    target = url(cast, "propose", program_id=cast.program.pk)
    assert client.get(target + f"?priority={world.card.pk}").status_code == 200
    answer = client.post(
        target,
        {
            "priority": world.card.pk,
            "status": "planned",
            "window_kind": "quarter",
            "window_start": "2027-04-01",
        },
    )
    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert errors["status"] == [
        "Planned needs an approved recommendation with an owned, dated action item: no "
        "recommendation cites “Invoice approval takes three weeks”."
    ]
    assert PriorityStatus.objects.count() == 0
    answer = client.post(target, {"priority": world.card.pk, "status": "heard"})
    assert answer.status_code == 302
    assert PriorityStatus.objects.get().status == "heard"
    # Observers read, never propose.
    assert client_for("observer").post(target, {"priority": world.card.pk}).status_code == 403


def test_a_reason_text_fills_an_empty_reason(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    admin = client_for("admin")
    assert (
        admin.post(
            url(cast, "reasons"), {"title": "Scope", "text": "It is outside what we offer."}
        ).status_code
        == 302
    )
    reason_id = admin.get(url(cast, "reasons")).context["reasons"][0].pk
    admin.post(
        url(cast, "propose", program_id=cast.program.pk),
        {"priority": world.quiet.pk, "status": "not_planned", "reason_text": reason_id},
    )
    assert PriorityStatus.objects.get().customer_reason == "It is outside what we offer."
    refused = admin.post(url(cast, "reasons"), {"title": "Soon", "text": "We will do it."})
    assert refused.context["form"].errors["text"] == [
        "“will” is a promise; say what is decided or planned, not what will be."
    ]


def test_approval_gating_through_the_web(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    client_for("facilitator").post(
        url(cast, "propose", program_id=cast.program.pk),
        {"priority": world.card.pk, "status": "heard"},
    )
    globex = Approval.objects.get(customer=cast.customer)
    initech = Approval.objects.get(customer=cast.other_customer)
    # The facilitator is not Globex's account owner: no button, and the approval is not
    # theirs to find.
    assert (
        "Approve for"
        not in client_for("facilitator")
        .get(url(cast, "priorities", program_id=cast.program.pk))
        .content.decode()
    )
    assert (
        client_for("facilitator").post(url(cast, "approve", approval_id=globex.pk)).status_code
        == 404
    )
    owen = client_for("account_owner")
    # Owen is not in Onboarding, yet sees the program's page because Globex is asked.
    page = owen.get(url(cast, "priorities", program_id=cast.program.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Approve for Globex" in html
    assert "approve invoices" not in html  # Initech's words are not his to read
    assert "Initech" not in html  # nor its name: its approval is counted only
    assert "and 1 other customer organisation" in html
    assert owen.post(url(cast, "approve", approval_id=globex.pk)).status_code == 302
    assert owen.post(url(cast, "approve", approval_id=initech.pk)).status_code == 404
    assert (
        client_for("facilitator").get(url(cast, "waive", approval_id=initech.pk)).status_code == 403
    )
    refused = client_for("admin").post(url(cast, "waive", approval_id=initech.pk), {"reason": ""})
    assert refused.status_code == 200
    assert refused.context["form"].errors["reason"]
    assert (
        client_for("admin")
        .post(url(cast, "waive", approval_id=initech.pk), {"reason": "Nobody owns Initech."})
        .status_code
        == 302
    )
    status = PriorityStatus.objects.get()
    assert status.published_at == NOW
    html = client_for("facilitator").get(url(cast, "priorities", program_id=cast.program.pk))
    assert "History of published statuses (1)" in html.content.decode()


def test_approval_gating_through_the_api(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    facilitator = api_client_for("facilitator")
    refused = facilitator.post(
        api(cast, f"/programs/{cast.program.pk}/priority-statuses"),
        {"priority_id": world.card.pk, "status": "not_planned"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {
            "loc": ["body", "customer_reason"],
            "msg": "Not planned needs a reason written for customers.",
            "type": "value_error",
        }
    ]
    made = facilitator.post(
        api(cast, f"/programs/{cast.program.pk}/priority-statuses"),
        {"priority_id": world.card.pk, "status": "heard"},
        content_type="application/json",
    )
    assert made.status_code == 201
    body = made.json()
    assert body["published_at"] is None
    approvals = {a["customer"]: a["id"] for a in body["approvals"]}
    assert sorted(approvals) == ["Globex", "Initech"]
    approve = "/priority-status-approvals/{}/approve"
    assert facilitator.post(api(cast, approve.format(approvals["Globex"]))).status_code == 404
    owen = api_client_for("account_owner")
    approved = owen.post(api(cast, approve.format(approvals["Globex"])))
    assert approved.status_code == 200
    # Owen reads his own customer's approval, never another customer's name.
    assert [a["customer"] for a in approved.json()["approvals"]] == ["Globex"]
    waive = api(cast, f"/priority-status-approvals/{approvals['Initech']}/waive")
    assert (
        facilitator.post(waive, {"reason": "x"}, content_type="application/json").status_code == 403
    )
    done = api_client_for("admin").post(
        waive, {"reason": "Nobody owns Initech."}, content_type="application/json"
    )
    assert done.status_code == 200
    assert done.json()["published_at"] is not None
    listed = facilitator.get(api(cast, f"/programs/{cast.program.pk}/priorities")).json()["items"]
    assert [(p["rank"], p["dots"]) for p in listed] == [(1, 4), (2, 2)]
    assert listed[0]["current"]["status"] == "heard"
    assert listed[0]["history"][0]["id"] == body["id"]


CSV_OK = (
    "date,title,link,external_id,priorities\n"
    "2027-01-10,One-page approval,https://example.com/notes/1,REL-1,{card}\n"
    "2027-01-12,Phone approvals,https://example.com/notes/2,,{quiet}\n"
)


def test_deliveries_csv_all_or_nothing_with_lines_and_idempotent(
    world: w.World, client_for: Callable[[str], Client], api_client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    client = client_for("facilitator")
    target = url(cast, "deliveries_import", program_id=cast.program.pk)
    bad = (
        "date,title,link,priorities\n"
        "2027-01-10,Good row,,\n"
        "2027-13-01,,notaurl,99999 abc\n"
        f"2027-01-11,Fine,,{world.card.pk}\n"
        "2027-01-11,Unknown priority,,424242\n"
    )
    answer = client.post(target, {"file": SimpleUploadedFile("d.csv", bad.encode())})
    assert answer.status_code == 422  # refused rows: the form again, as the insight import
    assert answer.context["errors"] == [
        "Line 3: “2027-13-01” is not a date in the calendar; the title is missing; “notaurl” "
        "is not a web address (http or https); “abc” is not a priority id.",
    ]
    assert Delivery.objects.count() == 0
    answer = client.post(
        target,
        {
            "file": SimpleUploadedFile(
                "d.csv", bad.replace("2027-13-01,,notaurl,99999 abc\n", "").encode()
            )
        },
    )
    assert answer.status_code == 422
    assert answer.context["errors"] == [
        "Line 4: No customer priority of this program with the id 424242."
    ]
    missing = client.post(target, {})
    assert missing.status_code == 422
    assert missing.context["form"].errors["file"]
    data = CSV_OK.format(card=world.card.pk, quiet=world.quiet.pk).encode()
    assert client.post(target, {"file": SimpleUploadedFile("d.csv", data)}).status_code == 302
    assert Delivery.objects.count() == 2
    again = api_client_for("facilitator").post(
        f"/api/v1/programs/{cast.program.pk}/deliveries/import",
        {"file": SimpleUploadedFile("d.csv", data)},
    )
    assert again.status_code == 200
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2, "linked": 0}
    assert Delivery.objects.count() == 2
    # Rows with neither an id nor a link are found again by title and date.
    plain = b"date,title\n2027-01-09,Policy change\n2027-01-09,Policy change\n"
    answer = client.post(target, {"file": SimpleUploadedFile("p.csv", plain)})
    assert answer.status_code == 422
    assert answer.context["errors"] == ["Line 3: the same delivery as line 2."]
    assert client.get(target).status_code == 200
    plain = b"date,title\n2027-01-09,Policy change\n"
    for _ in range(2):
        client.post(target, {"file": SimpleUploadedFile("p.csv", plain)})
    assert Delivery.objects.filter(title="Policy change").count() == 1
    page = client.get(url(cast, "deliveries", program_id=cast.program.pk)).content.decode()
    assert "One-page approval" in page
    assert "Globex, Initech" in page


def test_deliveries_by_hand_and_by_api(
    world: w.World, client_for: Callable[[str], Client], api_client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    empty = client_for("observer").get(url(cast, "deliveries", program_id=cast.program.pk))
    assert "No deliveries recorded yet." in empty.content.decode()
    client = client_for("core_team")
    new = url(cast, "delivery_new", program_id=cast.program.pk)
    refused = client.post(new, {"on": "2027-01-05", "title": "X", "link": "ftp://x"})
    assert refused.context["form"].errors["link"] == ["Enter a web address (http or https)."]
    assert (
        client.post(
            new, {"on": "2027-01-05", "title": "Policy change", "priorities": [world.quiet.pk]}
        ).status_code
        == 302
    )
    assert client_for("observer").post(new, {"on": "2027-01-05", "title": "X"}).status_code == 403
    body = {
        "on": "2027-01-15",
        "title": "Release 4.2",
        "external_id": "4.2",
        "priority_ids": [world.card.pk],
    }
    path = f"/api/v1/programs/{cast.program.pk}/deliveries"
    made = api_client_for("facilitator").post(path, body, content_type="application/json")
    assert made.status_code == 201
    assert made.json()["credited"] == ["Globex", "Initech"]
    again = api_client_for("facilitator").post(
        path, {**body, "title": "Release 4.2 (final)"}, content_type="application/json"
    )
    assert again.status_code == 200  # found again and updated: nothing created
    assert again.json()["id"] == made.json()["id"]
    unknown = api_client_for("facilitator").post(
        path, {**body, "priority_ids": [999999]}, content_type="application/json"
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "priority_ids"]
    assert Delivery.objects.get(external_id="4.2").title == "Release 4.2 (final)"
    # Deliveries (these are dated in the past) notify nobody.
    assert mail.outbox == []
    listed = api_client_for("observer").get(path).json()["items"]
    assert [d["title"] for d in listed] == ["Release 4.2 (final)", "Policy change"]
    assert json.loads(json.dumps(listed[1]["priority_ids"])) == [world.quiet.pk]


def test_the_account_owners_home_says_what_waits_for_them(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    home = f"/w/{cast.acme.slug}/"
    assert "wait for your approval" not in client_for("account_owner").get(home).content.decode()
    client_for("facilitator").post(
        url(cast, "propose", program_id=cast.program.pk),
        {"priority": world.card.pk, "status": "heard"},
    )
    html = client_for("account_owner").get(home).content.decode()
    assert "1 customer-facing status waits for your approval." in html
    assert url(cast, "priorities", program_id=cast.program.pk) in html
    assert "wait for your approval" not in client_for("facilitator").get(home).content.decode()


def test_the_priorities_page_costs_the_same_queries_whatever_the_number_of_priorities(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from traction.insights.models import Insight
    from traction.loop.services import publishing
    from traction.voting.models import Vote

    cast = world.cast
    client = client_for("facilitator")
    target = url(cast, "priorities", program_id=cast.program.pk)

    def add_priorities(n: int) -> None:
        for i in range(n):
            card = Insight.objects.create(
                workspace=cast.acme,
                program=cast.program,
                session=world.session,
                kind="idea",
                text=f"Idea {i} {Insight.objects.count()}",
                speaker_contact=cast.contact,
                customer=cast.customer,
            )
            Vote.objects.create(
                workspace=cast.acme,
                session=world.session,
                insight=card,
                contact=cast.contact,
                dots=1,
                channel="room",
            )
            publishing.propose_status(
                cast.viewer("facilitator"), cast.program, priority_id=card.pk, status="heard"
            )

    def queries() -> int:
        client.get(target)  # warm: the session, the menu
        with CaptureQueriesContext(connection) as seen:
            assert client.get(target).status_code == 200
        return len(seen)

    add_priorities(1)
    few = queries()
    add_priorities(10)
    assert queries() == few


def test_the_program_page_counts_only_the_priorities_its_reader_may_read(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    """Attacker's review: the program page's "Customer priorities" section counted every
    published status and radar mark of the program, so an account owner in the program's
    team (who reads their own customers' cards only) learnt how many other customers'
    priorities had a status or were at risk. It counts what its reader may read, as the
    priorities page lists."""
    from traction.core import clock
    from traction.loop.models import AtRisk
    from traction.programs import services as programs

    cast = world.cast
    programs.set_core_team(
        cast.viewer("facilitator"),
        program=cast.program,
        user_ids=[cast.users["observer"].pk, cast.users["account_owner"].pk],
        kind="observer",
    )
    for card in (world.card, world.quiet):
        status = PriorityStatus.objects.create(
            workspace=cast.acme, program=cast.program, priority=card, status="planned",
            proposed_by=cast.users["facilitator"], published_by=cast.users["facilitator"],
            published_at=clock.now(),
        )  # fmt: skip
        AtRisk.objects.create(
            workspace=cast.acme, program=cast.program, priority=card, status=status,
            since=clock.now(), reasons=["Blocked."],
        )  # fmt: skip
    program_page = f"/w/{cast.acme.slug}/programs/{cast.program.pk}/"
    owen = client_for("account_owner").get(program_page)
    assert owen.status_code == 200
    html = owen.content.decode()
    assert "1 priority has a published customer-facing status" in html
    assert "1 at risk" in html
    fran = client_for("facilitator").get(program_page).content.decode()
    assert "2 priorities have a published customer-facing status" in fran
    assert "2 at risk" in fran


def test_approvals_counts_and_lists_what_customers_will_be_told(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    """A newcomer's account owner had updates waiting while Approvals counted only outreach
    requests (and said "Nothing waits for you"): the badge adds the loop's approvals up and
    the page lists them, each linked."""
    cast = world.cast
    approvals = f"/w/{cast.acme.slug}/sessions/approvals/"
    before = client_for("account_owner").get(approvals).content.decode()
    assert "What your customers will be told" not in before
    client_for("facilitator").post(
        url(cast, "propose", program_id=cast.program.pk),
        {"priority": world.card.pk, "status": "heard"},
    )
    page = client_for("account_owner").get(approvals).content.decode()
    assert "What your customers will be told" in page
    assert f'{url(cast, "priorities", program_id=cast.program.pk)}">1 status in' in page
    assert 'aria-label="1 waiting">1</span>' in page  # the navigation's Approvals badge
    # Nobody else's approvals: the facilitator's page has no such part.
    assert "What your customers will be told" not in (
        client_for("facilitator").get(approvals).content.decode()
    )
