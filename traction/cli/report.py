"""``traction report``: documents generated from a workspace's records (the debrief pack)."""

from __future__ import annotations

from pathlib import Path

import click

from traction.cli.base import domain_command, viewer_for_email


@click.group()
def report() -> None:
    """Reports generated from the records, as files."""


@report.command("debrief")
@click.argument("session_id", metavar="SESSION", type=click.IntRange(min=1, max=2**63 - 1))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "html"]),
    default="pdf",
    show_default=True,
    help="A PDF, or one standalone HTML file.",
)
@click.option(
    "--output",
    "output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write it (default: a file named after the session, here).",
)
@click.option("--as", "email", required=True, help="Read as this member (what they may see).")
@click.option("--workspace", "workspace_slug", help="The workspace (its slug), if several.")
@domain_command
def report_debrief(
    session_id: int, fmt: str, output: Path | None, email: str, workspace_slug: str | None
) -> None:
    """Write the debrief pack of session SESSION: the prioritised map, the decided
    recommendations with their evidence, the undecided priorities, the action items and the
    scorecard, as the member given by --as may see them."""
    from traction.debrief import pack, selectors_pack

    viewer, _ = viewer_for_email(email, workspace_slug)
    debrief = selectors_pack.debrief_of_session(viewer, session_id)
    data = pack.render(viewer, debrief, fmt)
    target = output or Path(pack.filename(debrief, fmt))
    target.write_bytes(data)
    click.echo(
        f"Debrief pack of “{debrief.session.title}” written to {target} ({len(data):,} bytes)."
    )
