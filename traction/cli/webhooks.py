"""``traction webhooks deliver``: send the webhook deliveries that are due (for cron)."""

from __future__ import annotations

import click

from traction.cli.base import domain_command


@click.group()
def webhooks() -> None:
    """Outbound webhooks: deliver what is due."""


@webhooks.command("deliver")
@domain_command
def webhooks_deliver() -> None:
    """Send every webhook delivery that is due (first attempts and retries); run it from cron.

    Deliveries normally start as soon as their change is saved (``traction worker`` takes
    them, and each retry at its time). Running this every minute or so from cron also covers
    a setup without a worker, and a worker that was down. Deliveries already being sent by
    another process are left to it.
    """
    from traction.webhooks.delivery import deliver_due

    run = deliver_due()
    click.echo(
        f"{run.delivered} delivered, {run.retrying} to try again later, {run.failed} given up."
    )
