"""Background work shared by every app, through the tasks API (django-tasks backport)."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task


@task()
def deliver_email(subject: str, body: str, recipients: list[str]) -> int:
    return send_mail(subject, body, None, recipients)


def send_email_on_commit(subject: str, body: str, recipients: list[str]) -> None:
    """Queue an email once the surrounding transaction commits (never for a rolled-back change)."""
    transaction.on_commit(lambda: deliver_email.enqueue(subject, body, recipients))
