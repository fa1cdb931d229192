"""The docs a newcomer reads stay true to the repository.

- docs/roles.md is generated from the apps' ``rules.py`` (``scripts/gen-roles-docs``): it
  fails here when a rule changed and the page was not regenerated (``make docs``).
- README.md and docs/*.md refer to nothing outside the repository (no design or style
  documents that are not in it, no relative link leaving it), and every relative link points
  at a file that exists.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

# Files and folders that live beside the repository, not in it: naming them sends a reader
# to something they do not have.
OUTSIDE = re.compile(r"DESIGN\.md|STYLE\.md|(?<![\w/.-])shared/|(?<![\w/.-])seeds/")
# Inline links and images ``[text](target)``, reference definitions ``[label]: target``,
# and HTML ``href``/``src`` attributes.
LINK = re.compile(
    r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
    r"|^\s*\[[^\]^][^\]]*\]:\s*<?(\S+?)>?(?:\s|$)"
    r"|(?:href|src)=\"([^\"]+)\"",
    re.MULTILINE,
)
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


def load_generator() -> ModuleType:
    path = ROOT / "scripts" / "gen-roles-docs"
    loader = importlib.machinery.SourceFileLoader("gen_roles_docs", str(path))
    spec = importlib.util.spec_from_loader("gen_roles_docs", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def without_code_blocks(text: str) -> str:
    """Fenced code is shown, not followed: links are checked outside it only."""
    return re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)


def problems(page: Path, text: str, root: Path = ROOT) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in OUTSIDE.finditer(line):
            found.append(
                f"{page.name}:{number}: refers to {match.group(0)!r} outside the repository"
            )
    for match in LINK.finditer(without_code_blocks(text)):
        target = next(g for g in match.groups() if g is not None)
        if EXTERNAL.match(target) or target.startswith("#"):
            continue
        path_part = target.split("#", 1)[0].split("?", 1)[0]
        if not path_part:
            continue
        base = root if path_part.startswith("/") else page.parent
        resolved = (base / path_part.lstrip("/")).resolve()
        if not resolved.is_relative_to(root.resolve()):
            found.append(f"{page.name}: link {target!r} leaves the repository")
        elif not resolved.exists():
            found.append(f"{page.name}: link {target!r} points at a file that does not exist")
    return found


def test_roles_page_is_current() -> None:
    expected = load_generator().render()
    current = (ROOT / "docs" / "roles.md").read_text()
    assert current == expected, "docs/roles.md is stale: run `make docs` (scripts/gen-roles-docs)"


def test_roles_page_has_every_action_and_role() -> None:
    from traction.core.permissions import registry

    text = (ROOT / "docs" / "roles.md").read_text()
    header = next(line for line in text.splitlines() if line.startswith("| action |"))
    assert header == (
        "| action | what it allows | admin | facilitator | core team | sponsor | account owner"
        " | observer | customer contact |"
    )
    rows = {
        line.split(" | ")[0][3:-1]: line for line in text.splitlines() if line.startswith("| `")
    }
    assert list(rows) == list(registry.rules)
    # Spot checks against rules the method depends on.
    assert rows["member.manage"].endswith("| all |  |  |  |  |  |  |")
    assert rows["ballot.cast"].endswith("|  |  |  |  |  |  | own |")
    # An OWN cell may carry a footnote saying whose ("own[^1]"): compare without it.
    assert "| all | all | own | own | own | own |  |" in re.sub(
        r"\[\^\d+\]", "", rows["program.view"]
    )


def test_roles_footnote_comes_from_the_own_filters_docstring() -> None:
    from traction.core.permissions import registry

    text = (ROOT / "docs" / "roles.md").read_text()
    own = registry.get("session.view").own
    assert own is not None
    assert own.__doc__
    first_words = " ".join(own.__doc__.split()[:6])
    notes = [line for line in text.splitlines() if line.startswith("[^")]
    assert any(first_words in note for note in notes)
    number = next(note[2 : note.index("]")] for note in notes if first_words in note)
    session_view = next(line for line in text.splitlines() if line.startswith("| `session.view`"))
    assert f"own[^{number}]" in session_view


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_refers_only_to_files_in_the_repository(page: Path) -> None:
    assert problems(page, page.read_text()) == []


def test_the_check_catches_what_it_should(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "there.md").write_text("# There\n")
    page = tmp_path / "docs" / "page.md"
    text = (
        "The flow (DESIGN.md §3) and the style (STYLE.md).\n"
        "Seeds in seeds/ and notes in shared/notes.md.\n"
        "[fine](there.md#a) [anchor](#top) [web](https://example.com/x) [mail](mailto:a@b.c)\n"
        "[gone](missing.md) [out](../../elsewhere.md) ![img](pics/none.png)\n"
        "[ref]: ../../../outside.md\n"
        "```sh\n[in code](not-followed.md)\n```\n"
        "The folder `traction/shared/` is fine; so is `tests/seeds/`.\n"
    )
    assert problems(page, text, root=tmp_path) == [
        "page.md:1: refers to 'DESIGN.md' outside the repository",
        "page.md:1: refers to 'STYLE.md' outside the repository",
        "page.md:2: refers to 'seeds/' outside the repository",
        "page.md:2: refers to 'shared/' outside the repository",
        "page.md: link 'missing.md' points at a file that does not exist",
        "page.md: link '../../elsewhere.md' leaves the repository",
        "page.md: link 'pics/none.png' points at a file that does not exist",
        "page.md: link '../../../outside.md' leaves the repository",
    ]


def test_api_page_states_the_real_pagination_limits() -> None:
    from django.conf import settings

    from traction.core.api import MAX_PAGE

    text = (ROOT / "docs" / "api.md").read_text()
    assert f"| `page` | 1 | 1 to {MAX_PAGE:,} |" in text
    page_size = settings.NINJA_PAGINATION_PER_PAGE
    assert f"| `page_size` | {page_size} | 1 to {settings.NINJA_MAX_PER_PAGE_SIZE} |" in text


def test_readme_lists_the_reference_pages() -> None:
    text = (ROOT / "README.md").read_text()
    for page in ("first-session.md", "method.md", "roles.md", "api.md"):
        assert f"[docs/{page}](docs/{page})" in text


def test_every_picture_the_docs_show_is_in_the_repository() -> None:
    docs = ROOT / "docs"
    for page in docs.glob("*.md"):
        for name in re.findall(r"\]\((img/[^)\s]+)\)", page.read_text()):
            assert (docs / name).is_file(), f"{page.name} shows {name}, which is missing"
