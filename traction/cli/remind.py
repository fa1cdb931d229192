"""``traction remind``: every periodic job (reminders, deadlines, catch-ups) once; from cron."""

from __future__ import annotations

import click

from traction.cli.base import domain_command


@click.command("remind")
@domain_command
def remind() -> None:
    """Run every periodic job once and print what each did; run it from cron, e.g.
    '*/15 * * * * traction remind'.

    The jobs: unanswered invitations and the day's RSVP digests (sessions), and the debrief
    clock (debriefs booked for sessions that lack one, reminders before the deadline and when
    a debrief is late or missed), and the communication plan (one digest per teller of
    customer updates due within a week, overdue, or promised in a session), and API tokens
    that expire within a week (a notice and, unless they turned it off, an email to their
    owner). Each job is idempotent: running it again sends nothing twice. A failing job
    does not stop the others; the command then exits with status 1.
    """
    from traction.core import periodic

    failed = False
    for job in periodic.jobs():
        try:
            done = job.job()
        except Exception as exc:  # reported, then the others run
            failed = True
            click.echo(f"{job.name}: FAILED: {exc}", err=True)
            continue
        summary = ", ".join(f"{k} {v}" for k, v in done.items()) or "nothing to do"
        click.echo(f"{job.name}: {summary}")
    if failed:
        raise SystemExit(1)
