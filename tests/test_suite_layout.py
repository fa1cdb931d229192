"""Browser tests live in tests/e2e, whose conftest gives them Debian's Chromium and fails a
test on any Content-Security-Policy violation: a browser test kept anywhere else would run
without that watch, so none is."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
E2E = ROOT / "tests" / "e2e"
MARKED_E2E = re.compile(r"\bmark\.e2e\b")


def test_every_test_marked_e2e_lives_in_tests_e2e() -> None:
    elsewhere = [
        str(path.relative_to(ROOT))
        for folder in ("traction", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if E2E not in path.parents and MARKED_E2E.search(path.read_text())
    ]
    assert elsewhere == []


def test_the_guard_sees_an_e2e_mark() -> None:
    # Not blind: the browser tests themselves are found by it.
    assert any(MARKED_E2E.search(p.read_text()) for p in E2E.glob("test_*.py"))
