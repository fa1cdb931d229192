"""Every free-text field of the API has a cap (review 19, finding 6): one past it is a 422
naming the field in the one wording (``traction.core.text.too_long``), the cap itself is
not refused for its length, the service enforces the same cap whatever interface calls it,
and the OpenAPI document shows it as ``maxLength``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from traction.core import clock
from traction.core.errors import ValidationFailed
from traction.core.testing.cast import Cast
from traction.core.text import QUERY_MAX, QUERY_VALUE_MAX, too_long
from traction.customers import services as customer_services
from traction.customers.models import Customer
from traction.debrief.measurements_csv import VALUE_MAX, parse_value
from traction.debrief.services.scorecards import DEFINITION_MAX
from traction.insights.services import MAX_TAGS, TAG_MAX, TAGS_MAX, normalize_tags
from traction.loop.services import deliveries, subscriptions
from traction.loop.services.approvals import WAIVE_REASON_MAX
from traction.loop.services.deliveries import DESCRIPTION_MAX
from traction.loop.services.statuses import CUSTOMER_REASON_MAX
from traction.loop.services.subscriptions import WHY_MAX
from traction.loop.services.updates import BODY_MAX, SUBJECT_MAX
from traction.programs.services import GOAL_MAX

pytestmark = pytest.mark.django_db

ApiClientFor = Callable[[str], Client]
NOTES_MAX = customer_services.NOTES_MAX


@dataclass(frozen=True)
class Capped:
    method: str
    url: str  # with {program}, {contact}, {customer}
    body: dict[str, Any]
    field: str
    cap: int
    schema: str  # the OpenAPI component that must show maxLength
    made: bool = True  # at the cap, the call succeeds (else its ids aim at nothing)


CASES = [
    Capped("POST", "/customers", {"name": "Cap Co", "segment": "enterprise"}, "notes",
           NOTES_MAX, "CustomerCreateIn"),
    Capped("PATCH", "/customers/{customer}", {}, "notes", NOTES_MAX, "CustomerUpdateIn"),
    Capped("POST", "/programs", {"name": "Cap program"}, "goal", GOAL_MAX, "ProgramCreateIn"),
    Capped("PATCH", "/programs/{program}", {}, "goal", GOAL_MAX, "ProgramUpdateIn"),
    Capped("POST", "/programs/{program}/deliveries", {"on": "{today}", "title": "Cap release"},
           "description", DESCRIPTION_MAX, "LoopDeliveryIn"),
    Capped("POST", "/programs/{program}/deliveries", {"on": "{today}"}, "title",
           deliveries.TITLE_MAX, "LoopDeliveryIn"),
    Capped("POST", "/programs/{program}/deliveries", {"on": "{today}", "title": "Cap release"},
           "external_id", deliveries.EXTERNAL_ID_MAX, "LoopDeliveryIn"),
    Capped("PATCH", "/updates/999999", {}, "subject", SUBJECT_MAX, "UpdatePatchIn", made=False),
    Capped("PATCH", "/updates/999999", {}, "body", BODY_MAX, "UpdatePatchIn", made=False),
    Capped("POST", "/reason-texts", {"title": "Cap reason"}, "text", CUSTOMER_REASON_MAX,
           "ReasonTextIn"),
    Capped("POST", "/contacts/{contact}/unsubscribes", {"scope": "all"}, "why", WHY_MAX,
           "UnsubscribeIn"),
    Capped("POST", "/contacts/{contact}/unreachable", {}, "reason", WHY_MAX, "UnreachableIn"),
    Capped("POST", "/contacts/{contact}/follows", {"priority_id": 999999}, "why", WHY_MAX,
           "FollowIn", made=False),
    Capped("POST", "/mail/bounces", {"email": "nobody@example.test"}, "reason", WHY_MAX,
           "BounceIn", made=False),
    Capped("POST", "/mail/bounces", {"reason": "Mailbox full"}, "message_id", 255, "BounceIn",
           made=False),
    Capped("POST", "/mail/bounces", {"reason": "Mailbox full"}, "email", 254, "BounceIn",
           made=False),
    Capped("POST", "/priority-status-approvals/999999/waive", {}, "reason", WAIVE_REASON_MAX,
           "ApprovalWaiveIn", made=False),
    Capped("POST", "/update-approvals/999999/waive", {}, "reason", WAIVE_REASON_MAX,
           "UpdateWaiveIn", made=False),
    Capped("POST", "/programs/{program}/priority-statuses",
           {"priority_id": 999999, "status": "not_planned"}, "customer_reason",
           CUSTOMER_REASON_MAX, "PriorityStatusProposeIn", made=False),
    Capped("POST", "/programs/{program}/metrics", {"name": "Cap metric"}, "definition",
           DEFINITION_MAX, "MetricCreateIn"),
]  # fmt: skip


def _call(client: Client, cast: Cast, case: Capped, value: str) -> Any:
    ids = {
        "program": cast.program.pk,
        "contact": cast.contact.pk,
        "customer": cast.customer.pk,
    }
    body = {
        k: v.format(today=clock.today().isoformat()) if isinstance(v, str) else v
        for k, v in case.body.items()
    }
    return client.generic(
        case.method,
        "/api/v1" + case.url.format(**ids),
        json.dumps({**body, case.field: value}),
        content_type="application/json",
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.schema}.{c.field}")
def test_one_past_the_cap_is_refused_at_the_field_in_the_one_wording(
    cast: Cast, api_client_for: ApiClientFor, case: Capped
) -> None:
    answer = _call(api_client_for("admin"), cast, case, "x" * (case.cap + 1))
    assert answer.status_code == 422, answer.content
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["body", case.field], too_long(case.cap, case.cap + 1))
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.schema}.{c.field}")
def test_the_cap_itself_is_not_refused(
    cast: Cast, api_client_for: ApiClientFor, case: Capped
) -> None:
    answer = _call(api_client_for("admin"), cast, case, "x" * case.cap)
    if case.made:
        assert answer.status_code in (200, 201), answer.content
    else:  # the ids aim at nothing: refused for that, not for the text's length
        assert answer.status_code in (404, 422), answer.content
        detail = answer.json()["detail"] if answer.status_code == 422 else []
        locs = [e["loc"] for e in detail]
        assert ["body", case.field] not in locs, answer.content


@functools.cache
def served_openapi() -> dict[str, Any]:
    """The OpenAPI document as the API serves it, asked once per test process: building it
    takes about a second, and every case reads the same document."""
    document: dict[str, Any] = Client().get("/api/v1/openapi.json").json()
    return document


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.schema}.{c.field}")
def test_openapi_shows_the_cap(case: Capped) -> None:
    document = served_openapi()
    field = document["components"]["schemas"][case.schema]["properties"][case.field]
    caps = {t.get("maxLength") for t in [field, *field.get("anyOf", [])]} - {None}
    assert caps == {case.cap}, field


def test_the_services_hold_the_caps_whatever_calls_them(cast: Cast) -> None:
    admin = cast.viewer("admin")
    with pytest.raises(ValidationFailed) as refused:
        customer_services.create_customer(
            admin, name="Huge Notes Co", segment="enterprise", notes="n" * (NOTES_MAX + 1)
        )
    assert refused.value.errors == {"notes": [too_long(NOTES_MAX, NOTES_MAX + 1)]}
    with pytest.raises(ValidationFailed) as refused:
        subscriptions.record_unsubscribe(
            admin, contact=cast.contact, scope="all", why="w" * (WHY_MAX + 1)
        )
    assert refused.value.errors == {"why": [too_long(WHY_MAX, WHY_MAX + 1)]}


def test_notes_stored_before_the_cap_stay_editable_on_the_web_and_in_the_service(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    old = "n" * (NOTES_MAX + 5)
    Customer.objects.filter(pk=cast.customer.pk).update(notes=old)
    customer = Customer.objects.get(pk=cast.customer.pk)
    admin = cast.viewer("admin")
    kept = customer_services.update_customer(
        admin, customer=customer, changes={"region": "EMEA", "notes": old}
    )
    assert (kept.region, kept.notes) == ("EMEA", old)
    with pytest.raises(ValidationFailed) as refused:
        customer_services.update_customer(admin, customer=kept, changes={"notes": old + "!"})
    assert refused.value.errors == {"notes": [too_long(NOTES_MAX, len(old) + 1)]}

    edit = f"/w/{cast.acme.slug}/customers/{customer.pk}/edit/"
    web = client_for("admin")
    shown = web.get(edit)
    assert shown.status_code == 200
    form = shown.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    page = web.post(edit, {**data, "region": "APAC", "notes": old})
    assert page.status_code == 302, page.context["form"].errors
    assert Customer.objects.get(pk=customer.pk).region == "APAC"
    page = web.post(edit, {**data, "notes": old + "!", "version": kept.version + 1})
    assert page.status_code == 200
    assert page.context["form"].errors["notes"] == [too_long(NOTES_MAX, len(old) + 1)]


# --- review 20: query filters, tags, metric values -------------------------------------------

QUERY_FILTERS = [
    ("/customers", "q"),
    ("/customers", "region"),
    ("/customers/{customer}/contacts", "q"),
    ("/programs", "q"),
    ("/members", "q"),
    ("/audit-events", "action"),
    ("/audit-events", "actor_email"),
]


@pytest.mark.parametrize(("path", "name"), QUERY_FILTERS)
def test_a_free_text_filter_past_its_cap_is_a_422_naming_it(
    cast: Cast, api_client_for: ApiClientFor, path: str, name: str
) -> None:
    client = api_client_for("admin")
    url = "/api/v1" + path.format(customer=cast.customer.pk)
    assert client.get(url, {name: "x" * QUERY_MAX}).status_code == 200
    answer = client.get(url, {name: "x" * (QUERY_MAX + 1)})
    assert answer.status_code == 422, answer.content
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["query", name], too_long(QUERY_MAX, QUERY_MAX + 1))
    ]


def test_a_megabyte_query_parameter_is_refused_before_any_view(
    api_client_for: ApiClientFor, client_for: Callable[[str], Client]
) -> None:
    huge = "x" * 1_000_000
    answer = api_client_for("admin").get("/api/v1/customers", {"q": huge})
    assert answer.status_code == 422
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["query", "q"], f"The query parameter “q”: {too_long(QUERY_VALUE_MAX, len(huge))}")
    ]
    # Any parameter, declared or not, on the web too.
    page = client_for("admin").get("/w/acme/insights/search/", {"anything": huge})
    assert page.status_code == 400
    assert f"The query parameter “anything”: {too_long(QUERY_VALUE_MAX, len(huge))}" in (
        page.content.decode()
    )


@pytest.mark.parametrize("url", ["/w/acme/customers/", "/w/acme/programs/"])
def test_a_web_list_shows_a_long_search_beside_its_field(
    client_for: Callable[[str], Client], url: str
) -> None:
    page = client_for("admin").get(url, {"q": "x" * (QUERY_MAX + 1)})
    assert page.status_code == 200
    assert page.context["form"].errors["q"] == [too_long(QUERY_MAX, QUERY_MAX + 1)]


def test_tags_are_capped_one_by_one_and_together(cast: Cast, api_client_for: ApiClientFor) -> None:
    with pytest.raises(ValidationFailed) as refused:
        normalize_tags(["#" + "t" * (TAG_MAX + 1)])
    assert refused.value.errors == {
        "tags": [
            f"Keep each tag to {TAG_MAX} characters or fewer (“{'t' * 20}…” has {TAG_MAX + 1})."
        ]
    }
    assert normalize_tags(["#" + "t" * TAG_MAX]) == "t" * TAG_MAX
    many = [f"{n:02d}" + "t" * 30 for n in range(MAX_TAGS)]  # 12 tags of 32: 395 together
    with pytest.raises(ValidationFailed) as refused:
        normalize_tags(many)
    assert refused.value.errors == {"tags": [too_long(TAGS_MAX, 12 * 32 + 11)]}
    # Tags already stored, gathered by a merge: those that do not fit are left out.
    assert len(normalize_tags(many, fit=True)) <= TAGS_MAX


def test_the_api_refuses_a_long_tag_at_its_position(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    from traction.core.testing.snapshot import built_on
    from traction.insights.tests.conftest import build_room

    room = built_on(cast, build_room)
    answer = api_client_for("facilitator").post(
        f"/api/v1/sessions/{room.session.pk}/insights",
        json.dumps({"kind": "issue", "text": "Fine", "tags": ["ok", "t" * (TAG_MAX + 1)]}),
        content_type="application/json",
    )
    assert answer.status_code == 422, answer.content
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["body", "tags", 1], too_long(TAG_MAX, TAG_MAX + 1))
    ]


def test_an_imported_note_with_a_long_tag_is_refused_at_its_line(cast: Cast) -> None:
    import io

    from traction.core.testing.snapshot import built_on
    from traction.insights import imports
    from traction.insights.tests.conftest import build_room

    room = built_on(cast, build_room)
    data = f"text,author,tags\nFine,Gina,billing\nLong,Gina,{'t' * (TAG_MAX + 1)}\n".encode()
    with pytest.raises(ValidationFailed) as refused:
        imports.import_file(
            cast.viewer("core_team"),
            session=room.session,
            stream=io.BytesIO(data),
            filename="wall.csv",
        )
    assert refused.value.errors["file"][0].startswith(
        f"Line 3: Tags: Keep each tag to {TAG_MAX} characters or fewer"
    )


@pytest.mark.parametrize("field", ["baseline", "target"])
def test_a_metric_value_string_past_its_cap_is_refused_not_echoed(
    cast: Cast, api_client_for: ApiClientFor, field: str
) -> None:
    answer = api_client_for("admin").post(
        f"/api/v1/programs/{cast.program.pk}/metrics",
        json.dumps({"name": "Cap metric", field: "1" * 100_000}),
        content_type="application/json",
    )
    assert answer.status_code == 422, answer.content[:500]
    assert [(e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        (["body", field], too_long(VALUE_MAX, 100_000))
    ]
    with pytest.raises(ValueError, match="Keep it to 30 characters"):
        parse_value("1" * (VALUE_MAX + 1))
    assert parse_value("1 234 567,5 %") == parse_value("1234567.5")
