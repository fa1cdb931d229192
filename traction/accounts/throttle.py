"""Slowing down password guessing without letting anyone lock a real user out.

Failed sign-ins are counted per pair of account (email) and client address, over
``LOGIN_THROTTLE_WINDOW_SECONDS``. The first ``LOGIN_THROTTLE_ATTEMPTS`` failures of a
pair cost nothing; after that each further attempt from the same pair must wait 2, 4,
8 ... seconds after the pair's last failure, at most ``LOGIN_THROTTLE_MAX_DELAY_SECONDS``.
Someone guessing from elsewhere only slows their own pair down: the account's owner,
signing in from their own address, is never refused because of them.

Against one address trying many accounts (password spraying): once an address failed
``LOGIN_THROTTLE_ADDRESS_ATTEMPTS`` times within the window, over all accounts, every
account it failed for waits 2, 4, 8 ... seconds from its first failure (not its sixth).
An account with no failure from that address is not held back, so a colleague behind the
same office address signing in with the right password always gets in. Behind a reverse
proxy the address is the one the proxy forwards, and only when the proxy is named in
``TRACTION_TRUSTED_PROXIES`` (``traction.core.proxies``); an IPv6 address counts as its
/64 network (``limit_address``), so rotating addresses inside it gains nothing.

The limits are written down in docs/security.md.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max

from traction.core import clock
from traction.core.proxies import limit_address

from .models import FailedLogin


def _email(email: str) -> str:
    return email.strip().lower()[:254]


def _pair(email: str, ip: str | None) -> dict[str, object]:
    ip = limit_address(ip)
    if ip:
        return {"email": _email(email), "ip": ip}
    return {"email": _email(email), "ip__isnull": True}


def pair_delay_seconds(failures: int) -> int:
    """How long after the last failure the pair's next attempt must wait, given its count."""
    extra = failures - settings.LOGIN_THROTTLE_ATTEMPTS
    if extra < 0:
        return 0
    return int(min(2 ** min(extra + 1, 32), settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS))


def login_wait_seconds(*, email: str, ip: str | None, now: datetime | None = None) -> int:
    """Seconds this account and address must wait before the next sign-in attempt (0: go)."""
    now = now or clock.now()
    ip = limit_address(ip)
    since = now - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    recent = FailedLogin.objects.filter(at__gte=since)
    wait = 0.0
    pair = recent.filter(**_pair(email, ip)).aggregate(last=Max("at"), count=Count("pk"))
    delay = pair_delay_seconds(pair["count"])
    if delay and pair["last"] is not None:
        wait = max(wait, (pair["last"] + timedelta(seconds=delay) - now).total_seconds())
    if ip and pair["count"]:
        # An address over its ceiling slows down every account it has failed for, from the
        # first failure on; an account with no failure from it (a colleague behind the same
        # office address, typing their password right) is never held back by the others.
        address = recent.filter(ip=ip).aggregate(count=Count("pk"))
        if address["count"] >= settings.LOGIN_THROTTLE_ADDRESS_ATTEMPTS:
            spraying = int(
                min(2 ** min(pair["count"], 32), settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS)
            )
            wait = max(wait, (pair["last"] + timedelta(seconds=spraying) - now).total_seconds())
    return max(0, math.ceil(wait))


def login_throttled(*, email: str, ip: str | None) -> bool:
    """True when this account and address must wait before trying again."""
    return login_wait_seconds(email=email, ip=ip) > 0


def record_failed_login(*, email: str, ip: str | None) -> None:
    purge_old_failures()  # failures past the window no longer count: the table stays small
    FailedLogin.objects.create(email=_email(email), ip=limit_address(ip))


def clear_failed_logins(*, email: str, ip: str | None) -> None:
    """Forget the pair's failures after a successful sign-in from it.

    A success from the owner's address does not wipe the failures an attacker piled up
    from another address, so their delays keep growing.
    """
    FailedLogin.objects.filter(**_pair(email, ip)).delete()


def purge_old_failures(*, now: datetime | None = None) -> int:
    """Delete failures older than the window (they no longer count); returns how many."""
    now = now or clock.now()
    since = now - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    deleted, _ = FailedLogin.objects.filter(at__lt=since).delete()
    return deleted
