"""Sign-in throttling per account and address, and the client address behind named proxies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from traction.accounts import throttle
from traction.accounts.models import FailedLogin
from traction.core import clock
from traction.core.testing.cast import PASSWORD

ATTACKER = "203.0.113.9"


def sign_in(client: Client, password: str, email: str = "alice@acme.test", **headers: str):
    return client.post(reverse("accounts:login"), {"email": email, "password": password}, **headers)


def test_an_attacker_elsewhere_cannot_lock_the_real_user_out(cast):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(20):
        sign_in(attacker, "wrong guess")
    assert sign_in(attacker, PASSWORD).status_code == 429  # the attacker's pair waits
    assert FailedLogin.objects.filter(ip=ATTACKER).count() == 5

    owner = Client(REMOTE_ADDR="198.51.100.20")
    response = sign_in(owner, PASSWORD)
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(cast.users["admin"].pk)
    # The owner's success does not wipe what the attacker piled up.
    assert FailedLogin.objects.filter(ip=ATTACKER).count() == 5


def test_twenty_failures_from_one_address_do_not_lock_out_everyone_behind_it(cast):
    office = Client(REMOTE_ADDR="192.0.2.1")
    for i in range(20):
        sign_in(office, "wrong guess", email=f"someone{i}@acme.test")
    response = sign_in(office, PASSWORD)
    assert response.status_code == 302


def test_delays_grow_after_the_free_attempts_and_are_capped(cast, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 5
    settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS = 900
    assert [throttle.pair_delay_seconds(n) for n in range(4, 16)] == [
        0,
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        512,
        900,
        900,
    ]
    now = timezone.now()
    for _ in range(7):
        FailedLogin.objects.create(email="alice@acme.test", ip="10.0.0.1", at=now)
    assert throttle.login_wait_seconds(email="alice@acme.test", ip="10.0.0.1", now=now) == 8
    later = now + timedelta(seconds=8)
    assert throttle.login_wait_seconds(email="alice@acme.test", ip="10.0.0.1", now=later) == 0
    # Failures older than the window no longer count.
    old = now - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS + 1)
    FailedLogin.objects.update(at=old)
    assert throttle.login_wait_seconds(email="alice@acme.test", ip="10.0.0.1", now=now) == 0
    assert throttle.purge_old_failures(now=now) == 7


def test_one_address_spraying_many_accounts_hits_the_address_ceiling(cast, settings):
    settings.LOGIN_THROTTLE_ADDRESS_ATTEMPTS = 30
    sprayer = Client(REMOTE_ADDR=ATTACKER)
    # The clock stands still (failures are stamped by it too), so the wait below is exact
    # however long the 30 sign-ins take.
    with clock.frozen(clock.now()):
        for i in range(30):
            assert sign_in(sprayer, "Summer2026!", email=f"user{i}@acme.test").status_code == 200
        # Over the ceiling, every account the address failed for waits from its first failure.
        response = sign_in(sprayer, "Autumn2026!", email="user3@acme.test")
    assert response.status_code == 429
    assert "Wait 2 seconds, then try again." in response.content.decode()
    # A colleague behind the same address, with no failure of her own, gets in at once.
    assert sign_in(Client(REMOTE_ADDR=ATTACKER), PASSWORD).status_code == 302
    # Another address is not concerned.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.20"), PASSWORD).status_code == 302


def test_a_forged_forwarded_for_is_ignored_without_a_named_proxy(cast):
    client = Client(REMOTE_ADDR=ATTACKER)
    for i in range(8):
        # Rotating X-Forwarded-For would give every guess a fresh pair if it were believed.
        sign_in(client, "wrong guess", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}")
    assert set(FailedLogin.objects.values_list("ip", flat=True)) == {ATTACKER}
    assert FailedLogin.objects.count() == 5  # the 6th to 8th waited (429), not counted


def test_behind_a_named_proxy_the_forwarded_client_address_counts(cast, settings):
    settings.TRACTION_TRUSTED_PROXIES = ["10.0.0.0/24"]
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    # A client-supplied entry left of the real one is not believed: the proxy appended
    # the address it saw, which is read from the right.
    sign_in(proxy, "wrong guess", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    sign_in(proxy, "wrong guess", HTTP_X_FORWARDED_FOR="198.51.100.8, 10.0.0.9")
    assert list(FailedLogin.objects.order_by("pk").values_list("ip", flat=True)) == [
        "198.51.100.7",
        "198.51.100.8",
    ]


@pytest.mark.parametrize(
    ("peer", "secure"),
    [("203.0.113.9", False), ("10.0.0.5", True)],
)
def test_forwarded_proto_is_believed_only_from_a_named_proxy(db, settings, peer, secure):
    settings.TRACTION_TRUSTED_PROXIES = ["10.0.0.5"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    client = Client(REMOTE_ADDR=peer)
    response = client.get(reverse("accounts:login"), HTTP_X_FORWARDED_PROTO="https")
    if secure:
        assert response.status_code == 200
    else:
        assert response.status_code == 301
        assert response["Location"] == "https://testserver/login/"


def test_ipv6_addresses_of_one_network_count_as_one_address(cast):
    # Whoever has an IPv6 network (a /64 is what one home or server gets) holds billions of
    # addresses: counted one by one, each new address got five free guesses at the same
    # account. All of one /64 count as one address.
    for n in range(1, 8):
        sign_in(Client(REMOTE_ADDR=f"2001:db8:1:2::{n:x}"), "wrong guess")
    assert sign_in(Client(REMOTE_ADDR="2001:db8:1:2:ffff::9"), PASSWORD).status_code == 429
    # Another network, and the account's owner on IPv4, are not held back.
    assert sign_in(Client(REMOTE_ADDR="2001:db8:1:3::1"), PASSWORD).status_code == 302
    assert sign_in(Client(REMOTE_ADDR="198.51.100.20"), PASSWORD).status_code == 302


def test_password_link_requests_from_one_ipv6_network_share_one_limit(db):
    answers = [
        Client(REMOTE_ADDR=f"2001:db8:7:7::{n:x}")
        .post(reverse("accounts:password_reset"), {"email": f"nobody{n}@example.test"})
        .status_code
        for n in range(1, 13)
    ]
    assert answers[-1] == 429
    assert (
        Client(REMOTE_ADDR="2001:db8:7:8::1")
        .post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})
        .status_code
        != 429
    )
