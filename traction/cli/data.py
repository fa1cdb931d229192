"""``traction migrate`` and ``traction demo``: the database tables and the demo workspace.

Also the helpers ``traction run`` reuses: migrating quietly, printing the demo logins and
the demo's customer-portal link.
"""

from __future__ import annotations

import click

from traction.cli.base import domain_command


def migrate_database(verbosity: int = 1) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


@click.command()
@click.option(
    "--verbosity",
    "-v",
    type=click.IntRange(0, 3),
    default=1,
    show_default=True,
    help="0 is silent.",
)
@domain_command
def migrate(verbosity: int) -> None:
    """Create or update the database tables (safe to run any time)."""
    migrate_database(verbosity)


def echo_demo_logins(password: str | None = None) -> None:
    from traction.demo import DEMO_PASSWORD
    from traction.demo.build import PEOPLE

    click.echo("Demo workspace: Northwind Software. Sign in as any of:")
    width = max(len(p.email) for p in PEOPLE)
    for person in PEOPLE:
        click.echo(f"  {person.email:<{width}}  {person.name} ({_role_label(person.role)})")
    if password is None:
        click.echo(f"Password for every demo login: {DEMO_PASSWORD}")
    else:
        click.echo(f"Password for every demo login (shown only now): {password}")


def echo_portal_link(contact: str, url: str) -> None:
    if url:
        click.echo(f"The customer portal as {contact} sees it: {url}")


def echo_fresh_portal_link() -> None:
    """A new link to the demo's customer portal (links expire), or how to get one back when
    the demo's pilot contact is gone."""
    from traction.demo import DEMO_SLUG
    from traction.demo.portal import fresh_portal_link

    fresh = fresh_portal_link(DEMO_SLUG)
    if fresh is None:
        click.echo(
            "No customer portal link: the demo's Juniper & Finch contact is archived or gone. "
            "Rebuild the demo with: traction demo --reset"
        )
    else:
        echo_portal_link(*fresh)


def _role_label(role: str) -> str:
    from traction.core.permissions import Role

    return str(Role(role).label)


@click.command()
@click.option(
    "--reset", is_flag=True, help="Delete the demo workspace and its users, then rebuild it."
)
@domain_command
def demo(reset: bool) -> None:
    """Load the demo workspace 'Northwind Software' (slug northwind).

    With production settings its accounts get a random password, printed once, instead
    of the published demo password.

    It holds members in every role, customers with contacts and two programs, all created
    through the same use-cases as the app, so the audit trail is filled too. Without
    --reset an existing demo is left alone; with --reset it is deleted and rebuilt.
    """
    import secrets

    from django.conf import settings

    from traction.demo import build_demo, demo_exists, remove_demo

    if reset and demo_exists():
        remove_demo()
        click.echo("Deleted the demo workspace.")
    # In production the published demo password would open an admin account to anyone.
    password = secrets.token_urlsafe(12) if settings.TRACTION_PRODUCTION else None
    built = build_demo(password=password) if password else build_demo()
    click.echo(
        f"Built the demo workspace: {len(built.users)} members, "
        f"{len(built.customers)} customers, {len(built.programs)} programs."
    )
    echo_portal_link(built.portal_contact, built.portal_url)
    echo_demo_logins(password)  # last: the password line ends the output
