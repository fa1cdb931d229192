"""Restoring an archived scorecard metric: the service's rules (who, a stale version, a live
metric, a ratio with a part still archived, a name taken since), the metric's page (the
Restore button, the edit page's pointer to it) and the API operation."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from traction.core import clock
from traction.core.errors import Conflict, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.debrief import selectors_scorecards as sel
from traction.debrief.models import ScorecardMetric
from traction.debrief.services import scorecards
from traction.debrief.services.scorecards import Entry

from .scorecard_helpers import make_debrief, make_metric

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
ClientFor = Callable[[str], Client]
ApiClientFor = Callable[[str], Client]
NOT_ARCHIVED = "This metric is not archived."


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with clock.frozen(NOW) as frozen:
        yield frozen


def archived(cast: Cast, name: str = "Days to first invoice", **values: Any) -> ScorecardMetric:
    m = make_metric(cast, name, **values)
    return scorecards.archive_metric(cast.viewer("core_team"), metric=m, version=None)


def ratio(cast: Cast) -> tuple[ScorecardMetric, ScorecardMetric, ScorecardMetric]:
    paid = make_metric(cast, "Paid within a day", direction="up", baseline="0", target="50")
    signed = make_metric(cast, "New customers", direction="up", baseline="0", target="100")
    share = make_metric(
        cast, "Share paid within a day", direction="up", baseline="0.1", target="0.5",
        numerator_id=paid.pk, denominator_id=signed.pk,
    )  # fmt: skip
    return paid, signed, share


# --- the service ---------------------------------------------------------------------------


def test_a_restored_metric_is_back_with_its_measurements_a_new_version_and_audited(
    cast: Cast,
) -> None:
    core = cast.viewer("core_team")
    m = make_metric(cast)
    scorecards.record_measurements(core, entries=[Entry(m, date(2027, 5, 1), Decimal("9"))])
    m = scorecards.archive_metric(core, metric=m, version=1)
    assert m.version == 2
    assert [r.metric.pk for r in sel.scorecard(core, cast.program)] == []
    restored = scorecards.restore_metric(core, metric=m, version=2)
    restored.refresh_from_db()
    assert (restored.archived_at, restored.version) == (None, 3)
    [row] = sel.scorecard(core, cast.program)
    assert (row.metric.pk, row.latest) == (m.pk, Decimal("9"))
    event = AuditEvent.objects.get(action="metric.restored")
    assert event.object_id == str(m.pk)
    assert event.actor_label == cast.users["core_team"].email
    assert event.changes == {"archived_at": [clock.iso_utc(NOW), None]}
    # Measured and edited again like any current metric.
    scorecards.record_measurements(core, entries=[Entry(restored, date(2027, 5, 2), Decimal("8"))])
    scorecards.update_metric(core, metric=restored, changes={"unit": "work days"}, version=3)


def test_only_who_may_archive_a_metric_may_restore_it(cast: Cast) -> None:
    m = archived(cast)
    for principal in ("observer", "account_owner"):
        with pytest.raises(PermissionDenied):
            scorecards.restore_metric(cast.viewer(principal), metric=m, version=None)
    other = scorecards.create_metric(
        cast.viewer("facilitator"), program=cast.other_program, name="Elsewhere"
    )
    other = scorecards.archive_metric(cast.viewer("facilitator"), metric=other, version=None)
    with pytest.raises(PermissionDenied):  # core team, but of another program
        scorecards.restore_metric(cast.viewer("core_team"), metric=other, version=None)
    assert not AuditEvent.objects.filter(action="metric.restored").exists()
    scorecards.restore_metric(cast.viewer("sponsor"), metric=m, version=None)
    scorecards.restore_metric(cast.viewer("facilitator"), metric=other, version=None)
    assert AuditEvent.objects.filter(action="metric.restored").count() == 2


def test_a_stale_restore_is_a_conflict_and_a_live_metric_is_not_restored(cast: Cast) -> None:
    core = cast.viewer("core_team")
    m = archived(cast)
    with pytest.raises(Conflict):
        scorecards.restore_metric(core, metric=m, version=1)  # read before it was archived
    m.refresh_from_db()
    assert (m.archived_at, m.version) == (NOW, 2)
    scorecards.restore_metric(core, metric=m, version=2)
    with pytest.raises(ValidationFailed) as exc:
        scorecards.restore_metric(core, metric=m, version=None)
    assert exc.value.errors == {"__all__": [NOT_ARCHIVED]}
    assert AuditEvent.objects.filter(action="metric.restored").count() == 1
    m.refresh_from_db()
    assert m.version == 3


def test_a_ratio_comes_back_only_after_its_archived_parts(cast: Cast) -> None:
    core = cast.viewer("core_team")
    paid, signed, share = ratio(cast)
    share = scorecards.archive_metric(core, metric=share, version=None)
    paid = scorecards.archive_metric(core, metric=paid, version=None)  # no current ratio uses it
    with pytest.raises(ValidationFailed) as exc:
        scorecards.restore_metric(core, metric=share, version=None)
    assert exc.value.errors == {
        "__all__": [
            "This metric is calculated from “Paid within a day”, which is archived: "
            "restore “Paid within a day” first."
        ]
    }
    signed = scorecards.archive_metric(core, metric=signed, version=None)
    with pytest.raises(ValidationFailed) as exc:
        scorecards.restore_metric(core, metric=share, version=None)
    assert (
        "from “New customers” and “Paid within a day”, which are archived"
        in (exc.value.errors["__all__"][0])
    )
    scorecards.restore_metric(core, metric=paid, version=None)
    scorecards.restore_metric(core, metric=signed, version=None)
    scorecards.restore_metric(core, metric=share, version=None)
    assert ScorecardMetric.objects.filter(archived_at__isnull=True).count() == 3


@pytest.mark.parametrize(
    "taken",
    ["days  to first INVOICE", "Days to first invoice\u00a0", "Days to first\u00ad invoice"],
)
def test_a_name_taken_since_is_refused_naming_the_metric_that_has_it(
    cast: Cast, taken: str
) -> None:
    core = cast.viewer("core_team")
    m = archived(cast)
    holder = make_metric(cast, taken)  # the archived one's name was free
    with pytest.raises(ValidationFailed) as exc:
        scorecards.restore_metric(core, metric=m, version=None)
    assert exc.value.errors == {
        "name": [
            f"A current metric of this program is named “{holder.name}”: rename or archive "
            "that one first, then restore this one."
        ]
    }
    m.refresh_from_db()
    assert m.archived_at is not None
    scorecards.update_metric(core, metric=holder, changes={"name": "Invoices"}, version=None)
    scorecards.restore_metric(core, metric=m, version=None)


def test_a_name_from_before_invisible_characters_were_dropped_comes_back_tidy(cast: Cast) -> None:
    core = cast.viewer("core_team")
    m = archived(cast)
    ScorecardMetric.objects.filter(pk=m.pk).update(name="Days to first invoice\u200b")
    restored = scorecards.restore_metric(core, metric=m, version=None)
    restored.refresh_from_db()
    assert restored.name == "Days to first invoice"
    assert AuditEvent.objects.get(action="metric.restored").changes["name"] == [
        "Days to first invoice\u200b",
        "Days to first invoice",
    ]


def test_an_archived_metric_is_not_edited_and_its_checkpoint_row_returns_with_it(
    cast: Cast,
) -> None:
    core = cast.viewer("core_team")
    debrief = make_debrief(cast, ends_at=datetime(2027, 1, 31, 17, tzinfo=UTC), closed=True)
    m = archived(cast)
    with pytest.raises(ValidationFailed) as exc:
        scorecards.update_metric(core, metric=m, changes={"unit": "hours"}, version=None)
    assert exc.value.errors == {"__all__": [scorecards.ARCHIVED]}
    cp = next(c for c in scorecards.ensure_checkpoints(debrief) if c.months == 3)
    assert sel.checkpoint_report(core, sel.checkpoint(core, cp.pk)) == []
    scorecards.restore_metric(core, metric=m, version=None)
    [row] = sel.checkpoint_report(core, sel.checkpoint(core, cp.pk))
    assert row.metric.pk == m.pk


# --- the pages -----------------------------------------------------------------------------


def page_url(cast: Cast, m: ScorecardMetric, tail: str = "") -> str:
    return f"/w/{cast.acme.slug}/debriefs/metrics/{m.pk}/{tail}"


def test_the_restore_button_is_shown_to_who_may_manage_an_archived_metric(
    cast: Cast, client_for: ClientFor
) -> None:
    live = make_metric(cast, "Tickets")
    m = archived(cast)
    restore = f'action="{page_url(cast, m, "restore/")}"'
    core_page = client_for("core_team").get(page_url(cast, m)).content.decode()
    assert restore in core_page
    assert "Archived 1 Jun 2027" in core_page
    assert page_url(cast, m, "edit/") not in core_page
    # An archived metric takes no measurement (the service refuses one): no form offers it.
    assert "Add a measurement" not in core_page
    observer_page = client_for("observer").get(page_url(cast, m)).content.decode()
    assert "Archived 1 Jun 2027" in observer_page
    assert "restore/" not in observer_page
    live_page = client_for("core_team").get(page_url(cast, live)).content.decode()
    assert "restore/" not in live_page
    assert page_url(cast, live, "archive/") in live_page
    assert "Add a measurement" in live_page


def test_restoring_on_the_page_puts_it_back_or_says_why_not(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for("core_team")
    m = archived(cast)
    holder = make_metric(cast, "DAYS TO FIRST INVOICE")
    refused = client.post(page_url(cast, m, "restore/"), {"version": "2"}, follow=True)
    assert refused.redirect_chain == [(page_url(cast, m), 302)]
    assert "A current metric of this program is named “DAYS TO FIRST INVOICE”" in (
        refused.content.decode()
    )
    scorecards.archive_metric(cast.viewer("core_team"), metric=holder, version=None)
    stale = client.post(page_url(cast, m, "restore/"), {"version": "1"}, follow=True)
    assert "Reload the page and try again." in stale.content.decode()
    assert ScorecardMetric.objects.get(pk=m.pk).archived_at is not None
    done = client.post(page_url(cast, m, "restore/"), {"version": "2"}, follow=True)
    assert done.redirect_chain == [(page_url(cast, m), 302)]
    assert "The metric “Days to first invoice” is back on the scorecard" in done.content.decode()
    assert ScorecardMetric.objects.get(pk=m.pk).archived_at is None
    again = client.post(page_url(cast, m, "restore/"), {"version": "3"}, follow=True)
    assert NOT_ARCHIVED in again.content.decode()
    assert client_for("observer").post(page_url(cast, m, "restore/")).status_code == 403


def test_the_edit_page_of_an_archived_metric_points_to_the_restore_button(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for("core_team")
    m = archived(cast)
    for answer in (
        client.get(page_url(cast, m, "edit/"), follow=True),
        client.post(page_url(cast, m, "edit/"), {"name": "Renamed"}, follow=True),
    ):
        assert answer.redirect_chain == [(page_url(cast, m), 302)]
        text = answer.content.decode()
        assert "“Days to first invoice” is archived: restore it first with the Restore button" in (
            text
        )
    assert ScorecardMetric.objects.get(pk=m.pk).name == "Days to first invoice"


# --- the API -------------------------------------------------------------------------------


def send(client: Client, url: str, body: Any) -> Any:
    return client.post("/api/v1" + url, json.dumps(body), content_type="application/json")


def test_the_api_restores_with_the_version_read(cast: Cast, api_client_for: ApiClientFor) -> None:
    core = api_client_for("core_team")
    m = archived(cast)
    stale = send(core, f"/metrics/{m.pk}/restore", {"version": 1})
    assert stale.status_code == 409, stale.content
    done = send(core, f"/metrics/{m.pk}/restore", {"version": 2})
    assert done.status_code == 200, done.content
    assert (done.json()["archived_at"], done.json()["version"]) == (None, 3)
    again = send(core, f"/metrics/{m.pk}/restore", {})
    assert again.status_code == 422
    assert again.json()["detail"][0]["msg"] == NOT_ARCHIVED


def test_the_api_names_a_clash_on_name_and_refuses_by_role(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    m = archived(cast)
    make_metric(cast, "Days to first\u00a0invoice")
    clash = send(api_client_for("sponsor"), f"/metrics/{m.pk}/restore", {})
    assert clash.status_code == 422, clash.content
    [error] = clash.json()["detail"]
    assert error["loc"] == ["body", "name"]
    assert "named “Days to first invoice”" in error["msg"]
    assert send(api_client_for("observer"), f"/metrics/{m.pk}/restore", {}).status_code == 403
    assert send(api_client_for("account_owner"), f"/metrics/{m.pk}/restore", {}).status_code == 403
    other = scorecards.create_metric(
        cast.viewer("facilitator"), program=cast.other_program, name="Elsewhere"
    )
    scorecards.archive_metric(cast.viewer("facilitator"), metric=other, version=None)
    assert send(api_client_for("core_team"), f"/metrics/{other.pk}/restore", {}).status_code == 404
    assert send(api_client_for("anonymous"), f"/metrics/{m.pk}/restore", {}).status_code == 401
    assert ScorecardMetric.objects.get(pk=m.pk).archived_at is not None
