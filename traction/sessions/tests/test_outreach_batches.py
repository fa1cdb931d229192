"""Outreach asked together (issue #11): a facilitator's request for several contacts is ONE
notice (and one email, see tests/email) per account owner, and the owner may approve all of
it in one call, all or nothing, audited per contact, or decide each. Runs on SQLite and, with
scripts/pg-throwaway, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from traction.accounts.models import Notice
from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.sessions import selectors, services
from traction.sessions.models import OutreachRequest, OutreachStatus, Session
from traction.sessions.services import OutreachDecision

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


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
def contacts(cast: Cast) -> dict[str, Contact]:
    """Gina and Hank at Globex (Owen's account); Ian at Initech, now Alice's account, with
    his consent recorded."""
    assert cast.customer is not None
    assert cast.other_customer is not None
    assert cast.contact is not None
    assert cast.other_contact is not None
    admin = cast.viewer("admin")
    hank = customer_services.add_contact(
        admin, customer=cast.customer, name="Hank Globex", email="hank@globex.test",
        consent_to_contact=True,
    )  # fmt: skip
    customer_services.update_customer(
        admin,
        customer=cast.other_customer,
        changes={"account_owner_id": cast.users["admin"].pk},
    )
    ian = customer_services.update_contact(
        admin, contact=cast.other_contact, changes={"consent_to_contact": True}
    )
    return {"gina": cast.contact, "hank": hank, "ian": ian}


def ask(cast: Cast, session: Session, contacts: list[Contact]) -> list[OutreachRequest]:
    made, refused = services.request_outreach_for_contacts(
        cast.viewer("facilitator"), session=session, contacts=contacts, message="Your view."
    )
    assert refused == {}
    return made


def notices(user: Any) -> list[tuple[str, str, bool]]:
    return [
        (n.text, n.link, n.resolved_at is not None)
        for n in Notice.objects.filter(user=user).order_by("id")
    ]


def test_one_notice_per_owner_lists_their_contacts(
    cast: Cast, session: Session, contacts: dict[str, Contact]
) -> None:
    gina, hank, ian = contacts["gina"], contacts["hank"], contacts["ian"]
    made = ask(cast, session, [gina, ian, hank])

    assert len({r.batch for r in made}) == 1
    batch = made[0].batch
    assert notices(cast.users["account_owner"]) == [
        (
            "Approval needed: invite 2 contacts to “Onboarding co-design”: "
            "Gina Globex (Globex), Hank Globex (Globex).",
            f"/w/acme/sessions/approvals/?batch={batch}",
            False,
        )
    ]
    (ian_request,) = [r for r in made if r.contact_id == ian.pk]
    assert notices(cast.users["admin"]) == [
        (
            "Approval needed: invite Ian Initech (Initech) to “Onboarding co-design”.",
            f"/w/acme/sessions/outreach/{ian_request.pk}/",
            False,
        )
    ]
    assert Notice.objects.get(user=cast.users["account_owner"]).action == (
        f"outreach.decide-batch:{batch}:{cast.users['account_owner'].pk}"
    )


def test_the_owner_sees_the_ask_as_one_group(
    cast: Cast, session: Session, contacts: dict[str, Contact]
) -> None:
    made = ask(cast, session, [contacts["hank"], contacts["gina"], contacts["ian"]])
    (group,) = selectors.pending_batches(cast.viewer("account_owner"))
    assert group.batch == made[0].batch
    assert [r.contact.name for r in group.requests] == ["Gina Globex", "Hank Globex"]
    assert group.first.message == "Your view."
    assert selectors.pending_batches(cast.viewer("account_owner"), batch=made[0].batch)
    other = OutreachRequest._meta.get_field("batch").default()  # type: ignore[misc]
    assert selectors.pending_batches(cast.viewer("account_owner"), batch=other) == []


def test_approve_all_is_one_call_audited_per_contact_and_resolves_the_notice(
    cast: Cast,
    session: Session,
    contacts: dict[str, Contact],
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    made = ask(cast, session, [contacts["gina"], contacts["hank"]])
    owen = cast.viewer("account_owner")

    with django_capture_on_commit_callbacks(execute=True):
        done = services.decide_outreach_requests(
            owen,
            decisions=[OutreachDecision(r, True, conditions="No pricing.") for r in made],
        )

    assert [(r.status, r.conditions, r.decided_by_id) for r in done] == [
        (OutreachStatus.APPROVED, "No pricing.", owen.user_id)
    ] * 2
    for request in made:
        request.refresh_from_db()
        assert request.status == OutreachStatus.APPROVED
        events = AuditEvent.objects.filter(
            object_type="cosessions.outreachrequest",
            object_id=str(request.pk),
            action="outreach.approved",
        )
        assert [(e.actor_id, e.changes) for e in events] == [
            (owen.user_id, {"conditions": "No pricing."})
        ]
    assert [resolved for _, _, resolved in notices(cast.users["account_owner"])] == [True]
    # The facilitator hears of each decision.
    assert sorted(m.subject for m in mailoutbox if "fran@acme.test" in m.to[0]) == [
        "Approved with conditions: invite Gina Globex from Globex to Onboarding co-design",
        "Approved with conditions: invite Hank Globex from Globex to Onboarding co-design",
    ]


def test_one_by_one_the_notice_stays_until_the_last_is_decided(
    cast: Cast, session: Session, contacts: dict[str, Contact]
) -> None:
    gina, hank = ask(cast, session, [contacts["gina"], contacts["hank"]])
    owen = cast.viewer("account_owner")

    services.decide_outreach_requests(owen, decisions=[OutreachDecision(gina, True)])
    assert [resolved for _, _, resolved in notices(cast.users["account_owner"])] == [False]
    services.decide_outreach(owen, request=hank, approve=False, reason="Hank is leaving.")
    assert [resolved for _, _, resolved in notices(cast.users["account_owner"])] == [True]
    hank.refresh_from_db()
    assert (hank.status, hank.reason) == (OutreachStatus.DECLINED, "Hank is leaving.")


def _untouched(made: list[OutreachRequest], audit_before: int) -> None:
    for request in made:
        request.refresh_from_db()
        assert request.status == OutreachStatus.PENDING
        assert request.decided_at is None
    assert AuditEvent.objects.count() == audit_before


def test_a_request_decided_meanwhile_refuses_the_whole_batch(
    cast: Cast, session: Session, contacts: dict[str, Contact]
) -> None:
    gina, hank = ask(cast, session, [contacts["gina"], contacts["hank"]])
    services.waive_outreach(cast.viewer("admin"), request=hank, reason="Owen is away.")
    before = AuditEvent.objects.count()

    with pytest.raises(ValidationFailed) as exc:
        services.decide_outreach_requests(
            cast.viewer("account_owner"),
            decisions=[OutreachDecision(gina, True), OutreachDecision(hank, True)],
        )

    assert exc.value.errors == {"decisions.1": ["This request is already waived by an admin."]}
    gina.refresh_from_db()
    assert gina.status == OutreachStatus.PENDING
    assert AuditEvent.objects.count() == before


def test_a_decline_without_a_reason_refuses_the_whole_batch(
    cast: Cast, session: Session, contacts: dict[str, Contact]
) -> None:
    made = ask(cast, session, [contacts["gina"], contacts["hank"]])
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.decide_outreach_requests(
            cast.viewer("account_owner"),
            decisions=[
                OutreachDecision(made[0], True),
                OutreachDecision(made[1], False, reason=" "),
            ],
        )
    assert exc.value.errors == {"decisions.1.reason": ["Say why, so the facilitator can respond."]}
    _untouched(made, before)


def test_twice_or_nothing_is_refused(
    cast: Cast, session: Session, contacts: dict[str, Contact]
) -> None:
    (gina,) = ask(cast, session, [contacts["gina"]])
    owen = cast.viewer("account_owner")
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.decide_outreach_requests(
            owen, decisions=[OutreachDecision(gina, True), OutreachDecision(gina, False)]
        )
    assert exc.value.errors == {"decisions.1": ["This request is decided twice in one batch."]}
    with pytest.raises(ValidationFailed) as exc:
        services.decide_outreach_requests(owen, decisions=[])
    assert exc.value.errors == {"decisions": ["Choose at least one request to decide."]}
    _untouched([gina], before)


def test_another_owners_request_refuses_the_whole_batch(
    cast: Cast, session: Session, contacts: dict[str, Contact]
) -> None:
    made = ask(cast, session, [contacts["gina"], contacts["ian"]])  # Ian is Alice's to decide
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.decide_outreach_requests(
            cast.viewer("account_owner"), decisions=[OutreachDecision(r, True) for r in made]
        )
    _untouched(made, before)
    with pytest.raises(NotFound):  # Owen cannot see Ian's request at all
        selectors.requests_to_decide(cast.viewer("account_owner"), [r.pk for r in made])
    with pytest.raises(PermissionDenied):  # Fran sees them (she asked) but decides none
        selectors.requests_to_decide(cast.viewer("facilitator"), [r.pk for r in made])


def test_a_waiver_of_the_last_one_resolves_the_notice(
    cast: Cast, session: Session, contacts: dict[str, Contact]
) -> None:
    gina, hank = ask(cast, session, [contacts["gina"], contacts["hank"]])
    owen = cast.viewer("account_owner")
    services.decide_outreach(owen, request=gina, approve=True)
    services.waive_outreach(cast.viewer("admin"), request=hank, reason="Owen is away.")
    batch_notices = Notice.objects.filter(action__startswith="outreach.decide-batch:")
    assert [n.resolved_at is not None for n in batch_notices] == [True]


def test_a_new_owner_takes_over_and_the_old_notice_resolves(
    cast: Cast, session: Session, contacts: dict[str, Contact]
) -> None:
    """Globex moves to Alice: Owen's notice for the ask no longer asks anything of him."""
    ask(cast, session, [contacts["gina"], contacts["hank"]])
    assert cast.customer is not None
    customer_services.update_customer(
        cast.viewer("admin"),
        customer=cast.customer,
        changes={"account_owner_id": cast.users["admin"].pk},
    )
    assert [resolved for _, _, resolved in notices(cast.users["account_owner"])] == [True]
    assert selectors.pending_batches(cast.viewer("account_owner")) == []
    (group,) = selectors.pending_batches(cast.viewer("admin"))
    assert [r.contact.name for r in group.requests] == ["Gina Globex", "Hank Globex"]


def test_a_request_by_the_owner_themself_asks_nobody(
    cast: Cast, session: Session, contacts: dict[str, Contact]
) -> None:
    services.add_participant(
        cast.viewer("facilitator"),
        session=session,
        user_id=cast.users["account_owner"].pk,
        role="observer",
    )
    made, refused = services.request_outreach_for_contacts(
        cast.viewer("account_owner"),
        session=session,
        contacts=[contacts["gina"], contacts["hank"]],
    )
    assert refused == {}
    assert {r.status for r in made} == {OutreachStatus.APPROVED}
    assert not Notice.objects.filter(action__startswith="outreach.").exists()


def test_a_role_that_may_not_ask_is_refused_at_once(
    cast: Cast, session: Session, contacts: dict[str, Contact]
) -> None:
    services.add_participant(
        cast.viewer("facilitator"),
        session=session,
        user_id=cast.users["core_team"].pk,
        role="observer",
    )
    with pytest.raises(PermissionDenied):
        services.request_outreach_for_contacts(
            cast.viewer("core_team"), session=session, contacts=[contacts["gina"]]
        )
    assert not OutreachRequest.objects.exists()
