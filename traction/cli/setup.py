"""``traction setup`` and ``traction workspace create``: the first workspace and its admin.

An empty production database has no way in (nobody can invite anyone): ``traction setup
NAME --admin EMAIL`` creates the first workspace with its admin, asking for the admin's
password, or, with ``--link`` (and whenever no password can be asked for: standard input is
not a terminal and ``--password-stdin`` is not given), printing a one-time link at which the
admin chooses it (Django's password-reset token: spent once the password is set).
``traction workspace create`` does the same for any later workspace; an admin who already
has an account keeps their password.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from traction.cli.base import domain_command, stored_text


def _interactive() -> bool:
    """Can a password be asked for? (Not from a script, a pipe or a CI job.)"""
    return sys.stdin.isatty()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.UsageError("--password-stdin: no password on standard input.")
        return line
    password: str = click.prompt(
        "Password for the admin", hide_input=True, confirmation_prompt=True
    )
    return password


def _create(
    name: str, slug: str, admin_email: str, admin_name: str | None, stdin: bool, link: bool
) -> None:
    from django.conf import settings
    from django.db import transaction
    from django.urls import reverse

    from traction.accounts import services
    from traction.accounts.models import User
    from traction.accounts.views_password import link_lifetime, set_password_link
    from traction.core.errors import ValidationFailed

    if link and stdin:
        raise click.UsageError("Give either --link or --password-stdin, not both.")
    admin = User.objects.filter(email__iexact=admin_email.strip()).first()
    send_link = False
    if admin is None:
        if not admin_name:
            raise ValidationFailed.field("admin_name", "--admin-name: enter the admin's name.")
        send_link = link or (not stdin and not _interactive())
        password = None if send_link else _read_password(stdin)
        with transaction.atomic():
            admin = services.create_user(email=admin_email, full_name=admin_name, password=password)
            workspace = services.create_workspace(name=name, admin=admin, slug=slug)
        if send_link:
            click.echo(
                f"Created the user {admin.email} ({admin.full_name}), without a password yet."
            )
        else:
            click.echo(f"Created the user {admin.email} ({admin.full_name}).")
    else:
        workspace = services.create_workspace(name=name, admin=admin, slug=slug)
    click.echo(
        f"Created the workspace {workspace.name} ({workspace.slug}) with {admin.email} as admin."
    )
    # The address is known only when TRACTION_SITE_URL is set: `traction run` otherwise picks
    # it from its --host and --port, which this command cannot know. Then give the path.
    site = settings.TRACTION_SITE_URL.rstrip("/")
    known = settings.TRACTION_SITE_URL_SET
    on = "" if known else " on the address `traction run` prints"
    login = f"{site if known else ''}{reverse('accounts:login')}"
    if send_link:
        address = set_password_link(admin)
        click.echo(
            f"The admin chooses a password at this link{on} (it works once, for "
            f"{link_lifetime()}), then signs in at {login}:"
        )
        click.echo(address if known else address.removeprefix(site))
    else:
        click.echo(f"Sign in at {login}{on}")


admin_options = [
    click.option(
        "--admin",
        "admin_email",
        required=True,
        callback=stored_text,
        help="The admin's email (sign-in).",
    ),
    click.option(
        "--admin-name",
        callback=stored_text,
        help="The admin's full name (needed when they have no account yet).",
    ),
    click.option(
        "--slug",
        default="",
        callback=stored_text,
        help="The workspace's address (default: from NAME).",
    ),
    click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the new admin's password from the first line of standard input "
        "(for scripts) instead of asking.",
    ),
    click.option(
        "--link",
        is_flag=True,
        help="Print a one-time link at which the new admin chooses their password, instead of "
        "asking for it (the default when standard input is not a terminal).",
    ),
]


F = TypeVar("F", bound=Callable[..., Any])


def with_admin_options(func: F) -> F:
    for option in reversed(admin_options):
        func = option(func)
    return func


@click.command()
@click.argument("name", callback=stored_text)
@with_admin_options
@domain_command
def setup(
    name: str,
    admin_email: str,
    admin_name: str | None,
    slug: str,
    password_stdin: bool,
    link: bool,
) -> None:
    """Create the first workspace, NAME, and its admin: the first step on a new install.

    Asks for the admin's password (twice), reads it with --password-stdin, or prints a
    one-time link at which the admin chooses it with --link (also when standard input is
    not a terminal). Refuses once
    any workspace exists: later workspaces come from 'traction workspace create'.
    """
    from traction.accounts.models import Workspace
    from traction.core.errors import Conflict

    if Workspace.objects.exists():
        raise Conflict(
            "Traction is already set up (a workspace exists). Create another workspace with "
            "'traction workspace create NAME --admin EMAIL'."
        )
    _create(name, slug, admin_email, admin_name, password_stdin, link)
    from traction.accounts import services
    from traction.accounts.models import User

    # The first admin runs the installation: they create later workspaces on the web too.
    services.make_installation_owner(User.objects.get(email__iexact=admin_email.strip()))


@click.group()
def workspace() -> None:
    """Manage workspaces from the shell."""


@workspace.command("create")
@click.argument("name", callback=stored_text)
@with_admin_options
@domain_command
def workspace_create(
    name: str,
    admin_email: str,
    admin_name: str | None,
    slug: str,
    password_stdin: bool,
    link: bool,
) -> None:
    """Create the workspace NAME with EMAIL as its admin (creating their account if needed)."""
    _create(name, slug, admin_email, admin_name, password_stdin, link)
