"""``traction run``, ``serve`` and ``worker``: serving the app with granian, running tasks.

``granian_argv`` builds the granian command line (the benchmark uses it too); ``_serve``
checks that starting is safe (no development settings on a network address, an explicit
database, a free port, collected static files), prints where the app is and which
database it uses, and replaces the process with granian.
"""

from __future__ import annotations

import errno
import fcntl
import ipaddress
import os
import socket
import sys
import tempfile
from typing import NoReturn

import click

from traction.cli.base import domain_command, fail, setup_django
from traction.cli.data import (
    echo_demo_logins,
    echo_fresh_portal_link,
    echo_portal_link,
    migrate_database,
)

DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 -- to refuse it
# Granian stops its workers gracefully; a worker still busy after this many seconds is
# killed, so every stop ends within 10 seconds.
WORKERS_KILL_TIMEOUT = 5


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_safe_to_bind(host: str) -> None:
    """Refuse to serve development settings on anything but the loopback interface."""
    from django.conf import settings

    if is_loopback(host):
        return
    problems = []
    if settings.DEBUG:
        problems.append("DEBUG is on (error pages show code, settings and every URL)")
    if settings.SECRET_KEY == DEV_SECRET_KEY or len(settings.SECRET_KEY) < 50:
        problems.append(
            "the signing key is the public development key (anyone could forge RSVP and "
            "voting links)"
        )
    if problems:
        fail(
            f"Refusing to serve on {host}: " + "; ".join(problems) + ".\n"
            "Only 127.0.0.1 (the default) may run the development settings. To serve on a "
            "network, use the production settings: DJANGO_SETTINGS_MODULE="
            "traction.settings.prod with TRACTION_SECRET_KEY (50+ random characters), "
            "TRACTION_ALLOWED_HOSTS and DATABASE_URL; see docs/deploy.md."
        )


def require_database() -> None:
    from django.conf import settings

    if settings.TRACTION_DATABASE_CHOICE is None:
        fail(settings.TRACTION_DATABASE_MISSING)


def describe_database() -> str:
    """One line saying which database this process uses (printed at every start)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    engine = db["ENGINE"]
    if "sqlite" in engine:
        return f"Database: SQLite {db['NAME']}"
    if "postgresql" in engine:
        where = f"{db.get('HOST') or 'local socket'}"
        if db.get("PORT"):
            where += f":{db['PORT']}"
        pool = (db.get("OPTIONS") or {}).get("pool")
        pooled = (
            f"; pool of up to {pool['max_size']} connections per worker"
            if isinstance(pool, dict)
            else "; no pool (one connection per request thread, kept 60 s)"
        )
        user = db.get("USER") or "(default user)"
        return f"Database: PostgreSQL {db['NAME']} as {user} on {where}{pooled}"
    return f"Database: {engine} {db.get('NAME', '')}"


_port_lock: int | None = None


def release_port_lock() -> None:
    """Let go of the port lock (the process exits otherwise; tests fake the exec)."""
    global _port_lock
    if _port_lock is not None:
        os.close(_port_lock)
        _port_lock = None


def claim_port(host: str, port: int) -> int:
    """Fail clearly when the address is taken; returns a lock held until the server exits.

    Granian binds every worker with SO_REUSEPORT on Linux, so a second server on a taken
    port would start and share the requests. A plain bind (no SO_REUSEPORT) fails on any
    listening socket; a lock file per port closes the window between two starts at once.
    """
    global _port_lock
    name = f"traction-{host.strip('[]').replace(':', '_')}-{port}.lock"
    try:
        lock_fd = os.open(os.path.join(tempfile.gettempdir(), name), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # another user's lock file: the bind below still checks
        lock_fd = os.open(os.devnull, os.O_RDONLY)
    else:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock_fd)
            _port_taken(host, port)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: connections of a stopped server in TIME_WAIT do not count, but a
        # listening socket (with or without SO_REUSEPORT) still makes the bind fail.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            os.close(lock_fd)
            if exc.errno == errno.EADDRINUSE:
                _port_taken(host, port)
            fail(f"Cannot listen on {host}:{port}: {exc.strerror}.")
    os.set_inheritable(lock_fd, True)  # granian (exec'd in this process) keeps it
    _port_lock = lock_fd
    return lock_fd


def _port_taken(host: str, port: int) -> NoReturn:
    fail(
        f"Port {port} on {host} is already in use (another Traction, or another program). "
        f"Stop that server first, or choose another port: --port {port + 1} "
        f"(make run PORT={port + 1})."
    )


def tls_files(certificate: str | None, keyfile: str | None) -> tuple[str, str] | None:
    certificate = certificate or os.environ.get("GRANIAN_SSL_CERTIFICATE")
    keyfile = keyfile or os.environ.get("GRANIAN_SSL_KEYFILE")
    if bool(certificate) != bool(keyfile):
        fail("TLS needs both a certificate and its key (--ssl-certificate and --ssl-keyfile).")
    return (certificate, keyfile) if certificate and keyfile else None


def site_url_for(host: str, port: int, tls: bool) -> str:
    scheme = "https" if tls else "http"
    default_port = 443 if tls else 80
    return f"{scheme}://{_url_host(host)}" + ("" if port == default_port else f":{port}")


def set_site_url(url: str) -> None:
    """Links in emails and pages use the address being served (when not configured)."""
    from django.conf import settings

    os.environ["TRACTION_SITE_URL"] = url  # for granian's workers, which load settings anew
    settings.TRACTION_SITE_URL = url


def uses_manifest_storage() -> bool:
    from django.conf import settings

    backend: str = settings.STORAGES["staticfiles"]["BACKEND"]
    return "Manifest" in backend


def _manifest_path() -> str:
    from django.conf import settings

    return os.path.join(str(settings.STATIC_ROOT), "staticfiles.json")


def collect_static() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def _serve(
    host: str,
    port: int,
    workers: int,
    *,
    tls: tuple[str, str] | None = None,
    site_url_set_here: bool = False,
) -> NoReturn:
    """Check it is safe to start, then replace this process with granian serving the app."""
    from django.conf import settings

    check_safe_to_bind(host)
    require_database()
    lock_fd = claim_port(host, port)
    if not uses_manifest_storage():
        collect_static()  # development: cheap, and always the current files
    elif not os.path.exists(_manifest_path()):
        os.close(lock_fd)
        fail(
            f"No collected static files in {settings.STATIC_ROOT}. Collect them once per "
            "release: traction collectstatic --noinput"
        )
    if not settings.TRACTION_SITE_URL_SET and not site_url_set_here:
        set_site_url(site_url_for(host, port, tls is not None))
    argv = granian_argv(
        host=host,
        port=port,
        workers=workers,
        static_route="/" + settings.STATIC_URL.strip("/"),
        static_root=str(settings.STATIC_ROOT),
        static_max_age=settings.TRACTION_STATIC_MAX_AGE,
        tls=tls,
    )
    scheme = "https" if tls else "http"
    click.echo(describe_database())
    click.echo(f"Links in emails point at {settings.TRACTION_SITE_URL}")
    click.echo(f"Traction is at {scheme}://{_url_host(host)}:{port}/  (Ctrl+C stops it)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)  # noqa: S606 -- our own interpreter, fixed arguments


def granian_argv(
    *,
    host: str,
    port: int,
    workers: int,
    static_route: str,
    static_root: str,
    static_max_age: int = 0,
    tls: tuple[str, str] | None = None,
) -> list[str]:
    """The granian command line serving Traction's WSGI app (also used by the benchmark)."""
    argv = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--no-ws",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        # Python threads per worker: enough for a team, without a thread per queued request.
        "--backpressure",
        "32",
        "--workers-kill-timeout",
        str(WORKERS_KILL_TIMEOUT),
        "--static-path-route",
        static_route,
        "--static-path-mount",
        static_root,
        "--static-path-expires",
        str(static_max_age),
    ]
    if tls:
        argv += ["--ssl-certificate", tls[0], "--ssl-keyfile", tls[1]]
    return [*argv, "traction.wsgi:application"]


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):  # noqa: S104 -- only to print a URL people can open
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


host_option = click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
)
port_option = click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)


@click.command()
@host_option
@port_option
@domain_command
def run(host: str, port: int) -> None:
    """Set everything up and serve the app: the one command to try Traction.

    Creates or updates the database, loads the demo workspace the first time (when the
    database holds no workspace at all, and never with production settings), prints the
    address and the demo logins, then serves the app until you press Ctrl+C.
    """
    from django.conf import settings

    from traction.accounts.models import Workspace
    from traction.demo import build_demo, demo_exists

    check_safe_to_bind(host)
    require_database()
    if not settings.TRACTION_SITE_URL_SET:
        # Before the demo is built: the links its invitations hold use this address too.
        set_site_url(site_url_for(host, port, tls=tls_files(None, None) is not None))
    migrate_database(verbosity=0)
    if uses_manifest_storage() and not os.path.exists(_manifest_path()):
        collect_static()  # production: `run` prepares what is missing, static files too
    built = None
    if not Workspace.objects.exists():
        if settings.TRACTION_DEMO_ON_FIRST_RUN:
            built = build_demo()
            click.echo("Loaded the demo workspace (first start).")
        else:
            click.echo(
                "No workspace yet. Create the first one and its admin with: "
                "traction setup NAME --admin EMAIL"
            )
    if demo_exists() and settings.TRACTION_DEMO_ON_FIRST_RUN:
        if built is not None:
            echo_portal_link(built.portal_contact, built.portal_url)
        else:  # a later start: the first link may have expired, so a fresh one
            echo_fresh_portal_link()
        echo_demo_logins()
    _serve(host, port, workers=1, tls=tls_files(None, None), site_url_set_here=True)


@click.command()
@host_option
@port_option
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Worker processes."
)
@click.option(
    "--ssl-certificate",
    type=click.Path(exists=True, dir_okay=False),
    help="Serve HTTPS with this certificate (PEM; or GRANIAN_SSL_CERTIFICATE).",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(exists=True, dir_okay=False),
    help="The certificate's private key (PKCS#8 PEM; or GRANIAN_SSL_KEYFILE).",
)
@domain_command
def serve(
    host: str, port: int, workers: int, ssl_certificate: str | None, ssl_keyfile: str | None
) -> None:
    """Serve the app with granian (no migrations, no demo).

    Refuses development settings on a non-loopback address and a port already in use.
    With development settings static files are collected on every start; with production
    settings they must have been collected once for the release (traction collectstatic).
    """
    _serve(host, port, workers, tls=tls_files(ssl_certificate, ssl_keyfile))


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def worker(args: tuple[str, ...]) -> None:
    """Run background tasks (emails, reminders) from the database queue until stopped.

    Extra options go to django_tasks_db's db_worker, e.g. 'traction worker --batch'.
    """
    setup_django()
    require_database()
    check_task_queue()
    click.echo(describe_database())
    from django.core.management import call_command

    call_command("db_worker", *args)


DATABASE_TASKS = "django_tasks_db.DatabaseBackend"


def check_task_queue() -> None:
    """The worker runs tasks from the database queue; settings that run each task at once
    (the development settings) have no queue: say so and what to do, instead of a traceback."""
    from django.conf import settings

    backend = str(settings.TASKS.get("default", {}).get("BACKEND", ""))
    if backend == DATABASE_TASKS:
        return
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    fail(
        f"No task queue to work on: these settings ({module}) run each task "
        f"at once (TASKS backend {backend.rsplit('.', 1)[-1] or 'none'}), so `traction run` "
        "sends every email as it is queued (the development settings print it on the console) "
        "and no worker is needed.\n"
        "To try the queue and the worker in development, start both with "
        "TRACTION_TASKS=database:\n"
        "  TRACTION_TASKS=database make run\n"
        "  TRACTION_TASKS=database .venv/bin/traction worker"
    )
