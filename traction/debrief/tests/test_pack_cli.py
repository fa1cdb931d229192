"""``traction report debrief SESSION --format pdf|html [--output FILE]`` writes the pack as
the member given by --as may see it."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner, Result

from traction.cli.main import cli
from traction.core.testing.cast import Cast

from .pack_data import PackWorld, build_pack_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> PackWorld:
    return build_pack_world(cast)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_writes_the_pdf(world: PackWorld, tmp_path: Path) -> None:
    target = tmp_path / "pack.pdf"
    result = invoke(
        "report", "debrief", str(world.session.pk), "--as", "sam@acme.test", "--output", str(target)
    )
    assert result.exit_code == 0, result.output
    assert f"written to {target}" in result.output
    reader = pypdf.PdfReader(io.BytesIO(target.read_bytes()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for phrase in ("Send the first invoice on signing day", "Cora Core", "Invoices paid on time"):
        assert phrase in text


def test_writes_html_named_after_the_session_by_default(
    world: PackWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(
        "report", "debrief", str(world.session.pk), "--format", "html", "--as", "fran@acme.test"
    )
    assert result.exit_code == 0, result.output
    [written] = list(tmp_path.glob("debrief-pack-voting-session-*.html"))
    html = written.read_text()
    assert html.startswith("<!doctype html>")
    assert "Fast-track enterprise approvals" in html


def test_who_may_not_see_it_is_told_so(world: PackWorld, tmp_path: Path) -> None:
    target = tmp_path / "pack.pdf"
    result = invoke(
        "report",
        "debrief",
        str(world.session.pk),
        "--as",
        "owen@acme.test",
        "--output",
        str(target),
    )
    assert result.exit_code == 1
    assert result.stderr == "Debrief not found.\n"
    assert not target.exists()
    unknown = invoke("report", "debrief", "999999", "--as", "fran@acme.test")
    assert unknown.exit_code == 1
