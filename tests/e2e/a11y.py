"""axe-core (4.14.1, vendored from the npm registry under tests/e2e/vendor/, test-only) run
in the page under test: a page fails on any "serious" or "critical" violation.

The script is evaluated through the DevTools protocol (``page.evaluate``), which the page's
Content-Security-Policy does not govern, so the page is tested with its policy on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
FAILING = ("serious", "critical")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe finds in the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in FAILING]


def assert_accessible(page: Page, what: str = "") -> None:
    bad = axe_violations(page)
    assert not bad, f"axe on {what or page.url}:\n" + "\n".join(
        f"  {v['impact']} {v['id']}: {v['help']} at {v['targets']}" for v in bad
    )
