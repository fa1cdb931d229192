"""Attacker's review: a link's secret never reaches the server's log.

Django writes the path of every answer from 400 on to its log, and the input guard names the
path it refused. A working RSVP link refused for a bad ``?tz=``, or a secret bounce URL
refused for a post without the provider's proof, put the link's token or the URL's secret in
the log, for whoever reads it to use. Every route parameter that is a credential is masked
(``core.logs``), in the records as the logging settings configure them.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from traction.core.logs import MASK, LinkSecretsFilter, redacted
from traction.core.testing.cast import Cast
from traction.loop.services import bounces
from traction.sessions import rsvp
from traction.sessions.tests.test_customer_pages import invitation, session  # noqa: F401

pytestmark = pytest.mark.django_db


def _secret_routes() -> list[str]:
    """Every route of the URLconf with a credential in its path, as a pattern string."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and ("token>" in route or "secret>" in route):
                found.append(route)

    walk(get_resolver().url_patterns, "/")
    return found


def test_every_route_carrying_a_secret_is_masked() -> None:
    routes = _secret_routes()
    # The RSVP, ballot, portal, unsubscribe, feedback, approve, invitation, set-password
    # and bounce links at least: the walk is not blind.
    assert len(routes) >= 11, routes
    for route in routes:
        path = route
        for converter, value in (
            ("<slug:workspace_slug>", "acme"),
            ("<str:provider>", "postmark"),
        ):
            path = path.replace(converter, value)
        while "<" in path:
            start, end = path.index("<"), path.index(">")
            path = path[:start] + "Zk9.s3cr3t-Value_1" + path[end + 1 :]
        assert "s3cr3t" not in redacted(path), route
        assert MASK in redacted(path), route


def test_other_paths_and_text_are_left_alone() -> None:
    for text in ("/w/acme/sessions/12/", "/login/", "/no/such/page/", "GET", "not a path"):
        assert redacted(text) == text


def test_a_refused_rsvp_link_is_logged_without_its_token(
    client: Any,
    invitation: Any,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = rsvp.make_token(invitation.pk, invitation.contact_id)
    with caplog.at_level(logging.INFO):
        response = client.get(f"/rsvp/{token}/?tz=%E2%80%AE")  # a bidi control: refused
    assert response.status_code == 400
    logged = [r.getMessage() for r in caplog.records]
    assert any("refused GET /rsvp/[secret]/" in m for m in logged), logged
    assert any(m == "Bad Request: /rsvp/[secret]/" for m in logged), logged
    assert not any(token in m for m in logged)
    assert client.get(f"/rsvp/{token}/").status_code == 200  # the link itself still works


def test_a_refused_bounce_post_is_logged_without_the_urls_secret(
    cast: Cast, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _box, secret = bounces.rotate(cast.viewer("admin"))
    bounces.set_key(cast.viewer("admin"), "postmark", username="u", password="p" * 20)
    with caplog.at_level(logging.INFO):
        response = client.post(
            f"/hooks/mail/postmark/{secret}/", "{}", content_type="application/json"
        )  # refused (unreadable, and no basic auth)
    assert 400 <= response.status_code < 500
    logged = [r.getMessage() for r in caplog.records]
    assert any("/hooks/mail/postmark/[secret]/" in m for m in logged), logged
    assert not any(secret in m for m in logged)


def test_the_development_servers_request_line_is_masked() -> None:
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s',
        ("GET /vote/Zk9.s3cr3t/ HTTP/1.1", "200", "512"), None,
    )  # fmt: skip
    assert LinkSecretsFilter().filter(record)
    assert record.getMessage() == '"GET /vote/[secret]/ HTTP/1.1" 200 512'


def test_the_filter_is_on_every_logger_that_writes_paths() -> None:
    for name in ("django.request", "django.security.csrf", "django.server"):
        assert any(isinstance(f, LinkSecretsFilter) for f in logging.getLogger(name).filters)
