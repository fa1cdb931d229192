"""Updates through the pages and the API: the list (filters, counts, empty state), compose
(with PLAN's query parameters), the checker's flags beside the text, approval gating (refused
submit, the owner's approval, the signed link page), immutability once sent, field errors
(422) and the turnaround; reason texts in the API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from traction.core import clock
from traction.core.testing.cast import Cast
from traction.loop import approval_links
from traction.loop.models import Approval, Update, UpdateRecipient

from . import world as w

NOW = w.NOW  # the shared world fixture (conftest.py) freezes the clock there

pytestmark = pytest.mark.django_db


def url(cast: Cast, name: str, **kw: object) -> str:
    return reverse(f"loop:{name}", kwargs={"workspace_slug": cast.acme.slug, **kw})


def compose_on_the_web(world: w.World, client: Client) -> Update:
    cast = world.cast
    page = client.post(
        url(cast, "update-new", program_id=cast.program.pk),
        {"audience": "customer", "customer": cast.customer.pk, "kind": "update"},
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    return Update.objects.latest("pk")


def test_the_list_says_what_to_do_when_empty_and_filters_by_state(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    fran = client_for("facilitator")
    html = fran.get(url(cast, "updates", program_id=cast.program.pk)).content.decode()
    assert "No updates yet." in html
    assert "Write one: Traction drafts it from the data" in html
    with clock.frozen(NOW):
        update = compose_on_the_web(world, fran)
    html = fran.get(url(cast, "updates", program_id=cast.program.pk)).content.decode()
    assert update.subject in html
    assert 'data-count="draft">1<' in html
    sent = fran.get(url(cast, "updates", program_id=cast.program.pk) + "?state=sent")
    assert "No update is in this state." in sent.content.decode()
    # The program page links to it.
    program_page = fran.get(reverse("programs:detail", args=[cast.acme.slug, cast.program.pk]))
    assert url(cast, "updates", program_id=cast.program.pk) in program_page.content.decode()


def test_compose_takes_the_plan_areas_query_parameters(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    page = client_for("facilitator").get(
        url(cast, "update-new", program_id=cast.program.pk)
        + f"?audience=customer&customer={cast.customer.pk}&kind=re_engagement"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="re_engagement" selected' in html
    # The organisation picker offers the one asked for, chosen.
    assert re.search(rf'name="customer" value="{cast.customer.pk}"[^>]*checked', html)


def test_compose_errors_show_beside_the_field(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    page = client_for("facilitator").post(
        url(cast, "update-new", program_id=cast.program.pk),
        {"audience": "customer", "kind": "update"},
    )
    assert page.status_code == 200
    assert "Choose the customer organisation the update is for." in page.content.decode()
    assert not Update.objects.exists()


def test_the_checker_flags_beside_the_text_and_submit_is_refused(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    fran = client_for("facilitator")
    with clock.frozen(NOW):
        update = compose_on_the_web(world, fran)
        saved = fran.post(
            url(cast, "update-edit", update_id=update.pk),
            {
                "version": update.version,
                "subject": update.subject,
                "body": update.body + "\nThe new page is live by March.\n",
            },
        )
        assert saved.status_code == 302
        page = fran.get(url(cast, "update", update_id=update.pk)).content.decode()
        assert "<mark>by March</mark>" in page
        refused = fran.post(
            url(cast, "update-submit", update_id=update.pk), {"version": 2}, follow=True
        )
    assert "Fix what the checker flags before asking for approval" in refused.content.decode()
    update.refresh_from_db()
    assert update.state == "draft"
    assert not Approval.objects.exists()


def test_a_stale_edit_on_the_web_says_reload(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    fran = client_for("facilitator")
    with clock.frozen(NOW):
        update = compose_on_the_web(world, fran)
        fran.post(
            url(cast, "update-edit", update_id=update.pk),
            {"version": 1, "subject": "First edit", "body": update.body},
        )
        stale = fran.post(
            url(cast, "update-edit", update_id=update.pk),
            {"version": 1, "subject": "Second edit", "body": update.body},
        )
    assert stale.status_code == 422
    assert "changed by someone else" in stale.content.decode()
    update.refresh_from_db()
    assert update.subject == "First edit"


def test_owner_approves_on_the_web_then_it_is_sent_and_immutable(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    fran, owen = client_for("facilitator"), client_for("account_owner")
    with clock.frozen(NOW):
        update = compose_on_the_web(world, fran)
        fran.post(url(cast, "update-submit", update_id=update.pk), {"version": 1})
        approval = Approval.objects.get(update=update)
        # The account owner's page shows the text, the recipients and the Approve button.
        page = owen.get(url(cast, "update", update_id=update.pk)).content.decode()
        assert "Approve this text and these recipients" in page
        assert "Gina Globex" in page
        # The home page tells Owen an update waits for him.
        home = owen.get(reverse("accounts:workspace_home", args=[cast.acme.slug])).content.decode()
        assert "1 update to your customers waits for your approval." in home
        # Nobody else can approve it; sending before approval is refused with a message.
        assert (
            fran.post(url(cast, "update-approve", update_approval_id=approval.pk)).status_code
            == 404
        )
        early = fran.post(url(cast, "update-send", update_id=update.pk), follow=True)
        assert "Only an approved update can be sent" in early.content.decode()
        owen.post(url(cast, "update-approve", update_approval_id=approval.pk))
    update.refresh_from_db()
    assert update.state == "approved"
    with clock.frozen(NOW + timedelta(hours=2)):
        fran.post(url(cast, "update-send", update_id=update.pk), {"version": 1})
    update.refresh_from_db()
    assert update.state == "sent"
    assert list(UpdateRecipient.objects.values_list("email", "state")) == [
        ("gina@globex.test", "queued")
    ]
    # Immutable: the page has no form; the edit route refuses with a clear message.
    page = fran.get(url(cast, "update", update_id=update.pk)).content.decode()
    assert "A sent update cannot be changed." in page
    assert 'id="update-form"' not in page
    refused = fran.post(
        url(cast, "update-edit", update_id=update.pk),
        {"version": 1, "subject": "Changed", "body": "Changed."},
    )
    assert refused.status_code == 422
    assert "a sent update cannot be changed" in refused.content.decode()
    update.refresh_from_db()
    assert update.subject != "Changed"
    # Delivered, then a new update for Globex: the page says it heard from us two days ago
    # and that the plan's cadence is not one message per event.
    from traction.loop import mailer

    with clock.frozen(NOW + timedelta(hours=3)):
        assert mailer.deliver(update.pk)["sent"] == 1
    with clock.frozen(NOW + timedelta(days=2, hours=4)):
        again = compose_on_the_web(world, fran)
        page = fran.get(url(cast, "update", update_id=again.pk)).content.decode()
    assert "Heard from us recently." in page
    assert "one update every 42 days" in page
    assert "Globex on 20 Jan 2027 (2 days ago)" in page
    with clock.frozen(NOW + timedelta(days=45)):
        later = fran.get(url(cast, "update", update_id=again.pk)).content.decode()
    assert "Heard from us recently." not in later
    # The turnaround is shown on the program's updates page.
    listing = fran.get(url(cast, "updates", program_id=cast.program.pk)).content.decode()
    assert (
        "Approval turnaround: median under a minute, slowest under a minute (1 approval by account "
        "owners; waivers are not counted)." in listing
    )


def test_the_signed_link_page_approves_without_signing_in(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    fran = client_for("facilitator")
    with clock.frozen(NOW):
        update = compose_on_the_web(world, fran)
        fran.post(url(cast, "update-submit", update_id=update.pk), {"version": 1})
        approval = Approval.objects.get(update=update)
        token = approval_links.make_token(approval)
        link = url(cast, "update-approval-link", approval_token=token)
        anonymous = Client()
        page = anonymous.get(link)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Approve this update" in html
        assert "Gina Globex &lt;gina@globex.test&gt;" in html
        done = anonymous.post(link)
        assert done.status_code == 200
        assert "Approved for Globex" in done.content.decode()
        again = anonymous.post(link)
        assert again.status_code == 409
        assert "already given" in again.content.decode()
        # A tampered link is not found; a member signed in as someone else is refused.
        assert anonymous.get(link[:-3] + "xx/").status_code == 404
        assert fran.get(link).status_code == 403
    approval.refresh_from_db()
    assert approval.state == "approved"
    assert approval.by == cast.users["account_owner"]


def test_the_link_of_an_owner_removed_from_the_workspace_shows_nothing(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    """Removed from the workspace (the membership archived), the account owner's link shows
    neither the text nor the recipients' addresses, and approves nothing; the page is never
    stored by a browser or a proxy."""
    from traction.accounts import services as account_services
    from traction.accounts.models import Membership

    cast = world.cast
    fran = client_for("facilitator")
    with clock.frozen(NOW):
        update = compose_on_the_web(world, fran)
        fran.post(url(cast, "update-submit", update_id=update.pk), {"version": 1})
        approval = Approval.objects.get(update=update)
        link = url(cast, "update-approval-link", approval_token=approval_links.make_token(approval))
        shown = Client().get(link)
        assert shown["Cache-Control"] == "private, no-store"
        # Deactivated (their membership still on record): refused.
        owen = cast.users["account_owner"]
        type(owen).objects.filter(pk=owen.pk).update(is_active=False)
        refused(link, update)
        # Reactivated, then removed from the workspace: refused.
        type(owen).objects.filter(pk=owen.pk).update(is_active=True)
        owner = Membership.objects.get(user=owen, workspace=cast.acme)
        account_services.remove_member(cast.viewer("admin"), membership=owner, reason="Left.")
        refused(link, update)
    approval.refresh_from_db()
    assert approval.state == "pending"


def refused(link: str, update: Update) -> None:
    for attempt in (Client().get(link), Client().post(link)):
        assert attempt.status_code == 410
        html = attempt.content.decode()
        assert "gina@globex.test" not in html
        assert update.subject not in html
        assert attempt["Cache-Control"] == "private, no-store"


# --- API ------------------------------------------------------------------------------------


def api_json(
    client: Client, method: str, path: str, body: object | None = None
) -> tuple[int, object]:
    response = client.generic(
        method, f"/api/v1{path}", json.dumps(body or {}), content_type="application/json"
    )
    return response.status_code, response.json()


def test_the_api_gates_approval_and_keeps_sent_updates_immutable(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    fran, owen = api_client_for("facilitator"), api_client_for("account_owner")
    with clock.frozen(NOW):
        status, made = api_json(
            fran,
            "POST",
            f"/programs/{cast.program.pk}/updates",
            {"audience": "customer", "customer_id": cast.customer.pk},
        )
        assert status == 201, made
        assert isinstance(made, dict)
        uid = made["id"]
        assert made["problems"] == []
        assert [c["name"] for c in made["candidates"]] == ["Gina Globex"]
        status, edited = api_json(
            fran, "PATCH", f"/updates/{uid}", {"version": 1, "body": "Shipped by March."}
        )
        assert status == 200
        assert isinstance(edited, dict)
        assert [p["words"] for p in edited["problems"]] == ["by March"]
        status, refused = api_json(fran, "POST", f"/updates/{uid}/submit", {})
        assert status == 422
        assert "by March" in json.dumps(refused)
        status, bad = api_json(fran, "PATCH", f"/updates/{uid}", {"subject": "  "})
        assert status == 422
        assert isinstance(bad, dict)
        assert bad["detail"][0]["loc"][-1] == "subject"
        status, _ = api_json(fran, "PATCH", f"/updates/{uid}", {"body": "Thank you for your time."})
        status, asked = api_json(fran, "POST", f"/updates/{uid}/submit", {"version": 3})
        assert status == 200, asked
        assert isinstance(asked, dict)
        assert asked["state"] == "awaiting"
        [approval] = asked["approvals"]
        status, _ = api_json(fran, "POST", f"/update-approvals/{approval['id']}/approve")
        assert status == 404
        status, _ = api_json(fran, "POST", f"/updates/{uid}/send", {})
        assert status == 422
        status, approved = api_json(owen, "POST", f"/update-approvals/{approval['id']}/approve")
        assert status == 200
        assert isinstance(approved, dict)
        assert approved["state"] == "approved"
        status, sent = api_json(fran, "POST", f"/updates/{uid}/send", {"version": 3})
        assert status == 200
        assert isinstance(sent, dict)
        assert sent["state"] == "sent"
        for method, path, body in (
            ("PATCH", f"/updates/{uid}", {"subject": "Changed"}),
            ("POST", f"/updates/{uid}/submit", {}),
            ("POST", f"/updates/{uid}/discard", {}),
        ):
            status, refused = api_json(fran, method, path, body)
            assert status == 422
            assert "a sent update cannot be changed" in json.dumps(refused)
        status, turnaround = api_json(fran, "GET", f"/programs/{cast.program.pk}/update-turnaround")
        assert status == 200
        assert turnaround == {"decided": 1, "median_seconds": 0.0, "slowest_seconds": 0.0}
        status, rows = api_json(fran, "GET", f"/programs/{cast.program.pk}/updates?state=sent")
        assert status == 200
        assert rows["count"] == 1
        assert [r["id"] for r in rows["items"]] == [uid]


def test_reason_texts_in_the_api_pass_the_checks(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    fran = api_client_for("facilitator")
    status, refused = api_json(
        fran, "POST", "/reason-texts", {"title": "Soon", "text": "We will do it by March."}
    )
    assert status == 422
    assert "promise" in json.dumps(refused)
    status, _made = api_json(
        fran,
        "POST",
        "/reason-texts",
        {"title": "Security", "text": "It conflicts with our security policy."},
    )
    assert status == 201
    status, rows = api_json(api_client_for("observer"), "GET", "/reason-texts")
    assert status == 200
    assert rows["count"] == 1
    assert [r["title"] for r in rows["items"]] == ["Security"]


def test_an_account_owner_sees_only_their_own_customers_recipients(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    from traction.customers.models import Contact
    from traction.loop.services import updates as services

    cast = world.cast
    Contact.objects.filter(pk=cast.other_contact.pk).update(consent_to_contact=True)
    with clock.frozen(NOW):
        update = services.compose(cast.viewer("facilitator"), cast.program, audience="program")
        services.submit(cast.viewer("facilitator"), update)
    page = client_for("account_owner").get(url(cast, "update", update_id=update.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Gina Globex" in html
    assert "Ian Initech" not in html
    assert "Initech" not in html
    assert "And 1 at organisations you do not look after." in html
    # The facilitator sees both, and both organisations' approvals.
    everyone = client_for("facilitator").get(url(cast, "update", update_id=update.pk))
    assert "Ian Initech" in everyone.content.decode()
    assert 'data-customer="Initech"' in everyone.content.decode()


def test_the_update_page_shows_the_drafts_notes(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    """What the draft left out (a decision with no summary for customers) is said beside the
    update, for the facilitator; the text customers get says nothing of it."""
    cast = world.cast
    w.approved(world)
    fran = client_for("facilitator")
    with clock.frozen(NOW):
        update = compose_on_the_web(world, fran)
    html = fran.get(url(cast, "update", update_id=update.pk)).content.decode()
    assert "Notes on the draft" in html
    assert "the recommendation “One-page approval” (approved) has no summary for customers" in (
        html
    )
    assert "One-page approval" not in update.body


def test_the_api_refuses_to_send_an_approved_plan_that_slipped_naming_what_changed(
    world: w.World, api_client_for: Callable[[str], Client], client_for: Callable[[str], Client]
) -> None:
    from datetime import date

    from traction.loop.models import PriorityStatus
    from traction.loop.services import updates as services

    cast = world.cast
    with clock.frozen(NOW - timedelta(days=1)):
        PriorityStatus.objects.create(
            workspace=cast.acme,
            program=cast.program,
            priority=world.card,
            status="planned",
            window_kind="quarter",
            window_start=date(2027, 4, 1),
            published_at=clock.now(),
        )
    with clock.frozen(NOW):
        update = services.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.customer.pk,
        )
        services.submit(cast.viewer("facilitator"), update)
        services.approve(cast.viewer("account_owner"), Approval.objects.get(update=update))
    with clock.frozen(NOW + timedelta(days=1)):
        PriorityStatus.objects.create(
            workspace=cast.acme,
            program=cast.program,
            priority=world.card,
            status="not_planned",
            customer_reason="It conflicts with our security policy.",
            published_at=clock.now(),
        )
        status, refused = api_json(
            api_client_for("facilitator"), "POST", f"/updates/{update.pk}/send"
        )
        assert status == 422
        text = json.dumps(refused, ensure_ascii=False)
        assert "can no longer be sent as approved" in text
        assert "“Invoice approval takes three weeks” is now not planned" in text
        # The page says the same, and the update stays approved, not sent.
        page = client_for("facilitator").post(
            url(cast, "update-send", update_id=update.pk), {"version": update.version}, follow=True
        )
        assert "is now not planned" in page.content.decode()
    update.refresh_from_db()
    assert update.state == "approved"


def test_an_updates_text_past_its_cap_is_refused_beside_the_field_and_in_the_api(
    world: w.World, client_for: Callable[[str], Client], api_client_for: Callable[[str], Client]
) -> None:
    from traction.core.text import too_long
    from traction.loop.services.updates import BODY_MAX

    cast = world.cast
    fran = client_for("facilitator")
    with clock.frozen(NOW):
        update = compose_on_the_web(world, fran)
        body = "b" * BODY_MAX + "\n"  # the service keeps one line end: one past the cap
        page = fran.post(
            url(cast, "update-edit", update_id=update.pk),
            {"version": update.version, "subject": update.subject, "body": body},
        )
        assert page.status_code == 422
        assert page.context["form"].errors["body"] == [too_long(BODY_MAX, BODY_MAX + 1)]
        answer = api_client_for("facilitator").patch(
            f"/api/v1/updates/{update.pk}",
            json.dumps({"body": "b" * (BODY_MAX - 1)}),
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.content[:300]
        update.refresh_from_db()
        assert len(update.body) == BODY_MAX  # its line end added
        # A text stored at the cap stays editable in its subject on the web.
        kept = fran.post(
            url(cast, "update-edit", update_id=update.pk),
            {"version": update.version, "subject": "New subject", "body": update.body},
        )
        assert kept.status_code == 302
