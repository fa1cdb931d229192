"""Starting the server safely: network addresses, taken ports, the site URL, the demo, stops."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from traction.accounts import services as accounts
from traction.accounts.models import Workspace
from traction.cli import server
from traction.cli.main import cli
from traction.core.permissions import Role, Viewer

ROOT = Path(__file__).resolve().parents[3]
TRACTION = str(Path(sys.executable).parent / "traction")
EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 -- the address the checks must refuse dev settings on
DEV_KEY = "dev-only-insecure-key-never-use-in-production"


class ExecCalled(Exception):
    pass


@pytest.fixture
def exec_calls(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> list[list[str]]:
    settings.STATIC_ROOT = tmp_path / "static"
    # set_site_url writes both; both are put back after the test.
    settings.TRACTION_SITE_URL = "http://127.0.0.1:8000"
    monkeypatch.delenv("TRACTION_SITE_URL", raising=False)
    calls: list[list[str]] = []

    def fake_execv(path: str, argv: list[str]) -> None:
        calls.append(argv)
        server.release_port_lock()
        raise ExecCalled

    monkeypatch.setattr(server.os, "execv", fake_execv)
    return calls


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- development settings never face a network ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["serve", "run"])
def test_dev_settings_refuse_a_network_address(
    command: str, exec_calls: list[list[str]], settings: Any
) -> None:
    settings.DEBUG = True
    settings.SECRET_KEY = DEV_KEY
    result = CliRunner().invoke(cli, [command, "--host", EVERY_ADDRESS])
    assert result.exit_code == 1
    assert exec_calls == []
    assert result.stderr == (
        "Refusing to serve on 0.0.0.0: DEBUG is on (error pages show code, settings and "
        "every URL); the signing key is the public development key (anyone could forge RSVP "
        "and voting links).\n"
        "Only 127.0.0.1 (the default) may run the development settings. To serve on a "
        "network, use the production settings: DJANGO_SETTINGS_MODULE=traction.settings.prod "
        "with TRACTION_SECRET_KEY (50+ random characters), TRACTION_ALLOWED_HOSTS and "
        "DATABASE_URL; see docs/deploy.md.\n"
    )
    assert not Workspace.objects.exists()  # `run` refused before building the demo


@pytest.mark.parametrize(
    "addrport", ["0.0.0.0:8000", "0:8000", "[::]:8000", "192.0.2.10:8000", "192.0.2.10"]
)
def test_djangos_runserver_on_a_network_address_is_refused_too(
    addrport: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import django.core.management

    ran: list[list[str]] = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", ran.append)
    settings.DEBUG = True
    settings.SECRET_KEY = DEV_KEY
    result = CliRunner().invoke(cli, ["runserver", addrport])
    assert result.exit_code == 1
    assert result.stderr.startswith("Refusing to serve on ")
    assert ran == []


@pytest.mark.parametrize("args", [[], ["8001"], ["127.0.0.1:8001"], ["localhost:8001"]])
def test_djangos_runserver_on_loopback_runs(
    args: list[str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import django.core.management

    ran: list[list[str]] = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", ran.append)
    settings.DEBUG = True
    settings.SECRET_KEY = DEV_KEY
    result = CliRunner().invoke(cli, ["runserver", *args])
    assert result.exit_code == 0, result.output
    assert ran == [["traction", "runserver", *args]]


@pytest.mark.django_db
def test_the_dev_key_alone_is_refused_too(exec_calls: list[list[str]], settings: Any) -> None:
    settings.DEBUG = False
    settings.SECRET_KEY = DEV_KEY
    result = CliRunner().invoke(cli, ["serve", "--host", "192.0.2.10"])
    assert result.exit_code == 1
    assert "the signing key is the public development key" in result.stderr
    assert "DEBUG" not in result.stderr.split("\n")[0]


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_runs_the_dev_settings(
    host: str, exec_calls: list[list[str]], settings: Any
) -> None:
    settings.DEBUG = True
    settings.SECRET_KEY = DEV_KEY
    result = CliRunner().invoke(cli, ["serve", "--host", host, "--port", str(free_port())])
    assert isinstance(result.exception, ExecCalled), result.output


# --- a taken port -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("reuse_port", [False, True])
def test_a_port_in_use_fails_clearly(exec_calls: list[list[str]], reuse_port: bool) -> None:
    port = free_port()
    with socket.socket() as other:
        if reuse_port:  # how granian binds its workers on Linux
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", port))
        other.listen()
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert exec_calls == []
    assert result.stderr == (
        f"Port {port} on 127.0.0.1 is already in use (another Traction, or another "
        f"program). Stop that server first, or choose another port: --port {port + 1} "
        f"(make run PORT={port + 1}).\n"
    )


@pytest.mark.django_db
def test_a_second_start_while_the_first_holds_the_port_lock_fails(
    exec_calls: list[list[str]],
) -> None:
    port = free_port()
    server.claim_port("127.0.0.1", port)  # as the first server's granian holds it
    try:
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    finally:
        server.release_port_lock()
    assert result.exit_code == 1
    assert "is already in use" in result.stderr


# --- links use the address being served ----------------------------------------------------------


@pytest.mark.django_db
def test_run_on_another_port_gives_links_to_that_port(
    exec_calls: list[list[str]], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TRACTION_SITE_URL_SET = False
    result = CliRunner().invoke(cli, ["run", "--port", "8080"])
    assert isinstance(result.exception, ExecCalled)
    assert "Links in emails point at http://127.0.0.1:8080\n" in result.output
    assert os.environ["TRACTION_SITE_URL"] == "http://127.0.0.1:8080"  # for granian's workers
    admin = Workspace.objects.get(slug="northwind").memberships.get(role=Role.ADMIN).user
    viewer = Viewer(user=admin, workspace_id=admin.memberships.get().workspace_id, role=Role.ADMIN)
    _, link = accounts.invite_member(viewer, email="new@example.org", role="observer")
    assert link.startswith("http://127.0.0.1:8080/invitations/")


@pytest.mark.django_db
def test_a_configured_site_url_is_kept(exec_calls: list[list[str]], settings: Any) -> None:
    settings.TRACTION_SITE_URL = "https://traction.example.com"
    settings.TRACTION_SITE_URL_SET = True
    result = CliRunner().invoke(cli, ["serve", "--port", str(free_port())])
    assert isinstance(result.exception, ExecCalled)
    assert "Links in emails point at https://traction.example.com\n" in result.output


# --- the demo ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_run_without_the_demo_setting_leaves_an_empty_database_empty(
    exec_calls: list[list[str]], settings: Any
) -> None:
    settings.TRACTION_DEMO_ON_FIRST_RUN = False
    result = CliRunner().invoke(cli, ["run", "--port", str(free_port())])
    assert isinstance(result.exception, ExecCalled)
    assert not Workspace.objects.exists()
    assert result.output.startswith(
        "No workspace yet. Create the first one and its admin with: "
        "traction setup NAME --admin EMAIL\n"
    )
    assert "traction-demo" not in result.output


# --- production settings, as a fresh process loads them ------------------------------------------


def prod_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TRACTION_", "DATABASE_URL", "DJANGO_SETTINGS", "GRANIAN_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="traction.settings.prod",
        TRACTION_SECRET_KEY="s" * 64,
        TRACTION_ALLOWED_HOSTS="traction.example.com",
        TRACTION_VAR_DIR=str(tmp_path / "var"),
    )
    env.update(extra)
    return env


def prod_settings(tmp_path: Path, *names: str, **extra: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import django; from django.conf import settings; django.setup(); "
        f"print(*[repr(getattr(settings, n)) for n in {list(names)!r}], sep='\\n')"
    )
    return subprocess.run(  # noqa: S603 -- our interpreter, our arguments
        [sys.executable, "-c", code],
        env=prod_env(tmp_path, **extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    result = prod_settings(tmp_path, "DEBUG", TRACTION_SECRET_KEY="x" * 49)
    assert result.returncode == 1
    assert (
        "ImproperlyConfigured: TRACTION_SECRET_KEY must be at least 50 random characters "
        "(it is 49)" in result.stderr
    )


def test_production_defaults(tmp_path: Path) -> None:
    result = prod_settings(
        tmp_path,
        "TRACTION_DEMO_ON_FIRST_RUN",
        "TRACTION_SITE_URL",
        "TRACTION_DATABASE_CHOICE",
        "SECURE_REDIRECT_EXEMPT",
        "EMAIL_USE_SSL",
        "EMAIL_TIMEOUT",
        TRACTION_EMAIL_PORT="465",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "False",
        "'https://traction.example.com'",
        "None",
        "['^healthz$']",
        "True",
        "10",
    ]


def test_production_refuses_to_start_without_a_database_choice(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 -- our interpreter, our arguments
        [TRACTION, "serve"],
        env=prod_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "Production needs an explicit database. Set DATABASE_URL "
        "(postgres://USER:PASSWORD@HOST:5432/NAME) or, for the embedded SQLite database, "
        "TRACTION_SQLITE_PATH=/var/lib/traction/traction.sqlite3. See docs/deploy.md.\n"
    )


def test_production_serve_needs_collected_static_files(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 -- our interpreter, our arguments
        [TRACTION, "serve", "--port", str(free_port())],
        env=prod_env(tmp_path, TRACTION_SQLITE_PATH=str(tmp_path / "t.sqlite3")),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"No collected static files in {tmp_path / 'var' / 'static'}. Collect them once per "
        "release: traction collectstatic --noinput\n"
    )


# --- a clean stop ---------------------------------------------------------------------------------


def wait_until_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    # The first `make run` of a run builds the demo (each test worker has its own): on a
    # busy two-core machine that takes a while. What is measured is the stopping.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited early"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                assert r.read() == b"ok"
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not come up")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_within_ten_seconds(tmp_path: Path, sig: signal.Signals) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TRACTION_SITE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="traction.settings.dev", TRACTION_VAR_DIR=str(tmp_path))
    for _ in range(3):
        port = free_port()
        proc = subprocess.Popen(  # noqa: S603 -- our interpreter, our arguments
            [TRACTION, "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(port, proc)
            # A kept-alive connection, as a browser leaves open.
            held = socket.create_connection(("127.0.0.1", port))
            held.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            held.recv(1024)
            started = time.monotonic()
            proc.send_signal(sig)
            proc.wait(timeout=10)
            assert time.monotonic() - started < 10
            held.close()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize(
    ("how", "sig"),
    [("group", signal.SIGINT), ("make", signal.SIGTERM)],
    ids=["ctrl-c-to-make-run", "sigterm-to-make"],
)
def test_make_run_stops_within_ten_seconds(
    tmp_path_factory: pytest.TempPathFactory,
    how: str,
    sig: signal.Signals,
    sqlite_file_at_latest: Callable[[Path], Path],
) -> None:
    var = tmp_path_factory.getbasetemp() / "make-run-var"  # shared: the demo is built once
    if not var.exists():
        # The first start's database is a copy of the migrated test database: its migrate
        # finds nothing to apply, and it builds the demo (conftest.py, sqlite_file_at_latest).
        var.mkdir()
        sqlite_file_at_latest(var / "traction.sqlite3")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TRACTION_SITE_URL")}
    env.update(TRACTION_VAR_DIR=str(var))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 -- our make target
        ["make", "--no-print-directory", "run", f"PORT={port}"],  # noqa: S607
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        wait_until_up(port, proc)
        started = time.monotonic()
        if how == "group":
            os.killpg(proc.pid, sig)  # Ctrl+C: the terminal signals the whole group
        else:
            proc.send_signal(sig)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # granian itself, not only make, has ended
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            except OSError:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the server still answers")
        assert time.monotonic() - started < 10
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


PROBE = """
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client(REMOTE_ADDR="203.0.113.9", SERVER_NAME="traction.example.com")
print(client.get("/api/v1/customers", HTTP_X_FORWARDED_PROTO="https").status_code)
print(client.get("/healthz").status_code)
"""


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [("", ["301", "200"]), ("198.51.100.1", ["301", "200"]), ("203.0.113.0/24", ["401", "200"])],
)
def test_production_believes_forwarded_proto_only_from_a_named_proxy(
    tmp_path: Path, trusted: str, expected: list[str]
) -> None:
    result = subprocess.run(  # noqa: S603 -- our interpreter, our arguments
        [sys.executable, "-c", PROBE],
        env=prod_env(
            tmp_path,
            TRACTION_SQLITE_PATH=str(tmp_path / "t.sqlite3"),
            TRACTION_TRUSTED_PROXIES=trusted,
            TRACTION_STATIC_MAX_AGE="0",
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # A plain-HTTP request claiming https is redirected unless a named proxy sent it (then
    # it reaches the API, which asks for a token); /healthz is never redirected.
    assert result.stdout.split() == expected
