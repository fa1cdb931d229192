"""What the map carries for the debrief: customer metric cards linked to the moments of
truth they measure, and each step's "How we support it" lane."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.core.errors import NotFound, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.insights import services
from traction.insights.models import Insight, StepSupport
from traction.insights.tests.conftest import Room

pytestmark = pytest.mark.django_db


def card(room: Room, kind: str, text: str, step: int = 0, who: str = "gina") -> Insight:
    return services.capture_insight(
        room.cast.viewer("facilitator"),
        session=room.session,
        kind=kind,
        text=text,
        speaker=room.speaker(who),
        step_id=room.steps[step].pk,
        scenario_id=room.scenario.pk,
    )


def url(name: str, *args: object) -> str:
    return reverse(f"insights:{name}", args=["acme", *args])


def client(room: Room, principal: str = "facilitator") -> Client:
    c = Client()
    c.force_login(room.cast.users[principal])
    return c


# --- metric cards and their moments of truth -------------------------------------------------


def test_a_metric_measures_moments_of_its_scenario_audited(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    signed = card(room, "moment_of_truth", "The contract is signed in one sitting")
    invoice = card(room, "moment_of_truth", "The first invoice is right", step=2)
    metric = card(room, "customer_metric", "Days from signature to first invoice", step=2)
    linked = services.link_metric_to_moments(fran, metric=metric, moments=[signed, invoice.pk])
    assert linked == [signed, invoice]
    assert set(metric.measures.all()) == {signed, invoice}
    assert list(signed.measured_by.all()) == [metric]
    services.link_metric_to_moments(fran, metric=metric, moments=[invoice])
    assert list(metric.measures.all()) == [invoice]
    changes = [
        e.changes
        for e in AuditEvent.objects.filter(
            action="insight.measures_changed", object_id=str(metric.pk)
        ).order_by("id")
    ]
    assert changes == [
        {"added": sorted([signed.pk, invoice.pk]), "removed": []},
        {"added": [], "removed": [signed.pk]},
    ]


def test_only_metric_to_moment_of_the_same_scenario(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    moment = card(room, "moment_of_truth", "Signed in one sitting")
    issue = card(room, "issue", "Too many forms")
    metric = card(room, "customer_metric", "Days to sign")
    with pytest.raises(ValidationFailed) as not_a_metric:
        services.link_metric_to_moments(fran, metric=issue, moments=[moment])
    assert "metric" in not_a_metric.value.errors
    with pytest.raises(ValidationFailed) as not_a_moment:
        services.link_metric_to_moments(fran, metric=metric, moments=[issue])
    assert "moments" in not_a_moment.value.errors
    other = services.create_scenario(fran, session=room.session, title="Team Red", steps=["Sign"])
    elsewhere = services.capture_insight(
        fran,
        session=room.session,
        kind="moment_of_truth",
        text="Red's moment",
        speaker=room.speaker("ivy"),
        step_id=other.steps.get().pk,
        scenario_id=other.pk,
    )
    with pytest.raises(ValidationFailed, match="own scenario"):
        services.link_metric_to_moments(fran, metric=metric, moments=[elsewhere])
    assert not metric.measures.exists()


@pytest.mark.parametrize("principal", ["observer", "sponsor", "account_owner"])
def test_the_same_permission_as_editing_a_card(room: Room, principal: str) -> None:
    moment = card(room, "moment_of_truth", "Signed in one sitting")
    metric = card(room, "customer_metric", "Days to sign")
    with pytest.raises((PermissionDenied, NotFound)):
        services.link_metric_to_moments(
            room.cast.viewer(principal), metric=metric, moments=[moment]
        )


def test_links_end_when_a_card_changes_kind_and_follow_a_merge(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    moment = card(room, "moment_of_truth", "Signed in one sitting")
    twin = card(room, "moment_of_truth", "Signed the same day", who="ivy")
    metric = card(room, "customer_metric", "Days to sign")
    services.link_metric_to_moments(fran, metric=metric, moments=[twin])
    services.merge_insights(fran, into=moment, others=[twin.pk])
    assert list(metric.measures.all()) == [moment]
    moment.refresh_from_db()
    services.update_insight(fran, insight=moment, changes={"kind": "issue"})
    assert not metric.measures.exists()


def test_the_card_shows_what_it_measures_and_its_page_edits_it(room: Room) -> None:
    moment = card(room, "moment_of_truth", "Signed in one sitting")
    metric = card(room, "customer_metric", "Days to sign")
    fran = client(room)
    edit = fran.get(url("insight_edit", metric.pk)).content.decode()
    assert "Moments of truth it measures" in edit
    assert f'value="{moment.pk}"' in edit
    answer = fran.post(url("insight_measures", metric.pk), {"moments": [moment.pk]}, follow=True)
    assert "This metric measures 1 moment of truth." in answer.content.decode()
    board = fran.get(url("board", room.session.pk)).content.decode()
    assert 'Measures: <span class="measure">★ Signed in one sitting</span>' in board
    # The moment of truth names the metric that measures it.
    assert 'Measured by: <span class="measure">Days to sign</span>' in board
    assert client(room, "observer").post(
        url("insight_measures", metric.pk), {"moments": []}
    ).status_code in (403, 404)
    assert list(metric.measures.all()) == [moment]


# --- the "How we support it" lane ------------------------------------------------------------


def test_support_entries_are_added_changed_and_removed_audited(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    billing = room.steps[1]
    team = services.add_step_support(fran, step=billing, name="Billing support")
    partner = services.add_step_support(
        fran, step=billing, kind="partner", name="Acme Payments", note="Runs the card checks"
    )
    assert [(s.name, s.position) for s in billing.support.all()] == [
        ("Billing support", 1),
        ("Acme Payments", 2),
    ]
    services.update_step_support(fran, support=team, changes={"note": "Answers within an hour"})
    team.refresh_from_db()
    assert team.note == "Answers within an hour"
    services.remove_step_support(fran, support=partner)
    assert list(billing.support.all()) == [team]
    actions = list(
        AuditEvent.objects.filter(action__startswith="step.support")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "step.support_added",
        "step.support_added",
        "step.support_changed",
        "step.support_removed",
    ]
    for bad, field in (
        ({"name": " "}, "name"),
        ({"name": "a\nb"}, "name"),
        ({"kind": "x"}, "kind"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            services.update_step_support(fran, support=team, changes=bad)
        assert field in refused.value.errors
    with pytest.raises((PermissionDenied, NotFound)):
        services.add_step_support(room.cast.viewer("observer"), step=billing, name="Nope")


def test_merging_steps_keeps_their_lanes(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    services.add_step_support(fran, step=room.steps[0], name="Sales")
    services.add_step_support(fran, step=room.steps[1], name="Billing support")
    services.merge_steps(fran, keep=room.steps[0], absorb=room.steps[1])
    assert [(s.name, s.position) for s in room.steps[0].support.all()] == [
        ("Sales", 1),
        ("Billing support", 2),
    ]


def test_the_grid_shows_the_lane_and_the_steps_page_edits_it(room: Room) -> None:
    fran = client(room)
    billing = room.steps[1]
    refused = fran.post(
        url("support_add", room.scenario.pk), {"step": billing.pk, "kind": "team", "name": ""}
    )
    assert refused.status_code == 422
    assert "This field is required." in refused.content.decode()
    fran.post(
        url("support_add", room.scenario.pk),
        {"step": billing.pk, "kind": "partner", "name": "Acme Payments", "note": "Card checks"},
    )
    support = StepSupport.objects.get()
    board = fran.get(url("board", room.session.pk)).content.decode()
    assert "How we support it" in board
    assert "<strong>Acme Payments</strong>" in board
    present = fran.get(url("board", room.session.pk) + "?present=1").content.decode()
    assert "<strong>Acme Payments</strong>" in present
    edit = fran.post(
        url("support_edit", support.pk), {"kind": "team", "name": "Payments team", "note": ""}
    )
    assert edit.status_code == 302
    assert (
        "<strong>Payments team</strong>" in fran.get(url("board", room.session.pk)).content.decode()
    )
    fran.post(url("support_remove", support.pk))
    assert not StepSupport.objects.exists()
    observer = client(room, "observer")
    assert observer.get(url("steps", room.scenario.pk)).status_code in (403, 404)


def _board_queries(room: Room) -> int:
    c = client(room)
    c.get(url("board", room.session.pk))
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url("board", room.session.pk)).status_code == 200
    return len(ctx.captured_queries)


def test_the_board_costs_the_same_queries_with_more_links_and_lanes(room: Room) -> None:
    fran = room.cast.viewer("facilitator")
    moment = card(room, "moment_of_truth", "Signed in one sitting")
    metric = card(room, "customer_metric", "Days to sign")
    services.link_metric_to_moments(fran, metric=metric, moments=[moment])
    services.add_step_support(fran, step=room.steps[0], name="Sales")
    few = _board_queries(room)
    for n, step in enumerate(room.steps):
        for i in range(3):
            services.add_step_support(fran, step=step, name=f"Team {n}{i}")
        moments = [card(room, "moment_of_truth", f"Moment {n}{i}", step=n) for i in range(3)]
        for i in range(3):
            m = card(room, "customer_metric", f"Metric {n}{i}", step=n)
            services.link_metric_to_moments(fran, metric=m, moments=moments)
    assert _board_queries(room) == few


# --- the API -----------------------------------------------------------------------------


def test_the_api(room: Room, api_client_for: Callable[[str], Client]) -> None:
    api = api_client_for("facilitator")

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return api.generic(method, "/api/v1" + path, data, content_type="application/json")

    moment = card(room, "moment_of_truth", "Signed in one sitting")
    metric = card(room, "customer_metric", "Days to sign")
    linked = call("PUT", f"/insights/{metric.pk}/measures", {"moment_ids": [moment.pk]})
    assert linked.status_code == 200, linked.content
    assert linked.json()["measures"] == [moment.pk]
    assert call("GET", f"/insights/{moment.pk}").json()["measures"] == []
    wrong = call("PUT", f"/insights/{moment.pk}/measures", {"moment_ids": [metric.pk]})
    assert wrong.status_code == 422
    billing = room.steps[1]
    added = call(
        "POST", f"/steps/{billing.pk}/support", {"kind": "partner", "name": "Acme Payments"}
    )
    assert added.status_code == 201, added.content
    entry = added.json()
    assert entry == {
        "id": entry["id"],
        "step_id": billing.pk,
        "kind": "partner",
        "name": "Acme Payments",
        "note": "",
        "position": 1,
    }
    changed = call("PATCH", f"/step-support/{entry['id']}", {"note": "Card checks"})
    assert changed.json()["note"] == "Card checks"
    scenario = call("GET", f"/scenarios/{room.scenario.pk}").json()
    assert scenario["steps"][1]["support"][0]["name"] == "Acme Payments"
    grid = call("GET", f"/scenarios/{room.scenario.pk}/map").json()
    assert grid["steps"][1]["support"][0]["note"] == "Card checks"
    observer = api_client_for("observer")
    assert observer.delete(f"/api/v1/step-support/{entry['id']}").status_code == 403
    assert call("DELETE", f"/step-support/{entry['id']}").status_code == 204
    assert call("DELETE", f"/step-support/{entry['id']}").status_code == 404
