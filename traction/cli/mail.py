"""``traction mail test ADDRESS``: check the email settings by sending one message now."""

from __future__ import annotations

import click

from traction.cli.base import domain_command, fail
from traction.core import clock


def describe_mail() -> str:
    from django.conf import settings

    backend = settings.EMAIL_BACKEND
    if backend != "django.core.mail.backends.smtp.EmailBackend":
        return f"Email backend: {backend} (nothing leaves this machine)"
    security = "no TLS"
    if settings.EMAIL_USE_SSL:
        security = "implicit TLS"
    elif settings.EMAIL_USE_TLS:
        security = "STARTTLS"
    login = f" as {settings.EMAIL_HOST_USER}" if settings.EMAIL_HOST_USER else ""
    return (
        f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}, {security}{login}, "
        f"timeout {settings.EMAIL_TIMEOUT} s, from {settings.DEFAULT_FROM_EMAIL}"
    )


@click.group()
def mail() -> None:
    """Email: check the settings and the queue."""


@mail.command("test")
@click.argument("address")
@domain_command
def mail_test(address: str) -> None:
    """Send a test message to ADDRESS right now (not through the worker's queue).

    Prints the settings it used, then either that the server accepted the message or why
    it did not; exits with status 1 on failure.
    """
    from django.conf import settings
    from django.core.mail import send_mail

    click.echo(describe_mail())
    try:
        sent = send_mail(
            "Traction test message",
            "This message checks Traction's email settings. If you read it, they work.\n\n"
            f"Traction: {settings.TRACTION_SITE_URL}\n",
            None,
            [address],
        )
    except Exception as exc:
        fail(f"Not sent: {type(exc).__name__}: {exc}")
    if sent != 1:
        fail("Not sent: the email backend refused the message.")
    click.echo(f"Sent a test message to {address}.")


@mail.command("queue")
@domain_command
def mail_queue() -> None:
    """Say whether emails wait in the queue with no worker taking them (exit 1 if so).

    A task ready for more than five minutes means no 'traction worker' is running.
    """

    from traction.core.tasks import task_backlog

    backlog = task_backlog()
    if not backlog.stalled or backlog.waiting_since is None:
        click.echo("No email has been waiting for a worker for more than 5 minutes.")
        return
    minutes = int((clock.now() - backlog.waiting_since).total_seconds() // 60)
    fail(
        f"{backlog.count} task(s) waiting, the oldest for {minutes} minutes: "
        "is 'traction worker' running?"
    )
