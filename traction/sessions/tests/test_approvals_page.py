"""Approvals with outreach asked together: the owner approves all of an ask in one go, or
decides each contact on the same page; a refusal shows beside the contact and decides
nothing. And the API's batch operations, with the usual error bodies."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.sessions import services
from traction.sessions.models import OutreachRequest, OutreachStatus, Session

pytestmark = pytest.mark.django_db

Clients = Callable[[str], Client]


def url(name: str, *args: object) -> str:
    return reverse(f"sessions:{name}", args=["acme", *args])


@pytest.fixture
def session(cast: Cast) -> Session:
    return services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=datetime(2030, 7, 1, 9, 0),
        ends_at=datetime(2030, 7, 1, 12, 30),
        time_zone="Europe/Berlin",
    )


@pytest.fixture
def hank(cast: Cast) -> Contact:
    assert cast.customer is not None
    return customer_services.add_contact(
        cast.viewer("admin"), customer=cast.customer, name="Hank Globex",
        email="hank@globex.test", consent_to_contact=True,
    )  # fmt: skip


@pytest.fixture
def made(cast: Cast, session: Session, hank: Contact) -> list[OutreachRequest]:
    assert cast.contact is not None
    requests, _ = services.request_outreach_for_contacts(
        cast.viewer("facilitator"),
        session=session,
        contacts=[cast.contact, hank],
        message="They run onboarding.",
    )
    return requests


def statuses(made: list[OutreachRequest]) -> list[str]:
    return [OutreachRequest.objects.get(pk=r.pk).status for r in made]


def test_the_ask_is_one_card_with_approve_all_and_each(
    client_for: Clients, made: list[OutreachRequest]
) -> None:
    page = client_for("account_owner").get(url("approvals")).content.decode()
    assert page.count('class="card ask"') == 1
    assert "Fran Facilitator asks to invite 2 of your contacts" in page
    assert "They run onboarding." in page
    assert ">Approve all 2</button>" in page
    for request in made:
        assert f'<input type="hidden" name="request" value="{request.pk}">' in page
    assert 'Approve<span class="visually-hidden"> Gina Globex</span></button>' in page
    assert 'Decline…<span class="visually-hidden"> Hank Globex</span></summary>' in page


def test_approve_all_decides_every_contact_and_says_so(
    client_for: Clients, made: list[OutreachRequest]
) -> None:
    batch = made[0].batch
    owen = client_for("account_owner")
    response = owen.post(
        url("approvals_decide"),
        {
            "request": [r.pk for r in made],
            "decision": "approve",
            "conditions": "No pricing.",
            "batch": str(batch),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url('approvals')}?batch={batch}"
    assert statuses(made) == [OutreachStatus.APPROVED] * 2
    assert [OutreachRequest.objects.get(pk=r.pk).conditions for r in made] == ["No pricing."] * 2
    page = owen.get(response["Location"]).content.decode()
    assert (
        "You approved inviting Gina Globex and Hank Globex with your conditions. "
        "The facilitator was told."
    ) in page
    assert "Nothing of this request waits for you any more." in page


def test_a_decline_without_reason_is_refused_beside_that_contact(
    client_for: Clients, made: list[OutreachRequest]
) -> None:
    hank = made[1]
    response = client_for("account_owner").post(
        url("approvals_decide"), {"request": hank.pk, "decision": "decline", "reason": " "}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        f'<ul class="errorlist" id="reason-err-{hank.pk}"><li>Say why, so the facilitator can '
        "respond.</li></ul>"
    ) in page
    assert f'<li id="request-{hank.pk}" class="row-invalid">' in page
    assert "<details open>" in page
    assert statuses(made) == [OutreachStatus.PENDING] * 2


def test_approve_all_after_a_waiver_decides_nothing(
    cast: Cast, client_for: Clients, made: list[OutreachRequest]
) -> None:
    services.waive_outreach(cast.viewer("admin"), request=made[1], reason="Owen is away.")
    before = AuditEvent.objects.count()
    response = client_for("account_owner").post(
        url("approvals_decide"),
        {"request": [r.pk for r in made], "decision": "approve", "conditions": "Kind words."},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was decided; see the reasons below." in page
    assert statuses(made) == [OutreachStatus.PENDING, OutreachStatus.WAIVED]
    assert AuditEvent.objects.count() == before
    # Gina still waits, alone now: approve her on her own.
    assert ">Approve all" not in page


def test_only_the_owner_decides_from_approvals(
    client_for: Clients, made: list[OutreachRequest]
) -> None:
    data = {"request": [r.pk for r in made], "decision": "approve"}
    assert client_for("admin").post(url("approvals_decide"), data).status_code == 403
    assert client_for("core_team").post(url("approvals_decide"), data).status_code == 404
    assert (
        client_for("account_owner")
        .post(url("approvals_decide"), {"request": [made[0].pk, 10**9], "decision": "approve"})
        .status_code
        == 404
    )
    assert statuses(made) == [OutreachStatus.PENDING] * 2


# --- the API ---------------------------------------------------------------------------------

API = "/api/v1"


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(API + path, json.dumps(body), content_type="application/json")


def test_api_batch_request_and_batch_decision(
    cast: Cast,
    api_client_for: Clients,
    session: Session,
    hank: Contact,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    assert cast.contact is not None
    assert cast.other_contact is not None
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api_client_for("facilitator"),
            f"/sessions/{session.pk}/outreach-requests/batch",
            {
                "contact_ids": [cast.contact.pk, hank.pk, cast.other_contact.pk, 10**9],
                "message": "Their view.",
            },
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["contact_name"] for r in body["requested"]] == ["Gina Globex", "Hank Globex"]
    assert len({r["batch"] for r in body["requested"]}) == 1
    assert body["refused"] == [
        {
            "contact_id": cast.other_contact.pk,
            "detail": "Ian Initech has not agreed to be contacted; record their consent first. "
            "Initech has no account owner to approve outreach; assign one first.",
        },
        {"contact_id": 10**9, "detail": "Contact not found."},
    ]
    assert [m.to for m in mailoutbox] == [["Owen Owner <owen@acme.test>"]]  # one email

    ids = [r["id"] for r in body["requested"]]
    owen = api_client_for("account_owner")
    refused = post(
        owen,
        "/outreach-requests/decisions",
        {
            "decisions": [
                {"request_id": ids[0], "approve": True},
                {"request_id": ids[1], "approve": False},
            ]
        },
    )
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": [
            {
                "loc": ["body", "decisions", 1, "reason"],
                "msg": "Say why, so the facilitator can respond.",
                "type": "value_error",
            }
        ],
        "message": "decisions.1.reason: Say why, so the facilitator can respond.",
    }
    assert OutreachRequest.objects.filter(status=OutreachStatus.PENDING).count() == 2

    done = post(
        owen,
        "/outreach-requests/decisions",
        {
            "decisions": [
                {"request_id": ids[0], "approve": True, "conditions": "No pricing."},
                {"request_id": ids[1], "approve": False, "reason": "Hank is leaving."},
            ]
        },
    )
    assert done.status_code == 200, done.content
    assert [(r["id"], r["status"], r["conditions"], r["reason"]) for r in done.json()] == [
        (ids[0], "approved", "No pricing.", ""),
        (ids[1], "declined", "", "Hank is leaving."),
    ]
    again = post(
        owen,
        "/outreach-requests/decisions",
        {"decisions": [{"request_id": ids[0], "approve": True}]},
    )
    assert again.status_code == 422
    assert again.json()["message"] == "decisions.0: This request is already approved."
    assert post(owen, "/outreach-requests/decisions", {"decisions": []}).status_code == 422
    facilitator = post(
        api_client_for("facilitator"),
        "/outreach-requests/decisions",
        {"decisions": [{"request_id": ids[0], "approve": True}]},
    )
    assert facilitator.status_code == 403
    assert facilitator.json() == {"detail": facilitator.json()["detail"]}
