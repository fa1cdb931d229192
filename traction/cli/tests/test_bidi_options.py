"""Every ``traction`` option or argument whose value is stored as text refuses an invisible
bidirectional control character, as the web forms and the API do (``core.text``): the
command exits with status 2 before it runs, naming the option, and writes nothing."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from traction.accounts.models import ApiToken, User, Workspace
from traction.cli.main import cli
from traction.core.models import AuditEvent
from traction.customers.models import Contact

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Zoe<RLO>gpj.exe" shows as "Zoeexe.jpg"
WHY = (
    "It contains an invisible bidirectional control character (U+202E RIGHT-TO-LEFT "
    "OVERRIDE), which can make the text show in a misleading order; remove it. Right-to-left "
    "text (Arabic, Hebrew) needs none."
)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), input="a long enough passphrase\n" * 2)


def refused(result: Result, option: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert f"Invalid value for '{option}': {WHY}" in " ".join(result.stderr.split())


ADMIN = ["--admin", "ada@acme.example", "--admin-name", "Ada"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["createuser", f"zoe{RLO}@example.org", "--name", "Zoe"], "EMAIL"),
        (["createuser", "zoe@example.org", "--name", f"Zoe{RLO}gpj.exe"], "--name"),
        (["setup", f"Acme{RLO}", *ADMIN], "NAME"),
        (["setup", "Acme", *ADMIN, "--admin", f"ada{RLO}@acme.example"], "--admin"),
        (["setup", "Acme", *ADMIN, "--admin-name", f"A{RLO}da"], "--admin-name"),
        (["setup", "Acme", *ADMIN, "--slug", f"a{RLO}"], "--slug"),
        (["workspace", "create", f"Beta{RLO}", *ADMIN], "NAME"),
    ],
)
def test_accounts_and_workspaces_refuse_a_bidi_control(args: list[str], option: str) -> None:
    refused(invoke(*args), option)
    assert not User.objects.exists()
    assert not Workspace.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_token_name_and_an_erasure_reason_refuse_a_bidi_control() -> None:
    assert CliRunner().invoke(cli, ["demo"]).exit_code == 0
    before = AuditEvent.objects.count()
    refused(
        invoke("token", "create", "ana.admin@northwind.example", "--name", f"laptop{RLO}"),
        "--name",
    )
    assert not ApiToken.objects.exists()
    contact = Contact.objects.order_by("pk").first()
    assert contact is not None
    refused(
        invoke(
            "privacy",
            "erase",
            str(contact.pk),
            "--reason",
            f"asked{RLO}",
            "--as",
            "ana.admin@northwind.example",
            "--yes",
        ),
        "--reason",
    )
    contact.refresh_from_db()
    assert not contact.name.startswith("Erased")
    assert AuditEvent.objects.count() == before
    # Right-to-left text itself is welcome: only the invisible controls are refused.
    named = invoke("token", "create", "ana.admin@northwind.example", "--name", "حاسوب")
    assert named.exit_code == 0, named.output
    assert ApiToken.objects.get().name == "حاسوب"


def test_an_imported_files_name_refuses_a_bidi_control(cast, tmp_path) -> None:
    """``traction import FILE`` stores the file's name as the import's source name: a name
    holding a bidirectional control is refused, naming the argument; nothing is written.
    Folders above it are not stored, so they are not checked; right-to-left names are
    welcome."""
    from traction.insights.models import ImportBatch, Insight
    from traction.insights.tests.conftest import build_room

    room = build_room(cast)
    text = "Content,Author\nApproval takes three weeks,Gina Globex\n"
    base = ["--session", str(room.session.pk), "--as", "fran@acme.test"]
    spoofed = tmp_path / f"notes{RLO}vsc.csv"
    spoofed.write_text(text, encoding="utf-8")
    before = AuditEvent.objects.count()
    refused(invoke("import", str(spoofed), *base), "FILE")
    assert not ImportBatch.objects.exists()
    assert not Insight.objects.exists()
    assert AuditEvent.objects.count() == before
    folder = tmp_path / f"in{RLO}box"
    folder.mkdir()
    welcome = folder / "ملاحظات.csv"
    welcome.write_text(text, encoding="utf-8")
    done = invoke("import", str(welcome), *base, "--keep-unmatched")
    assert done.exit_code == 0, done.output
    assert ImportBatch.objects.get().filename == "ملاحظات.csv"
