"""docs/webhooks.md says what the code does: the event catalogue is the registry's, and the
receiver's check is the one the tests run against real deliveries."""

from __future__ import annotations

import os
import re
from pathlib import Path

from traction.webhooks import events
from traction.webhooks.receiver import VERIFY_SNIPPET

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"
BLOCK = re.compile(r"(<!-- events:[^\n]*-->\n)(.*?)(<!-- /events -->)", re.DOTALL)


def catalogue() -> str:
    rows = [
        "| event | version | when |",
        "|---|---|---|",
        *(f"| `{e.name}` | {e.version} | {e.description} |" for e in events.registered()),
    ]
    return "\n".join(rows) + "\n"


def test_the_event_catalogue_is_the_registry() -> None:
    """Every registered event, with its version and description (``UPDATE_SNAPSHOTS=1``
    rewrites the table)."""
    text = DOC.read_text()
    match = BLOCK.search(text)
    assert match, "docs/webhooks.md lost its <!-- events --> markers"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        DOC.write_text(text[: match.start(2)] + catalogue() + text[match.end(2) :])
        text = DOC.read_text()
        match = BLOCK.search(text)
        assert match
    assert match.group(2) == catalogue(), (
        "docs/webhooks.md's event table is out of step with the registry: run "
        "UPDATE_SNAPSHOTS=1 pytest traction/webhooks/tests/test_docs.py"
    )
    assert "`webhook.test`" in match.group(2)


def test_the_documented_check_is_the_one_tested() -> None:
    assert f"```python\n{VERIFY_SNIPPET}```" in DOC.read_text()
