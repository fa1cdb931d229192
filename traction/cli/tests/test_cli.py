"""The `traction` command line, driven through click's runner against the test database."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner, Result
from django.test import Client

from traction.accounts import services as accounts
from traction.accounts.models import ApiToken, Membership, User, Workspace
from traction.accounts.selectors import viewer_for_token
from traction.cli import server
from traction.cli.main import cli
from traction.core import clock
from traction.core.errors import Unauthenticated
from traction.core.models import AuditEvent
from traction.customers.models import Customer
from traction.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 -- only passed through to the (faked) server

DEMO_LOGINS = """\
Demo workspace: Northwind Software. Sign in as any of:
  ana.admin@northwind.example           Ana Alvarez (Admin)
  felix.facilitator@northwind.example   Felix Fischer (Facilitator)
  fatima.facilitator@northwind.example  Fatima Farouk (Facilitator)
  paul.product@northwind.example        Paul Petersen (Core team member)
  sofia.support@northwind.example       Sofia Santos (Core team member)
  finn.finance@northwind.example        Finn Fraser (Core team member)
  vera.sponsor@northwind.example        Vera Volkova (Executive sponsor)
  oscar.owner@northwind.example         Oscar Okafor (Account owner)
  omar.owner@northwind.example          Omar Ortega (Account owner)
  olivia.observer@northwind.example     Olivia Olsen (Observer)
Password for every demo login: traction-demo
"""

# The demo's customer-portal line: who, then the path of the link (which opens the portal).
PORTAL_LINE = r"The customer portal as (.+) sees it: https?://[^/]+(/portal/in/\S+/)\n"


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


class ExecCalled(Exception):
    pass


@pytest.fixture
def exec_calls(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Any) -> list[list[str]]:
    """Capture the granian exec instead of replacing the test process."""
    settings.STATIC_ROOT = tmp_path / "static"
    calls: list[list[str]] = []

    def fake_execv(path: str, argv: list[str]) -> None:
        calls.append(argv)
        server.release_port_lock()  # granian would hold it until it exits
        raise ExecCalled

    monkeypatch.setattr(server.os, "execv", fake_execv)
    return calls


def test_help_explains_every_command() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ["createuser", "demo", "migrate", "run", "serve", "token", "worker"]:
        assert f"\n  {name} " in result.output
    assert "passed to Django's management commands" in result.output


def test_migrate() -> None:
    result = invoke("migrate", "-v", "0")
    assert (result.exit_code, result.output) == (0, "")


def test_demo_builds_then_refuses_to_wipe_without_reset() -> None:
    result = invoke("demo")
    assert result.exit_code == 0
    built = "Built the demo workspace: 10 members, 7 customers, 2 programs.\n"
    assert result.output.startswith(built)
    # Then a demo contact's link to the customer portal, which opens it; the logins last.
    portal = re.fullmatch(
        PORTAL_LINE,
        result.output[len(built) : -len(DEMO_LOGINS)],
    )
    assert result.output.endswith(DEMO_LOGINS)
    assert portal, result.output
    assert portal.group(1) == "Harriet Finch (Juniper & Finch Architects)"
    opened = Client().get(portal.group(2))
    assert opened.status_code == 302
    assert opened["Location"] == "/portal/"
    first_ids = set(Customer.objects.values_list("pk", flat=True))

    again = CliRunner().invoke(cli, ["demo"])
    assert again.exit_code == 1
    assert again.stdout == ""
    assert again.stderr == (
        "The demo workspace 'northwind' already exists. Use --reset to delete and rebuild it.\n"
    )
    assert set(Customer.objects.values_list("pk", flat=True)) == first_ids


def test_demo_reset_rebuilds() -> None:
    invoke("demo")
    old_ids = set(Customer.objects.values_list("pk", flat=True))
    result = invoke("demo", "--reset")
    assert result.exit_code == 0
    assert result.output.startswith(
        "Deleted the demo workspace.\n"
        "Built the demo workspace: 10 members, 7 customers, 2 programs.\n"
    )
    assert Workspace.objects.filter(slug="northwind").count() == 1
    assert Customer.objects.count() == 7
    assert not old_ids & set(Customer.objects.values_list("pk", flat=True))
    assert set(AuditEvent.objects.values_list("via", flat=True)) == {"cli"}


def test_run_loads_demo_first_time_only_then_serves(exec_calls: list[list[str]]) -> None:
    with pytest.raises(ExecCalled):
        invoke("run", "--port", "8123")
    assert Workspace.objects.filter(slug="northwind").exists()
    argv = exec_calls[0]
    assert argv[:3] == [sys.executable, "-m", "granian"]
    assert argv[-1] == "traction.wsgi:application"
    assert argv[argv.index("--port") + 1] == "8123"
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--interface") + 1] == "wsgi"
    assert argv[argv.index("--static-path-route") + 1] == "/static"

    # Second start: the demo is not rebuilt (its customers keep their ids), and a fresh
    # portal link is printed (the first start's may have expired since), which opens.
    ids = set(Customer.objects.values_list("pk", flat=True))
    result = CliRunner().invoke(cli, ["run"])
    assert isinstance(result.exception, ExecCalled)
    assert set(Customer.objects.values_list("pk", flat=True)) == ids
    assert len(exec_calls) == 2
    assert "Loaded the demo workspace" not in result.output
    portal = re.search(PORTAL_LINE, result.output)
    assert portal, result.output
    assert result.output.startswith(portal.group(0) + DEMO_LOGINS)
    opened = Client().get(portal.group(2))
    assert (opened.status_code, opened["Location"]) == (302, "/portal/")


def test_a_later_run_says_how_to_get_the_portal_back_when_the_contact_is_gone(
    exec_calls: list[list[str]],
) -> None:
    invoke("demo")
    Customer.objects.filter(name="Juniper & Finch Architects").update(archived_at=clock.now())
    result = CliRunner().invoke(cli, ["run"])
    assert isinstance(result.exception, ExecCalled)
    assert result.output.startswith(
        "No customer portal link: the demo's Juniper & Finch contact is archived or gone. "
        "Rebuild the demo with: traction demo --reset\n" + DEMO_LOGINS
    )


def test_run_output(exec_calls: list[list[str]]) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["run", "--port", "8123"])
    assert isinstance(result.exception, ExecCalled)
    loaded = "Loaded the demo workspace (first start).\n"
    portal = re.match(PORTAL_LINE, result.output[len(loaded) :])
    assert portal, result.output
    assert portal.group(1) == "Harriet Finch (Juniper & Finch Architects)"
    assert portal.group(0).startswith(
        "The customer portal as Harriet Finch (Juniper & Finch Architects) sees it: "
        "http://127.0.0.1:8123/portal/in/"
    )
    assert result.output == (
        loaded
        + portal.group(0)
        + DEMO_LOGINS
        + server.describe_database()
        + "\n"
        + "Links in emails point at http://127.0.0.1:8123\n"
        + "Traction is at http://127.0.0.1:8123/  (Ctrl+C stops it)\n"
    )


def test_run_leaves_a_database_with_other_workspaces_alone(exec_calls: list[list[str]]) -> None:
    admin = accounts.create_user(email="x@example.org", full_name="X", password=None)
    accounts.create_workspace(name="Mine", admin=admin)
    result = CliRunner().invoke(cli, ["run"])
    assert isinstance(result.exception, ExecCalled)
    assert result.output.endswith(
        "Links in emails point at http://127.0.0.1:8000\n"
        "Traction is at http://127.0.0.1:8000/  (Ctrl+C stops it)\n"
    )
    assert not Workspace.objects.filter(slug="northwind").exists()


def test_serve_passes_host_port_workers_and_collects_static(
    exec_calls: list[list[str]], settings: Any
) -> None:
    settings.SECRET_KEY = "k" * 64  # a network address needs a real key (and DEBUG off)
    result = CliRunner().invoke(
        cli, ["serve", "--host", EVERY_ADDRESS, "--port", "9000", "--workers", "3"]
    )
    assert isinstance(result.exception, ExecCalled)
    assert result.output.endswith(
        "Links in emails point at http://127.0.0.1:9000\n"
        "Traction is at http://127.0.0.1:9000/  (Ctrl+C stops it)\n"
    )
    argv = exec_calls[0]
    assert argv[argv.index("--host") + 1] == EVERY_ADDRESS
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--static-path-mount") + 1] == str(settings.STATIC_ROOT)
    assert (settings.STATIC_ROOT / "traction.css").exists()
    assert not Workspace.objects.exists()  # serve never loads the demo


def test_createuser_with_workspace_and_role() -> None:
    invoke("demo")
    result = invoke(
        "createuser",
        "Zoe@Example.org",
        "--name",
        "Zoe Zhang",
        "--password",
        "a long enough passphrase",
        "--workspace",
        "northwind",
        "--role",
        "facilitator",
    )
    assert result.exit_code == 0
    assert result.output == (
        "Created user zoe@example.org.\nAdded to Northwind Software (northwind) as Facilitator.\n"
    )
    user = User.objects.get(email="zoe@example.org")
    assert user.check_password("a long enough passphrase")
    assert Membership.objects.get(user=user).role == "facilitator"
    event = AuditEvent.objects.get(
        action="member.added", object_id=str(Membership.objects.get(user=user).pk)
    )
    assert event.via == "cli"


def test_createuser_prompts_for_password() -> None:
    result = invoke(
        "createuser", "p@example.org", "--name", "Pat", input="a long enough passphrase\n" * 2
    )
    assert result.exit_code == 0
    assert result.output.endswith("Created user p@example.org.\n")
    assert User.objects.get(email="p@example.org").check_password("a long enough passphrase")


def test_createuser_validation_errors_go_to_stderr_per_field() -> None:
    result = CliRunner().invoke(
        cli, ["createuser", "not-an-email", "--name", "X", "--password", "whatever long"]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "email: Enter a valid email address.\n"


def test_createuser_weak_password_lists_each_message() -> None:
    result = CliRunner().invoke(
        cli, ["createuser", "w@example.org", "--name", "W", "--password", "123"]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "password: This password is too short. It must contain at least 8 characters.\n"
        "password: This password is too common.\n"
        "password: This password is entirely numeric.\n"
    )
    assert not User.objects.filter(email="w@example.org").exists()


def test_createuser_unknown_workspace_creates_nothing() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "createuser",
            "n@example.org",
            "--name",
            "N",
            "--password",
            "long enough pass",
            "--workspace",
            "nope",
        ],
    )
    assert (result.exit_code, result.stderr) == (1, "No workspace with the slug 'nope'.\n")
    assert not User.objects.filter(email="n@example.org").exists()


def test_token_create_prints_a_working_bearer_token_last() -> None:
    invoke("demo")
    with clock.frozen(datetime(2026, 12, 7, 9, 30, tzinfo=UTC)):
        result = invoke("token", "create", "ana.admin@northwind.example", "--name", "laptop")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[:3] == [
        "Created API token 'laptop' for Ana Alvarez in Northwind Software (northwind).",
        "It expires at 2027-03-07 09:30 UTC.",  # 90 days: the default
        "It is shown only this once. Send it as 'Authorization: Bearer <token>':",
    ]
    key = lines[-1]
    assert key.startswith("trc_")
    viewer = viewer_for_token(key)
    assert viewer is not None
    assert (viewer.user.email, viewer.role) == ("ana.admin@northwind.example", "admin")
    token = ApiToken.objects.get()
    assert token.name == "laptop"
    assert AuditEvent.objects.get(action="token.created").via == "cli"


def test_token_create_needs_workspace_when_user_has_several() -> None:
    invoke("demo")
    ana = User.objects.get(email="ana.admin@northwind.example")
    accounts.create_workspace(name="Second", admin=ana, slug="second")
    result = CliRunner().invoke(cli, ["token", "create", "ana.admin@northwind.example"])
    assert result.exit_code == 1
    assert result.stderr == (
        "ana.admin@northwind.example belongs to several workspaces (northwind, second): "
        "choose one with --workspace.\n"
    )
    assert not ApiToken.objects.exists()

    ok = invoke("token", "create", "ana.admin@northwind.example", "--workspace", "second")
    assert ok.exit_code == 0
    viewer = viewer_for_token(ok.output.splitlines()[-1])
    assert viewer is not None
    assert viewer.workspace_id == Workspace.objects.get(slug="second").pk


def test_token_list_and_revoke_own_and_for_an_admin_every_members() -> None:
    invoke("demo")
    ana_key = invoke("token", "create", "ana.admin@northwind.example", "--name", "laptop")
    olivia_key = invoke("token", "create", "olivia.observer@northwind.example", "--name", "sheet")
    leaked = ApiToken.objects.get(name="sheet")

    own = invoke("token", "list", "olivia.observer@northwind.example")
    assert own.exit_code == 0
    lines = own.output.splitlines()
    assert lines[0] == "Olivia Olsen's API tokens in Northwind Software (northwind):"
    assert lines[1].split() == [
        "ID", "NAME", "OWNER", "CREATED", "(UTC)", "LAST", "USED", "EXPIRES", "STATUS"
    ]  # fmt: skip
    assert lines[2].split()[:3] == [str(leaked.pk), "sheet", "olivia.observer@northwind.example"]
    assert lines[2].split()[-1] == "active"
    assert lines[2].split()[-4] == "never"  # not used yet
    assert len(lines) == 3
    for key in (ana_key.output.splitlines()[-1], olivia_key.output.splitlines()[-1]):
        assert key not in own.output

    # An observer may not see every member's tokens, nor revoke another's (it is not theirs).
    refused = CliRunner().invoke(
        cli, ["token", "list", "olivia.observer@northwind.example", "--all"]
    )
    assert refused.exit_code == 1
    ana_token = ApiToken.objects.get(name="laptop")
    not_hers = CliRunner().invoke(
        cli, ["token", "revoke", "olivia.observer@northwind.example", str(ana_token.pk)]
    )
    assert (not_hers.exit_code, not_hers.stderr) == (1, "Token not found.\n")

    every = invoke("token", "list", "ana.admin@northwind.example", "--all")
    assert every.output.splitlines()[0] == (
        "Every member's API tokens in Northwind Software (northwind):"
    )
    assert {line.split()[1] for line in every.output.splitlines()[2:]} == {"laptop", "sheet"}

    revoked = invoke("token", "revoke", "ana.admin@northwind.example", str(leaked.pk))
    assert revoked.output == (
        f"Revoked API token {leaked.pk} 'sheet' of Olivia Olsen "
        "in Northwind Software (northwind).\n"
    )
    assert viewer_for_token(olivia_key.output.splitlines()[-1]) is None
    event = AuditEvent.objects.get(action="token.revoked")
    assert (event.via, event.changes) == ("cli", {"user": "olivia.observer@northwind.example"})
    after = invoke("token", "list", "olivia.observer@northwind.example")
    assert after.output.splitlines()[2].split()[-3] == "revoked"


def test_token_create_takes_a_lifetime_and_list_shows_expiry_and_expired() -> None:
    invoke("demo")
    email = "ana.admin@northwind.example"
    with clock.frozen(datetime(2026, 12, 7, 9, 30, tzinfo=UTC)) as frozen:
        short = invoke("token", "create", email, "--name", "short", "--expires-in", "30")
        assert short.output.splitlines()[1] == "It expires at 2027-01-06 09:30 UTC."
        forever = invoke("token", "create", email, "--name", "forever", "--expires-in", "never")
        assert forever.output.splitlines()[1] == (
            "It never expires: revoke it when nothing uses it any more."
        )
        odd = CliRunner().invoke(cli, ["token", "create", email, "--expires-in", "7"])
        assert odd.exit_code == 2
        assert "'7' is not one of '30', '90', '365', 'never'" in odd.stderr
        assert ApiToken.objects.count() == 2

        frozen.advance(days=30)
        listed = invoke("token", "list", email)
        with pytest.raises(Unauthenticated, match="expired at 2027-01-06 09:30:00 UTC"):
            viewer_for_token(short.output.splitlines()[-1])
    rows = {line.split()[1]: line.split() for line in listed.output.splitlines()[2:]}
    assert rows["short"][-3:] == ["2027-01-06", "09:30", "expired"]
    assert rows["forever"][-2:] == ["never", "active"]


def test_token_create_unknown_user() -> None:
    result = CliRunner().invoke(cli, ["token", "create", "ghost@example.org"])
    assert (result.exit_code, result.stderr) == (
        1,
        "No active user with the email ghost@example.org.\n",
    )


def test_token_create_user_without_workspace() -> None:
    accounts.create_user(email="solo@example.org", full_name="Solo", password=None)
    result = CliRunner().invoke(cli, ["token", "create", "solo@example.org"])
    assert (result.exit_code, result.stderr) == (
        1,
        "solo@example.org is not a member of any workspace.\n",
    )


def test_worker_runs_db_worker(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    # With the database queue (production's); under the immediate backend the worker says
    # there is nothing to do (traction/cli/tests/test_worker.py).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: calls.append(a))
    result = invoke("worker", "--batch")
    assert result.exit_code == 0
    assert calls == [("db_worker", "--batch")]


def test_unknown_commands_go_to_django() -> None:
    result = invoke("check")
    assert result.exit_code == 0
    assert result.output == "System check identified no issues (0 silenced).\n"


def test_demo_password_is_the_printed_one() -> None:
    invoke("demo")
    assert User.objects.get(email="vera.sponsor@northwind.example").check_password(DEMO_PASSWORD)


def test_createuser_is_one_use_case_that_writes_nothing_when_refused() -> None:
    from traction.core.errors import NotFound, ValidationFailed

    invoke("demo")
    users = User.objects.count()
    result = invoke(
        "createuser", "y@example.org", "--name", "Y", "--password", "a long enough passphrase",
        "--workspace", "nowhere",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "No workspace with the slug 'nowhere'." in result.output
    with pytest.raises(ValidationFailed, match="Choose one of"):
        accounts.create_account(
            email="y@example.org",
            full_name="Y",
            password="a long enough passphrase",
            workspace_slug="northwind",
            role="emperor",
        )
    with pytest.raises(NotFound):
        accounts.create_account(
            email="y@example.org", full_name="Y", password=None, workspace_slug="nowhere"
        )
    assert User.objects.count() == users
    assert not User.objects.filter(email="y@example.org").exists()
