"""Outreach asked together, through the services and the real SMTP server: each account
owner receives exactly ONE message listing all their contacts of the ask, with the session,
the facilitator's note and one link to decide them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings

from traction.core.testing.cast import Cast
from traction.customers import services as customers
from traction.customers.models import Contact
from traction.sessions import services, tasks
from traction.sessions.models import OutreachRequest, Session

from .conftest import SmtpServer

Capture = Callable[..., Any]
NOTE = "They run onboarding; we will map their first 30 days & <billing>."


@pytest.fixture
def contacts(cast: Cast) -> dict[str, Contact]:
    """Gina and Hank at Globex (Owen's account); Ian at Initech, Alice's account, with
    consent."""
    assert cast.customer is not None
    assert cast.other_customer is not None
    assert cast.contact is not None
    assert cast.other_contact is not None
    admin = cast.viewer("admin")
    hank = customers.add_contact(
        admin, customer=cast.customer, name="Hank Globex", email="hank@globex.test",
        title="Head of onboarding", consent_to_contact=True,
    )  # fmt: skip
    customers.update_customer(
        admin, customer=cast.other_customer, changes={"account_owner_id": cast.users["admin"].pk}
    )
    ian = customers.update_contact(
        admin, contact=cast.other_contact, changes={"consent_to_contact": True}
    )
    return {"gina": cast.contact, "hank": hank, "ian": ian}


def ask(
    cast: Cast, session: Session, people: list[Contact], capture: Capture
) -> list[OutreachRequest]:
    with capture(execute=True):
        made, refused = services.request_outreach_for_contacts(
            cast.viewer("facilitator"), session=session, contacts=people, message=NOTE
        )
    assert refused == {}
    return made


def test_one_message_per_owner_lists_all_their_contacts(
    cast: Cast,
    session: Session,
    contacts: dict[str, Contact],
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    made = ask(
        cast,
        session,
        [contacts["hank"], contacts["ian"], contacts["gina"]],
        django_capture_on_commit_callbacks,
    )

    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "alice@acme.test",
        "owen@acme.test",
    ]
    (owen,) = smtp_server.to("owen@acme.test")
    body = owen.body.replace("\r\n", "\n")
    assert owen.subject == "Approval needed: invite 2 contacts to Onboarding co-design"
    assert (
        "Fran Facilitator would like to invite 2 contacts of your customers to a co-design "
        "session. Globex is your account, so nobody will contact them about it unless you "
        "approve."
    ) in body
    assert (
        "Contacts to decide\n- Gina Globex, Globex\n- Hank Globex (Head of onboarding), Globex\n"
    ) in body
    assert "Onboarding co-design, for the program" in body
    assert "Fri 26 Mar 2027, 09:00–12:30 (Europe/Berlin)" in body
    assert "Issues & vision discussion (45 min)" in body
    assert f"Fran Facilitator writes\n{NOTE}\n" in body  # plain text: no HTML escaping
    # Owen reads about his customers only: Ian (Initech) is a count.
    assert "Ian" not in body
    assert "Initech" not in body
    assert "Also asked for this session\n- 1 contact of other customers\n" in body
    site = settings.TRACTION_SITE_URL.rstrip("/")
    batch = made[0].batch
    assert (
        f"Please decide here (all at once, or one by one):\n"
        f"{site}/w/acme/sessions/approvals/?batch={batch}\n"
    ) in body
    assert "fran@acme.test" in str(owen.message["Reply-To"])

    (alice,) = smtp_server.to("alice@acme.test")
    assert (
        alice.subject == "Approval needed: invite Ian Initech from Initech to Onboarding co-design"
    )
    (ian_request,) = [r for r in made if r.contact_id == contacts["ian"].pk]
    assert f"{site}/w/acme/sessions/outreach/{ian_request.pk}/" in alice.body
    assert "Gina" not in alice.body
    assert "Hank" not in alice.body


def test_a_second_ask_is_a_second_message(
    cast: Cast,
    session: Session,
    contacts: dict[str, Contact],
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    ask(cast, session, [contacts["gina"]], django_capture_on_commit_callbacks)
    ask(cast, session, [contacts["hank"]], django_capture_on_commit_callbacks)
    assert [m.subject for m in smtp_server.to("owen@acme.test")] == [
        "Approval needed: invite Gina Globex from Globex to Onboarding co-design",
        "Approval needed: invite Hank Globex from Globex to Onboarding co-design",
    ]
    second = smtp_server.to("owen@acme.test")[1].body.replace("\r\n", "\n")
    assert (
        "Also asked for this session\n- Gina Globex, Globex (waiting for the account owner)\n"
    ) in second
    assert "Contact\n- Hank Globex (Head of onboarding), Globex\n" in second


def test_a_delivery_run_late_leaves_out_what_was_decided_meanwhile(
    cast: Cast,
    session: Session,
    contacts: dict[str, Contact],
    smtp_server: SmtpServer,
) -> None:
    """The task sends what is true when it runs (a database queue may run it later)."""
    made, _ = services.request_outreach_for_contacts(  # on-commit tasks not run: queued
        cast.viewer("facilitator"),
        session=session,
        contacts=[contacts["gina"], contacts["hank"]],
        message=NOTE,
    )
    gina, hank = made
    services.decide_outreach(cast.viewer("account_owner"), request=gina, approve=True)
    owner = cast.users["account_owner"].pk
    tasks.deliver_outreach_requests.enqueue(owner, [gina.pk, hank.pk], "/w/acme/x/")
    (received,) = smtp_server.messages
    assert received.subject == (
        "Approval needed: invite Hank Globex from Globex to Onboarding co-design"
    )
    services.decide_outreach(cast.viewer("account_owner"), request=hank, approve=True)
    smtp_server.clear()
    tasks.deliver_outreach_requests.enqueue(owner, [gina.pk, hank.pk], "/w/acme/x/")
    assert smtp_server.messages == []
