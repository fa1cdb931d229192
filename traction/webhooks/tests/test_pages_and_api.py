"""The admin's pages and the API for webhook endpoints."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.webhooks import delivery, events, services
from traction.webhooks.models import WebhookDelivery, WebhookEndpoint
from traction.webhooks.tests.receivers import Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_events")]


def base(cast: Cast) -> str:
    return f"/w/{cast.acme.slug}/webhooks/"


def test_the_empty_list_explains_webhooks_and_links_the_guide(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    page = client_for("admin").get(base(cast))
    assert page.status_code == 200
    text = page.content.decode()
    assert "No webhook endpoints yet." in text
    assert f"{base(cast)}guide/" in text
    assert "Add your first endpoint" in text
    guide = client_for("admin").get(f"{base(cast)}guide/").content.decode()
    for event in events.registered():
        assert event.name in guide
    assert "def verify(secret" in guide


def test_the_admin_adds_an_endpoint_and_sees_the_secret_once(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    from traction.webhooks import crypto

    admin = client_for("admin")
    answer = admin.post(
        f"{base(cast)}new/",
        {
            "url": "https://jira.example.test/hook",
            "description": "Jira automation",
            "event_scope": "chosen",
            "event_types": ["testing.item_done"],
            "program_scope": "chosen",
            "programs": [cast.program.pk],
            "active": "on",
        },
    )
    # POST, then redirect, then GET: a reload of the page re-sends no form.
    hook = WebhookEndpoint.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"{base(cast)}{hook.pk}/secret/"
    secret = crypto.decrypt(hook.secret_encrypted)
    assert all(secret not in str(v) for v in admin.session.values())  # kept encrypted
    shown = admin.get(answer["Location"])
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    assert secret in shown.content.decode()
    assert "only this once" in shown.content.decode()
    assert "Endpoint added" in shown.content.decode()
    # The reload: nothing created, the secret not shown again, a rotation offered.
    reloaded = admin.get(answer["Location"]).content.decode()
    assert WebhookEndpoint.objects.count() == 1
    assert crypto.decrypt(WebhookEndpoint.objects.get().secret_encrypted) == secret
    assert secret not in reloaded
    assert "The secret was shown once" in reloaded
    assert "rotate it" in reloaded
    assert f"{base(cast)}{hook.pk}/rotate-secret/" in reloaded
    assert (hook.all_events, hook.event_types, hook.all_programs) == (
        False,
        ["testing.item_done"],
        False,
    )
    assert list(hook.programs.values_list("pk", flat=True)) == [cast.program.pk]
    detail = admin.get(f"{base(cast)}{hook.pk}/").content.decode()
    assert secret not in detail
    assert f"…{secret[-4:]}" in detail
    assert "Nothing sent yet." in detail
    listing = admin.get(base(cast)).content.decode()
    assert "Jira automation" in listing
    assert secret not in listing

    rotated = admin.post(f"{base(cast)}{hook.pk}/rotate-secret/")
    assert rotated.status_code == 302
    assert rotated["Location"] == f"{base(cast)}{hook.pk}/secret/"
    new_secret = crypto.decrypt(WebhookEndpoint.objects.get().secret_encrypted)
    assert new_secret != secret
    shown = admin.get(rotated["Location"]).content.decode()
    assert new_secret in shown
    assert "New signing secret" in shown
    # Reloading the rotation's page rotates nothing: the secret just copied stays right.
    reloaded = admin.get(rotated["Location"]).content.decode()
    assert new_secret not in reloaded
    assert "The secret was shown once" in reloaded
    assert crypto.decrypt(WebhookEndpoint.objects.get().secret_encrypted) == new_secret
    assert new_secret not in admin.get(f"{base(cast)}{hook.pk}/").content.decode()
    # Another admin's session never holds it; the page is for managers only.
    assert secret not in client_for("admin").get(rotated["Location"]).content.decode()
    assert client_for("core_team").get(rotated["Location"]).status_code in (403, 404)


def test_form_errors_sit_beside_their_fields(
    cast: Cast, client_for: Callable[[str], Client], settings: Any
) -> None:
    settings.TRACTION_WEBHOOK_REQUIRE_HTTPS = True
    page = client_for("admin").post(
        f"{base(cast)}new/",
        {"url": "http://example.test/hook", "event_scope": "chosen", "program_scope": "all"},
    )
    assert page.status_code == 200
    form = page.context["form"]
    assert "https" in form.errors["url"][0]
    assert WebhookEndpoint.objects.count() == 0
    page = client_for("admin").post(
        f"{base(cast)}new/",
        {"url": "https://example.test/hook", "event_scope": "chosen", "program_scope": "all"},
    )
    assert "Choose at least one event" in page.context["form"].errors["event_types"][0]


def test_edit_disable_enable_archive_and_the_deliveries_page(
    cast: Cast, client_for: Callable[[str], Client], receiver: Receiver
) -> None:
    admin = client_for("admin")
    hook, _ = services.create_endpoint(cast.viewer("admin"), url=receiver.url)
    edited = admin.post(
        f"{base(cast)}{hook.pk}/edit/",
        {
            "url": receiver.url,
            "description": "Slack",
            "event_scope": "all",
            "program_scope": "all",
            "version": str(hook.version),
        },
    )
    assert edited.status_code == 302
    hook.refresh_from_db()
    assert hook.description == "Slack"

    admin.post(f"{base(cast)}{hook.pk}/test/")
    delivery.deliver_due()
    receiver.default_status = 503
    services.publish(workspace_id=cast.acme.pk, event="testing.item_done", data={})
    delivery.deliver_due()
    page = admin.get(f"{base(cast)}{hook.pk}/").content.decode()
    assert "webhook.test" in page
    assert "Delivered" in page
    assert "HTTP 503" in page
    assert "Pending" in page
    failed_only = admin.get(f"{base(cast)}{hook.pk}/?status=delivered").content.decode()
    assert "testing.item_done" not in failed_only

    done = WebhookDelivery.objects.get(status="delivered")
    again = admin.post(f"{base(cast)}{hook.pk}/deliveries/{done.pk}/redeliver/")
    assert again.status_code == 302
    assert WebhookDelivery.objects.filter(redelivery_of=done).count() == 1

    admin.post(f"{base(cast)}{hook.pk}/active/", {"active": "0"})
    hook.refresh_from_db()
    assert hook.active is False
    assert "Enable" in admin.get(f"{base(cast)}{hook.pk}/").content.decode()
    admin.post(f"{base(cast)}{hook.pk}/active/", {"active": "1"})
    hook.refresh_from_db()
    assert hook.active is True

    assert admin.get(f"{base(cast)}{hook.pk}/archive/").status_code == 200
    assert admin.post(f"{base(cast)}{hook.pk}/archive/").status_code == 302
    assert "No webhook endpoints yet." in admin.get(base(cast)).content.decode()
    archived = admin.get(f"{base(cast)}?archived=1").content.decode()
    assert "Slack" in archived
    # The history stays readable.
    assert "webhook.test" in admin.get(f"{base(cast)}{hook.pk}/").content.decode()
    assert admin.get(f"{base(cast)}{hook.pk}/edit/").status_code == 404
    # Each attempt is listed under its delivery, with the receiver's answer.
    page = admin.get(f"{base(cast)}{hook.pk}/").content.decode()
    assert 'class="attempt-log"' in page
    assert "HTTP 503" in page

    # Restored, it comes back disabled; enabling it is the admin's explicit step.
    assert admin.post(f"{base(cast)}{hook.pk}/restore/").status_code == 302
    hook.refresh_from_db()
    assert (hook.archived_at, hook.active) == (None, False)
    restored = admin.get(f"{base(cast)}{hook.pk}/").content.decode()
    assert "Restored from the archive" in restored
    assert "Enable" in restored
    assert "Slack" in admin.get(base(cast)).content.decode()
    admin.post(f"{base(cast)}{hook.pk}/restore/")  # not archived any more: a clear refusal
    assert admin.post(f"{base(cast)}{hook.pk}/active/", {"active": "1"}).status_code == 302
    hook.refresh_from_db()
    assert hook.active is True
    actions = set(AuditEvent.objects.filter(object_type="webhooks.webhookendpoint")
                  .values_list("action", flat=True))  # fmt: skip
    assert actions >= {
        "webhook.created", "webhook.changed", "webhook.test_sent", "webhook.redelivered",
        "webhook.disabled", "webhook.enabled", "webhook.archived", "webhook.restored",
    }  # fmt: skip


def test_the_next_attempt_column_says_due_being_sent_or_when(
    cast: Cast, client_for: Callable[[str], Client], receiver: Receiver
) -> None:
    """A new delivery is "due now"; claimed by a worker and not answered yet it is "being
    sent now" (the claim's lease is no time anyone chose); after a failed try, its retry's
    time."""
    admin = client_for("admin")
    hook, _ = services.create_endpoint(cast.viewer("admin"), url=receiver.url)
    admin.post(f"{base(cast)}{hook.pk}/test/")

    def column() -> str:
        page = admin.get(f"{base(cast)}{hook.pk}/").content.decode()
        row = page.split('class="delivery delivery-')[1]
        return row.split('<td class="nowrap">')[-1].split("</td>")[0]

    assert column() == "due now"
    assert len(delivery.claim_due()) == 1
    assert column() == "being sent now"
    # The lease runs out (the worker died): due again, and tried.
    WebhookDelivery.objects.update(next_attempt_at=WebhookDelivery.objects.get().created_at)
    receiver.default_status = 503
    delivery.deliver_due()
    assert column().startswith("next ")


def test_webhooks_are_in_the_admins_navigation_only(
    cast: Cast, client_for: Callable[[str], Client]
) -> None:
    home = f"/w/{cast.acme.slug}/"
    assert f'href="{base(cast)}"' in client_for("admin").get(home).content.decode()
    assert f'href="{base(cast)}"' not in client_for("facilitator").get(home).content.decode()


def test_the_api_manages_endpoints_for_admin_tokens(
    cast: Cast, api_client_for: Callable[[str], Client], receiver: Receiver
) -> None:
    api = api_client_for("admin")
    created = api.post(
        "/api/v1/webhooks/endpoints",
        json.dumps({"url": receiver.url, "description": "Ops", "all_events": False,
                    "event_types": ["testing.item_done"]}),
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    hook_id = body["id"]
    got = api.get(f"/api/v1/webhooks/endpoints/{hook_id}").json()
    assert "secret" not in got
    assert got["secret_hint"] == secret[-4:]
    listed = api.get("/api/v1/webhooks/endpoints").json()
    assert [e["id"] for e in listed["items"]] == [hook_id]
    assert "secret" not in listed["items"][0]

    patched = api.patch(
        f"/api/v1/webhooks/endpoints/{hook_id}",
        json.dumps({"all_events": True, "version": got["version"]}),
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["all_events"] is True
    stale = api.patch(
        f"/api/v1/webhooks/endpoints/{hook_id}",
        json.dumps({"description": "x", "version": got["version"]}),
        content_type="application/json",
    )
    assert stale.status_code == 409
    bad = api.patch(
        f"/api/v1/webhooks/endpoints/{hook_id}",
        json.dumps({"url": "ftp://example.test"}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "url"

    test = api.post(f"/api/v1/webhooks/endpoints/{hook_id}/test")
    assert test.status_code == 202
    assert test.json()["event_type"] == "webhook.test"
    delivery.deliver_due()
    deliveries = api.get(f"/api/v1/webhooks/endpoints/{hook_id}/deliveries").json()
    assert deliveries["count"] == 1
    assert deliveries["items"][0]["status"] == "delivered"
    [attempt] = deliveries["items"][0]["attempt_log"]
    assert (attempt["number"], attempt["status_code"], attempt["error"]) == (1, 200, "")
    redelivered = api.post(f"/api/v1/webhooks/deliveries/{deliveries['items'][0]['id']}/redeliver")
    assert redelivered.status_code == 202
    assert redelivered.json()["redelivery_of_id"] == deliveries["items"][0]["id"]
    assert (
        api.get(f"/api/v1/webhooks/endpoints/{hook_id}/deliveries?status=bogus").status_code == 422
    )

    rotated = api.post(f"/api/v1/webhooks/endpoints/{hook_id}/rotate-secret").json()
    assert rotated["secret"] != secret
    types = [e["name"] for e in api.get("/api/v1/webhooks/events").json()]
    assert "webhook.test" in types

    assert api.delete(f"/api/v1/webhooks/endpoints/{hook_id}").status_code == 204
    assert api.get("/api/v1/webhooks/endpoints").json()["count"] == 0
    assert api.get("/api/v1/webhooks/endpoints?archived=true").json()["count"] == 1
    back = api.post(f"/api/v1/webhooks/endpoints/{hook_id}/restore")
    assert back.status_code == 200
    assert back.json()["active"] is False
    assert api.post(f"/api/v1/webhooks/endpoints/{hook_id}/restore").status_code == 422
    assert api.get("/api/v1/webhooks/endpoints").json()["count"] == 1

    for principal in ["facilitator", "observer"]:
        assert api_client_for(principal).get("/api/v1/webhooks/endpoints").status_code == 403
    stranger = api_client_for("stranger")
    assert stranger.get(f"/api/v1/webhooks/endpoints/{hook_id}").status_code == 404
    assert stranger.get("/api/v1/webhooks/endpoints").json()["count"] == 0


def test_a_422_names_the_field_and_the_position_in_its_list(
    api_client_for: Callable[[str], Client],
) -> None:
    api = api_client_for("admin")
    for ids, msg in [
        ("[1e400]", "Input should be a valid integer"),
        ("[3, 0]", "Input should be greater than or equal to 1"),
    ]:
        refused = api.post(
            "/api/v1/webhooks/endpoints",
            '{"url": "https://example.test/hook", "all_programs": false, "program_ids": '
            + ids
            + "}",
            content_type="application/json",
        )
        assert refused.status_code == 422
        body = refused.json()
        index = 0 if ids == "[1e400]" else 1
        assert body["detail"][0]["loc"] == ["body", "program_ids", index]
        assert body["message"] == f"program_ids.{index}: {msg}"
    assert WebhookEndpoint.objects.count() == 0
    refused = api.post(
        "/api/v1/webhooks/endpoints", '{"url": 7}', content_type="application/json"
    ).json()
    assert refused["message"] == "url: Input should be a valid string"  # a field as before


def test_an_address_with_a_user_name_or_password_is_refused(
    cast: Cast, client_for: Callable[[str], Client], api_client_for: Callable[[str], Client]
) -> None:
    page = client_for("admin").post(
        f"{base(cast)}new/",
        {"url": "https://user:pass@example.test/x", "event_scope": "all", "program_scope": "all"},
    )
    assert page.status_code == 200
    assert "user name and password" in page.context["form"].errors["url"][0]
    api = api_client_for("admin")
    for url in ["https://user:pass@example.test/x", "https://token@example.test/x"]:
        refused = api.post(
            "/api/v1/webhooks/endpoints",
            json.dumps({"url": url}),
            content_type="application/json",
        )
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "url"]
        assert "user name and password" in refused.json()["message"]
    created = api.post(
        "/api/v1/webhooks/endpoints",
        json.dumps({"url": "https://example.test/x?key=a@b"}),
        content_type="application/json",
    )
    assert created.status_code == 201  # an @ after the host is not a user name
    patched = api.patch(
        f"/api/v1/webhooks/endpoints/{created.json()['id']}",
        json.dumps({"url": "https://user:pass@example.test/x"}),
        content_type="application/json",
    )
    assert patched.status_code == 422
    assert WebhookEndpoint.objects.get().url == "https://example.test/x?key=a@b"
    assert all("user:pass" not in json.dumps(a.changes) for a in AuditEvent.objects.all())


def test_an_address_that_cannot_be_read_is_refused_not_a_server_error(
    cast: Cast, client_for: Callable[[str], Client], api_client_for: Callable[[str], Client]
) -> None:
    """An unclosed IPv6 address, one that is no address, a port out of range: a 422 on
    ``url`` (they were a 500 in the API, and saved, the bad port)."""
    api = api_client_for("admin")
    for url in ["http://[::1", "http://[zz]/x", "https://example.test:99999/x", "https://a:0/"]:
        refused = api.post(
            "/api/v1/webhooks/endpoints", json.dumps({"url": url}), content_type="application/json"
        )
        assert refused.status_code == 422, url
        assert refused.json()["detail"][0]["loc"] == ["body", "url"]
    created = api.post(
        "/api/v1/webhooks/endpoints",
        json.dumps({"url": "https://example.test/x"}),
        content_type="application/json",
    )
    patched = api.patch(
        f"/api/v1/webhooks/endpoints/{created.json()['id']}",
        json.dumps({"url": "http://[::1"}),
        content_type="application/json",
    )
    assert patched.status_code == 422
    page = client_for("admin").post(
        f"{base(cast)}new/", {"url": "http://[::1", "event_scope": "all", "program_scope": "all"}
    )
    assert "cannot be read" in page.context["form"].errors["url"][0]
    assert not WebhookEndpoint.objects.exclude(url="https://example.test/x").exists()
