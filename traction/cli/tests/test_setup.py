"""``traction setup``, ``workspace create``, ``mail test`` and the demo in production."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.deploy.smtp_sink import SmtpSink
from traction.accounts.models import Membership, User, Workspace
from traction.cli.main import cli
from traction.core.models import AuditEvent
from traction.core.permissions import Role

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def test_setup_creates_the_first_workspace_and_its_admin_who_can_sign_in(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("traction.cli.setup._interactive", lambda: True)  # a terminal: it asks
    result = invoke(
        "setup",
        "Acme Corp",
        "--admin",
        "Ada@Acme.example",
        "--admin-name",
        "Ada Admin",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        "Created the user ada@acme.example (Ada Admin).\n"
        "Created the workspace Acme Corp (acme-corp) with ada@acme.example as admin.\n"
        "Sign in at /login/ on the address `traction run` prints\n"
    )
    membership = Membership.objects.get()
    assert (membership.workspace.slug, membership.user.email, membership.role) == (
        "acme-corp",
        "ada@acme.example",
        Role.ADMIN,
    )
    assert membership.user.is_installation_owner  # she creates later workspaces on the web
    assert set(AuditEvent.objects.values_list("action", "via")) == {
        ("workspace.created", "cli"),
        ("member.added", "cli"),
    }
    response = client.post("/login/", {"email": "ada@acme.example", "password": PASSWORD})
    assert response.status_code == 302


def test_setup_reads_the_password_from_stdin_for_scripts() -> None:
    result = invoke(
        "setup",
        "Acme",
        "--admin",
        "ada@acme.example",
        "--admin-name",
        "Ada",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert User.objects.get().check_password(PASSWORD)


def test_setup_refuses_a_weak_password_and_creates_nothing() -> None:
    result = invoke(
        "setup",
        "Acme",
        "--admin",
        "ada@acme.example",
        "--admin-name",
        "Ada",
        "--password-stdin",
        input="12345678\n",
    )
    assert result.exit_code == 1
    assert "password: This password is too common." in result.stderr
    assert not User.objects.exists()
    assert not Workspace.objects.exists()


def test_setup_refuses_once_a_workspace_exists() -> None:
    invoke(
        "setup",
        "Acme",
        "--admin",
        "ada@acme.example",
        "--admin-name",
        "Ada",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    again = invoke("setup", "Other", "--admin", "ada@acme.example")
    assert again.exit_code == 1
    assert again.stderr == (
        "Traction is already set up (a workspace exists). Create another workspace with "
        "'traction workspace create NAME --admin EMAIL'.\n"
    )
    assert Workspace.objects.count() == 1


def test_workspace_create_with_an_existing_user_keeps_their_password() -> None:
    invoke(
        "setup",
        "Acme",
        "--admin",
        "ada@acme.example",
        "--admin-name",
        "Ada",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    result = invoke("workspace", "create", "Beta Labs", "--admin", "ADA@acme.example")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "Created the workspace Beta Labs (beta-labs) with ada@acme.example as admin.\n"
    )
    assert User.objects.get().check_password(PASSWORD)
    assert sorted(Membership.objects.values_list("workspace__slug", "role")) == [
        ("acme", Role.ADMIN),
        ("beta-labs", Role.ADMIN),
    ]


def test_workspace_create_prints_the_sign_in_address_only_when_it_is_known(
    settings: Any,
) -> None:
    """Without TRACTION_SITE_URL the address is `traction run`'s --host and --port, which
    this command cannot know: it gives the path (not a made-up http://127.0.0.1:8000)."""
    invoke(
        "setup", "Acme", "--admin", "ada@acme.example", "--admin-name", "Ada",
        "--password-stdin", input=f"{PASSWORD}\n",
    )  # fmt: skip
    result = invoke("workspace", "create", "Beta", "--admin", "ada@acme.example")
    assert (
        result.stdout.splitlines()[-1] == "Sign in at /login/ on the address `traction run` prints"
    )
    assert "8000" not in result.stdout
    settings.TRACTION_SITE_URL = "https://traction.example.com/"
    settings.TRACTION_SITE_URL_SET = True
    result = invoke("workspace", "create", "Gamma", "--admin", "ada@acme.example")
    assert result.stdout.splitlines()[-1] == "Sign in at https://traction.example.com/login/"
    result = invoke(
        "workspace", "create", "Delta", "--admin", "di@delta.example", "--admin-name", "Di",
        "--link",
    )  # fmt: skip
    assert result.stdout.splitlines()[-1].startswith("https://traction.example.com/password/set/")


def test_workspace_create_for_a_new_admin_needs_their_name() -> None:
    result = invoke("workspace", "create", "Beta", "--admin", "new@beta.example")
    assert result.exit_code == 1
    assert result.stderr == "admin_name: --admin-name: enter the admin's name.\n"
    assert not Workspace.objects.exists()


def set_password_through(client: Any, link: str, password: str) -> int:
    path = link.removeprefix("http://127.0.0.1:8000")
    opened = client.get(path)
    if opened.status_code != 302:
        return int(opened.status_code)
    done = client.post(opened["Location"], {"new_password1": password, "new_password2": password})
    return int(done.status_code)


def test_setup_with_link_prints_a_one_time_link_that_sets_the_admins_password(
    client: Any,
) -> None:
    result = invoke(
        "setup", "Acme", "--admin", "ada@acme.example", "--admin-name", "Ada Admin", "--link"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "Created the user ada@acme.example (Ada Admin), without a password yet.",
        "Created the workspace Acme (acme) with ada@acme.example as admin.",
        "The admin chooses a password at this link on the address `traction run` prints "
        "(it works once, for 3 days), then signs in at /login/:",
    ]
    link = lines[3]
    assert link.startswith("/password/set/")
    assert not User.objects.get().has_usable_password()
    # Nobody can sign in before the link is used.
    refused = client.post("/login/", {"email": "ada@acme.example", "password": ""})
    assert refused.status_code == 200

    assert set_password_through(client, link, PASSWORD) == 302
    assert (
        client.post("/login/", {"email": "ada@acme.example", "password": PASSWORD}).status_code
        == 302
    )
    # Once only: the same link again does not set anything.
    client.logout()
    assert set_password_through(client, link, "another password 2027") == 200
    assert User.objects.get().check_password(PASSWORD)


def test_setup_without_a_terminal_or_password_prints_the_link_instead_of_asking() -> None:
    result = invoke("setup", "Acme", "--admin", "ada@acme.example", "--admin-name", "Ada")
    assert result.exit_code == 0, result.output
    assert "Password for the admin" not in result.output
    assert result.stdout.splitlines()[-1].startswith("/password/set/")
    assert not User.objects.get().has_usable_password()


def test_setup_refuses_link_with_password_stdin() -> None:
    result = invoke(
        "setup", "Acme", "--admin", "a@acme.example", "--admin-name", "A",
        "--link", "--password-stdin", input=f"{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Give either --link or --password-stdin, not both." in result.stderr
    assert not User.objects.exists()


def test_workspace_create_with_link_for_a_new_admin() -> None:
    invoke(
        "setup", "Acme", "--admin", "ada@acme.example", "--admin-name", "Ada",
        "--password-stdin", input=f"{PASSWORD}\n",
    )  # fmt: skip
    result = invoke(
        "workspace", "create", "Beta", "--admin", "bo@beta.example", "--admin-name", "Bo",
        "--link",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("/password/set/")
    assert not User.objects.get(email="bo@beta.example").has_usable_password()


# --- mail test --------------------------------------------------------------------------------


def smtp_settings(settings: Any, port: int, **extra: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Traction <traction@acme.example>"
    for name, value in extra.items():
        setattr(settings, name, value)


def test_mail_test_sends_through_smtp(settings: Any) -> None:
    with SmtpSink() as sink:
        smtp_settings(settings, sink.port)
        result = invoke("mail", "test", "ops@acme.example")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"SMTP 127.0.0.1:{sink.port}, no TLS, timeout 5 s, from Traction <traction@acme.example>\n"
        "Sent a test message to ops@acme.example.\n"
    )
    assert [(m.sender, m.recipients) for m in sink.messages] == [
        ("traction@acme.example", ["ops@acme.example"])
    ]
    assert "Subject: Traction test message" in sink.messages[0].data


def make_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(  # noqa: S603 -- fixed arguments
        [  # noqa: S607 -- openssl from PATH
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_mail_test_speaks_implicit_tls_and_checks_the_certificate(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = make_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with SmtpSink(tls=context) as sink:
        smtp_settings(settings, sink.port, EMAIL_USE_SSL=True)
        untrusted = invoke("mail", "test", "ops@acme.example")
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now the server's certificate is trusted
        trusted = invoke("mail", "test", "ops@acme.example")
    assert untrusted.exit_code == 1
    assert untrusted.stderr.startswith(
        "Not sent: SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] "
    )
    assert trusted.exit_code == 0, trusted.output
    assert "implicit TLS" in trusted.stdout
    assert len(sink.messages) == 1


def test_mail_test_reports_why_it_failed(settings: Any) -> None:
    with SmtpSink() as sink:
        port = sink.port
    smtp_settings(settings, port)  # nothing listens there any more
    result = invoke("mail", "test", "ops@acme.example")
    assert result.exit_code == 1
    assert result.stderr == "Not sent: ConnectionRefusedError: [Errno 111] Connection refused\n"


# --- the demo in production -----------------------------------------------------------------------


def test_demo_in_production_gets_a_random_password_shown_once(settings: Any) -> None:
    settings.TRACTION_PRODUCTION = True
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    assert "traction-demo" not in result.stdout
    last = result.stdout.splitlines()[-1]
    prefix = "Password for every demo login (shown only now): "
    assert last.startswith(prefix)
    password = last.removeprefix(prefix)
    assert len(password) == 16
    ana = User.objects.get(email="ana.admin@northwind.example")
    assert ana.check_password(password)
    assert not ana.check_password("traction-demo")
