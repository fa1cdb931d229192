# ruff: noqa: S310, S608 -- https URLs we build ourselves; table names from a fixed list
"""docs/deploy.md, followed command by command on a throwaway PostgreSQL cluster.

Runs when DATABASE_URL points at PostgreSQL (``scripts/pg-throwaway -- pytest
tests/deploy``, the `pytest postgresql` step of ``make test``); skipped otherwise. It
creates its own databases on that server, so it never touches the test database.

Install, environment, migrate, collect static files, set up the first workspace and admin,
check email through a loopback SMTP server, serve with production settings over granian's
own TLS and behind a (simulated) proxy on the loopback, sign in, call the API, back up
with pg_dump and restore into a second database with identical counts, stop cleanly.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[2]
TRACTION = str(ROOT / ".venv" / "bin" / "traction")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ADMIN_PASSWORD = "a long deployment password 2026"

pytestmark = [
    pytest.mark.deploy,
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="needs DATABASE_URL pointing at a PostgreSQL server (scripts/pg-throwaway)",
    ),
]


def pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else shutil.which(name) or name


def database_url(name: str) -> str:
    parts = urllib.parse.urlsplit(DATABASE_URL)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        [pg_bin("psql"), "-XAt", "-v", "ON_ERROR_STOP=1", "-d", database_url(database), "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, below the kernel's range of ephemeral ports, and not handed
    out before in this process. A port the kernel picks (binding port 0) is an ephemeral one:
    any outgoing connection (the other test worker's, PostgreSQL's) may take it before the
    server under test binds it ("Port 47693 … is already in use", once in a CI run)."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10000, max(10001, low))
        if port in _HANDED_OUT:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError("No free port below the ephemeral range.")


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    names = ("traction_deploy", "traction_restored")
    for name in names:
        psql(f"DROP DATABASE IF EXISTS {name}")
        psql(f"CREATE DATABASE {name}")
    yield names
    for name in names:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Deployment:
    """The environment file of docs/deploy.md, and the commands run with it."""

    def __init__(self, tmp: Path, smtp_port: int, site_url: str) -> None:
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TRACTION_", "DJANGO_", "GRANIAN_", "DATABASE_URL"))
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="traction.settings.prod",
            TRACTION_SECRET_KEY="deploy-test-" + "k" * 60,
            TRACTION_ALLOWED_HOSTS="127.0.0.1",
            TRACTION_SITE_URL=site_url,
            DATABASE_URL=database_url("traction_deploy"),
            TRACTION_VAR_DIR=str(tmp / "var"),
            TRACTION_EMAIL_HOST="127.0.0.1",
            TRACTION_EMAIL_PORT=str(smtp_port),
            TRACTION_FROM_EMAIL="Traction <traction@acme.example>",
            TRACTION_DB_POOL_SIZE="4",
        )

    def run(self, *args: str, input: str | None = None, **env: str) -> str:
        done = subprocess.run(
            [TRACTION, *args],
            env={**self.env, **env},
            cwd=ROOT,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"traction {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [TRACTION, "serve", *args],
            env={**self.env, **env},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


def wait_for(url: str, context: ssl.SSLContext | None, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def stop(proc: subprocess.Popen[str]) -> float:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return time.monotonic() - started


def counts(database: str) -> dict[str, int]:
    tables = [
        "accounts_user",
        "accounts_workspace",
        "accounts_membership",
        "accounts_apitoken",
        "core_auditevent",
        "django_session",
    ]
    return {table: int(psql(f"SELECT count(*) FROM {table}", database)) for table in tables}


def test_the_deployment_guide_end_to_end(tmp_path: Path, databases: tuple[str, str]) -> None:
    port, proxied_port = free_port(), free_port()
    site = f"https://127.0.0.1:{port}"
    cert, key = certificate(tmp_path)
    tls = ssl.create_default_context(cafile=str(cert))

    # 1. Install: the locked dependencies only (a no-op when .venv is current).
    subprocess.run(["make", "install"], cwd=ROOT, check=True, capture_output=True)

    with SmtpSink() as smtp:
        deploy = Deployment(tmp_path, smtp.port, site)

        # 2. The database, static files (once per release), the first workspace and admin.
        deploy.run("migrate", "-v", "0")
        deploy.run("collectstatic", "--noinput", "-v", "0")
        assert (tmp_path / "var" / "static" / "staticfiles.json").exists()
        out = deploy.run(
            "setup",
            "Acme",
            "--admin",
            "ada@acme.example",
            "--admin-name",
            "Ada Admin",
            "--password-stdin",
            input=ADMIN_PASSWORD + "\n",
        )
        assert out.endswith(f"Sign in at {site}/login/\n")

        # 3. Email: one test message through the (loopback) SMTP server.
        out = deploy.run("mail", "test", "ops@acme.example")
        assert out.endswith("Sent a test message to ops@acme.example.\n")
        assert [m.recipients for m in smtp.messages] == [["ops@acme.example"]]

    # 4. Serve over granian's own TLS, two workers.
    web = deploy.start(
        "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
        "--ssl-certificate", str(cert), "--ssl-keyfile", str(key),
    )  # fmt: skip
    try:
        wait_for(f"{site}/healthz", tls, web)

        # Sign in with the admin created by setup (CSRF over HTTPS checks the Referer).
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=tls),
            urllib.request.HTTPCookieProcessor(jar),
            NoRedirect,
        )
        page = browser.open(f"{site}/login/").read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert csrf is not None
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": csrf.group(1),
                "email": "ada@acme.example",
                "password": ADMIN_PASSWORD,
            }
        ).encode()
        request = urllib.request.Request(
            f"{site}/login/", data=form, headers={"Referer": f"{site}/login/"}
        )
        with pytest.raises(urllib.error.HTTPError) as signed_in:
            browser.open(request)
        assert signed_in.value.code == 302
        assert {c.name: c.secure for c in jar} == {"csrftoken": True, "sessionid": True}

        # One API call with a token made from the shell.
        token = deploy.run("token", "create", "ada@acme.example", "--name", "deploy")
        key_line = token.strip().splitlines()[-1]
        api = urllib.request.Request(
            f"{site}/api/v1/customers?page=1&page_size=50",
            headers={"Authorization": f"Bearer {key_line}"},
        )
        with urllib.request.urlopen(api, context=tls) as response:
            assert response.status == 200
            assert json.loads(response.read())["count"] == 0

        # An invitation from the app: queued, then sent by the worker through SMTP, with a
        # link to the configured site address.
        invite_page = browser.open(f"{site}/w/acme/members/invite/").read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', invite_page)
        assert csrf is not None
        invite = urllib.request.Request(
            f"{site}/w/acme/members/invite/",
            data=urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": csrf.group(1),
                    "email": "ben@acme.example",
                    "role": "observer",
                }
            ).encode(),
            headers={"Referer": f"{site}/w/acme/members/invite/"},
        )
        with browser.open(invite) as response:
            assert response.status == 200
        # A forgotten password, asked for by someone not signed in: queued the same way.
        anonymous = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=tls),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            NoRedirect,
        )
        forgot_page = anonymous.open(f"{site}/password/reset/").read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', forgot_page)
        assert csrf is not None
        forgot = urllib.request.Request(
            f"{site}/password/reset/",
            data=urllib.parse.urlencode(
                {"csrfmiddlewaretoken": csrf.group(1), "email": "ada@acme.example"}
            ).encode(),
            headers={"Referer": f"{site}/password/reset/"},
        )
        with pytest.raises(urllib.error.HTTPError) as asked:
            anonymous.open(forgot)
        assert (asked.value.code, asked.value.headers["Location"]) == (
            302,
            "/password/reset/sent/",
        )

        assert deploy.run("mail", "queue").startswith("No email has been waiting")
        with SmtpSink() as worker_smtp:
            deploy.run("worker", "--batch", TRACTION_EMAIL_PORT=str(worker_smtp.port))
        sent = {m.recipients[0]: m.data for m in worker_smtp.messages}
        assert sorted(sent) == ["ada@acme.example", "ben@acme.example"]
        assert f"{site}/invitations/" in sent["ben@acme.example"]
        assert f"{site}/password/set/" in sent["ada@acme.example"]

        # Static files: hashed names, cached for a year.
        css = re.search(r'href="(/static/traction\.[0-9a-f]{12}\.css)"', page)
        assert css is not None, "the stylesheet is not served under a hashed name"
        with urllib.request.urlopen(site + css.group(1), context=tls) as response:
            assert "max-age=31536000" in response.headers.get("Cache-Control", "")

        # Connections held: at most the pool size per worker.
        held = int(
            psql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'traction_deploy'",
                "traction_deploy",
            )
        )
        assert held - 1 <= 2 * 4  # minus psql's own connection

        # 5. Behind a proxy on the same machine: plain HTTP in, X-Forwarded-Proto believed
        # from the named proxy only; /healthz never redirects.
        proxied = deploy.start(
            "--host", "127.0.0.1", "--port", str(proxied_port),
            TRACTION_TRUSTED_PROXIES="127.0.0.1",
        )  # fmt: skip
        try:
            plain = f"http://127.0.0.1:{proxied_port}"
            wait_for(f"{plain}/healthz", None, proxied)
            no_redirect = urllib.request.build_opener(NoRedirect)
            with pytest.raises(urllib.error.HTTPError) as redirected:
                no_redirect.open(f"{plain}/login/")
            assert redirected.value.code == 301
            forwarded = urllib.request.Request(
                f"{plain}/login/", headers={"X-Forwarded-Proto": "https"}
            )
            with no_redirect.open(forwarded) as response:
                assert response.status == 200
        finally:
            proxied_stop = stop(proxied)
    finally:
        web_stop = stop(web)
    banner = web.stdout.read() if web.stdout else ""
    assert "Database: PostgreSQL traction_deploy as postgres on 127.0.0.1:" in banner
    assert f"Traction is at https://127.0.0.1:{port}/" in banner

    # 6. A clean stop within 10 seconds.
    assert web_stop < 10
    assert proxied_stop < 10

    # 7. Backup and restore with PostgreSQL's own tools: identical counts.
    dump = tmp_path / "traction.dump"
    subprocess.run(
        [pg_bin("pg_dump"), "-Fc", "-d", database_url("traction_deploy"), "-f", str(dump)],
        check=True,
    )
    subprocess.run(
        [pg_bin("pg_restore"), "--no-owner", "-d", database_url("traction_restored"), str(dump)],
        check=True,
    )
    before = counts("traction_deploy")
    assert before["accounts_workspace"] == 1
    assert before["accounts_apitoken"] == 1
    assert counts("traction_restored") == before
