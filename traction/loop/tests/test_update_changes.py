"""An account owner asks for changes in an update instead of approving it (docs/loop.md,
"Updates"): with a required reason, decided once and audited; the update cannot be sent
while it stands (the refusal names the owner and their reason); its author and whoever
asked are told in the app; an edit asks the owner again and shows what changed since. On
the update's page, on the signed link's page and in the API."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from traction.accounts.models import Notice
from traction.core import clock
from traction.core.errors import NotFound, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.loop import approval_links
from traction.loop.models import Approval, ApprovalState, Update, UpdateState
from traction.loop.services import updates

from . import world as w

NOW = w.NOW

pytestmark = pytest.mark.django_db

ASK = "Please drop the second paragraph; Gina has not seen the new page yet."


def url(cast: Cast, name: str, **kw: object) -> str:
    return reverse(f"loop:{name}", kwargs={"workspace_slug": cast.acme.slug, **kw})


def owens(world: w.World) -> tuple[Update, Approval]:
    """An update for Globex composed by Fran (facilitator), asked of Owen."""
    cast = world.cast
    with clock.frozen(NOW):
        update = updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.customer.pk,
        )
        updates.submit(cast.viewer("facilitator"), update)
    update.refresh_from_db()
    return update, Approval.objects.get(update=update)


def test_asking_for_changes_needs_a_reason_holds_the_update_and_tells_its_author(
    world: w.World,
) -> None:
    cast = world.cast
    fran, owen = cast.viewer("facilitator"), cast.viewer("account_owner")
    update, approval = owens(world)
    for empty in ("", "   "):
        with pytest.raises(ValidationFailed) as refused:
            updates.request_changes(owen, updates.approval(owen, approval.pk), reason=empty)
        assert refused.value.errors == {"reason": ["Say what should change."]}
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING
    with clock.frozen(NOW + timedelta(hours=3)):
        updates.request_changes(owen, updates.approval(owen, approval.pk), reason=f"  {ASK} ")
    approval.refresh_from_db()
    assert approval.state == ApprovalState.CHANGES_REQUESTED
    assert approval.get_state_display() == "Changes asked"
    assert approval.reason == ASK
    assert approval.by == cast.users["account_owner"]
    assert approval.at == NOW + timedelta(hours=3)
    event = AuditEvent.objects.get(action="loop.update_approval_changes_requested")
    assert event.reason == ASK
    assert event.actor_id == cast.users["account_owner"].pk
    # Owen's own notice (an approval waits) is resolved; Fran, who drafted and asked, is told.
    assert not Notice.objects.filter(user=cast.users["account_owner"], resolved_at=None).exists()
    [told] = Notice.objects.filter(user=cast.users["facilitator"], resolved_at=None)
    assert ASK in told.text
    assert "Globex" in told.text
    assert told.link == url(cast, "update", update_id=update.pk)
    update.refresh_from_db()
    assert update.state == UpdateState.AWAITING
    # Decided once: neither approving nor asking again.
    with pytest.raises(ValidationFailed) as twice:
        updates.approve(owen, updates.approval(owen, approval.pk))
    assert "already given (Changes asked)" in str(twice.value.errors)
    with pytest.raises(ValidationFailed):
        updates.request_changes(owen, updates.approval(owen, approval.pk), reason="More.")
    # Sending is refused, naming the owner and what they asked.
    with pytest.raises(ValidationFailed) as unsent:
        updates.send(fran, update)
    said = " ".join(unsent.value.errors["__all__"])
    assert "an account owner asked for changes" in said
    owner = cast.users["account_owner"]
    assert f"{owner.full_name or owner.email} asked for changes for Globex: “{ASK}”" in said


def test_an_edit_asks_the_owner_again_and_shows_what_changed_since_they_asked(
    world: w.World,
) -> None:
    cast = world.cast
    fran, owen = cast.viewer("facilitator"), cast.viewer("account_owner")
    update, first = owens(world)
    updates.request_changes(owen, updates.approval(owen, first.pk), reason=ASK)
    with clock.frozen(NOW + timedelta(days=1)):
        updates.edit(fran, update, subject="What we heard from you", expected_version=1)
    update.refresh_from_db()
    assert (update.version, update.state) == (2, UpdateState.AWAITING)
    first.refresh_from_db()
    assert first.superseded_at is not None  # kept, dated: history is not deleted
    assert (first.state, first.reason) == (ApprovalState.CHANGES_REQUESTED, ASK)
    again = Approval.objects.get(update=update, superseded_at=None)
    assert (again.version, again.state) == (2, ApprovalState.PENDING)
    assert again.account_owner == cast.users["account_owner"]
    changes = updates.changes_since_approved(again)
    assert changes is not None
    assert changes.since_version == 1
    assert changes.since_changes_asked == ASK
    assert "+Subject: What we heard from you" in changes.text
    # Fran's notice is resolved by the edit; Owen is asked again in the app.
    assert not Notice.objects.filter(user=cast.users["facilitator"], resolved_at=None).exists()
    assert Notice.objects.filter(user=cast.users["account_owner"], resolved_at=None).count() == 1
    # Approving the new version lets it go.
    updates.approve(owen, updates.approval(owen, again.pk))
    update.refresh_from_db()
    assert update.state == UpdateState.APPROVED


def test_only_the_approvals_owner_asks_for_changes(world: w.World) -> None:
    cast = world.cast
    _, approval = owens(world)
    for principal in ("admin", "facilitator", "core_team", "sponsor", "observer"):
        with pytest.raises(NotFound):
            updates.request_changes(
                cast.viewer(principal),
                updates.approval(cast.viewer(principal), approval.pk),
                reason=ASK,
            )
    from traction.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):  # the approval handed over directly: still refused
        updates.request_changes(cast.viewer("facilitator"), approval, reason=ASK)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING


def test_the_link_asks_for_changes_once(world: w.World) -> None:
    _, approval = owens(world)
    with clock.frozen(NOW):
        token = approval_links.make_token(approval)
    with pytest.raises(ValidationFailed) as empty:
        updates.request_changes_by_link(token, " ")
    assert "reason" in empty.value.errors
    updates.request_changes_by_link(token, ASK)
    approval.refresh_from_db()
    assert (approval.state, approval.reason) == (ApprovalState.CHANGES_REQUESTED, ASK)
    assert approval.by == world.cast.users["account_owner"]
    for again in (
        lambda: updates.approve_by_link(token),
        lambda: updates.request_changes_by_link(token, ASK),
    ):
        with pytest.raises(ValidationFailed) as refused:
            again()
        assert "already given" in str(refused.value.errors)


# --- pages ----------------------------------------------------------------------------------


def test_the_update_page_offers_ask_for_changes_with_the_reason_beside_the_field(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    update, approval = owens(world)
    owen, fran = client_for("account_owner"), client_for("facilitator")
    page = owen.get(url(cast, "update", update_id=update.pk)).content.decode()
    action = url(cast, "update-request-changes", update_approval_id=approval.pk)
    assert f'action="{action}"' in page
    assert "Ask for changes" in page
    # Nobody else is offered it, nor may post it.
    assert action not in fran.get(url(cast, "update", update_id=update.pk)).content.decode()
    assert fran.post(action, {"reason": ASK}).status_code == 404
    empty = owen.post(action, {"reason": "  "})
    assert empty.status_code == 200
    html = empty.content.decode()
    assert "Say what should change." in html
    assert "field-invalid" in html
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING
    done = owen.post(action, {"reason": ASK}, follow=True)
    assert "Asked for changes for Globex" in done.content.decode()
    approval.refresh_from_db()
    assert approval.state == ApprovalState.CHANGES_REQUESTED
    shown = fran.get(url(cast, "update", update_id=update.pk)).content.decode()
    assert "Changes asked" in shown
    assert ASK.replace("'", "&#x27;") in shown
    sent = fran.post(url(cast, "update-send", update_id=update.pk), follow=True)
    assert "an account owner asked for changes" in sent.content.decode()


def test_the_link_page_asks_for_changes_with_csrf_and_once(
    world: w.World, client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    _, approval = owens(world)
    with clock.frozen(NOW):
        link = url(cast, "update-approval-link", approval_token=approval_links.make_token(approval))
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(link)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="decision" value="changes"' in html
    assert "What should change" in html
    csrf = anonymous.cookies["csrftoken"].value
    # Without the CSRF token: refused, nothing decided.
    assert anonymous.post(link, {"decision": "changes", "reason": ASK}).status_code == 403
    empty = anonymous.post(link, {"decision": "changes", "reason": "", "csrfmiddlewaretoken": csrf})
    assert empty.status_code == 422
    assert 'id="id_reason_error"' in empty.content.decode()
    assert "Say what should change." in empty.content.decode()
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING
    done = anonymous.post(link, {"decision": "changes", "reason": ASK, "csrfmiddlewaretoken": csrf})
    assert done.status_code == 200
    assert "You asked for changes for Globex" in done.content.decode()
    assert done["Cache-Control"] == "private, no-store"
    approval.refresh_from_db()
    assert (approval.state, approval.reason) == (ApprovalState.CHANGES_REQUESTED, ASK)
    again = anonymous.post(link, {"csrfmiddlewaretoken": csrf})
    assert again.status_code == 409
    assert "already given (Changes asked)" in again.content.decode()
    assert (
        client_for("facilitator").post(link, {"decision": "changes", "reason": ASK}).status_code
        == 403
    )


# --- API ------------------------------------------------------------------------------------


def test_the_api_asks_for_changes_with_a_reason(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    update, approval = owens(world)
    owen, fran = api_client_for("account_owner"), api_client_for("facilitator")

    def post(client: Client, path: str, body: object) -> tuple[int, dict]:  # type: ignore[type-arg]
        r = client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")
        return r.status_code, r.json()

    path = f"/update-approvals/{approval.pk}/request-changes"
    status, _ = post(fran, path, {"reason": ASK})
    assert status == 404
    status, empty = post(owen, path, {"reason": " "})
    assert status == 422
    assert empty["detail"][0]["loc"][-1] == "reason"
    status, found = post(owen, path, {"reason": ASK})
    assert status == 200, found
    assert found["state"] == "awaiting"
    [row] = found["approvals"]
    assert (row["state"], row["reason"]) == ("changes_requested", ASK)
    status, refused = post(fran, f"/updates/{update.pk}/send", {})
    assert status == 422
    assert ASK in json.dumps(refused, ensure_ascii=False)
    status, again = post(owen, f"/update-approvals/{approval.pk}/approve", {})
    assert status == 422
    assert "already given" in json.dumps(again)
