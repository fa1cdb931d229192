"""The signed one-click link of a status approval (docs/loop.md, "Statuses"): the account
owner opens what their customer will see and approves it with a second step (a POST), without
signing in. Refused when tampered (or an update's link), expired, superseded by a newer
proposal, moved to another owner, used by someone else signed in, or already decided; each
refusal is audited on the approval it names. Also: pending approvals follow a customer to
its new account owner, who is asked again at once; the status turnaround in the API."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from traction.accounts.models import Notice
from traction.core import audit, clock
from traction.core.errors import NotFound, ValidationFailed
from traction.core.models import AuditEvent
from traction.loop import approval_links
from traction.loop.models import (
    Approval,
    ApprovalEmail,
    ApprovalState,
    PriorityStatus,
    Status,
    Update,
)
from traction.loop.services import publishing, updates

from . import world as w

NOW = w.NOW  # the shared ``world`` fixture (conftest.py) freezes the clock here

pytestmark = pytest.mark.django_db


def _propose(world: w.World, status: str = Status.HEARD) -> PriorityStatus:
    return publishing.propose_status(
        world.cast.viewer("facilitator"),
        world.cast.program,
        priority_id=world.card.pk,
        status=status,
    )


def owens(world: w.World) -> tuple[PriorityStatus, Approval, str]:
    """Heard, proposed for Globex's card: Owen (Globex) is asked; Initech has no owner."""
    with clock.frozen(NOW):
        proposal = _propose(world)
        approval = Approval.objects.get(status=proposal, customer=world.cast.customer)
        return proposal, approval, approval_links.make_token(approval)


def _link(world: w.World, token: str, slug: str | None = None) -> str:
    return reverse("loop:status-approval-link", args=[slug or world.cast.acme.slug, token])


def _refusals() -> list[AuditEvent]:
    refused = AuditEvent.objects.filter(action="loop.status_approval_link_refused")
    return list(refused.order_by("pk"))


# --- the service --------------------------------------------------------------------------------


def test_the_link_approves_once_as_the_owner(world: w.World) -> None:
    proposal, approval, token = owens(world)
    with clock.frozen(NOW + timedelta(days=13, hours=23)):
        publishing.approve_by_link(token)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED
    assert approval.by == world.cast.users["account_owner"]
    assert AuditEvent.objects.filter(action="loop.approval_approved", object_id=str(approval.pk))
    # Initech's approval still waits (an admin's waiver): not published yet.
    proposal.refresh_from_db()
    assert proposal.published_at is None
    with pytest.raises(ValidationFailed) as refused:
        publishing.approve_by_link(token)
    assert "already given" in str(refused.value.errors)


def test_a_tampered_link_or_an_updates_link_is_refused(world: w.World) -> None:
    _, approval, token = owens(world)
    with pytest.raises(NotFound):
        publishing.approve_by_link(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    # The update approvals' salt: a token of one kind never opens as the other.
    forged = approval_links.signing.dumps(
        {"a": approval.pk, "v": approval.status_id, "u": approval.account_owner_id, "t": 0},
        salt=approval_links.KINDS["update"].salt,
        compress=True,
    )
    with pytest.raises(NotFound):
        publishing.approve_by_link(forged)
    with pytest.raises(NotFound):
        updates.approve_by_link(token)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING


def test_an_expired_link_is_refused(world: w.World) -> None:
    _, approval, token = owens(world)
    with (
        clock.frozen(NOW + timedelta(days=14, minutes=1)),
        pytest.raises(ValidationFailed) as refused,
    ):
        publishing.approve_by_link(token)
    assert "expired" in str(refused.value.errors)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING


def test_a_link_to_a_replaced_proposal_is_refused(world: w.World) -> None:
    _, approval, token = owens(world)
    with clock.frozen(NOW + timedelta(hours=1)):
        _propose(world)  # a newer proposal withdraws the pending one
    with pytest.raises(ValidationFailed) as refused:
        publishing.approve_by_link(token)
    assert "A newer status was proposed" in str(refused.value.errors)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING


def test_a_link_of_an_approval_moved_to_another_owner_is_refused(world: w.World) -> None:
    from traction.customers import services as customer_services

    cast = world.cast
    _, _approval, token = owens(world)
    customer_services.update_customer(
        cast.viewer("admin"), customer=cast.customer, changes={"account_owner_id": None}
    )
    with pytest.raises(ValidationFailed) as refused:
        publishing.approve_by_link(token)
    assert "moved to another account owner" in str(refused.value.errors)


# --- the page: GET shows, POST approves -----------------------------------------------------------


def test_the_page_shows_what_is_approved_and_only_a_post_approves(world: w.World) -> None:
    _, approval, token = owens(world)
    owner = Client()
    with clock.frozen(NOW + timedelta(minutes=5)):
        page = owner.get(_link(world, token))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Invoice approval takes three weeks" in html
        assert 'data-status="heard"' in html
        assert "Globex" in html
        assert "Approve this status</button>" in html
        approval.refresh_from_db()
        assert approval.state == ApprovalState.PENDING  # a mail scanner's GET approves nothing
        done = owner.post(_link(world, token))
    assert done.status_code == 200
    assert "Approved for Globex" in done.content.decode()
    assert "Approve this status</button>" not in done.content.decode()
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED
    # Used again: the page says it was already given, and the refusal is audited.
    with clock.frozen(NOW + timedelta(minutes=6)):
        again = owner.post(_link(world, token))
        shown = owner.get(_link(world, token))
    assert again.status_code == 409
    assert "already given (Approved)" in again.content.decode()
    assert "already given (Approved)" in shown.content.decode()
    [event] = _refusals()
    assert event.object_id == str(approval.pk)
    assert event.workspace_id == world.cast.acme.pk


def test_refusals_answer_with_the_reason_and_are_audited(world: w.World) -> None:
    _, approval, token = owens(world)
    with clock.frozen(NOW + timedelta(days=15)):
        expired = Client().get(_link(world, token))
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()
    with clock.frozen(NOW):
        tampered = Client().post(_link(world, token[:-2] + "xx"))
        assert tampered.status_code == 404  # names nothing we trust: logged, not audited
        other = Client()
        other.force_login(world.cast.users["facilitator"])
        assert other.post(_link(world, token)).status_code == 403
        assert Client().get(_link(world, token, slug=world.cast.rival.slug)).status_code == 404
    assert [e.object_id for e in _refusals()] == [str(approval.pk)] * 3
    assert "expired" in _refusals()[0].reason
    assert "belongs to another person" in _refusals()[1].reason
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING


def test_an_old_link_cannot_flood_the_audit_trail(
    world: w.World, caplog: pytest.LogCaptureFixture
) -> None:
    """Attacker's review: every opening of an expired link was audited, so whoever held an
    old approval email wrote to the workspace's append-only trail without end. A link's
    refusals are audited up to ``audit.OUTSIDERS_AUDITED_PER_HOUR`` an hour, then logged."""
    _, _approval, token = owens(world)
    limit = audit.OUTSIDERS_AUDITED_PER_HOUR
    with clock.frozen(NOW + timedelta(days=15)) as frozen, caplog.at_level("WARNING"):
        for _ in range(limit + 5):
            assert Client().get(_link(world, token)).status_code == 410
        assert len(_refusals()) == limit
        assert "not audited" in caplog.text
        frozen.advance(timedelta(hours=1, seconds=1))
        assert Client().get(_link(world, token)).status_code == 410
        assert len(_refusals()) == limit + 1


# --- a new account owner is asked at once -------------------------------------------------------


def test_pending_approvals_move_to_the_new_owner_who_is_asked_again(
    world: w.World, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    from traction.customers import services as customer_services

    cast = world.cast
    _, approval, token = owens(world)
    with clock.frozen(NOW):
        update = updates.compose(
            cast.viewer("facilitator"),
            cast.program,
            audience="customer",
            customer_id=cast.customer.pk,
        )
        updates.submit(cast.viewer("facilitator"), update)
    update_approval = Approval.objects.get(update=update)
    update_token = approval_links.make_token(update_approval)
    asked_before = ApprovalEmail.objects.count()
    admin = cast.users["admin"]
    with clock.frozen(NOW + timedelta(hours=2)), django_capture_on_commit_callbacks():
        customer_services.update_customer(
            cast.viewer("admin"), customer=cast.customer, changes={"account_owner_id": admin.pk}
        )
    for moved in (approval, update_approval):
        moved.refresh_from_db()
        assert moved.account_owner == admin
        [request] = ApprovalEmail.objects.filter(approval=moved, to=[admin.pk])
        assert request.kind == "request"
        event = AuditEvent.objects.get(action="loop.approval_moved", object_id=str(moved.pk))
        assert event.changes["account_owner"] == [cast.users["account_owner"].pk, admin.pk]
        assert event.changes["email"] == request.pk
        assert "account owner of Globex changed" in event.reason
        # Owen's notice is resolved; the admin has one of their own.
        action = f"loop.{moved.subject_kind}-approve:{moved.pk}"
        assert not Notice.objects.filter(
            action=action, user=cast.users["account_owner"], resolved_at__isnull=True
        ).exists()
        assert Notice.objects.filter(action=action, user=admin, resolved_at__isnull=True).exists()
    assert ApprovalEmail.objects.count() == asked_before + 2
    # Owen's links no longer work; the new owner's do.
    with pytest.raises(ValidationFailed):
        publishing.approve_by_link(token)
    with pytest.raises(ValidationFailed):
        updates.approve_by_link(update_token)
    publishing.approve_by_link(approval_links.make_token(approval))
    approval.refresh_from_db()
    assert approval.by == admin


def test_a_replaced_proposal_is_not_asked_of_the_new_owner(world: w.World) -> None:
    from traction.customers import services as customer_services

    cast = world.cast
    _, first, _token = owens(world)
    with clock.frozen(NOW + timedelta(hours=1)):
        second = Approval.objects.get(status=_propose(world), customer=cast.customer)
    with clock.frozen(NOW + timedelta(hours=2)):
        customer_services.update_customer(
            cast.viewer("admin"),
            customer=cast.customer,
            changes={"account_owner_id": cast.users["admin"].pk},
        )
    assert not ApprovalEmail.objects.filter(approval=first, to=[cast.users["admin"].pk])
    assert ApprovalEmail.objects.filter(approval=second, to=[cast.users["admin"].pk]).count() == 1


def test_no_owner_left_asks_nobody(world: w.World) -> None:
    from traction.customers import services as customer_services

    cast = world.cast
    _, approval, _token = owens(world)
    before = ApprovalEmail.objects.count()
    customer_services.update_customer(
        cast.viewer("admin"), customer=cast.customer, changes={"account_owner_id": None}
    )
    approval.refresh_from_db()
    assert approval.account_owner_id is None
    assert ApprovalEmail.objects.count() == before
    assert AuditEvent.objects.get(action="loop.approval_moved", object_id=str(approval.pk))


# --- the turnaround in the API -----------------------------------------------------------------


def test_the_status_turnaround_is_in_the_api(
    world: w.World, api_client_for: Callable[[str], Client]
) -> None:
    cast = world.cast
    path = f"/api/v1/programs/{cast.program.pk}/status-turnaround"
    api = api_client_for("facilitator")
    assert json.loads(api.get(path).content) == {
        "decided": 0,
        "median_seconds": None,
        "slowest_seconds": None,
    }
    _, approval, token = owens(world)
    with clock.frozen(NOW + timedelta(hours=3)):
        publishing.approve_by_link(token)
    # A waiver is not an owner's answer: left out.
    initech = Approval.objects.get(status=approval.status, customer=cast.other_customer)
    with clock.frozen(NOW + timedelta(hours=30)):
        publishing.waive(cast.viewer("admin"), initech, reason="Nobody owns Initech yet.")
    found = json.loads(api.get(path).content)
    assert found == {"decided": 1, "median_seconds": 10800.0, "slowest_seconds": 10800.0}
    # The page shows the same figure.
    web = Client()
    web.force_login(cast.users["facilitator"])
    page = web.get(reverse("loop:priorities", args=[cast.acme.slug, cast.program.pk]))
    assert "3 hours" in page.content.decode()
    # Updates' turnaround counts updates only.
    updates_path = f"/api/v1/programs/{cast.program.pk}/update-turnaround"
    assert json.loads(api.get(updates_path).content)["decided"] == 0
    assert not Update.objects.exists()


def test_the_owner_of_a_voter_reads_no_other_customers_words(
    world: w.World, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    """Attacker's review: a status of Initech's card that Gina (Globex) voted on is asked of
    Owen, Globex's owner, and his email and approve page printed the card, Initech's words,
    though an account owner reads only their own customers' words (the priorities page does
    not show him that card). They name it as customers read it instead: the recommendation's
    customer summary, or a priority Globex voted on in another organisation's words."""
    from django.core import mail

    cast = world.cast
    w.vote(world, world.quiet, cast.contact, 1)
    mail.outbox = []
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        proposal = publishing.propose_status(
            cast.viewer("facilitator"), cast.program, priority_id=world.quiet.pk,
            status=Status.HEARD,
        )  # fmt: skip
    approval = Approval.objects.get(status=proposal, customer=cast.customer)
    [email] = [m for m in mail.outbox if "owen@acme.test" in m.to[0]]
    words = "approve invoices from the phone"
    assert words not in email.body
    assert "A priority Globex voted on, in another organisation's words" in email.body
    with clock.frozen(NOW + timedelta(minutes=5)):
        page = Client().get(_link(world, approval_links.make_token(approval))).content.decode()
    assert words not in page
    assert "A priority Globex voted on, in another organisation&#x27;s words" in page
    # Once a decided recommendation citing it has a summary written for customers, that.
    rec = w.approved(world, world.quiet, "Mobile approvals")
    rec.customer_summary = "Approving invoices on your phone"
    rec.save(update_fields=["customer_summary"])
    from traction.loop import selectors

    assert selectors.priority_for_approver(approval) == "Approving invoices on your phone"
    # Globex's own card: its words, as before.
    _, mine, _ = owens(world)
    assert selectors.priority_for_approver(mine) == world.card.text
