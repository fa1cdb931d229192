"""The task the worker runs to deliver webhooks (``delivery.deliver_due``)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_due_webhooks() -> dict[str, int]:
    from .delivery import deliver_due_job

    return deliver_due_job()
