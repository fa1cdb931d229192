"""Readiness asks for the method's parts, not only minutes (issue 11): the agenda check through
the API and the session's page, the program's upcoming sessions without cancelled ones, and a
practice session that asks for no customers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from traction.core.testing.cast import Cast
from traction.customers.models import Contact
from traction.sessions import agenda, services
from traction.sessions.models import AgendaItem, Invitation, OutreachRequest, Session, SessionKind

pytestmark = pytest.mark.django_db

API = "/api/v1"
ClientFor = Callable[[str], Client]

PITCH = [{"title": "Sales pitch of our roadmap", "minutes": 210}]
NO_VOTING = [
    {"title": "Welcome", "minutes": 15},
    {"title": "Issues & vision discussion", "minutes": 60},
    {"title": "Scenario mapping in customer teams", "minutes": 120},
    {"title": "Next steps", "minutes": 15},
]


def plan(cast: Cast, **fields: Any) -> Session:
    values: dict[str, Any] = {
        "program": cast.program,
        "title": "Onboarding co-design",
        "starts_at": datetime(2030, 7, 1, 9, 0),
        "ends_at": datetime(2030, 7, 1, 12, 30),  # 210 minutes: the co-design template's
        "time_zone": "Europe/Berlin",
        **fields,
    }
    return services.plan_session(cast.viewer("facilitator"), **values)


def set_agenda(cast: Cast, session: Session, items: list[dict[str, Any]]) -> None:
    services.set_agenda(cast.viewer("facilitator"), session=session, items=items)


def agenda_check(client: Client, session: Session) -> dict[str, Any]:
    body = client.get(f"{API}/sessions/{session.pk}").json()
    (check,) = [c for c in body["readiness"]["checks"] if c["key"] == "agenda"]
    return dict(check)


def page(client: Client, name: str, *args: object) -> str:
    return client.get(reverse(name, args=["acme", *args])).content.decode()


# --- the one rule -------------------------------------------------------------------------------


def test_each_template_covers_the_parts_its_kind_requires() -> None:
    for kind, items in agenda.TEMPLATES.items():
        assert agenda.missing_parts(kind, (i.title for i in items)) == [], kind


def test_parts_are_recognised_in_the_methods_wording_and_other_languages() -> None:
    def missing(*titles: str) -> list[str]:
        return [p.key for p in agenda.missing_parts(SessionKind.CO_DESIGN, titles)]

    assert missing("Sales pitch of our roadmap") == [
        "issues_vision",
        "scenario",
        "prioritisation",
        "next_steps",
    ]
    assert missing("Their issues", "Map the journey", "Dot voting", "Wrap-up") == []
    assert missing("Problèmes et vision", "Cartographie des scénarios", "Priorisation") == [
        "next_steps"
    ]
    assert (
        missing("Probleme & Vision", "Szenario-Mapping", "Priorisierung", "Nächste Schritte") == []
    )
    assert missing("Visión", "Mapa del escenario", "Votación", "Próximos pasos") == []
    # "roadmap" is not a map, "votre" is not a vote, "Vision" alone still needs the rest
    assert missing("Présentation de votre roadmap", "Vision") == [
        "scenario",
        "prioritisation",
        "next_steps",
    ]
    assert agenda.missing_parts(SessionKind.PRACTICE, ["Anything"]) == []


# --- through the API ---------------------------------------------------------------------------


def test_api_a_pitch_of_full_length_is_not_a_complete_agenda(
    cast: Cast, api_client_for: ClientFor
) -> None:
    session = plan(cast)
    client = api_client_for("facilitator")
    assert agenda_check(client, session) == {
        "key": "agenda",
        "label": "Agenda complete",
        "done": True,
        "detail": "210 of 210 minutes planned",
    }
    set_agenda(cast, session, PITCH)
    assert agenda_check(client, session) == {
        "key": "agenda",
        "label": "Agenda complete",
        "done": False,
        "detail": "The agenda has no issues and vision discussion, scenario mapping, "
        "prioritisation (dot voting) or next steps yet; 210 of 210 minutes planned",
    }
    set_agenda(cast, session, NO_VOTING)
    assert agenda_check(client, session)["detail"] == (
        "The agenda has no prioritisation (dot voting) yet; 210 of 210 minutes planned"
    )
    assert agenda_check(client, session)["done"] is False
    set_agenda(cast, session, [*NO_VOTING[:3], {"title": "Dot voting", "minutes": 15}])
    assert agenda_check(client, session) == {
        "key": "agenda",
        "label": "Agenda complete",
        "done": False,
        "detail": "The agenda has no next steps yet; 210 of 210 minutes planned",
    }
    mapping = {"title": "Scenario mapping", "minutes": 105}
    set_agenda(
        cast, session, [*NO_VOTING[:2], mapping, {"title": "Vote", "minutes": 15}, NO_VOTING[3]]
    )
    assert agenda_check(client, session) == {
        "key": "agenda",
        "label": "Agenda complete",
        "done": True,
        "detail": "210 of 210 minutes planned",
    }
    # every part is there, but the minutes still count
    set_agenda(cast, session, [{"title": "Issues, scenario map, votes, next steps", "minutes": 60}])
    assert agenda_check(client, session) == {
        "key": "agenda",
        "label": "Agenda complete",
        "done": False,
        "detail": "60 of 210 minutes planned",
    }


def test_api_a_practice_session_asks_for_no_outreach_invitations_or_votes(
    cast: Cast, api_client_for: ClientFor
) -> None:
    practice = plan(
        cast,
        kind="practice",
        starts_at=datetime(2030, 6, 28, 9),
        ends_at=datetime(2030, 6, 28, 10, 30),
    )
    body = api_client_for("facilitator").get(f"{API}/sessions/{practice.pk}").json()
    assert body["readiness"] == {
        "percent": 50,
        "checks": [
            {
                "key": "briefings",
                "label": "Briefings acknowledged",
                "done": False,
                "detail": "No internal participants yet",
            },
            {
                "key": "agenda",
                "label": "Agenda complete",
                "done": True,
                "detail": "90 of 90 minutes planned",
            },
        ],
    }


# --- through the web pages ---------------------------------------------------------------------


def test_page_lists_the_missing_parts_in_the_checklist_and_the_agenda(
    cast: Cast, client_for: ClientFor
) -> None:
    session = plan(cast)
    set_agenda(cast, session, NO_VOTING)
    html = page(client_for("facilitator"), "sessions:detail", session.pk)
    assert (
        '<li class="todo"><span aria-hidden="true">○</span> <strong>Agenda complete</strong>'
        '<span class="visually-hidden">: not yet</span> — <span class="muted">The agenda has no '
        "prioritisation (dot voting) yet; 210 of 210 minutes planned</span></li>"
    ) in html
    assert (
        '<span class="badge badge-warn">The agenda has no prioritisation (dot voting) yet.</span>'
    ) in html
    assert '<h2 id="readiness">Readiness: 0%</h2>' in html


def test_saving_an_agenda_says_which_parts_are_missing(cast: Cast, client_for: ClientFor) -> None:
    session = plan(cast)
    client = client_for("facilitator")
    url = reverse("sessions:agenda", args=["acme", session.pk])
    data = {
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-ORDER": "1",
        "items-0-title": "Sales pitch of our roadmap",
        "items-0-minutes": "210",
        "items-0-notes": "",
    }
    response = client.post(url, data, follow=True)
    assert list(AgendaItem.objects.filter(session=session).values_list("title", flat=True)) == [
        "Sales pitch of our roadmap"
    ]
    assert (
        "The agenda was saved: 210 of 210 minutes planned. The agenda has no issues and vision "
        "discussion, scenario mapping, prioritisation (dot voting) or next steps yet."
    ) in response.content.decode()
    form = client.get(url).content.decode()
    assert (
        '<p class="notice" id="agenda-missing">The agenda has no issues and vision discussion, '
        "scenario mapping, prioritisation (dot voting) or next steps yet."
    ) in form
    # The live hint asks the server (the same rule), not a copy of it in the page.
    check_url = reverse("sessions:agenda_check", args=["acme", session.pk])
    assert f'hx-post="{check_url}"' in form
    assert "<script>" not in form


def test_a_cancelled_session_is_not_among_the_programs_upcoming_sessions(
    cast: Cast, client_for: ClientFor
) -> None:
    kept = plan(cast, title="Kept co-design")
    dropped = plan(cast, title="Dropped co-design")
    services.cancel_session(cast.viewer("facilitator"), session=dropped, reason="Venue closed.")
    html = page(client_for("facilitator"), "programs:detail", cast.program.pk)
    kept_url = reverse("sessions:detail", args=["acme", kept.pk])
    assert f'<a href="{kept_url}">Kept co-design</a>' in html
    assert "Dropped co-design" not in html


def test_a_practice_sessions_page_asks_for_no_outreach_invitations_or_voting(
    cast: Cast, client_for: ClientFor
) -> None:
    practice = plan(
        cast,
        kind="practice",
        starts_at=datetime(2030, 6, 28, 9),
        ends_at=datetime(2030, 6, 28, 10, 30),
    )
    client = client_for("facilitator")
    html = page(client, "sessions:detail", practice.pk)
    assert "Request outreach" not in html
    assert "Customers: outreach and invitations" not in html
    assert "Submit and vote" not in html
    assert "Top questions picked" not in html
    assert "Account owners approved outreach" not in html
    assert "Invitations accepted" not in html
    assert (
        "A practice session is a rehearsal for internal participants: no customers are "
        "requested, invited or asked to vote."
    ) in html
    url = reverse("sessions:outreach_new", args=["acme", practice.pk])
    response = client.post(url, {"contacts": [cast.contact.pk]}, follow=True)
    assert response.redirect_chain == [
        (reverse("sessions:detail", args=["acme", practice.pk]), 302)
    ]
    assert OutreachRequest.objects.filter(session=practice).count() == 0
    # a co-design session still asks for all of it
    co_design = page(client, "sessions:detail", plan(cast).pk)
    assert "Request outreach" in co_design
    assert "Submit and vote" in co_design


def test_no_interface_asks_customers_to_a_practice_session(
    cast: Cast, api_client_for: ClientFor
) -> None:
    from traction.customers import services as customer_services
    from traction.voting.models import VotingRound

    practice = plan(
        cast,
        kind="practice",
        starts_at=datetime(2030, 6, 28, 9),
        ends_at=datetime(2030, 6, 28, 10, 30),
    )
    assert cast.contact is not None
    customer_services.update_contact(
        cast.viewer("admin"), contact=cast.contact, changes={"consent_to_contact": True}
    )
    client = api_client_for("facilitator")
    asked = client.post(
        f"{API}/sessions/{practice.pk}/outreach-requests",
        {"contact_id": cast.contact.pk},
        content_type="application/json",
    )
    assert asked.status_code == 422
    assert Session.PRACTICE_REFUSAL in asked.content.decode()
    voting = client.post(
        f"{API}/sessions/{practice.pk}/voting/open", {"budget": 3}, content_type="application/json"
    )
    assert voting.status_code == 422
    assert Session.PRACTICE_REFUSAL in voting.content.decode()
    assert not OutreachRequest.objects.filter(session=practice).exists()
    assert not VotingRound.objects.filter(session=practice).exists()


# --- one rule, asked by readiness, the pages and the form's live hint ----------------------------


def test_check_agenda_is_the_one_answer_on_minutes_and_parts() -> None:
    full = [t.title for t in agenda.TEMPLATES[SessionKind.CO_DESIGN]]
    done = agenda.check_agenda(kind=SessionKind.CO_DESIGN, length=210, titles=full, total=210)
    assert (done.complete, done.warning, done.missing) == (True, "", "")
    short = agenda.check_agenda(kind=SessionKind.CO_DESIGN, length=210, titles=full, total=180)
    assert (short.complete, short.warning) == (
        False,
        "30 minutes of the session are not planned yet.",
    )
    over = agenda.check_agenda(kind=SessionKind.CO_DESIGN, length=210, titles=full, total=211)
    assert (over.complete, over.warning) == (False, "The agenda runs 1 minutes over the session.")
    pitch = agenda.check_agenda(
        kind=SessionKind.CO_DESIGN, length=210, titles=["Sales pitch"], total=210
    )
    assert (pitch.complete, pitch.warning, pitch.missing) == (
        False,
        "",
        "The agenda has no issues and vision discussion, scenario mapping, prioritisation "
        "(dot voting) or next steps yet.",
    )
    assert [p.key for p in pitch.required] == [
        "issues_vision",
        "scenario",
        "prioritisation",
        "next_steps",
    ]
    assert (
        agenda.check_agenda(kind=SessionKind.PRACTICE, length=60, titles=[], total=0).complete
        is False
    )


def test_readiness_and_the_page_give_the_rules_answer(
    cast: Cast, client_for: ClientFor, api_client_for: ClientFor
) -> None:
    session = plan(cast)
    set_agenda(cast, session, NO_VOTING)
    rule = agenda.summary(SessionKind.CO_DESIGN, 210, AgendaItem.objects.filter(session=session))
    assert rule.missing == "The agenda has no prioritisation (dot voting) yet."
    check = agenda_check(api_client_for("facilitator"), session)
    assert (check["done"], check["detail"]) == (
        rule.complete,
        "The agenda has no prioritisation (dot voting) yet; 210 of 210 minutes planned",
    )
    html = page(client_for("facilitator"), "sessions:agenda", session.pk)
    assert f'<p class="notice" id="agenda-missing">{rule.missing} ' in html


def test_the_live_hint_checks_the_rows_as_typed_and_saves_nothing(
    cast: Cast, client_for: ClientFor
) -> None:
    session = plan(cast)
    set_agenda(cast, session, PITCH)
    data = {
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "1",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-ORDER": "1",
        "items-0-title": "Sales pitch of our roadmap",
        "items-0-minutes": "210",
        "items-0-DELETE": "on",  # removed: neither its minutes nor its title count
        "items-1-ORDER": "2",
        "items-1-title": "Issues & vision, then scenario mapping",
        "items-1-minutes": "150",
        "items-2-ORDER": "3",
        "items-2-title": "Dot voting",
        "items-2-minutes": "",  # not typed yet: its title counts
    }
    url = reverse("sessions:agenda_check", args=["acme", session.pk])
    response = client_for("facilitator").post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith('<div id="agenda-check" aria-live="polite">')
    assert '<output id="agenda-total">150</output> of 210 minutes' in html
    assert (
        '<span id="agenda-warning" class="badge badge-warn">60 minutes of the session are not '
        "planned yet.</span>"
    ) in html
    assert '<p class="notice" id="agenda-missing">The agenda has no next steps yet. ' in html
    assert "<form" not in html
    assert list(AgendaItem.objects.filter(session=session).values_list("title", flat=True)) == [
        "Sales pitch of our roadmap"
    ]
    # Planners only, like the agenda itself.
    assert client_for("core_team").post(url, data).status_code == 403


# --- counts through the rows' policy (review 19, finding 11) ------------------------------------


def _asked(cast: Cast, session: Session, contact: Any, status: str, rsvp: str | None) -> None:
    request = OutreachRequest.objects.create(
        workspace=cast.acme,
        session=session,
        contact=contact,
        account_owner=contact.customer.account_owner,
        requested_by=cast.users["facilitator"],
        status=status,
    )
    if rsvp is not None:
        Invitation.objects.create(
            workspace=cast.acme,
            session=session,
            outreach=request,
            contact=contact,
            rsvp=rsvp,
        )


def _details(client: Client, session: Session) -> dict[str, str]:
    body = client.get(f"{API}/sessions/{session.pk}").json()
    return {c["key"]: c["detail"] for c in body["readiness"]["checks"]}


def test_an_account_owner_counts_only_the_contacts_they_may_see(
    cast: Cast, api_client_for: ClientFor, client_for: ClientFor
) -> None:
    """Owen owns Globex, not Initech: the session's approvals and invitations count his
    customer's contacts only, as its rows show him (another owner's customers are neither
    listed nor counted); the session's team counts them all."""
    session = plan(cast)
    _asked(cast, session, cast.contact, "approved", "accepted")  # Globex, Owen's
    _asked(cast, session, cast.other_contact, "approved", "declined")  # Initech
    third = Contact.objects.create(
        workspace=cast.acme, customer=cast.other_customer, name="Ina", email="ina@initech.test"
    )
    _asked(cast, session, third, "pending", None)
    team = _details(api_client_for("facilitator"), session)
    assert team["approvals"] == "2 of 3 approved, 1 pending"
    assert team["invitations"] == "1 of 2 accepted, 0 not answered"
    owen = _details(api_client_for("account_owner"), session)
    assert owen["approvals"] == "1 of 1 approved, 0 pending"
    assert owen["invitations"] == "1 of 1 accepted, 0 not answered"
    html = page(client_for("account_owner"), "sessions:detail", session.pk)
    assert "1 of 1 approved, 0 pending" in html
    assert "2 of 3 approved" not in html
    assert "1 of 2 accepted" not in html


def test_an_agenda_longer_than_the_session_says_by_how_much(
    cast: Cast, api_client_for: ClientFor, client_for: ClientFor
) -> None:
    session = plan(cast)
    set_agenda(
        cast, session, [*NO_VOTING[:3], {"title": "Dot voting", "minutes": 45}, NO_VOTING[3]]
    )
    detail = agenda_check(api_client_for("facilitator"), session)["detail"]
    assert detail == "255 of 210 minutes planned: 45 minutes too many for the session’s length"
    assert detail in page(client_for("facilitator"), "sessions:detail", session.pk)


def test_a_held_session_keeps_its_readiness_as_history_not_as_a_to_do(
    cast: Cast, client_for: ClientFor
) -> None:
    from datetime import timedelta

    from traction.core import clock

    session = plan(cast)
    before = page(client_for("facilitator"), "sessions:detail", session.pk)
    assert '<h2 id="readiness">Readiness: ' in before
    with clock.frozen(session.ends_at + timedelta(hours=1)):
        services.mark_session_held(cast.viewer("facilitator"), session=session)
        held = page(client_for("facilitator"), "sessions:detail", session.pk)
    assert "(suggested: " in held  # two weeks after the session: still ahead
    with clock.frozen(session.ends_at + timedelta(days=20)):
        after = page(client_for("facilitator"), "sessions:detail", session.pk)
    assert '<h2 id="readiness">Readiness before the session</h2>' in after
    assert "The session is over: nothing here is left to do." in after
    assert '<meter min="0" max="100"' not in after.split('id="readiness"')[1].split("</section>")[0]
    # Nor does it offer what only a coming session can use (cancelling it is refused: it is
    # over; a practice before it), nor suggest a date to hear back that has passed.
    for offered in ("Cancel session…", "Plan a practice session", "(suggested: "):
        assert offered in before, offered
        assert offered not in after, offered
