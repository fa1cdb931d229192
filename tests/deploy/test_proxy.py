# ruff: noqa: S310 -- https URLs we build ourselves
"""The nginx site of docs/deploy.md, run for real in front of ``traction serve``.

The config is taken from the guide's ```nginx block, so the guide and the test cannot
drift; only the listening ports, the certificate paths and the upstream port are
substituted (each substitution must match, or the test says the guide changed). nginx
runs in the foreground on loopback ports with a throwaway self-signed certificate; the
app runs with production settings on PostgreSQL and ``TRACTION_TRUSTED_PROXIES=127.0.0.1``.

Checked: the first admin sets their password at the one-time link ``traction setup
--link`` printed (once only), then signs in, over HTTPS through nginx (CSRF and Secure
cookies); ``/healthz`` through nginx over plain HTTP answers 200 without a redirect;
other plain-HTTP requests are redirected to HTTPS; nginx's ``X-Forwarded-Proto`` and
``X-Forwarded-For`` are believed (no redirect loop; a failed sign-in is counted against
the real client's address, not a made-up one), while a client talking to the app directly
cannot claim HTTPS.

Needs Debian's nginx (``make test`` installs it: the ``system-deps`` target); skipped with
the reason when it is missing.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.test_deploy import (
    DATABASE_URL,
    ROOT,
    Deployment,
    NoRedirect,
    database_url,
    free_port,
    psql,
    stop,
)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOST = "traction.example.com"  # the guide's server_name, kept as it is
PASSWORD = "a long proxied password 2026"

pytestmark = [
    pytest.mark.deploy,
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="needs DATABASE_URL pointing at a PostgreSQL server (scripts/pg-throwaway)",
    ),
    pytest.mark.skipif(
        not Path(NGINX).exists(),
        reason="nginx is not installed (make test installs Debian's nginx-light: make system-deps)",
    ),
]


def guide_nginx_site() -> str:
    """The one ```nginx block of docs/deploy.md, as written."""
    blocks = re.findall(
        r"^```nginx\n(.*?)^```$", (ROOT / "docs" / "deploy.md").read_text(), re.M | re.S
    )
    assert len(blocks) == 1, "docs/deploy.md should hold exactly one ```nginx block"
    return str(blocks[0])


def substitute(site: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in site, f"the guide's nginx site no longer contains {old!r}: update the test"
        site = site.replace(old, new)
    return site


def certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def nginx_conf(tmp: Path, site: str) -> Path:
    """A main config around the guide's site: foreground, everything under ``tmp``."""
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / name).mkdir()
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{site}
}}
"""
    )
    return conf


def wait_for_port(port: int, proc: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"nginx exited:\n{log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nginx did not listen on {port}")


@pytest.fixture
def database() -> Iterator[str]:
    psql("DROP DATABASE IF EXISTS traction_proxy")
    psql("CREATE DATABASE traction_proxy")
    yield "traction_proxy"
    psql("DROP DATABASE IF EXISTS traction_proxy WITH (FORCE)")


def request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: str | None = None,
    source: str = "127.0.0.1",
    context: ssl.SSLContext | None = None,
) -> tuple[http.client.HTTPResponse, str]:
    """One request to 127.0.0.1:port from the loopback address ``source``: answer and body."""
    conn: http.client.HTTPConnection
    if context is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    else:
        conn = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=10, source_address=(source, 0), context=context
        )
    all_headers = {"Host": HOST, **(headers or {})}
    if body is not None:
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    body_read = response.read().decode()
    conn.close()
    return response, body_read


def test_the_guides_nginx_site_in_front_of_traction(tmp_path: Path, database: str) -> None:
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    cert, key = certificate(tmp_path)
    tls = ssl.create_default_context(cafile=str(cert))
    site = substitute(
        guide_nginx_site(),
        {
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            f"/etc/letsencrypt/live/{HOST}/fullchain.pem": str(cert),
            f"/etc/letsencrypt/live/{HOST}/privkey.pem": str(key),
            "http://127.0.0.1:8000": f"http://127.0.0.1:{app_port}",
        },
    )
    conf = nginx_conf(tmp_path, site)

    deploy = Deployment(tmp_path, smtp_port=1, site_url=f"https://{HOST}")
    deploy.env.update(
        DATABASE_URL=database_url(database),
        TRACTION_ALLOWED_HOSTS=HOST,
        TRACTION_TRUSTED_PROXIES="127.0.0.1",
    )
    deploy.run("migrate", "-v", "0")
    deploy.run("collectstatic", "--noinput", "-v", "0")
    # The first admin chooses their password at the one-time link setup prints.
    out = deploy.run(
        "setup", "Acme", "--admin", "ada@acme.example", "--admin-name", "Ada", "--link"
    )  # fmt: skip
    link = out.splitlines()[-1]
    assert link.startswith(f"https://{HOST}/password/set/"), out

    # The guide's systemd unit: traction serve on 127.0.0.1, behind the proxy.
    web = deploy.start("--host", "127.0.0.1", "--port", str(app_port), "--workers", "1")
    proxy = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(https_port, proxy, tmp_path / "error.log")
        wait_for_port(http_port, proxy, tmp_path / "error.log")
        deadline = time.monotonic() + 30
        while request(http_port, "/healthz")[0].status == 502 and time.monotonic() < deadline:
            assert web.poll() is None, web.stdout.read() if web.stdout else ""
            time.sleep(0.2)

        # Plain HTTP: /healthz answered as it is, everything else sent to HTTPS.
        health, text = request(http_port, "/healthz")
        assert (health.status, text) == (200, "ok")
        redirected, _ = request(http_port, "/login/?next=/w/acme/")
        assert redirected.status == 301
        assert redirected.getheader("Location") == f"https://{HOST}/login/?next=/w/acme/"

        # HTTPS through nginx: its X-Forwarded-Proto is believed (no redirect loop), the
        # cookies are Secure, and the sign-in passes the CSRF check (the browser's Referer
        # is the public address).
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=tls),
            urllib.request.HTTPCookieProcessor(jar),
            NoRedirect,
        )
        base = f"https://127.0.0.1:{https_port}"

        def get(path: str) -> tuple[int, str, str]:
            """Status, Location and page of a GET through nginx, as the browser sends it."""
            req = urllib.request.Request(base + path, headers={"Host": HOST})
            try:
                with browser.open(req) as response:
                    return response.status, "", response.read().decode()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.headers.get("Location", ""), exc.read().decode()

        def post(path: str, fields: dict[str, str], page: str) -> tuple[int, str]:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert token is not None
            req = urllib.request.Request(
                base + path,
                data=urllib.parse.urlencode(
                    {"csrfmiddlewaretoken": token.group(1), **fields}
                ).encode(),
                headers={"Host": HOST, "Referer": f"https://{HOST}{path}"},
            )
            try:
                with browser.open(req) as response:
                    return response.status, ""
            except urllib.error.HTTPError as exc:
                return exc.code, exc.headers.get("Location", "")

        # The set-password link, opened through nginx: once.
        link_path = link.removeprefix(f"https://{HOST}")
        status, form_path, _ = get(link_path)
        assert (status, form_path.endswith(".set-password/")) == (302, True)
        status, _, form_page = get(form_path)
        assert status == 200
        assert "Choose your password" in form_page
        new = {"new_password1": PASSWORD, "new_password2": PASSWORD}
        assert post(form_path, new, form_page) == (302, "/password/done/")
        status, _, spent = get(link_path)
        assert status == 200
        assert "This link does not work" in spent

        page = browser.open(urllib.request.Request(f"{base}/login/", headers={"Host": HOST}))
        assert page.status == 200
        html = page.read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert csrf is not None
        form = {"csrfmiddlewaretoken": csrf.group(1), "email": "ada@acme.example"}
        sign_in = urllib.request.Request(
            f"{base}/login/",
            data=urllib.parse.urlencode({**form, "password": PASSWORD}).encode(),
            headers={"Host": HOST, "Referer": f"https://{HOST}/login/"},
        )
        with pytest.raises(urllib.error.HTTPError) as signed_in:
            browser.open(sign_in)
        assert signed_in.value.code == 302, signed_in.value.read().decode()[:500]
        assert signed_in.value.headers["Location"] == "/w/acme/"  # her only workspace
        assert {c.name: c.secure for c in jar} == {"csrftoken": True, "sessionid": True}
        home = browser.open(urllib.request.Request(f"{base}/w/acme/", headers={"Host": HOST}))
        assert home.status == 200
        assert "Acme" in home.read().decode()

        # The client's address is the one nginx forwards, whatever a client writes in its own
        # X-Forwarded-For: a failed sign-in from 127.0.0.7 is counted against 127.0.0.7.
        stranger, stranger_page = request(https_port, "/login/", source="127.0.0.7", context=tls)
        cookie = re.search(r"csrftoken=([^;]+)", stranger.getheader("Set-Cookie", ""))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', stranger_page)
        assert cookie is not None
        assert token is not None
        failed, _ = request(
            https_port, "/login/", method="POST", source="127.0.0.7", context=tls,
            body=urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": token.group(1),
                    "email": "ada@acme.example",
                    "password": "wrong",
                }
            ),
            headers={
                "Referer": f"https://{HOST}/login/",
                "Cookie": f"csrftoken={cookie.group(1)}",
                "X-Forwarded-For": "203.0.113.66",
            },
        )  # fmt: skip
        assert failed.status == 200
        assert psql("SELECT ip FROM accounts_failedlogin", database) == "127.0.0.7"

        # A client talking to the app directly (not from the named proxy) cannot claim HTTPS.
        direct, _ = request(
            app_port, "/login/", source="127.0.0.9", headers={"X-Forwarded-Proto": "https"}
        )
        assert direct.status == 301
        assert direct.getheader("Location") == f"https://{HOST}/login/"
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        web_stop = stop(web)
    assert web_stop < 10
    errors = (tmp_path / "error.log").read_text()
    assert "[emerg]" not in errors, errors
    assert "[crit]" not in errors, errors
