"""Email delivery retries a passing failure later, through the database queue."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.deploy.smtp_sink import SmtpSink
from traction.core.tasks import deliver_email, is_transient

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def closed_smtp_port(settings: Any) -> None:
    with SmtpSink() as sink:
        port = sink.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port  # nothing listens there any more
    settings.EMAIL_TIMEOUT = 5


def test_an_unreachable_server_is_tried_again_a_minute_later(settings: Any) -> None:
    settings.TASKS = DB_TASKS
    closed_smtp_port(settings)
    before = timezone.now()
    with pytest.raises(ConnectionRefusedError):
        deliver_email.call(
            "Hello", "Body", ["ada@acme.example"], 1, "Acme <mail@acme.example>", ["fran@acme.test"]
        )
    retry = DBTaskResult.objects.get()
    # The next attempt goes from the same sender, with the same reply-to.
    assert retry.args_kwargs == {
        "args": [
            "Hello",
            "Body",
            ["ada@acme.example"],
            2,
            "Acme <mail@acme.example>",
            ["fran@acme.test"],
        ],
        "kwargs": {},
    }
    assert (
        before + timedelta(seconds=60) <= retry.run_after <= timezone.now() + timedelta(seconds=60)
    )


def test_after_the_fourth_attempt_it_gives_up(settings: Any) -> None:
    settings.TASKS = DB_TASKS
    closed_smtp_port(settings)
    with pytest.raises(ConnectionRefusedError):
        deliver_email.call("Hello", "Body", ["ada@acme.example"], 4)
    assert not DBTaskResult.objects.exists()


def test_without_a_deferring_queue_it_fails_once(settings: Any) -> None:
    closed_smtp_port(settings)  # development's immediate backend cannot defer
    with pytest.raises(ConnectionRefusedError):
        deliver_email.call("Hello", "Body", ["ada@acme.example"])
    assert not DBTaskResult.objects.exists()


def test_a_reachable_server_gets_the_message_once(settings: Any) -> None:
    settings.TASKS = DB_TASKS
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        assert deliver_email.call("Hello", "Body", ["ada@acme.example"]) == 1
    assert [m.recipients for m in sink.messages] == [["ada@acme.example"]]
    assert not DBTaskResult.objects.exists()


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPResponseException(451, b"try later"), True),
        (smtplib.SMTPAuthenticationError(535, b"bad login"), False),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"no such user")}), False),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (452, b"mailbox full")}), True),
    ],
)
def test_which_failures_are_worth_another_try(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_a_backlog_shows_when_no_worker_takes_the_queue(settings: Any) -> None:
    from click.testing import CliRunner

    from traction.cli.main import cli
    from traction.core.tasks import task_backlog

    settings.TASKS = DB_TASKS
    assert task_backlog().stalled is False
    deliver_email.enqueue("Hello", "Body", ["ada@acme.example"])
    assert task_backlog().stalled is False  # just queued: a worker has five minutes
    queued_at = timezone.now() - timedelta(minutes=12)
    DBTaskResult.objects.update(enqueued_at=queued_at)
    backlog = task_backlog()
    assert (backlog.count, backlog.waiting_since) == (1, queued_at)
    result = CliRunner().invoke(cli, ["mail", "queue"])
    assert result.exit_code == 1
    assert result.stderr == (
        "1 task(s) waiting, the oldest for 12 minutes: is 'traction worker' running?\n"
    )


def test_development_never_has_a_backlog() -> None:
    from traction.core.tasks import task_backlog

    assert task_backlog().stalled is False
