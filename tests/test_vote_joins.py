"""Withdrawn votes count nowhere, and a join does not know it.

``Vote.objects`` leaves withdrawn votes out, but a query reaching votes from a card (a
lookup or aggregate through ``votes__``/``"votes"``, or the reverse manager ``card.votes``,
whose default manager is ``Vote.history``) reads every row. Each such query in the code
says which votes it counts: ``counted("votes__")`` (``traction.voting.models``, imported
as ``counted`` or ``vote_counted``) or a ``votes__withdrawn_at__isnull`` lookup in the same
function. The few that need no filter are listed below with the reason.

The behaviour itself (a withdrawn vote changes no ranking, total or export) is tested in
traction/voting/tests/test_withdrawn_votes.py.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "traction"

# (file relative to traction/, function): why its join needs no filter of its own.
UNFILTERED = {
    ("voting/selectors.py", "_ranked"): (
        "sums with filter=src.counted, which _source builds with counted('votes__') for "
        "live cards; a frozen card's votes are FrozenVote rows (a closed round's snapshot)"
    ),
}

QUERYSET_METHODS = {
    "all", "filter", "exclude", "count", "exists", "aggregate", "annotate", "values",
    "values_list", "order_by", "first", "last", "get", "iterator", "in_bulk",
}  # fmt: skip
# Calls that read a field path given as a string: aggregates, expressions, queryset methods.
PATH_READERS = QUERYSET_METHODS | {
    "Sum", "Count", "Avg", "Max", "Min", "StdDev", "Variance", "ArrayAgg", "StringAgg",
    "JSONBAgg", "BoolOr", "BoolAnd", "F", "OuterRef", "Prefetch", "prefetch_related",
    "select_related", "distinct", "only", "defer", "alias",
}  # fmt: skip


def _is_votes_path(value: object) -> bool:
    if not isinstance(value, str):
        return False
    path = value.removeprefix("-")  # order_by("-votes__dots")
    return path == "votes" or path.startswith("votes__")


def _guards(node: ast.AST) -> bool:
    """Whether ``node`` is ``counted("votes__")`` or a ``votes__withdrawn_at__isnull`` lookup."""
    if isinstance(node, ast.Call):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in {"counted", "vote_counted"} and any(
            isinstance(a, ast.Constant) and a.value == "votes__" for a in node.args
        ):
            return True
    return isinstance(node, ast.keyword) and node.arg == "votes__withdrawn_at__isnull"


def _joins(node: ast.AST) -> list[int]:
    """The lines in ``node`` that reach votes through a join or the reverse manager."""
    lines = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if (
                name in PATH_READERS
                and any(isinstance(a, ast.Constant) and _is_votes_path(a.value) for a in sub.args)
            ) or any(k.arg is not None and k.arg.startswith("votes__") for k in sub.keywords):
                lines.append(sub.lineno)
            if (
                isinstance(func, ast.Attribute)
                and func.attr in QUERYSET_METHODS
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "votes"
            ):
                lines.append(sub.lineno)
    return lines


def unfiltered_joins(source: str, filename: str) -> list[tuple[str, int]]:
    """(function, line) of each join to votes in a function that never says which count."""
    found = []
    tree = ast.parse(source, filename)
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    inner = {id(f) for f in functions for g in ast.walk(f) if g is not f and g in functions}
    for function in functions:
        if id(function) in inner:
            continue  # checked with the function it is defined in
        lines = _joins(function)
        if lines and not any(_guards(n) for n in ast.walk(function)):
            found += [(function.name, line) for line in sorted(set(lines))]
    # Module-level queries (outside any function) have no function to guard them.
    for statement in tree.body:
        if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found += [("<module>", line) for line in _joins(statement)]
    return found


def _code() -> list[Path]:
    return [
        p
        for p in sorted(ROOT.rglob("*.py"))
        if "tests" not in p.parts and "migrations" not in p.parts and "testing" not in p.parts
    ]


def test_every_join_to_votes_leaves_withdrawn_votes_out() -> None:
    offenders = []
    allowed_seen = set()
    for path in _code():
        name = str(path.relative_to(ROOT))
        for function, line in unfiltered_joins(path.read_text(), name):
            if (name, function) in UNFILTERED:
                allowed_seen.add((name, function))
                continue
            offenders.append(f"traction/{name}:{line} in {function}()")
    assert offenders == [], (
        "These queries join cards to their votes without counted('votes__') "
        "(traction.voting.models): withdrawn votes would count:\n  " + "\n  ".join(offenders)
    )
    # An exception that no longer matches anything is taken out of the list.
    assert set(UNFILTERED) == allowed_seen


def _check(code: str) -> list[tuple[str, int]]:
    return unfiltered_joins(textwrap.dedent(code), "example.py")


def test_the_scan_finds_unfiltered_joins() -> None:
    assert _check(
        """
        def ranking(cards):
            return cards.annotate(dots=Sum("votes__dots"), voters=Count("votes"))
        """
    ) == [("ranking", 3)]
    assert _check(
        """
        def mine(cards, me):
            return cards.filter(votes__contact_id=me)
        """
    ) == [("mine", 3)]
    assert _check(
        """
        def total(card):
            return card.votes.aggregate(n=Sum("dots"))
        """
    ) == [("total", 3)]
    assert _check('TOP = Insight.objects.order_by("-votes__dots")\n') == [("<module>", 1)]


def test_the_scan_accepts_joins_that_say_which_votes_count() -> None:
    assert (
        _check(
            """
            def ranking(cards):
                counted = Q(votes__dots__gt=0) & vote_counted("votes__")
                return cards.annotate(dots=Sum("votes__dots", filter=counted))

            def total(cards):
                return cards.annotate(n=Sum("votes__dots", filter=counted("votes__")))

            def mine(cards, me):
                return cards.filter(votes__contact_id=me, votes__withdrawn_at__isnull=True)

            def tallies(rows):
                rows.votes.append(1)  # a list, not a relation

            def panels():
                sections.register(PAGE, "votes", template="portal/panel_votes.html")
            """
        )
        == []
    )
    # The helper with another prefix guards another join, not this one.
    assert _check(
        """
        def ranking(cards):
            return cards.annotate(dots=Sum("votes__dots", filter=counted("merged__votes__")))
        """
    ) == [("ranking", 3)]
