"""A forgotten password, reset from the sign-in page by email (Django's reset machinery)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client, TestCase
from django.urls import reverse

from traction.accounts import services
from traction.accounts.models import FailedLogin, User
from traction.accounts.views_password import set_password_link
from traction.core.testing.cast import PASSWORD, Cast

NEW_PASSWORD = "a brand new passphrase 2026"
SITE = "https://traction.example.com"


@pytest.fixture(autouse=True)
def fresh_throttle(settings: Any) -> Iterator[None]:
    settings.TRACTION_SITE_URL = SITE
    cache.clear()
    yield
    cache.clear()


def html(response: Any) -> str:
    return str(response.content.decode())


def field_error(field: str, message: str) -> str:
    return f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li></ul>'


def ask_for_link(client: Client, email: str, **extra: Any) -> Any:
    # The email is queued when the request's transaction commits (the test's never does).
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("accounts:password_reset"), {"email": email}, **extra)


def link_in(message: Any) -> str:
    found = re.findall(
        r"^https://traction\.example\.com(/password/set/[^/\s]+/)$", message.body, re.M
    )
    assert len(found) == 1, message.body
    return str(found[0])


def set_password(client: Client, path: str, password: str, again: str | None = None) -> Any:
    """Open the link (it redirects to the form), then send the form."""
    opened = client.get(path)
    assert opened.status_code == 302
    form_url = opened["Location"]
    assert form_url.endswith(".set-password/")
    assert client.get(form_url).status_code == 200
    return client.post(form_url, {"new_password1": password, "new_password2": again or password})


def test_the_sign_in_page_links_to_the_forgotten_password_page(db: None, client: Client) -> None:
    page = html(client.get(reverse("accounts:login")))
    assert '<a href="/password/reset/">Forgot your password?</a>' in page
    form = client.get("/password/reset/")
    assert form.status_code == 200
    assert "<title>Forgot your password? · Traction</title>" in html(form)
    assert '<label for="id_email">Email:</label>' in html(form)
    assert "The link works once, for 3 days." in html(form)


def test_a_forgotten_password_is_reset_by_email_then_the_new_one_signs_in(
    cast: Cast, client: Client
) -> None:
    response = ask_for_link(client, "  ALICE@acme.test ")
    assert response.status_code == 302
    assert response["Location"] == "/password/reset/sent/"
    sent = client.get(response["Location"])
    assert "If that address belongs to an account, an email" in html(sent)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.subject, message.to) == ("Set your Traction password", ["alice@acme.test"])
    assert "Hello Alice Admin," in message.body
    assert "the link works once, for 3 days" in message.body
    path = link_in(message)

    # Two passwords that differ: the error beside the second field, nothing changed.
    opened = client.get(path)
    mismatch = client.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    )
    assert mismatch.status_code == 200
    assert field_error("new_password2", "The two password fields didn’t match.") in html(mismatch)
    weak = client.post(
        opened["Location"], {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert "This password is too common." in html(weak)
    assert User.objects.get(email="alice@acme.test").check_password(PASSWORD)

    done = client.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done["Location"] == "/password/done/"
    assert "Your password is set" in html(client.get("/password/done/"))

    alice = User.objects.get(email="alice@acme.test")
    assert alice.check_password(NEW_PASSWORD)
    assert not alice.check_password(PASSWORD)
    signed_in = client.post(
        reverse("accounts:login"), {"email": "alice@acme.test", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)

    # The link was spent: opened again (in another browser), it says so and shows no form.
    again = Client().get(path)
    assert again.status_code == 200
    assert "This link does not work" in html(again)
    assert "new_password1" not in html(again)


def test_an_unknown_address_gets_the_same_answer_and_no_email(cast: Cast, client: Client) -> None:
    known = ask_for_link(client, "alice@acme.test")
    unknown = ask_for_link(client, "nobody@acme.test")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mail.outbox] == [["alice@acme.test"]]


def test_a_deactivated_account_gets_no_email(cast: Cast, client: Client) -> None:
    User.objects.filter(email="alice@acme.test").update(is_active=False)
    response = ask_for_link(client, "alice@acme.test")
    assert response["Location"] == "/password/reset/sent/"
    assert mail.outbox == []


def test_signing_in_spends_an_unused_link(cast: Cast, client: Client) -> None:
    ask_for_link(client, "alice@acme.test")
    path = link_in(mail.outbox[0])
    client.post(reverse("accounts:login"), {"email": "alice@acme.test", "password": PASSWORD})
    opened = Client().get(path)
    assert opened.status_code == 200
    assert "This link does not work" in html(opened)


def test_the_link_points_at_the_site_address_whatever_host_the_request_named(
    cast: Cast, client: Client
) -> None:
    ask_for_link(client, "alice@acme.test", HTTP_HOST="evil.example")
    assert "evil.example" not in mail.outbox[0].body
    assert link_in(mail.outbox[0]).startswith("/password/set/")


def test_an_empty_or_malformed_address_is_answered_beside_the_field(
    db: None, client: Client
) -> None:
    response = ask_for_link(client, "not an address")
    assert response.status_code == 200
    assert field_error("email", "Enter a valid email address.") in html(response)
    assert mail.outbox == []


def test_one_address_gets_at_most_three_emails_an_hour_and_the_same_page(
    cast: Cast, client: Client
) -> None:
    answers = [ask_for_link(client, "alice@acme.test")["Location"] for _ in range(5)]
    assert answers == ["/password/reset/sent/"] * 5
    assert len(mail.outbox) == 3


def test_one_client_address_is_refused_after_ten_requests(cast: Cast, client: Client) -> None:
    for n in range(10):
        assert ask_for_link(client, f"someone{n}@acme.test").status_code == 302
    refused = ask_for_link(client, "alice@acme.test")
    assert refused.status_code == 429
    assert (
        "Too many requests for a sign-in link from your address. Wait 60 minutes, then try again."
        in html(refused)
    )
    assert mail.outbox == []
    # Another address is not held back by that one.
    other = ask_for_link(Client(REMOTE_ADDR="10.0.0.9"), "alice@acme.test")
    assert other.status_code == 302
    assert len(mail.outbox) == 1


def test_setting_a_new_password_clears_the_failed_sign_ins_of_that_address(
    cast: Cast, client: Client
) -> None:
    for _ in range(5):
        client.post(reverse("accounts:login"), {"email": "alice@acme.test", "password": "nope"})
    held_back = client.post(
        reverse("accounts:login"), {"email": "alice@acme.test", "password": PASSWORD}
    )
    assert held_back.status_code == 429
    ask_for_link(client, "alice@acme.test")
    assert set_password(client, link_in(mail.outbox[0]), NEW_PASSWORD).status_code == 302
    assert not FailedLogin.objects.filter(email="alice@acme.test").exists()
    signed_in = client.post(
        reverse("accounts:login"), {"email": "alice@acme.test", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302


def test_an_account_without_a_password_yet_can_ask_for_a_link(db: None, client: Client) -> None:
    # E.g. the first admin made by 'traction setup --link' who lost the printed link.
    ada = services.create_user(email="ada@acme.example", full_name="Ada", password=None)
    assert not ada.has_usable_password()
    ask_for_link(client, "ada@acme.example")
    assert [m.to for m in mail.outbox] == [["ada@acme.example"]]
    assert set_password(client, link_in(mail.outbox[0]), NEW_PASSWORD).status_code == 302
    assert User.objects.get(pk=ada.pk).check_password(NEW_PASSWORD)


def test_a_made_up_or_truncated_link_does_not_work(cast: Cast, client: Client) -> None:
    link = set_password_link(cast.users["admin"])
    path = link.removeprefix(SITE)
    for bad in (path[:-5] + "/", "/password/set/garbage/", "/password/set/MQ.set-password/"):
        response = client.get(bad)
        assert response.status_code == 200, bad
        assert "This link does not work" in html(response)
    post = client.post(
        path[:-5] + "/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert post.status_code == 200
    assert User.objects.get(email="alice@acme.test").check_password(PASSWORD)


def test_a_link_works_for_three_days_only(cast: Cast) -> None:
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False):
        path = set_password_link(cast.users["admin"]).removeprefix(SITE)
    with time_machine.travel(datetime(2026, 12, 4, 8, 59, tzinfo=UTC), tick=False):
        assert Client().get(path).status_code == 302  # to the form: still good
    with time_machine.travel(datetime(2026, 12, 4, 9, 0, 1, tzinfo=UTC), tick=False):
        late = Client().get(path)
    assert late.status_code == 200
    assert "The link was already used, is older than 3 days" in html(late)


def test_a_new_password_signs_out_the_accounts_other_sessions(cast: Cast, client: Client) -> None:
    elsewhere = Client()
    elsewhere.force_login(cast.users["admin"])
    assert elsewhere.get("/").status_code == 200
    ask_for_link(client, "alice@acme.test")
    assert set_password(client, link_in(mail.outbox[0]), NEW_PASSWORD).status_code == 302
    signed_out = elsewhere.get("/")
    assert (signed_out.status_code, signed_out["Location"]) == (302, "/login/?next=/")
