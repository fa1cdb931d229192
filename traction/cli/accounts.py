"""``traction createuser`` and ``traction token create``: people and API tokens."""

from __future__ import annotations

import click

from traction.cli.base import domain_command, viewer_for_email

ROLES = ["admin", "facilitator", "core_team", "sponsor", "account_owner", "observer"]


@click.command()
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Their password (asked for when not given).",
)
@click.option("--workspace", "workspace_slug", help="Add them to this workspace (its slug).")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    help="Their role in --workspace (default: observer).",
)
@domain_command
def createuser(
    email: str, name: str, password: str, workspace_slug: str | None, role: str | None
) -> None:
    """Create a user account that signs in with EMAIL, optionally as a workspace member."""
    from traction.accounts import services

    user, membership = services.create_account(
        email=email, full_name=name, password=password, workspace_slug=workspace_slug, role=role
    )
    click.echo(f"Created user {user.email}.")
    if membership is not None:
        workspace = membership.workspace
        click.echo(
            f"Added to {workspace.name} ({workspace.slug}) as {membership.get_role_display()}."
        )


@click.group()
def token() -> None:
    """Manage API bearer tokens."""


@token.command("create")
@click.argument("email")
@click.option("--workspace", "workspace_slug", help="The workspace the token acts in (its slug).")
@click.option("--name", default="cli", show_default=True, help="Where the token will be used.")
@domain_command
def token_create(email: str, workspace_slug: str | None, name: str) -> None:
    """Create an API token for the user with EMAIL; the token is the last line printed.

    The token acts as that user, with their role, in one workspace: --workspace is needed
    when they belong to several. It is shown once; only its hash is stored.
    """
    from traction.accounts import services

    viewer, workspace_label = viewer_for_email(email, workspace_slug)
    _, key = services.create_api_token(viewer, name=name)
    click.echo(f"Created API token '{name}' for {viewer.user} in {workspace_label}.")
    click.echo("It is shown only this once. Send it as 'Authorization: Bearer <token>':")
    click.echo(key)
