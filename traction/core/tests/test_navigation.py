"""The navigation the apps register (core.navigation), the home figures and sections, and the
template tag that asks the policy: what each role sees, and which tab a page marks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from traction.core import dashboard, navigation, sections
from traction.sessions import selectors as session_services_selectors
from traction.sessions import services as session_services

EVERYONE = ["programs", "sessions", "search", "debriefs"]


@pytest.fixture
def session(cast):
    start = (timezone.now() + timedelta(days=30)).replace(tzinfo=None, microsecond=0)
    return session_services.plan_session(
        cast.viewer("facilitator"),
        program=cast.program,
        title="Onboarding co-design",
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        time_zone="Europe/Berlin",
    )


@pytest.mark.parametrize(
    ("principal", "keys"),
    [
        (
            "admin",
            [*EVERYONE, "my_actions", "customers", "members", "webhooks", "audit", "settings"],
        ),
        ("facilitator", [*EVERYONE, "my_actions", "customers", "members"]),
        ("core_team", [*EVERYONE, "my_actions", "members"]),
        ("sponsor", [*EVERYONE, "my_actions", "members"]),
        # Deciding outreach is the account owner's duty: Approvals stays even when empty.
        ("account_owner", [*EVERYONE, "my_actions", "customers", "approvals", "members"]),
        # Observers own no action items: "My actions" is not theirs.
        ("observer", [*EVERYONE, "members"]),
    ],
)
def test_each_role_sees_the_entries_its_rules_allow(cast, principal, keys):
    items = navigation.items(cast.viewer(principal), "acme", None)
    assert [i.key for i in items] == keys
    assert not any(i.current for i in items)


def test_an_entry_links_to_its_page_in_the_viewers_workspace(cast):
    items = {i.key: i for i in navigation.items(cast.viewer("admin"), "acme", None)}
    assert items["programs"] == navigation.Item(
        key="programs",
        label="Programs",
        url=reverse("programs:list", args=["acme"]),
        current=False,
        badge=None,
        badge_label="",
    )
    assert items["audit"].url == "/w/acme/audit/"


def test_the_registry_is_ordered_and_names_each_apps_pages():
    assert [(e.key, e.url_name) for e in navigation.entries()] == [
        ("programs", "programs:list"),
        ("sessions", "sessions:list"),
        ("search", "insights:search"),
        ("debriefs", "debrief:list"),
        ("my_actions", "debrief:my_actions"),
        ("customers", "customers:list"),
        ("approvals", "sessions:approvals"),
        ("members", "accounts:members"),
        ("webhooks", "webhooks:list"),
        ("audit", "accounts:audit_log"),
        ("settings", "accounts:workspace_settings"),
    ]


@pytest.mark.parametrize(
    ("view_name", "current"),
    [
        ("programs:detail", "programs"),
        ("sessions:list", "sessions"),
        ("sessions:detail", "sessions"),
        ("sessions:outreach_new", "sessions"),
        # The outreach pages an owner reaches from Approvals: Approvals, not Sessions.
        ("sessions:approvals", "approvals"),
        ("sessions:outreach_detail", "approvals"),
        ("sessions:outreach_decide", "approvals"),
        ("sessions:outreach_waive", "approvals"),
        ("sessions:outreach_withdraw", "approvals"),
        ("insights:search", "search"),
        ("insights:board", None),
        ("customers:contact_edit", "customers"),
        ("accounts:member_invite", "members"),
        ("accounts:audit_log", "audit"),
        ("accounts:workspace_settings", "settings"),
        ("accounts:notices", None),
        ("accounts:workspace_home", None),
        (None, None),
    ],
)
def test_the_most_precise_pattern_marks_the_current_entry(view_name, current):
    assert navigation.current_entry(view_name) == current


def test_approvals_shows_to_another_role_only_while_a_request_waits_or_on_its_pages(cast, session):
    sponsor = cast.viewer("sponsor")
    assert "approvals" not in [i.key for i in navigation.items(sponsor, "acme", None)]
    on_page = navigation.items(sponsor, "acme", "sessions:approvals")
    assert [(i.key, i.current) for i in on_page if i.current] == [("approvals", True)]

    # Fran asks Owen (Globex's owner) to approve inviting Gina: one request waits for him.
    session_services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )
    owner = {i.key: i for i in navigation.items(cast.viewer("account_owner"), "acme", None)}
    assert (owner["approvals"].badge, owner["approvals"].badge_label) == (1, "waiting")


def test_the_approvals_page_marks_approvals_and_only_it(cast, client_for):
    page = client_for("account_owner").get(reverse("sessions:approvals", args=["acme"]))
    text = page.content.decode()
    approvals = reverse("sessions:approvals", args=["acme"])
    sessions_url = reverse("sessions:list", args=["acme"])
    assert f'<li><a href="{approvals}" aria-current="page">Approvals</a></li>' in text
    assert f'<li><a href="{sessions_url}">Sessions</a></li>' in text
    assert text.count('aria-current="page"') == 1


def test_the_badges_and_unread_notices_are_counted_in_one_query(cast, session, client_for):
    """Every page's navigation counts its badges (figures registered with their rows) and the
    unread notices together: one query, whatever their number, each count its own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from traction.accounts.models import Notice
    from traction.programs.models import Program

    owner = cast.viewer("account_owner")
    session_services.request_outreach(
        cast.viewer("facilitator"), session=session, contact=cast.contact
    )  # one request waits for Owen (and tells him in a notice)
    assert Notice.objects.filter(user_id=owner.user_id).open().count() == 1
    with CaptureQueriesContext(connection) as queries:
        counts = dashboard.counts(
            owner,
            [*navigation.badges(owner), "no_such_figure"],
            also={"programs": Program.objects.filter(workspace_id=owner.workspace_id)},
        )
    assert counts == {
        "my_overdue_actions": 0,
        "pending_approvals": 1,
        "loop_pending_approvals": 0,  # added to Approvals' badge by the loop
        "no_such_figure": None,
        "programs": Program.objects.filter(workspace_id=owner.workspace_id).count(),
    }
    assert len(queries) == 1
    assert dashboard.count_together({}) == {}
    # The badge counts what the Approvals page lists as waiting for Owen.
    assert counts["pending_approvals"] == len(
        session_services_selectors.outreach_requests(owner, mine=True, status="pending")
    )
    # An observer's role may decide no outreach: that badge is not theirs (None), not 0.
    observer = cast.viewer("observer")
    assert dashboard.counts(observer, ["pending_approvals"]) == {"pending_approvals": None}
    # The page: Approvals shows its badge and the Notices link its count, from that query.
    with CaptureQueriesContext(connection) as queries:
        text = client_for("account_owner").get(reverse("sessions:approvals", args=["acme"]))
    text = text.content.decode()
    assert '<span class="count" aria-label="1 unread">1</span>' in text
    counted = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert sum('"accounts_notice"' in sql for sql in counted) == 1


def test_a_figure_has_a_count_or_rows():
    with pytest.raises(ValueError, match="either count or rows"):
        dashboard.register("broken", action="program.view")
    with pytest.raises(ValueError, match="either count or rows"):
        dashboard.register("broken", action="program.view", count=lambda v: 0, rows=lambda v: None)


# --- home figures and sections ---------------------------------------------------------------


def test_the_home_cards_are_the_figures_the_viewer_may_see(cast):
    for principal, cards in [
        ("admin", [("programs", 2, "program"), ("customers", 2, "customer")]),
        ("observer", [("programs", 1, "program")]),
    ]:
        counts = dashboard.figures(cast.viewer(principal))
        found = dashboard.cards("acme", counts)
        assert [(c.key, c.count, c.label) for c in found] == cards
    assert found[0].url == "/w/acme/programs/"


def test_the_home_steps_are_the_sections_each_role_may_see(cast):
    def keys(principal: str) -> list[str]:
        viewer = cast.viewer(principal)
        home = dashboard.Home(workspace_slug="acme", counts=dashboard.figures(viewer))
        return [s["key"] for s in sections.for_page("home", viewer, home)]

    # (The debriefs', actions', approvals' and plan's steps say only what waits: nothing here.)
    assert keys("admin") == [
        "programs",
        "customers",
        "members",
        "debriefs",
        "sessions",
        "debrief_actions",
        "loop_approvals",
        "loop_plan_overdue",
    ]
    assert keys("facilitator") == [
        "programs",
        "customers",
        "debriefs",
        "sessions",
        "debrief_actions",
        "loop_approvals",
        "loop_plan_overdue",
    ]
    assert keys("observer") == [
        "programs",
        "debriefs",
        "sessions",
        "debrief_actions",
        "loop_approvals",
        "loop_plan_overdue",
    ]


# --- asking the policy from a template -------------------------------------------------------


def render(source: str, **context: object) -> str:
    return Template("{% load traction_ui %}" + source).render(Context(context)).strip()


def test_the_can_tag_asks_the_policy_for_the_pages_viewer(cast):
    tag = '{% can "member.manage" as may %}{{ may|yesno:"yes,no" }}'
    assert render(tag, viewer=cast.viewer("admin")) == "yes"
    assert render(tag, viewer=cast.viewer("facilitator")) == "no"
    assert render(tag) == "no"  # no one signed in: a sign-in page, an error page


def test_the_can_tag_asks_about_one_object(cast):
    tag = '{% can "customer.change" customer as may %}{{ may|yesno:"yes,no" }}'
    owner = cast.viewer("account_owner")
    assert render(tag, viewer=owner, customer=cast.customer) == "yes"  # Globex, Owen's
    assert render(tag, viewer=owner, customer=cast.other_customer) == "no"
    assert render(tag, viewer=owner, customer=cast.rival_customer) == "no"


def test_asking_the_tag_is_not_a_permission_check(cast):
    from traction.core import permissions

    token = permissions.begin_request()
    render('{% can "member.manage" as may %}', viewer=cast.viewer("admin"))
    assert permissions.end_request(token) is False
