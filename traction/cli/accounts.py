"""``traction createuser`` and ``traction token create/list/revoke``: people and API tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from traction.cli.base import domain_command, stored_text, viewer_for_email

if TYPE_CHECKING:
    from traction.accounts.models import ApiToken

ROLES = ["admin", "facilitator", "core_team", "sponsor", "account_owner", "observer"]


@click.command()
@click.argument("email", callback=stored_text)
@click.option("--name", required=True, callback=stored_text, help="The person's full name.")
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
@click.option(
    "--name",
    default="cli",
    show_default=True,
    callback=stored_text,
    help="Where the token will be used.",
)
@click.option(
    "--expires-in",
    type=click.Choice(["30", "90", "365", "never"]),  # ApiToken.LIFETIMES
    help="Days until the token stops working, or never.  [default: 90, or the workspace's "
    "maximum if shorter]",
)
@domain_command
def token_create(email: str, workspace_slug: str | None, name: str, expires_in: str | None) -> None:
    """Create an API token for the user with EMAIL; the token is the last line printed.

    The token acts as that user, with their role, in one workspace: --workspace is needed
    when they belong to several. It is shown once; only its hash is stored. It expires
    after --expires-in days (to the second; its owner gets a notice and an email a week
    before) unless that is 'never'. A workspace's admins may set the longest lifetime
    allowed (workspace settings): a longer one is refused.
    """
    from traction.accounts import services

    viewer, workspace_label = viewer_for_email(email, workspace_slug)
    if expires_in is None:
        token, key = services.create_api_token(viewer, name=name)
    else:
        lifetime = None if expires_in == "never" else int(expires_in)
        token, key = services.create_api_token(viewer, name=name, lifetime_days=lifetime)
    click.echo(f"Created API token '{name}' for {viewer.user} in {workspace_label}.")
    if token.expires_at:
        click.echo(f"It expires at {_when(token.expires_at)} UTC.")
    else:
        click.echo("It never expires: revoke it when nothing uses it any more.")
    click.echo("It is shown only this once. Send it as 'Authorization: Bearer <token>':")
    click.echo(key)


@token.command("list")
@click.argument("email")
@click.option("--workspace", "workspace_slug", help="The workspace (its slug).")
@click.option(
    "--all",
    "every_member",
    is_flag=True,
    help="Every member's tokens in the workspace (EMAIL must be an admin there).",
)
@domain_command
def token_list(email: str, workspace_slug: str | None, every_member: bool) -> None:
    """List the API tokens of the user with EMAIL (or, with --all, of every member): id,
    name, owner, created, last used, expires and whether active, expired or revoked. Never
    the token itself: only its hash is stored. Times are in UTC."""
    from traction.accounts import selectors

    viewer, workspace_label = viewer_for_email(email, workspace_slug)
    tokens = list(
        selectors.workspace_api_tokens(viewer) if every_member else selectors.api_tokens(viewer)
    )
    whose = "Every member's" if every_member else f"{viewer.user}'s"
    if not tokens:
        click.echo(f"{whose} API tokens in {workspace_label}: none.")
        return
    click.echo(f"{whose} API tokens in {workspace_label}:")
    rows = [
        (
            str(t.pk),
            t.name,
            t.user.email,
            _when(t.created_at),
            _when(t.last_used_at) if t.last_used_at else "never",
            _when(t.expires_at) if t.expires_at else "never",
            _status(t),
        )
        for t in tokens
    ]
    header = ("ID", "NAME", "OWNER", "CREATED (UTC)", "LAST USED", "EXPIRES", "STATUS")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _status(token: ApiToken) -> str:
    if token.status == "revoked" and token.revoked_at:
        return f"revoked {_when(token.revoked_at)}"
    return token.status  # "expired" or "active"


@token.command("revoke")
@click.argument("email")
@click.argument("token_id", type=click.IntRange(min=1))
@click.option("--workspace", "workspace_slug", help="The workspace (its slug).")
@domain_command
def token_revoke(email: str, token_id: int, workspace_slug: str | None) -> None:
    """Revoke the API token TOKEN_ID (its ID in 'traction token list') as the user with
    EMAIL: one of their own or, for an admin, any member's in the workspace. It stops
    working at once."""
    from traction.accounts import selectors, services
    from traction.core import permissions

    viewer, workspace_label = viewer_for_email(email, workspace_slug)
    if permissions.allows(viewer, "token.manage_all"):
        token = selectors.workspace_api_token(viewer, token_id)
        token = services.revoke_member_api_token(viewer, token=token)
    else:
        token = selectors.api_token(viewer, token_id)
        token = services.revoke_api_token(viewer, token=token)
    click.echo(f"Revoked API token {token.pk} '{token.name}' of {token.user} in {workspace_label}.")
