"""``traction run``, ``serve`` and ``worker``: serving the app with granian, running tasks.

``granian_argv`` builds the granian command line (the benchmark uses it too); ``_serve``
collects static files and replaces the process with granian.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from traction.cli.base import domain_command, setup_django
from traction.cli.data import _echo_demo_logins, _migrate


def _serve(host: str, port: int, workers: int) -> NoReturn:
    """Collect static files, then replace this process with granian serving the WSGI app."""
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    argv = granian_argv(
        host=host,
        port=port,
        workers=workers,
        static_route="/" + settings.STATIC_URL.strip("/"),
        static_root=str(settings.STATIC_ROOT),
    )
    click.echo(f"Traction is at http://{_url_host(host)}:{port}/  (Ctrl+C stops it)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)  # noqa: S606 -- our own interpreter, fixed arguments


def granian_argv(
    *, host: str, port: int, workers: int, static_route: str, static_root: str
) -> list[str]:
    """The granian command line serving Traction's WSGI app (also used by the benchmark)."""
    return [
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
        "--static-path-route",
        static_route,
        "--static-path-mount",
        static_root,
        "traction.wsgi:application",
    ]


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):  # noqa: S104 -- only to print a URL people can open
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


host_option = click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
)
port_option = click.option(
    "--port", default=8000, show_default=True, type=int, help="Port to listen on."
)


@click.command()
@host_option
@port_option
@domain_command
def run(host: str, port: int) -> None:
    """Set everything up and serve the app: the one command to try Traction.

    Creates or updates the database, loads the demo workspace the first time (when the
    database holds no workspace at all), prints the address and the demo logins, then
    serves the app until you press Ctrl+C.
    """
    from traction.accounts.models import Workspace
    from traction.demo import build_demo, demo_exists

    _migrate(verbosity=0)
    if not Workspace.objects.exists():
        build_demo()
        click.echo("Loaded the demo workspace (first start).")
    if demo_exists():
        _echo_demo_logins()
    _serve(host, port, workers=1)


@click.command()
@host_option
@port_option
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Worker processes."
)
@domain_command
def serve(host: str, port: int, workers: int) -> None:
    """Serve the app with granian (no migrations, no demo).

    Static files are collected into STATIC_ROOT first and served by granian itself.
    """
    _serve(host, port, workers)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def worker(args: tuple[str, ...]) -> None:
    """Run background tasks (emails, webhooks) from the database queue until stopped.

    Extra options go to django_tasks_db's db_worker, e.g. 'traction worker --batch'.
    """
    setup_django()
    from django.core.management import call_command

    call_command("db_worker", *args)
