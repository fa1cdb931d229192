"""The ``traction`` command: one entry point for what a person or cron does from a shell.

A thin click group over the services and selectors. Django is set up only when a command
needs it (``--help`` stays instant). Commands this group does not know are handed to
Django's own management commands, so ``traction shell`` or ``traction dbshell`` work too.

This module defines the group and registers the commands, which live by subject in
``base`` (shared helpers), ``data`` (migrate, demo), ``server`` (run, serve, worker),
``accounts`` (createuser, token), ``sessions``, ``imports`` (import), ``setup`` (setup,
workspace create), ``mail`` (mail test), ``privacy`` (erase), ``report`` (the
debrief pack) and ``remind`` (every periodic job, from cron).
"""

from __future__ import annotations

import click

from traction.cli.accounts import ROLES, createuser, token, token_create
from traction.cli.base import DEFAULT_SETTINGS, domain_command, fail, setup_django
from traction.cli.data import demo, migrate
from traction.cli.imports import import_
from traction.cli.mail import mail
from traction.cli.privacy import privacy
from traction.cli.remind import remind
from traction.cli.report import report
from traction.cli.server import check_safe_to_bind, granian_argv, run, serve, worker
from traction.cli.sessions import sessions, sessions_invite, sessions_list
from traction.cli.setup import setup, workspace
from traction.cli.webhooks import webhooks

__all__ = [
    "DEFAULT_SETTINGS",
    "ROLES",
    "TractionGroup",
    "cli",
    "createuser",
    "demo",
    "domain_command",
    "fail",
    "granian_argv",
    "import_",
    "migrate",
    "remind",
    "run",
    "serve",
    "sessions",
    "sessions_invite",
    "sessions_list",
    "setup_django",
    "token",
    "token_create",
    "webhooks",
    "worker",
]


class TractionGroup(click.Group):
    """A group that hands commands it does not know to Django's ``manage.py`` machinery."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        return _django_command(cmd_name)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        with formatter.section("Django commands"):
            formatter.write_text(
                "Any other command is passed to Django's management commands, for example "
                "'traction shell', 'traction dbshell', 'traction changepassword'. "
                "'traction help' lists them."
            )


def runserver_host(args: tuple[str, ...]) -> str:
    """The address Django's ``runserver`` would bind for these arguments."""
    addrport = next((a for a in args if not a.startswith("-")), "")
    if not addrport or addrport.isdecimal():
        return "::1" if {"-6", "--ipv6"} & set(args) else "127.0.0.1"
    if addrport.startswith("["):  # [::]:8000
        return addrport[1:].partition("]")[0]
    host, sep, _ = addrport.rpartition(":")
    host = host if sep else addrport
    return "0.0.0.0" if host == "0" else host  # noqa: S104 -- runserver's shorthand for it


def _django_command(name: str) -> click.Command:
    @click.command(
        name=name,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
    )
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def django_command(args: tuple[str, ...]) -> None:
        setup_django()
        from django.core.management import execute_from_command_line

        if name == "runserver":  # Django's own server: the same guard as run and serve
            check_safe_to_bind(runserver_host(args))

        execute_from_command_line(["traction", name, *args])

    return django_command


@click.group(cls=TractionGroup)
@click.version_option(package_name="traction", prog_name="traction")
def cli() -> None:
    """Traction: from what customers said in co-design sessions to decisions, owned
    actions, measured results and honest updates back to them.

    Start with 'traction run': it prepares the database, loads a demo workspace the
    first time, and serves the app. For a production install see docs/deploy.md
    ('traction setup' creates the first workspace and its admin). Settings come from
    DJANGO_SETTINGS_MODULE (default traction.settings.dev); DATABASE_URL points it at
    PostgreSQL.
    """


for command in (migrate, demo, run, serve, worker, createuser, token, sessions, import_):
    cli.add_command(command)
for command in (setup, workspace, mail):
    cli.add_command(command)
cli.add_command(privacy)
cli.add_command(webhooks)
cli.add_command(report)
cli.add_command(remind)


if __name__ == "__main__":  # python -m traction.cli.main
    cli()
