"""Full-text search: the query language, filters, permission scoping, hostile input, the
count cap and ordering, the index kept in sync, highlighting; the page and the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from traction.core.errors import PermissionDenied, ValidationFailed
from traction.core.testing.cast import Cast
from traction.insights import search, services
from traction.insights.models import Insight, InsightStatus
from traction.insights.search import Filters, fulltext, index
from traction.insights.search.query import highlight, parse
from traction.insights.tests.conftest import Room
from traction.sessions import services as session_services

SQLITE = connection.vendor == "sqlite"


@dataclass
class World:
    room: Room
    late: Insight  # Gina (Globex), issue, step 1, billing
    email: Insight  # Ivy (Initech), idea, step 2, billing onboarding
    internal: Insight  # Cora (internal), quote, step 3
    contract: Insight  # Gina, moment of truth, contract
    renewal_gina: Insight  # Renewals program, Gina
    renewal_plain: Insight  # Renewals program, nobody
    rival: Insight  # Rival's workspace
    candidate: Insight
    discarded: Insight


def _capture(room: Room, who: str, kind: str, text: str, step: int | None, tags: str = "") -> Any:
    return services.capture_insight(
        room.cast.viewer("facilitator"),
        session=room.session,
        kind=kind,
        text=text,
        speaker=room.speaker(who) if who else "",
        step_id=room.steps[step].pk if step is not None else None,
        tags=tags,
    )


def _session(cast: Cast, planner: str, program: Any, title: str) -> Any:
    start = timezone.now() + timedelta(days=3)
    return session_services.plan_session(
        cast.viewer(planner),
        program=program,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )


@pytest.fixture
def world(room: Room) -> World:
    cast = room.cast
    fran = cast.viewer("facilitator")
    late = _capture(room, "gina", "issue", "The invoice arrives three weeks late", 0, "billing")
    email = _capture(
        room, "ivy", "idea", "Send the first invoice by email", 1, "billing onboarding"
    )
    internal = _capture(room, "core_team", "quote", "Customers ask about invoicing every week", 2)
    contract = _capture(
        room, "gina", "moment_of_truth", "Signing the contract feels final", 0, "contract"
    )
    renewals = _session(cast, "facilitator", cast.other_program, "Renewals interview")
    request = session_services.decide_outreach(
        cast.viewer("account_owner"),
        request=session_services.request_outreach(fran, session=renewals, contact=room.gina),
        approve=True,
    )
    session_services.send_invitation(fran, request=request)
    renewal_gina = services.capture_insight(
        fran,
        session=renewals,
        kind="issue",
        text="The renewal invoice was wrong",
        speaker=f"c:{room.gina.pk}",
    )
    renewal_plain = services.capture_insight(
        fran, session=renewals, kind="issue", text="Renewal pricing is unclear"
    )
    rival_session = _session(cast, "stranger", cast.rival_program, "Rival session")
    rival = services.capture_insight(
        cast.viewer("stranger"),
        session=rival_session,
        kind="issue",
        text="Our invoice is late as well",
    )

    def raw(text: str, status: str) -> Insight:
        return Insight.objects.create(
            workspace_id=room.session.workspace_id,
            program_id=room.session.program_id,
            session=room.session,
            kind="quote",
            text=text,
            status=status,
            source="import",
        )

    return World(
        room=room,
        late=late,
        email=email,
        internal=internal,
        contract=contract,
        renewal_gina=renewal_gina,
        renewal_plain=renewal_plain,
        rival=rival,
        candidate=raw("We print every invoice twice", InsightStatus.CANDIDATE),
        discarded=raw("Invoice noise", InsightStatus.DISCARDED),
    )


def found(world: World, q: str = "", principal: str = "admin", **kw: Any) -> set[str]:
    """The names of the world's insights the search finds."""
    results = search.search(world.room.cast.viewer(principal), q, **kw)
    names = {getattr(world, n).pk: n for n in World.__dataclass_fields__ if n != "room"}
    return {names.get(h.insight.pk, f"?{h.insight.pk}") for h in results.hits}


# --- the query language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fts5", "tsquery"),
    [
        ("invoice", '"invoice"*', "'invoice':*"),
        ("invoice ", '"invoice"', "'invoice'"),
        ("Invoice late", '"invoice" "late"*', "'invoice' & 'late':*"),
        (
            '"first invoice" email',
            '"first invoice" "email"*',
            "('first' <-> 'invoice') & 'email':*",
        ),
        ('"first invoice"', '"first invoice"', "('first' <-> 'invoice')"),
        ('"first inv', '"first inv"*', "('first' <-> 'inv':*)"),
        ("a", '"a"', "'a'"),  # one letter is never a prefix: it would match half the index
        ("late late", '"late"*', "'late':*"),
        ('x NEAR(y) OR -z *:^ "', '"x" "near" "y" "or" "z"', "'x' & 'near' & 'y' & 'or' & 'z'"),
        ("facturé", '"facturé"*', "'facturé':*"),
        ("';DROP TABLE x;--", '"drop" "table" "x"', "'drop' & 'table' & 'x'"),
    ],
)
def test_parse_quotes_every_word(text: str, fts5: str, tsquery: str) -> None:
    query = parse(text)
    assert query.fts5() == fts5
    assert query.tsquery() == tsquery


def test_parse_keeps_twelve_terms_and_says_so() -> None:
    query = parse(" ".join(f"w{n}" for n in range(20)))
    assert [t.words for t in query.terms] == [(f"w{n}",) for n in range(12)]
    assert query.dropped == 8
    assert not query.terms[-1].prefix  # the word being typed was left out


def test_parse_without_words_is_empty() -> None:
    assert not parse('"*:-() ^ "" ')
    assert parse("").fts5() == ""


def test_parse_refuses_over_long_queries() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse("x" * 201)
    assert exc.value.errors == {"q": ["Keep it to 200 characters or fewer (this has 201)."]}


# --- matching ---------------------------------------------------------------------------------


def test_words_are_anded(world: World) -> None:
    assert found(world, "invoice weeks ") == {"late"}
    assert found(world, "invoice ") == {"late", "email", "renewal_gina"}


def test_phrase_matches_in_order(world: World) -> None:
    assert found(world, '"first invoice"') == {"email"}
    assert found(world, '"invoice first"') == set()


def test_last_word_matches_as_prefix_while_typing(world: World) -> None:
    assert found(world, "invo") == {"late", "email", "internal", "renewal_gina"}
    assert found(world, "invo ") == set()
    assert found(world, "weeks invo") == {"late"}
    assert found(world, "week invo") == {"internal"}  # only the last word is a prefix


def test_tags_are_searched_too(world: World) -> None:
    assert found(world, "onboarding ") == {"email"}


@pytest.mark.skipif(not SQLITE, reason="accent folding is SQLite's (remove_diacritics)")
def test_accents_are_ignored_on_sqlite(world: World) -> None:
    accented = _capture(world.room, "gina", "issue", "La facture arrive en retard", None)
    plain = _capture(world.room, "gina", "issue", "Une facturé deux fois", None)
    ids = {h.insight.pk for h in search.search(world.room.cast.viewer("admin"), "facture ").hits}
    assert ids == {accented.pk, plain.pk}


def test_no_query_lists_everything_visible_newest_first(world: World) -> None:
    results = search.search(world.room.cast.viewer("admin"))
    assert [h.insight.pk for h in results.hits] == [
        world.renewal_plain.pk,
        world.renewal_gina.pk,
        world.contract.pk,
        world.internal.pk,
        world.email.pk,
        world.late.pk,
    ]
    assert (results.count, results.capped, results.order) == (6, False, "newest")


# --- filters ----------------------------------------------------------------------------------


def test_each_filter(world: World) -> None:
    room, cast = world.room, world.room.cast
    assert found(world, filters=Filters(program_id=cast.other_program.pk)) == {
        "renewal_gina",
        "renewal_plain",
    }
    assert found(world, filters=Filters(session_id=room.session.pk)) == {
        "late",
        "email",
        "internal",
        "contract",
    }
    assert found(world, filters=Filters(step_id=room.steps[0].pk)) == {"late", "contract"}
    assert found(world, filters=Filters(kind="idea")) == {"email"}
    assert found(world, filters=Filters(customer_id=cast.customer.pk)) == {
        "late",
        "contract",
        "renewal_gina",
    }
    assert found(world, filters=Filters(segment="enterprise")) == {"email"}
    assert found(world, filters=Filters(tag="billing")) == {"late", "email"}
    assert found(world, filters=Filters(tag="onboarding")) == {"email"}
    assert found(world, filters=Filters(tag="bill")) == set()
    assert found(world, filters=Filters(tag="50%_")) == set()
    assert found(world, "invo", filters=Filters(customers_only=True)) == {
        "late",
        "email",
        "renewal_gina",
    }
    assert found(world, "invoice", filters=Filters(kind="issue", tag="billing")) == {"late"}


def test_filters_on_hidden_objects_find_nothing(world: World) -> None:
    cast = world.room.cast
    assert (
        found(world, principal="core_team", filters=Filters(program_id=cast.other_program.pk))
        == set()
    )
    assert (
        found(world, principal="admin", filters=Filters(session_id=world.rival.session_id)) == set()
    )


def test_candidates_only_on_request_and_never_discarded(world: World) -> None:
    assert "candidate" not in found(world, "invoice")
    assert found(world, "print", filters=Filters(include_candidates=True)) == {"candidate"}
    assert found(world, "noise", filters=Filters(include_candidates=True)) == set()


# --- who sees what ----------------------------------------------------------------------------


# What each role finds for "invo" (the candidate and the discarded row match too).
SEES_INVO = [
    ("admin", {"late", "email", "internal", "renewal_gina"}),
    ("facilitator", {"late", "email", "internal", "renewal_gina"}),
    ("core_team", {"late", "email", "internal"}),
    ("sponsor", {"late", "email", "internal"}),
    ("observer", {"late", "email", "internal"}),
    # Owen sees his customer Globex's insights, in any program, and no other.
    ("account_owner", {"late", "renewal_gina"}),
    ("stranger", {"rival"}),
]


@pytest.mark.parametrize(("principal", "expected"), SEES_INVO)
def test_results_respect_permissions(world: World, principal: str, expected: set[str]) -> None:
    assert found(world, "invo", principal=principal) == expected
    count = search.search(world.room.cast.viewer(principal), "invo").count
    assert count == len(expected)


@pytest.mark.parametrize(("principal", "expected"), SEES_INVO)
def test_capped_count_and_every_page_respect_permissions(
    world: World, principal: str, expected: set[str]
) -> None:
    # Over the cap the count and each page (newest first, one insight a page, past the cap
    # too) are separate walks of the index: neither may reach a row the viewer cannot see.
    viewer = world.room.cast.viewer(principal)
    names = {getattr(world, n).pk: n for n in World.__dataclass_fields__ if n != "room"}
    seen: list[int] = []
    for page in range(1, 10):
        results = search.search(viewer, "invo", page=page, page_size=1, cap=1)
        assert results.count == min(len(expected), 2)
        assert results.order == ("newest" if len(expected) > 1 else "relevance")
        seen += [h.insight.pk for h in results.hits]
        if not results.has_next:
            break
    assert {names.get(pk, f"?{pk}") for pk in seen} == expected
    assert seen == sorted(set(seen), reverse=True)


def test_owen_sees_his_customer_only_also_without_query(world: World) -> None:
    assert found(world, principal="account_owner") == {"late", "contract", "renewal_gina"}


# --- hostile input ----------------------------------------------------------------------------

HOSTILE = [
    '"',
    '""',
    '"unclosed phrase',
    "NEAR(invoice late, 2)",
    "invoice NEAR late",
    "invoice AND OR NOT",
    "*",
    "invoice*",
    "-invoice",
    "text:invoice",
    "tags:billing",
    "{text tags}: invoice",
    "(invoice",
    "invoice)",
    "^invoice",
    "invoice + late",
    "' OR 1=1 --",
    "%_%",
    "\\",
    "\x00",
    "日本語の請求書",
    "Ünïcödé ﬁnance ǅemal",
    "🙂 invoice 🙂",
    "\u0301\u200b\ufeff",
    "x" * 200,
    " ".join(["invoice"] * 60)[:200],
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_never_fail(world: World, text: str) -> None:
    results = search.search(world.room.cast.viewer("admin"), text)
    assert results.count == len(results.hits)


def test_operators_are_words(world: World) -> None:
    assert found(world, "text:invoice ") == set()  # "text" is a word here, not a column
    assert found(world, "-invoice late") == {"late"}  # "-" is not NOT
    assert found(world, "invoice*") == {"late", "email", "renewal_gina"}


def test_a_ten_thousand_character_query_is_refused_clearly(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        search.search(world.room.cast.viewer("admin"), "invoice " * 1250)
    assert exc.value.errors == {"q": ["Keep it to 200 characters or fewer (this has 10,000)."]}


# --- the count cap and the ordering -----------------------------------------------------------


def test_under_the_cap_results_are_ranked_by_relevance(world: World) -> None:
    busy = _capture(world.room, "gina", "issue", "Invoice, invoice, invoice: every invoice", None)
    results = search.search(world.room.cast.viewer("admin"), "invoice ", cap=10)
    assert (results.order, results.capped, results.count) == ("relevance", False, 4)
    assert results.hits[0].insight.pk == busy.pk
    assert results.count_label == "4 results"
    assert results.notes == []


def test_over_the_cap_newest_come_first_and_the_page_says_so(world: World) -> None:
    results = search.search(world.room.cast.viewer("admin"), "invo", cap=2)
    assert (results.order, results.capped, results.count) == ("newest", True, 3)
    assert [h.insight.pk for h in results.hits] == [
        world.renewal_gina.pk,
        world.internal.pk,
        world.email.pk,
        world.late.pk,
    ]
    assert results.count_label == "more than 2"
    assert results.num_pages is None
    assert results.notes == [
        "These words match more than 2 insights, so the newest come first. "
        "Add a word or a filter to rank by relevance."
    ]


def test_pages(world: World) -> None:
    viewer = world.room.cast.viewer("admin")
    first = search.search(viewer, "invo", page_size=3, cap=2)
    second = search.search(viewer, "invo", page=2, page_size=3, cap=2)
    assert [h.insight.pk for h in first.hits] == [
        world.renewal_gina.pk,
        world.internal.pk,
        world.email.pk,
    ]
    assert (first.has_next, first.has_previous) == (True, False)
    assert [h.insight.pk for h in second.hits] == [world.late.pk]
    assert (second.has_next, second.has_previous) == (False, True)
    ranked = search.search(viewer, "invo", page_size=3)
    assert (ranked.count, ranked.num_pages, ranked.has_next) == (4, 2, True)


# --- the index follows the rows ---------------------------------------------------------------


def test_index_follows_updates_and_deletes(world: World) -> None:
    services.update_insight(
        world.room.cast.viewer("facilitator"),
        insight=world.late,
        changes={"text": "The statement arrives three weeks late", "tags": "statements"},
        version=world.late.version,
    )
    world.late.refresh_from_db()
    assert world.late.text == "The statement arrives three weeks late"
    assert found(world, "statement ") == {"late"}
    assert found(world, "statements ") == {"late"}  # the new tag
    assert "late" not in found(world, "invoice ")
    assert found(world, "billing ") == {"email"}  # the old tag is gone
    # A change of status only leaves the index alone, and the row is still found.
    Insight.objects.filter(pk=world.email.pk).update(kind="issue")
    assert found(world, "email ") == {"email"}
    Insight.objects.filter(pk=world.email.pk).delete()
    assert found(world, "email ") == set()
    assert found(world, "invoice ") == {"renewal_gina"}
    assert index.sqlite_index_ok()


def test_the_query_uses_the_indexed_expression() -> None:
    import importlib

    migration = importlib.import_module("traction.insights.migrations.0002_search")
    assert index.PG_VECTOR.format(text="text", tags="tags") == migration.PG_VECTOR


@pytest.mark.skipif(not SQLITE, reason="SQLite query plan")
def test_sqlite_plan_walks_the_matches_not_the_workspace(world: World) -> None:
    captured: list[str] = []

    def explain(execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any) -> Any:
        if "MATCH" in sql and not sql.startswith("EXPLAIN"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                captured.append(" | ".join(str(r[-1]) for r in cursor.fetchall()))
        return execute(sql, params, many, ctx)

    with connection.execute_wrapper(explain):
        search.search(world.room.cast.viewer("admin"), "invoice", filters=Filters(kind="issue"))
        # A scoped viewer's page past the walk (the cap is 1): it walks on to the page.
        search.search(world.room.cast.viewer("observer"), "invo", page=3, page_size=1, cap=1)
    walk, ranked, scoped_walk, newest = captured
    fts = r"SCAN insights_insight_fts VIRTUAL TABLE INDEX \d+:M"
    by_id = "SEARCH insights_insight USING INTEGER PRIMARY KEY (rowid=?)"
    for plan in captured:
        # The FTS table drives every walk: each match's insight is looked up by id, never a
        # scan of the workspace or a list of every match built first.
        assert re.match(fts, plan), plan
        assert plan.index(by_id) > 0, plan
        assert "SCAN insights_insight " not in plan + " ", plan
        assert "LIST SUBQUERY" not in plan.split(by_id)[0], plan
    # Newest first is the index's own order (it walks backwards and stops at the LIMIT): no
    # sort, for the capped walk and for a page past it alike.
    for plan in (walk, scoped_walk, newest):
        assert "USE TEMP B-TREE" not in plan, plan
    # Under the cap the matches (at most the cap) are sorted by their rank.
    assert "USE TEMP B-TREE FOR ORDER BY" in ranked, ranked


def test_a_page_costs_two_queries_whatever_it_shows(
    world: World, django_assert_num_queries: Any
) -> None:
    # The capped walk, then the page's rows (ranked) with session, step and customer; the
    # result shows them without loading more (no query per hit).
    viewer = world.room.cast.viewer("admin")
    with django_assert_num_queries(2):
        results = search.search(viewer, "invo")
        shown = {
            h.insight.pk: (
                h.insight.session.title,
                h.insight.step.title if h.insight.step else None,
                h.insight.customer.name if h.insight.customer else None,
                h.insight.created_at.tzinfo is not None,
                h.insight.internal,
                h.insight.version,
            )
            for h in results.hits
        }
    room = world.room
    assert shown[world.late.pk] == (
        room.session.title,
        room.steps[0].title,
        world.late.customer.name if world.late.customer else "?",
        True,
        False,
        1,
    )
    assert shown[world.internal.pk][2:5] == (None, True, True)
    assert shown[world.renewal_gina.pk][1] is None


def test_results_are_the_models_the_orm_would_load(world: World) -> None:
    # Hits are the ORM's own instances, with every field loaded and their session, step and
    # customer, so they can be saved like any other.
    hits = search.search(world.room.cast.viewer("admin"), "invoice").hits
    assert hits
    fields = [f.attname for f in Insight._meta.concrete_fields]
    for hit in hits:
        loaded = Insight.objects.select_related("session", "step", "customer").get(
            pk=hit.insight.pk
        )
        assert [getattr(hit.insight, f) for f in fields] == [getattr(loaded, f) for f in fields]
        assert hit.insight == loaded
        assert not hit.insight._state.adding
        assert hit.insight._state.db == "default"
        assert hit.insight.session.title == loaded.session.title
        assert hit.insight.session.pk == loaded.session_id
        assert (hit.insight.customer.name if hit.insight.customer else None) == (
            loaded.customer.name if loaded.customer else None
        )
    first = hits[0].insight
    first.tags = "checked"
    first.save(update_fields=["tags"])
    assert Insight.objects.get(pk=first.pk).tags == "checked"


def test_models_with_init_receivers_are_built_by_the_orm(world: World) -> None:
    # Someone listening to post_init (an audit library, a field tracker) still hears of
    # every insight a search builds.
    from django.db.models.signals import post_init

    heard: list[int] = []

    def listen(sender: Any, instance: Insight, **kwargs: Any) -> None:
        heard.append(instance.pk)

    post_init.connect(listen, sender=Insight)
    try:
        hits = search.search(world.room.cast.viewer("admin"), "invoice").hits
    finally:
        post_init.disconnect(listen, sender=Insight)
    assert hits
    assert sorted(heard) == sorted(h.insight.pk for h in hits)


def test_a_search_counts_as_the_permission_check(world: World) -> None:
    from traction.core import permissions

    viewer = world.room.cast.viewer("observer")
    for _ in range(2):
        token = permissions.begin_request()
        found = search.search(viewer, "invoice")
        assert permissions.end_request(token), "the search did not mark the request checked"
    admin = search.search(world.room.cast.viewer("admin"), "invoice")
    assert {h.insight.pk for h in found.hits} < {h.insight.pk for h in admin.hits}
    issues = search.search(
        world.room.cast.viewer("admin"), "invoice", filters=Filters(kind="issue")
    )
    assert {h.insight.kind for h in issues.hits} == {"issue"}


def test_other_databases_match_word_by_word_without_an_index(world: World) -> None:
    # The generic form of the expression (for a vendor without full-text search).
    class Anywhere(fulltext.Matches):
        as_sqlite = as_postgresql = fulltext.Matches.as_sql

    def matching(q: str) -> set[int]:
        return set(Insight.objects.filter(Anywhere(parse(q))).values_list("pk", flat=True))

    assert matching("invoice weeks ") == {world.late.pk}
    assert matching('"first invoice"') == {world.email.pk}
    assert matching("") == set(Insight.objects.values_list("pk", flat=True))


# --- highlighting -----------------------------------------------------------------------------


def test_highlight_escapes_and_marks() -> None:
    html = highlight('<script>alert("invoice")</script> Invoices & more', parse("invoice"))
    assert html == (
        "&lt;script&gt;alert(&quot;<mark>invoice</mark>&quot;)&lt;/script&gt; "
        "<mark>Invoices</mark> &amp; more"
    )
    assert highlight("<b>x</b>", parse("")) == "&lt;b&gt;x&lt;/b&gt;"
    assert highlight("Facturé", parse("facture ")) == "<mark>Facturé</mark>"


def test_roles_without_view_are_refused(world: World) -> None:
    # Every workspace role may view insights; the check still runs (default deny).
    from traction.core.permissions import Viewer

    nobody = Viewer(user=world.room.cast.users["observer"], workspace_id=1, role="nobody")
    with pytest.raises(PermissionDenied):
        search.search(nobody, "invoice")


# --- the page -----------------------------------------------------------------------------------


def _url(cast: Cast, workspace: str = "acme") -> str:
    ws = cast.acme if workspace == "acme" else cast.rival
    return reverse("insights:search", kwargs={"workspace_slug": ws.slug})


def _marks(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def test_page_shows_results_marked_and_escaped(
    world: World, client_for: Callable[[str], Client]
) -> None:
    # (PostgreSQL's parser skips what looks like an HTML tag: the word stands outside it.)
    _capture(world.room, "gina", "issue", '<script>alert("x")</script> Invoice', None)
    response = client_for("facilitator").get(_url(world.room.cast), {"q": "invoice "})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>Invoice</mark>" in html
    assert "<strong>4 results</strong>, most relevant first." in html
    assert sorted(_marks(html)) == ["Invoice", "invoice", "invoice", "invoice"]
    assert html.count('badge-muted" title="Said by an internal participant') == 0
    internal = client_for("facilitator").get(_url(world.room.cast), {"q": "invoicing "})
    assert 'badge-muted" title="Said by an internal participant' in internal.content.decode()


def test_page_without_query_lists_newest_and_links_sessions(
    world: World, client_for: Callable[[str], Client]
) -> None:
    html = client_for("observer").get(_url(world.room.cast)).content.decode()
    assert "<strong>4 results</strong>, newest first." in html
    assert "Renewal" not in html
    assert f"/sessions/{world.room.session.pk}/" in html


def test_htmx_returns_the_results_partial(
    world: World, client_for: Callable[[str], Client]
) -> None:
    response = client_for("admin").get(
        _url(world.room.cast),
        {"q": "renew", "kind": "issue"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert _marks(html) == ["Renewal", "renewal"]


def test_page_empty_states(world: World, client_for: Callable[[str], Client]) -> None:
    html = client_for("admin").get(_url(world.room.cast), {"q": "zebra"}).content.decode()
    assert "No insights match “zebra”" in html
    rival = client_for("stranger").get(_url(world.room.cast, "rival")).content.decode()
    assert "<strong>1 result</strong>" in rival
    Insight.objects.filter(workspace=world.room.cast.rival).delete()
    rival = client_for("stranger").get(_url(world.room.cast, "rival")).content.decode()
    assert "No insights yet." in rival


@pytest.mark.parametrize("text", [*HOSTILE[:-2], "x" * 201, "invoice " * 1250])
def test_page_survives_hostile_queries(
    world: World, client_for: Callable[[str], Client], text: str
) -> None:
    response = client_for("admin").get(_url(world.room.cast), {"q": text})
    if "\x00" in text:  # refused for every route by core.guard: a NUL cannot be stored
        assert response.status_code == 400
        return
    if len(text) > 2_000:  # so is any query parameter past 2,000 characters, named
        assert response.status_code == 400
        assert "The query parameter “q”: Keep it to 2,000 characters" in response.content.decode()
        return
    assert response.status_code == 200
    if len(text) > 200:
        assert "Keep it to 200 characters or fewer" in response.content.decode()


def test_page_filters_and_bad_filter_values(
    world: World, client_for: Callable[[str], Client]
) -> None:
    room = world.room
    client = client_for("admin")
    html = client.get(
        _url(room.cast), {"session": room.session.pk, "step": room.steps[0].pk}
    ).content.decode()
    assert "<strong>2 results</strong>" in html
    assert "Team Blue: 1. Sign the contract" in html
    bad = client.get(_url(room.cast), {"session": "999999", "kind": "nope", "page": "x"})
    assert bad.status_code == 200
    assert "Select a valid choice" in bad.content.decode()
    # Owen (an account owner) may filter by his customers; an observer has no such filter.
    assert 'name="customer"' in client_for("account_owner").get(_url(room.cast)).content.decode()
    assert 'name="customer"' not in client_for("observer").get(_url(room.cast)).content.decode()


def test_stranger_and_anonymous_cannot_open_acme_search(
    world: World, client_for: Callable[[str], Client]
) -> None:
    assert client_for("stranger").get(_url(world.room.cast)).status_code == 404
    assert client_for("anonymous").get(_url(world.room.cast)).status_code == 302


# --- the API ------------------------------------------------------------------------------------

API = "/api/v1/search/insights"


def api_found(world: World, client: Client, **params: Any) -> tuple[set[str], dict[str, Any]]:
    """The names of the world's insights the API finds, and the body."""
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    body = response.json()
    names = {getattr(world, n).pk: n for n in World.__dataclass_fields__ if n != "room"}
    return {names.get(i["id"], f"?{i['id']}") for i in body["items"]}, body


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("admin", {"late", "email", "internal", "renewal_gina"}),
        ("facilitator", {"late", "email", "internal", "renewal_gina"}),
        ("core_team", {"late", "email", "internal"}),
        ("sponsor", {"late", "email", "internal"}),
        ("observer", {"late", "email", "internal"}),
        ("account_owner", {"late", "renewal_gina"}),
        ("stranger", {"rival"}),
    ],
)
def test_api_results_respect_permissions(
    world: World, api_client_for: Callable[[str], Client], principal: str, expected: set[str]
) -> None:
    names, body = api_found(world, api_client_for(principal), q="invo")
    assert names == expected
    assert (body["count"], body["count_capped"], body["has_next"]) == (len(expected), False, False)


def test_api_items_carry_their_attribution(
    world: World, api_client_for: Callable[[str], Client]
) -> None:
    room = world.room
    _, body = api_found(world, api_client_for("core_team"), q='"first invoice"')
    assert body["order"] == "relevance"
    [item] = body["items"]
    created_at = item.pop("created_at")
    assert created_at.startswith(world.email.created_at.date().isoformat())
    assert item == {
        "id": world.email.pk,
        "session_id": room.session.pk,
        "session_title": room.session.title,
        "program_id": room.session.program_id,
        "scenario_id": room.steps[1].scenario_id,
        "step_id": room.steps[1].pk,
        "step_title": room.steps[1].title,
        "kind": "idea",
        "text": "Send the first invoice by email",
        "speaker_name": world.email.speaker_name,
        "internal": False,
        "customer_id": world.email.customer_id,
        "tags": ["billing", "onboarding"],
        "status": "accepted",
    }
    assert world.email.speaker_name
    assert world.email.customer_id
    names, body = api_found(world, api_client_for("core_team"), q="invoicing ")
    assert names == {"internal"}
    assert (body["items"][0]["internal"], body["items"][0]["customer_id"]) == (True, None)


def test_api_filters(world: World, api_client_for: Callable[[str], Client]) -> None:
    room = world.room
    admin = api_client_for("admin")

    def names(**params: Any) -> set[str]:
        return api_found(world, admin, **params)[0]

    assert names(q="invo", customers_only="true") == {"late", "email", "renewal_gina"}
    assert names(q="invo", kind="idea") == {"email"}
    assert names(q="invo", tag="#Billing") == {"late", "email"}
    assert names(q="invo", step_id=room.steps[0].pk) == {"late"}
    assert names(q="invo", session_id=room.session.pk) == {"late", "email", "internal"}
    assert names(q="invo", program_id=room.cast.other_program.pk) == {"renewal_gina"}
    assert names(q="invo", customer_id=world.late.customer_id) == {"late", "renewal_gina"}
    assert names(q="invoice ", include_candidates="true") == {
        "late",
        "email",
        "renewal_gina",
        "candidate",
    }
    assert names(program_id=room.cast.rival_program.pk) == set()  # another workspace's id
    assert names() == {
        "late",
        "email",
        "internal",
        "contract",
        "renewal_gina",
        "renewal_plain",
    }


def test_api_pages_and_order(world: World, api_client_for: Callable[[str], Client]) -> None:
    admin = api_client_for("admin")
    first = api_found(world, admin, page_size=4)[1]
    second = api_found(world, admin, page_size=4, page=2)[1]
    assert (first["order"], first["count"], first["has_next"]) == ("newest", 6, True)
    assert [i["id"] for i in first["items"]] == sorted(
        (i["id"] for i in first["items"]), reverse=True
    )
    assert len(second["items"]) == 2
    assert second["has_next"] is False
    assert api_found(world, admin, page=3, page_size=4)[1]["items"] == []


def test_api_capped_count(
    world: World, api_client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "DEFAULT_CAP", 2)
    monkeypatch.setattr(search.search, "__kwdefaults__", {**search.search.__kwdefaults__, "cap": 2})
    _, body = api_found(world, api_client_for("admin"), q="invo", page_size=3)
    assert (body["count"], body["count_capped"], body["order"], body["has_next"]) == (
        2,
        True,
        "newest",
        True,
    )


@pytest.mark.parametrize("text", HOSTILE)
def test_api_survives_hostile_queries(
    world: World, api_client_for: Callable[[str], Client], text: str
) -> None:
    response = api_client_for("admin").get(API, {"q": text})
    if "\x00" in text:  # not storable text: refused, naming q
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "q"]
        return
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "invoice " * 1250}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"kind": "nope"}, "kind"),
        ({"segment": "huge"}, "segment"),
        ({"program_id": "0"}, "program_id"),
        ({"page": "0"}, "page"),
        ({"page_size": "201"}, "page_size"),
        ({"page": "201", "page_size": "50"}, "page"),  # 10,000 results deep at most
    ],
)
def test_api_refuses_bad_parameters_naming_them(
    world: World, api_client_for: Callable[[str], Client], params: dict[str, str], field: str
) -> None:
    response = api_client_for("admin").get(API, params)
    assert response.status_code == 422, response.content
    assert [e["loc"][-1] for e in response.json()["detail"]] == [field]


def test_api_needs_a_token(world: World) -> None:
    assert Client().get(API, {"q": "invoice"}).status_code == 401


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 triggers")
def test_a_dropped_trigger_is_recreated_after_migrate_and_rows_reindexed(room: Room) -> None:
    from django.core.management import call_command

    fran = room.cast.viewer("facilitator")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {index.FTS_TABLE}_ai")
    assert not index.sqlite_index_ok()
    services.capture_insight(fran, session=room.session, kind="idea", text="Xylophone billing")
    assert search.search(fran, "xylophone").count == 0  # not indexed: the trigger is gone
    call_command("migrate", verbosity=0)
    assert index.sqlite_index_ok()
    assert search.search(fran, "xylophone").count == 1
    assert index.repair_sqlite_index() is False  # nothing left to repair
