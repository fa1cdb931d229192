"""``traction sessions list``, ``invite`` and ``remind``: sessions, invitations, RSVP news."""

from __future__ import annotations

import click

from traction.cli.base import domain_command, viewer_for_email


@click.group()
def sessions() -> None:
    """Sessions: list them, send their invitations (only to approved contacts), remind."""


@sessions.command("list")
@click.option("--as", "email", required=True, help="Act as the member with this email.")
@click.option("--workspace", "workspace_slug", help="The workspace (its slug), if several.")
@domain_command
def sessions_list(email: str, workspace_slug: str | None) -> None:
    """List the sessions the member may see, with their state and readiness."""
    from traction.sessions import selectors

    viewer, _ = viewer_for_email(email, workspace_slug)
    found = list(selectors.sessions(viewer))
    if not found:
        click.echo("No sessions yet. Plan one in a program (web UI or POST /api/v1/sessions).")
    for s in found:
        ready = f"{selectors.readiness(s).percent:>3}% ready" if s.state == "upcoming" else ""
        when = f"{s.local_start:%Y-%m-%d %H:%M} {s.time_zone}"
        click.echo(f"{s.pk:>5}  {when:<32} {s.state:<10} {ready:<11} {s.title}")


# Ids as people type them: whole numbers a 64-bit key can hold (else a usage error, not a crash).
ID = click.IntRange(min=1, max=2**63 - 1)


@sessions.command("invite")
@click.argument("session_id", type=ID)
@click.option("--as", "email", required=True, help="Act as this facilitator or admin.")
@click.option("--workspace", "workspace_slug", help="The workspace (its slug), if several.")
@click.option(
    "--contact",
    "contact_ids",
    type=ID,
    multiple=True,
    help="Invite only this contact (repeatable); default: every approved contact not invited yet.",
)
@domain_command
def sessions_invite(
    session_id: int, email: str, workspace_slug: str | None, contact_ids: tuple[int, ...]
) -> None:
    """Email invitations (with a calendar file and RSVP link) for SESSION_ID.

    Only contacts whose account owner approved (or whose approval an admin waived) can be
    invited: asking for any other contact fails and sends nothing.
    """
    from traction.sessions import selectors, services

    viewer, _ = viewer_for_email(email, workspace_slug)
    session = selectors.session(viewer, session_id)
    sent = services.send_invitations(viewer, session=session, contact_ids=contact_ids or None)
    for invitation in sent:
        click.echo(f"Invited {invitation.contact.name} <{invitation.contact.email}>.")
    click.echo(f"{len(sent)} invitation(s) sent for “{session.title}”.")


@sessions.command("remind")
@domain_command
def sessions_remind() -> None:
    """Flag unanswered invitations and send the day's RSVP digests; run it from cron.

    Each facilitator gets one notice per session whose invitations are still unanswered two
    days before it starts, and, unless they chose otherwise, one email a day with the
    customers' answers they were not sent yet. Running it more often (e.g. hourly) sends
    nothing twice.
    """
    from traction.sessions.tasks import rsvp_daily

    done = rsvp_daily.call()
    click.echo(
        f"{done['flagged']} notice(s) about unanswered invitations, "
        f"{done['digests']} RSVP digest(s) sent."
    )
