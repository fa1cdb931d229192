"""The customers and contacts API: happy paths, refusals that change nothing, the wall."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from traction.accounts import services as account_services
from traction.accounts.models import ApiToken
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers import services
from traction.customers.models import Cadence, Channel, Contact, Customer, Segment, Size
from traction.customers.schemas import CadenceValue, ChannelValue, SegmentValue, SizeValue

pytestmark = pytest.mark.django_db

API = "/api/v1"
ApiClientFor = Callable[[str], Client]
CUSTOMER_KEYS = [
    "id",
    "name",
    "segment",
    "size",
    "region",
    "account_owner_id",
    "notes",
    "contact_count",
    "version",
    "created_at",
    "updated_at",
]


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    return client.generic(
        method, API + url, "" if body is None else _json(body), content_type="application/json"
    )


def _json(body: Any) -> str:
    import json

    return body if isinstance(body, str) else json.dumps(body)


def names(response: Any) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


def error_fields(response: Any) -> list[str]:
    return [str(e["loc"][-1]) for e in response.json()["detail"]]


# --- customers: reading ---------------------------------------------------------------------


def test_list_customers_exact_shape(cast: Cast, api_client_for: ApiClientFor) -> None:
    response = api_client_for("admin").get(f"{API}/customers")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    globex = body["items"][0]
    assert list(globex) == CUSTOMER_KEYS
    assert cast.customer is not None
    assert globex == {
        "id": cast.customer.pk,
        "name": "Globex",
        "segment": "mid_market",
        "size": "",
        "region": "EMEA",
        "account_owner_id": cast.users["account_owner"].pk,
        "notes": "",
        "contact_count": 1,
        "version": 1,
        "created_at": globex["created_at"],
        "updated_at": globex["updated_at"],
    }
    assert globex["created_at"].endswith("Z")
    assert names(response) == ["Globex", "Initech"]


def test_account_owner_lists_only_their_customers(api_client_for: ApiClientFor) -> None:
    assert names(api_client_for("account_owner").get(f"{API}/customers")) == ["Globex"]


def test_role_without_customer_access_is_refused(api_client_for: ApiClientFor) -> None:
    response = api_client_for("core_team").get(f"{API}/customers")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your role (Core team member) does not allow this: “See customer organisations.”"
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=glob", ["Globex"]),
        ("q=emea", ["Globex"]),
        ("segment=enterprise", ["Initech"]),
        ("region=na", ["Initech"]),
        ("q=nothing-like-this", []),
    ],
)
def test_list_customers_filters(
    api_client_for: ApiClientFor, query: str, expected: list[str]
) -> None:
    response = api_client_for("admin").get(f"{API}/customers?{query}")
    assert response.status_code == 200
    assert names(response) == expected
    assert response.json()["count"] == len(expected)


def test_list_customers_by_account_owner(cast: Cast, api_client_for: ApiClientFor) -> None:
    owner = cast.users["account_owner"].pk
    response = api_client_for("admin").get(f"{API}/customers?account_owner_id={owner}")
    assert names(response) == ["Globex"]


def test_list_customers_pagination(cast: Cast, api_client_for: ApiClientFor) -> None:
    for i in range(3):
        services.create_customer(cast.viewer("admin"), name=f"Zeta {i}", segment="enterprise")
    client = api_client_for("admin")
    page2 = client.get(f"{API}/customers?page=2&page_size=2")
    assert page2.status_code == 200
    assert page2.json()["count"] == 5
    assert names(page2) == ["Zeta 0", "Zeta 1"]
    assert names(client.get(f"{API}/customers?page=3&page_size=2")) == ["Zeta 2"]
    assert names(client.get(f"{API}/customers?page=9&page_size=2")) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [("page_size=201", "page_size"), ("page_size=0", "page_size"), ("page=0", "page")],
)
def test_list_customers_bad_paging_is_422(
    api_client_for: ApiClientFor, query: str, field: str
) -> None:
    response = api_client_for("admin").get(f"{API}/customers?{query}")
    assert response.status_code == 422
    assert error_fields(response) == [field]


def test_list_customers_page_size_200_is_allowed(api_client_for: ApiClientFor) -> None:
    assert api_client_for("admin").get(f"{API}/customers?page_size=200").status_code == 200


@pytest.mark.parametrize("extra", [3, 30])
def test_list_customers_query_count_does_not_grow(
    cast: Cast,
    api_client_for: ApiClientFor,
    django_assert_num_queries: Any,
    extra: int,
) -> None:
    for i in range(extra):
        customer = services.create_customer(
            cast.viewer("admin"), name=f"Bulk {i:02}", segment="enterprise"
        )
        services.add_contact(
            cast.viewer("admin"), customer=customer, name="C", email=f"c{i}@bulk.test"
        )
    client = api_client_for("admin")
    client.get(f"{API}/me")  # the token's first use is recorded once (last_used_at)
    # token with user and role, count, page (contact count as a subquery)
    with django_assert_num_queries(3):
        response = client.get(f"{API}/customers?page_size=200")
    assert response.json()["count"] == extra + 2
    assert {item["contact_count"] for item in response.json()["items"]} == {1}


def test_get_customer(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.customer is not None
    response = api_client_for("account_owner").get(f"{API}/customers/{cast.customer.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "Globex"
    assert response.json()["contact_count"] == 1
    assert list(response.json()) == CUSTOMER_KEYS


def test_other_workspaces_customer_is_not_found(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.rival_customer is not None
    assert cast.customer is not None
    acme = api_client_for("admin").get(f"{API}/customers/{cast.rival_customer.pk}")
    assert acme.status_code == 404
    assert acme.json() == {"detail": "Customer not found."}
    # The stranger's token is bound to Rival: Acme's ids do not exist for it.
    rival = api_client_for("stranger").get(f"{API}/customers/{cast.customer.pk}")
    assert rival.status_code == 404


def test_account_owner_cannot_see_a_customer_they_do_not_own(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.other_customer is not None
    response = api_client_for("account_owner").get(f"{API}/customers/{cast.other_customer.pk}")
    assert response.status_code == 404


# --- authentication -------------------------------------------------------------------------


def test_no_token_is_401(cast: Cast) -> None:
    response = Client().get(f"{API}/customers")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="traction"'
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer trc_not-a-real-token", "Bearer ", "Basic abc", "trc_x"])
def test_bad_token_is_401(cast: Cast, header: str) -> None:
    response = Client(headers={"Authorization": header}).get(f"{API}/customers")
    assert response.status_code == 401


def test_revoked_token_is_401(cast: Cast) -> None:
    token, key = account_services.create_api_token(cast.viewer("admin"), name="soon revoked")
    client = Client(headers={"Authorization": f"Bearer {key}"})
    assert client.get(f"{API}/customers").status_code == 200
    account_services.revoke_api_token(cast.viewer("admin"), token=token)
    assert client.get(f"{API}/customers").status_code == 401
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_session_cookie_is_not_an_api_credential(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.users["admin"])
    assert client.get(f"{API}/customers").status_code == 401


# --- customers: writing ---------------------------------------------------------------------


def test_create_customer(cast: Cast, api_client_for: ApiClientFor) -> None:
    owner = cast.users["account_owner"].pk
    response = send(
        api_client_for("facilitator"),
        "POST",
        "/customers",
        {
            "name": "  Umbrella ",
            "segment": "enterprise",
            "size": "5000+",
            "region": "APAC",
            "account_owner_id": owner,
            "notes": "Met at the summit.",
        },
    )
    assert response.status_code == 201
    body = response.json()
    created = Customer.objects.get(name="Umbrella")
    assert body == {
        "id": created.pk,
        "name": "Umbrella",
        "segment": "enterprise",
        "size": "5000+",
        "region": "APAC",
        "account_owner_id": owner,
        "notes": "Met at the summit.",
        "contact_count": 0,
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert list(body) == CUSTOMER_KEYS
    assert created.workspace_id == cast.acme.pk
    event = AuditEvent.objects.get(action="customer.created", object_id=str(created.pk))
    assert (event.via, event.actor_id) == ("api", cast.users["facilitator"].pk)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Evil", "segment": "enterprise", "workspace_id": 2}, "workspace_id"),
        ({"name": "Evil", "segment": "enterprise", "id": 999}, "id"),
        ({"name": "Evil", "segment": "enterprise", "version": 7}, "version"),
        ({"name": "Evil", "segment": "enterprise", "created_at": "2020-01-01"}, "created_at"),
        ({"name": "Evil", "segment": "Enterprise"}, "segment"),
        ({"name": "Evil"}, "segment"),
        ({"name": "", "segment": "enterprise"}, "name"),
        ({"name": 12, "segment": "enterprise"}, "name"),
        ({"name": "Evil", "segment": "enterprise", "account_owner_id": "6"}, "account_owner_id"),
        ({"name": "Evil", "segment": "enterprise", "account_owner_id": True}, "account_owner_id"),
        ({"name": "Evil", "segment": "enterprise", "region": "x" * 81}, "region"),
        ({"name": "Evil\x00", "segment": "enterprise"}, "name"),
    ],
)
def test_create_customer_bad_payload_is_422_and_saves_nothing(
    cast: Cast, api_client_for: ApiClientFor, body: dict[str, Any], field: str
) -> None:
    response = send(api_client_for("admin"), "POST", "/customers", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert response.json()["message"].startswith(f"{field}: ")
    assert Customer.objects.count() == 3  # Globex, Initech, Rival's


def test_create_customer_domain_refusal_names_the_field(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    stan = cast.users["stranger"].pk  # not a member of Acme
    response = send(
        api_client_for("admin"),
        "POST",
        "/customers",
        {"name": "Umbrella", "segment": "enterprise", "account_owner_id": stan},
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "account_owner_id"],
                "msg": "The account owner must be a workspace member.",
                "type": "value_error",
            }
        ],
        "message": "account_owner_id: The account owner must be a workspace member.",
    }
    assert not Customer.objects.filter(name="Umbrella").exists()


def test_create_customer_duplicate_name_is_422(cast: Cast, api_client_for: ApiClientFor) -> None:
    response = send(
        api_client_for("admin"), "POST", "/customers", {"name": "Globex", "segment": "enterprise"}
    )
    assert response.status_code == 422
    assert Customer.objects.filter(name="Globex").count() == 1


def test_create_customer_malformed_json_is_400(api_client_for: ApiClientFor) -> None:
    response = send(api_client_for("admin"), "POST", "/customers", "{not json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body: send a JSON object."}


def test_create_customer_without_body_is_422(api_client_for: ApiClientFor) -> None:
    response = send(api_client_for("admin"), "POST", "/customers")
    assert response.status_code == 422


def test_create_customer_refused_for_account_owner(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    response = send(
        api_client_for("account_owner"),
        "POST",
        "/customers",
        {"name": "X", "segment": "enterprise"},
    )
    assert response.status_code == 403
    assert not Customer.objects.filter(name="X").exists()


def test_update_customer_partial(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.customer is not None
    before = Customer.objects.get(pk=cast.customer.pk)
    response = send(
        api_client_for("account_owner"),
        "PATCH",
        f"/customers/{cast.customer.pk}",
        {"notes": "Renewal in May.", "version": 1},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["notes"], body["name"], body["region"], body["version"]) == (
        "Renewal in May.",
        "Globex",
        "EMEA",
        2,
    )
    after = Customer.objects.get(pk=cast.customer.pk)
    assert after.notes == "Renewal in May."
    assert after.updated_at > before.updated_at
    event = AuditEvent.objects.get(action="customer.changed")
    assert event.changes == {"notes": ["", "Renewal in May."]}
    assert event.via == "api"


def test_update_customer_stale_version_is_409_and_changes_nothing(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.customer is not None
    client = api_client_for("admin")
    first = send(client, "PATCH", f"/customers/{cast.customer.pk}", {"name": "A", "version": 1})
    assert first.status_code == 200
    second = send(client, "PATCH", f"/customers/{cast.customer.pk}", {"name": "B", "version": 1})
    assert second.status_code == 409
    assert "changed by someone else" in second.json()["detail"]
    stored = Customer.objects.get(pk=cast.customer.pk)
    assert (stored.name, stored.version) == ("A", 2)


def test_update_customer_null_clears_the_owner(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.customer is not None
    response = send(
        api_client_for("admin"),
        "PATCH",
        f"/customers/{cast.customer.pk}",
        {"account_owner_id": None},
    )
    assert response.status_code == 200
    assert response.json()["account_owner_id"] is None
    assert Customer.objects.get(pk=cast.customer.pk).account_owner_id is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"workspace_id": 2}, "workspace_id"),
        ({"contact_count": 5}, "contact_count"),
        ({"version": "1"}, "version"),
        ({"version": 0}, "version"),
        ({"segment": "big"}, "segment"),
    ],
)
def test_update_customer_bad_payload_is_422(
    cast: Cast, api_client_for: ApiClientFor, body: dict[str, Any], field: str
) -> None:
    assert cast.customer is not None
    response = send(api_client_for("admin"), "PATCH", f"/customers/{cast.customer.pk}", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    stored = Customer.objects.get(pk=cast.customer.pk)
    assert (stored.name, stored.version, stored.workspace_id) == ("Globex", 1, cast.acme.pk)


def test_account_owner_cannot_reassign_the_owner(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.customer is not None
    response = send(
        api_client_for("account_owner"),
        "PATCH",
        f"/customers/{cast.customer.pk}",
        {"account_owner_id": cast.users["admin"].pk},
    )
    assert response.status_code == 422
    assert error_fields(response) == ["account_owner_id"]
    assert Customer.objects.get(pk=cast.customer.pk).account_owner_id == (
        cast.users["account_owner"].pk
    )


def test_update_other_workspaces_customer_is_404(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.rival_customer is not None
    response = send(
        api_client_for("admin"), "PATCH", f"/customers/{cast.rival_customer.pk}", {"name": "Mine"}
    )
    assert response.status_code == 404
    assert Customer.objects.get(pk=cast.rival_customer.pk).name == "Rival customer"


def test_delete_customer_archives_it_and_its_contacts(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.other_customer is not None
    assert cast.other_contact is not None
    pk = cast.other_customer.pk
    admin = api_client_for("admin")
    response = send(admin, "DELETE", f"/customers/{pk}")
    assert response.status_code == 204
    assert response.content == b""
    customer = Customer.objects.get(pk=pk)
    assert customer.archived_at is not None
    assert customer.archived_by_id == cast.users["admin"].pk
    assert list(Contact.objects.filter(customer_id=pk).values_list("pk", flat=True)) == [
        cast.other_contact.pk
    ]
    assert Contact.objects.get(pk=cast.other_contact.pk).archived_at == customer.archived_at
    assert AuditEvent.objects.get(action="customer.archived").changes == {
        "contacts": [cast.other_contact.pk]
    }
    # Hidden from the default list, listed on request, and restorable.
    names = [c["name"] for c in send(admin, "GET", "/customers").json()["items"]]
    assert names == ["Globex"]
    archived = send(admin, "GET", "/customers?archived=true").json()["items"]
    assert [c["name"] for c in archived] == ["Initech"]
    restored = send(admin, "POST", f"/customers/{pk}/restore")
    assert restored.status_code == 200
    assert restored.json()["contact_count"] == 1
    assert Customer.objects.get(pk=pk).archived_at is None
    assert Contact.objects.get(pk=cast.other_contact.pk).archived_at is None


def test_delete_customer_refused_for_facilitator(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.customer is not None
    response = send(api_client_for("facilitator"), "DELETE", f"/customers/{cast.customer.pk}")
    assert response.status_code == 403
    assert Customer.objects.filter(pk=cast.customer.pk).exists()


def test_delete_other_workspaces_customer_is_404(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.rival_customer is not None
    response = send(api_client_for("admin"), "DELETE", f"/customers/{cast.rival_customer.pk}")
    assert response.status_code == 404
    assert Customer.objects.filter(pk=cast.rival_customer.pk).exists()


# --- contacts -------------------------------------------------------------------------------


def test_list_contacts(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.customer is not None
    assert cast.contact is not None
    response = api_client_for("account_owner").get(f"{API}/customers/{cast.customer.pk}/contacts")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0] == {
        "id": cast.contact.pk,
        "customer_id": cast.customer.pk,
        "name": "Gina Globex",
        "email": "gina@globex.test",
        "title": "",
        "consent_to_contact": True,
        "consent_recorded_at": body["items"][0]["consent_recorded_at"],
        "preferred_channel": "email",
        "update_cadence": "as_needed",
        "communication_notes": "",
        "archived_at": None,
        "erased": False,
        "version": 1,
        "created_at": body["items"][0]["created_at"],
        "updated_at": body["items"][0]["updated_at"],
    }
    assert body["items"][0]["consent_recorded_at"] is not None


def test_list_contacts_filters(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.customer is not None
    services.add_contact(
        cast.viewer("admin"), customer=cast.customer, name="Hal Globex", email="hal@globex.test"
    )
    client = api_client_for("admin")
    url = f"{API}/customers/{cast.customer.pk}/contacts"
    assert names(client.get(url)) == ["Gina Globex", "Hal Globex"]
    assert names(client.get(f"{url}?consent=true")) == ["Gina Globex"]
    assert names(client.get(f"{url}?consent=false")) == ["Hal Globex"]
    assert names(client.get(f"{url}?q=hal@")) == ["Hal Globex"]
    assert client.get(f"{url}?consent=maybe").status_code == 422


def test_list_contacts_of_other_workspaces_customer_is_404(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.rival_customer is not None
    response = api_client_for("admin").get(f"{API}/customers/{cast.rival_customer.pk}/contacts")
    assert response.status_code == 404


def test_create_contact(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.customer is not None
    response = send(
        api_client_for("account_owner"),
        "POST",
        f"/customers/{cast.customer.pk}/contacts",
        {
            "name": "Hal Globex",
            "email": "HAL@Globex.test",
            "title": "CFO",
            "consent_to_contact": False,
            "preferred_channel": "video",
            "update_cadence": "quarterly",
        },
    )
    assert response.status_code == 201
    body = response.json()
    created = Contact.objects.get(email="hal@globex.test")
    assert (body["id"], body["customer_id"], body["email"], body["title"]) == (
        created.pk,
        cast.customer.pk,
        "hal@globex.test",
        "CFO",
    )
    assert (body["preferred_channel"], body["update_cadence"]) == ("video", "quarterly")
    assert body["consent_recorded_at"] is None
    assert created.workspace_id == cast.acme.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Hal", "email": "not-an-email"}, "email"),
        ({"name": "Hal", "email": "hal@globex.test", "customer_id": 1}, "customer_id"),
        (
            {"name": "Hal", "email": "hal@globex.test", "consent_to_contact": "yes"},
            "consent_to_contact",
        ),
        (
            {"name": "Hal", "email": "hal@globex.test", "preferred_channel": "fax"},
            "preferred_channel",
        ),
        ({"name": "Gina", "email": "gina@globex.test"}, "email"),
    ],
)
def test_create_contact_bad_payload_is_422_and_saves_nothing(
    cast: Cast, api_client_for: ApiClientFor, body: dict[str, Any], field: str
) -> None:
    assert cast.customer is not None
    response = send(
        api_client_for("admin"), "POST", f"/customers/{cast.customer.pk}/contacts", body
    )
    assert response.status_code == 422
    expected = ["body"] if field == "__all__" else [field]
    assert error_fields(response) == expected
    assert Contact.objects.filter(customer=cast.customer).count() == 1


def test_create_contact_at_other_workspaces_customer_is_404(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.rival_customer is not None
    response = send(
        api_client_for("admin"),
        "POST",
        f"/customers/{cast.rival_customer.pk}/contacts",
        {"name": "Mole", "email": "mole@acme.test"},
    )
    assert response.status_code == 404
    assert not Contact.objects.filter(email="mole@acme.test").exists()


def test_get_contact(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.contact is not None
    assert cast.rival_contact is not None
    client = api_client_for("admin")
    response = client.get(f"{API}/contacts/{cast.contact.pk}")
    assert response.status_code == 200
    assert response.json()["email"] == "gina@globex.test"
    missing = client.get(f"{API}/contacts/{cast.rival_contact.pk}")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Contact not found."}


def test_update_contact_consent_and_version(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.other_contact is not None
    client = api_client_for("admin")
    url = f"/contacts/{cast.other_contact.pk}"
    response = send(client, "PATCH", url, {"consent_to_contact": True, "version": 1})
    assert response.status_code == 200
    assert response.json()["consent_to_contact"] is True
    assert response.json()["consent_recorded_at"] is not None
    assert response.json()["version"] == 2
    stale = send(client, "PATCH", url, {"title": "CEO", "version": 1})
    assert stale.status_code == 409
    assert Contact.objects.get(pk=cast.other_contact.pk).title == ""


def test_update_contact_refused_for_owner_of_another_customer(
    cast: Cast, api_client_for: ApiClientFor
) -> None:
    assert cast.other_contact is not None
    response = send(
        api_client_for("account_owner"),
        "PATCH",
        f"/contacts/{cast.other_contact.pk}",
        {"title": "X"},
    )
    assert response.status_code == 404
    assert Contact.objects.get(pk=cast.other_contact.pk).title == ""


def test_delete_contact_archives_it(cast: Cast, api_client_for: ApiClientFor) -> None:
    assert cast.contact is not None
    assert cast.customer is not None
    owner = send(api_client_for("account_owner"), "DELETE", f"/contacts/{cast.contact.pk}")
    assert owner.status_code == 403
    assert Contact.objects.get(pk=cast.contact.pk).archived_at is None
    fran = api_client_for("facilitator")
    response = send(fran, "DELETE", f"/contacts/{cast.contact.pk}")
    assert response.status_code == 204
    contact = Contact.objects.get(pk=cast.contact.pk)
    assert contact.archived_at is not None
    listed = send(fran, "GET", f"/customers/{cast.customer.pk}/contacts").json()["items"]
    assert listed == []
    archived = send(fran, "GET", f"/customers/{cast.customer.pk}/contacts?archived=true")
    assert [c["name"] for c in archived.json()["items"]] == ["Gina Globex"]
    assert archived.json()["items"][0]["archived_at"] is not None
    restored = send(fran, "POST", f"/contacts/{cast.contact.pk}/restore")
    assert (restored.status_code, restored.json()["archived_at"]) == (200, None)


# --- schemas --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "choices"),
    [
        (SegmentValue, Segment.values),
        (SizeValue, ["", *Size.values]),
        (ChannelValue, Channel.values),
        (CadenceValue, Cadence.values),
    ],
)
def test_schema_choices_match_the_models(literal: Any, choices: list[str]) -> None:
    assert list(typing.get_args(literal)) == list(choices)


def test_a_huge_body_is_refused_with_a_json_413_and_saves_nothing(cast, api_client_for):
    before = Customer.objects.count()
    response = api_client_for("admin").post(
        f"{API}/customers",
        json.dumps({"name": "x" * 3_000_000, "segment": "enterprise"}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large: send at most 2560 KiB."}
    assert Customer.objects.count() == before
