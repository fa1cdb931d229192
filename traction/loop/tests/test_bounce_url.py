"""The workspace's bounce URL, managed by admins: made or rotated on the workspace settings
page (shown once, the old one ends at once) and through the API; its status and the latest
reports are shown without the secret."""

from __future__ import annotations

import re
from typing import Any

import pytest

from traction.core.errors import PermissionDenied
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.loop.models import BounceInbox
from traction.loop.services import bounces

pytestmark = pytest.mark.django_db

SETTINGS = "/w/acme/workspace-settings/"
ROTATE = "/w/acme/loop/mail/bounce-url/"


def test_the_settings_page_offers_a_bounce_url_and_shows_it_once(
    cast: Cast, client_for: Any
) -> None:
    client = client_for("admin")
    page = client.get(SETTINGS).content.decode()
    assert "Bounces from your mail provider" in page
    assert "No bounce URL yet" in page
    assert "No bounce or complaint reported yet." in page
    assert "Make a bounce URL" in page
    shown = client.post(ROTATE).content.decode()
    assert "<h1>Bounce URL made</h1>" in shown
    urls = re.findall(r"http://[^<\s]+/hooks/mail/(\w+)/(bnc_[\w-]+)/", shown)
    assert [p for p, _ in urls] == ["ses", "postmark", "sendgrid", "mailgun"]
    secret = urls[0][1]
    assert {s for _, s in urls} == {secret}
    box = BounceInbox.objects.get(workspace=cast.acme)
    assert box.secret_hash == bounces.digest(secret)
    # Afterwards the page shows its end only, never the secret.
    page = client.get(SETTINGS).content.decode()
    assert secret not in page
    assert f"…{secret[-4:]}/" in page
    assert "Rotate the bounce URL" in page
    again = client.post(ROTATE).content.decode()
    assert "<h1>New bounce URL</h1>" in again
    assert "The previous URL no longer works" in again
    assert secret not in again
    assert bounces.inbox_for(secret) is None
    assert AuditEvent.objects.filter(action="loop.bounce_url_created").count() == 1
    assert AuditEvent.objects.filter(action="loop.bounce_url_rotated").count() == 1


def test_only_admins_see_or_rotate_it(cast: Cast, client_for: Any) -> None:
    page = client_for("facilitator").get(SETTINGS)
    assert page.status_code == 403  # the settings page is the admins'
    assert client_for("facilitator").post(ROTATE).status_code == 403
    with pytest.raises(PermissionDenied):
        bounces.rotate(cast.viewer("facilitator"))
    assert not BounceInbox.objects.exists()


def test_the_api_rotates_and_reports_without_the_secret(cast: Cast, api_client_for: Any) -> None:
    api = api_client_for("admin")
    before = api.get("/api/v1/mail/bounce-url").json()
    assert before == {
        "exists": False, "hint": "", "rotated_at": None, "last_received_at": None,
        "sns_subscribe_url": "", "sns_topic_arn": "", "recent": [],
        "keys": [
            {"provider": p, "set": False, "hint": "", "username": "", "set_at": None}
            for p in ("mailgun", "sendgrid", "postmark")
        ],
    }  # fmt: skip
    made = api.post("/api/v1/mail/bounce-url/rotate").json()
    assert sorted(made["urls"]) == ["mailgun", "postmark", "sendgrid", "ses"]
    secret = made["urls"]["postmark"].rstrip("/").rsplit("/", 1)[1]
    assert made["hint"] == secret[-4:]
    after = api.get("/api/v1/mail/bounce-url").json()
    assert after["exists"] is True
    assert after["hint"] == secret[-4:]
    assert secret not in str(after)
    assert api_client_for("facilitator").post("/api/v1/mail/bounce-url/rotate").status_code == 403


def test_the_api_sets_and_removes_provider_keys_never_returning_them(
    cast: Cast, api_client_for: Any
) -> None:
    api = api_client_for("admin")
    key = "key-" + "0123456789abcdef" * 2
    made = api.put("/api/v1/mail/bounce-keys/mailgun", {"signing_key": key},
                   content_type="application/json")  # fmt: skip
    assert made.status_code == 200
    assert made.json()["hint"] == key[-4:]
    assert key not in made.content.decode()
    listed = api.get("/api/v1/mail/bounce-url").json()["keys"]
    assert [k["set"] for k in listed] == [True, False, False]
    assert key not in str(listed)
    bad = api.put("/api/v1/mail/bounce-keys/sendgrid", {"public_key": "nope"},
                  content_type="application/json")  # fmt: skip
    assert bad.status_code == 422
    assert "This is not a public key" in bad.content.decode()
    assert (
        api.put("/api/v1/mail/bounce-keys/ses", {}, content_type="application/json").status_code
        == 422
    )
    assert api.delete("/api/v1/mail/bounce-keys/mailgun").status_code == 204
    assert not api.get("/api/v1/mail/bounce-url").json()["keys"][0]["set"]
    actions = AuditEvent.objects.filter(action__startswith="loop.bounce_key")
    assert sorted(actions.values_list("action", flat=True)) == [
        "loop.bounce_key_removed", "loop.bounce_key_set",
    ]  # fmt: skip
    assert (
        api_client_for("facilitator").delete("/api/v1/mail/bounce-keys/mailgun").status_code == 403
    )
