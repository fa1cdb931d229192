"""Issue 11: `traction worker` under settings without a task queue (the development settings
send at once) says so and what to do, instead of crashing; with the database queue
(TRACTION_TASKS=database in development) it sends what is queued."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner
from django.core import mail

from traction.cli.main import cli
from traction.core.tasks import deliver_email


def test_the_worker_explains_that_immediate_settings_need_no_worker(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    result = CliRunner().invoke(cli, ["worker", "--batch"])
    assert result.exit_code == 1
    assert result.stderr == (
        "No task queue to work on: these settings (traction.settings.test) run each task at "
        "once (TASKS backend ImmediateBackend), so `traction run` sends every email as it is "
        "queued (the development settings print it on the console) and no worker is needed.\n"
        "To try the queue and the worker in development, start both with "
        "TRACTION_TASKS=database:\n"
        "  TRACTION_TASKS=database make run\n"
        "  TRACTION_TASKS=database .venv/bin/traction worker\n"
    )


@pytest.mark.django_db(transaction=True)
def test_with_the_database_queue_the_worker_sends_what_was_queued(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    mail.outbox.clear()
    deliver_email.enqueue("Your briefing", "Read it.", ["nina@acme.test"])
    assert mail.outbox == []  # queued, not sent
    result = CliRunner().invoke(cli, ["worker", "--batch"])
    assert result.exit_code == 0, result.output
    assert [(m.subject, m.to) for m in mail.outbox] == [("Your briefing", ["nina@acme.test"])]


@pytest.mark.parametrize(
    ("value", "backend"),
    [
        ("", "django_tasks.backends.immediate.ImmediateBackend"),
        ("database", "django_tasks_db.DatabaseBackend"),
    ],
)
def test_the_development_settings_use_the_queue_when_asked(value: str, backend: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "traction.settings.dev", "TRACTION_TASKS": value}
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.TASKS['default']['BACKEND'])"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert out.stdout == backend + "\n"
