"""The actions area's pages: my actions, an action (status form, timeline), its edit page
with the merge prompt, a debrief's actions with "Add action item", the review of earlier
actions, the room panels, the program section and the navigation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from traction.accounts import services as accounts
from traction.core import clock, navigation, sections
from traction.core.testing.cast import PASSWORD, Cast
from traction.debrief.models import (
    ActionItem,
    ActionStatus,
    Debrief,
    DebriefStatus,
    Recommendation,
)
from traction.debrief.services import actions as services

from .actions_world import approved, make_debrief

UTC = ZoneInfo("UTC")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(NOW) as f:
        yield f


@pytest.fixture
def debrief(cast: Cast) -> Debrief:
    return make_debrief(cast, ends_at=NOW - timedelta(days=3))


@pytest.fixture
def rec(cast: Cast, debrief: Debrief) -> Recommendation:
    return approved(cast, debrief)


def add(cast: Cast, rec: Recommendation, **kw: Any) -> ActionItem:
    values: dict[str, Any] = {
        "recommendation": rec,
        "title": "Ship the one-page approval",
        "owner_id": cast.users["core_team"].pk,
        "due_on": date(2027, 3, 31),
    }
    values.update(kw)
    return services.create_action(cast.viewer("facilitator"), **values)


def url(cast: Cast, name: str, *args: Any) -> str:
    return reverse(f"debrief:{name}", args=[cast.acme.slug, *args])


def test_my_actions_empty_state(cast: Cast, client_for: Callable[[str], Client]) -> None:
    page = client_for("core_team").get(url(cast, "my_actions"))
    assert page.status_code == 200
    assert "You own no open action items." in page.content.decode()


def test_my_actions_groups_and_flags(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client], frozen: Any
) -> None:
    add(cast, rec, title="Due soon", due_on=date(2027, 3, 3))
    add(cast, rec, title="Much later", due_on=date(2027, 5, 3))
    add(
        cast,
        rec,
        title="Sam's, Cora helps",
        owner_id=cast.users["sponsor"].pk,
        contributor_ids=[cast.users["core_team"].pk],
    )
    frozen.advance(days=3)
    html = client_for("core_team").get(url(cast, "my_actions")).content.decode()
    overdue = html.index("Overdue")
    assert overdue < html.index("Due soon") < html.index("Later") < html.index("Much later")
    assert html.index("You help with") < html.index("Sam&#x27;s, Cora helps")


def test_status_form_needs_a_note_and_a_reason_for_blocked(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client]
) -> None:
    action = add(cast, rec)
    client = client_for("core_team")
    page = client.post(
        url(cast, "action_detail", action.pk),
        {"status": "blocked", "note": "Waiting", "reason": "", "version": action.version},
    )
    assert page.status_code == 422
    assert "Say why it is blocked." in page.content.decode()
    # Neither the note nor the reason: both said at once, in the service's (the API's) words.
    page = client.post(
        url(cast, "action_detail", action.pk),
        {"status": "blocked", "note": "", "reason": "", "version": action.version},
    )
    assert page.status_code == 422
    assert page.context["form"].errors == {
        "note": ["Write a short progress note: what happened, and why."],
        "reason": ["Say why it is blocked."],
    }
    page = client.post(
        url(cast, "action_detail", action.pk),
        {"status": "in_progress", "note": "", "version": action.version},
    )
    assert page.status_code == 422
    done = client.post(
        url(cast, "action_detail", action.pk),
        {"status": "in_progress", "note": "Kick-off held", "version": action.version},
    )
    assert done.status_code == 302
    html = client.get(url(cast, "action_detail", action.pk)).content.decode()
    assert "Kick-off held" in html
    assert ActionItem.objects.get(pk=action.pk).status == ActionStatus.IN_PROGRESS


def test_the_status_form_starts_on_the_status_and_a_note_alone_keeps_it(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client]
) -> None:
    """An owner posts how it goes without moving it: the form starts on the action's own
    status (never on "Done"), and the note, marked required, goes onto the timeline."""
    action = add(cast, rec)
    action = services.change_status(cast.viewer("core_team"), action, "in_progress", "Go")
    client = client_for("core_team")
    page = client.get(url(cast, "action_detail", action.pk))
    form = page.context["form"]
    assert form["status"].value() == "in_progress"
    html = page.content.decode()
    assert re.search(r'<option value="in_progress"[^>]*selected', html)
    assert "field-required field-text" in html  # the progress note, marked like the others
    empty = client.post(
        url(cast, "action_detail", action.pk),
        {"status": "in_progress", "note": "", "version": action.version},
    )
    assert empty.context["form"].errors == {
        "note": ["Write a short progress note: what happened, and why."]
    }
    saved = client.post(
        url(cast, "action_detail", action.pk),
        {"status": "in_progress", "note": "Finance agreed", "version": action.version},
        follow=True,
    )
    html = saved.content.decode()
    assert "Your note is on the timeline of “Ship the one-page approval” (still in progress)." in (
        html.replace("&#x27;", "'")
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS
    assert action.done_at is None
    assert list(action.updates.values_list("status", "note"))[-1] == (
        "in_progress",
        "Finance agreed",
    )


def test_an_observer_sees_the_action_but_no_status_form(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client]
) -> None:
    action = add(cast, rec)
    client = client_for("observer")
    html = client.get(url(cast, "action_detail", action.pk)).content.decode()
    assert "Move it along" not in html
    refused = client.post(url(cast, "action_detail", action.pk), {"status": "done", "note": "x"})
    assert refused.status_code == 403


def _opened_form(client: Client, path: str) -> dict[str, Any]:
    """The edit form as the browser would post it back untouched (with its hidden fields)."""
    form = client.get(path).context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = value.isoformat() if isinstance(value, date) else value
    return data


def test_the_edit_page_offers_only_the_fields_both_changed(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client]
) -> None:
    action = add(cast, rec)
    fran = client_for("facilitator")
    path = url(cast, "action_edit", action.pk)
    form = _opened_form(fran, path)
    # Sam saves first: a new title and a new owner.
    services.update_action(
        cast.viewer("sponsor"),
        action=action,
        changes={"title": "Sam's title", "owner_id": cast.users["sponsor"].pk},
        version=action.version,
    )
    # Fran, from the same version: the title and the due date.
    form.update({"title": "Fran's title", "due_on": "2027-04-15"})
    page = fran.post(path, form)
    assert page.status_code == 422
    html = page.content.decode()
    assert "Someone else saved this action while you were editing" in html
    assert [m["name"] for m in page.context["merge"]] == ["title"]
    assert "For each field you both changed" in html
    assert "They also changed owner, which you had not touched" in html
    assert ActionItem.objects.get(pk=action.pk).title == "Sam's title"
    # Saving with the defaults: Fran's title and date, Sam's owner (not reverted).
    again = dict(page.context["form"].data.lists())
    again["keep_title"] = ["mine"]
    assert fran.post(path, again).status_code == 302
    saved = ActionItem.objects.get(pk=action.pk)
    assert (saved.title, saved.owner_id, saved.due_on) == (
        "Fran's title",
        cast.users["sponsor"].pk,
        date(2027, 4, 15),
    )


def test_the_pages_do_not_offer_a_customer_visibility_that_nothing_uses(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client]
) -> None:
    """Review 20 finding 9: customers never see action items, so the forms do not ask
    whether they may; a flag stored through the API stays as it is when the page saves."""
    action = add(cast, rec, customer_visible=True)
    fran = client_for("facilitator")
    path = url(cast, "action_edit", action.pk)
    page = fran.get(path).content.decode()
    assert "customer_visible" not in page
    assert "Customers may see" not in page
    assert (
        "Customers may see" not in fran.get(url(cast, "action_detail", action.pk)).content.decode()
    )
    form = _opened_form(fran, path)
    form["title"] = "Ship the one-page approval now"
    assert fran.post(path, form).status_code == 302
    action.refresh_from_db()
    assert (action.title, action.customer_visible) == ("Ship the one-page approval now", True)


def test_taking_theirs_and_saving_changes_to_other_fields_at_once(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client]
) -> None:
    action = add(cast, rec)
    fran = client_for("facilitator")
    path = url(cast, "action_edit", action.pk)
    form = _opened_form(fran, path)
    services.update_action(
        cast.viewer("sponsor"),
        action=action,
        changes={"title": "Sam's title", "planned_start": date(2027, 3, 10)},
        version=action.version,
    )
    form["due_on"] = "2027-04-15"  # Fran changes only the date: saved with Sam's changes
    saved = fran.post(path, form, follow=True)
    assert "their changes to title and planned start were kept with yours" in saved.content.decode()
    action.refresh_from_db()
    assert (action.title, action.planned_start, action.due_on) == (
        "Sam's title",
        date(2027, 3, 10),
        date(2027, 4, 15),
    )
    # Both change the title: taking theirs keeps Sam's.
    form = _opened_form(fran, path)
    services.update_action(
        cast.viewer("sponsor"), action=action, changes={"title": "Sam again"}, version=None
    )
    form["title"] = "Fran again"
    page = fran.post(path, form)
    again = dict(page.context["form"].data.lists())
    again["keep_title"] = ["theirs"]
    assert fran.post(path, again).status_code == 302
    assert ActionItem.objects.get(pk=action.pk).title == "Sam again"


def test_adding_an_action_on_the_debrief_page(
    cast: Cast,
    rec: Recommendation,
    debrief: Debrief,
    client_for: Callable[[str], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for("core_team")
    page = client.get(url(cast, "debrief_actions", debrief.pk))
    assert "Add action item" in page.content.decode()
    missing = client.post(
        url(cast, "debrief_actions", debrief.pk),
        {"recommendation": rec.pk, "title": "Do it", "owner": cast.users["sponsor"].pk},
    )
    assert missing.status_code == 422
    assert not ActionItem.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(
            url(cast, "debrief_actions", debrief.pk),
            {
                "recommendation": rec.pk,
                "title": "Do it",
                "owner": cast.users["sponsor"].pk,
                "due_on": "2027-03-20",
            },
        )
    assert made.status_code == 302
    action = ActionItem.objects.get()
    assert action.owner_id == cast.users["sponsor"].pk
    assert [m.to for m in mail.outbox] == [["Sam Sponsor <sam@acme.test>"]]
    html = client.get(url(cast, "debrief_actions", debrief.pk)).content.decode()
    assert "Do it" in html
    assert "Time to action" in html


def test_observer_cannot_pick_an_observer_and_gets_no_add_form(
    cast: Cast, rec: Recommendation, debrief: Debrief, client_for: Callable[[str], Client]
) -> None:
    html = client_for("observer").get(url(cast, "debrief_actions", debrief.pk)).content.decode()
    assert "Add action item" not in html
    html = client_for("facilitator").get(url(cast, "debrief_actions", debrief.pk)).content.decode()
    assert "Olive Observer" not in html


def test_review_keeps_redates_and_drops(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client], frozen: Any
) -> None:
    keep = add(cast, rec, title="Keep me")
    redate = add(cast, rec, title="Re-date me")
    drop = add(cast, rec, title="Drop me")
    frozen.advance(days=40)
    later = make_debrief(cast, ends_at=clock.now() - timedelta(hours=1), title="Second")
    client = client_for("core_team")
    page = client.get(url(cast, "review", later.pk)).content.decode()
    assert "Keep me" in page
    assert "Overdue" in page
    # Reached from the room's review panel: the way back leads to the room.
    assert f'href="{url(cast, "room", later.pk)}">← Debrief of Second</a>' in page

    def decide(a: ActionItem, **data: Any) -> Any:
        return client.post(url(cast, "review_decide", later.pk, a.pk), data)

    assert decide(keep, decision="keep", note="", version=keep.version).status_code == 422
    assert decide(keep, decision="keep", note="Still the plan").status_code == 302
    assert decide(drop, decision="drop", note="", reason="").status_code == 422
    assert decide(drop, decision="drop", reason="Superseded").status_code == 302
    # Re-dating needs action.manage: Cora is core team of the program.
    assert decide(redate, decision="redate", due_on="2027-05-01", note="Later").status_code == 302
    assert ActionItem.objects.get(pk=drop.pk).status == ActionStatus.DROPPED
    assert ActionItem.objects.get(pk=redate.pk).due_on == date(2027, 5, 1)
    assert "Kept in the review. Still the plan" in keep.updates.last().note
    assert redate.updates.last().note.startswith("Re-dated from 31 Mar 2027 to 1 May 2027.")
    after = client.get(url(cast, "review", later.pk)).content.decode()
    assert "Drop me</a>" not in after
    assert "Keep me</a>" in after


def test_review_shows_every_missing_answer_at_once(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client], frozen: Any
) -> None:
    redate = add(cast, rec, title="Re-date me")
    frozen.advance(days=40)
    later = make_debrief(cast, ends_at=clock.now() - timedelta(hours=1), title="Second")
    client = client_for("core_team")
    past = (clock.today() - timedelta(days=1)).isoformat()
    response = client.post(
        url(cast, "review_decide", later.pk, redate.pk),
        {"decision": "redate", "due_on": past, "note": "", "version": redate.version},
    )
    assert response.status_code == 422
    form = response.context["rows"][0]["form"]
    assert form.errors == {
        "due_on": ["The due date is in the past: choose a later one."],
        "note": ["Say why it needs a new date."],
    }
    response = client.post(
        url(cast, "review_decide", later.pk, redate.pk),
        {"decision": "drop", "note": "", "reason": "", "version": redate.version},
    )
    assert response.context["rows"][0]["form"].errors == {"reason": ["Say why it is dropped."]}


def test_review_takes_only_the_actions_it_lists_and_none_once_closed(
    cast: Cast,
    rec: Recommendation,
    debrief: Debrief,
    client_for: Callable[[str], Client],
    frozen: Any,
) -> None:
    action = add(cast, rec, title="Keep me")
    frozen.advance(days=40)
    later = make_debrief(cast, ends_at=clock.now() - timedelta(hours=1), title="Second")
    client = client_for("core_team")
    keep = {"decision": "keep", "note": "cross", "version": action.version}
    # Its own debrief's review does not list it (nor would an earlier one's): 404.
    refused = client.post(url(cast, "review_decide", debrief.pk, action.pk), keep)
    assert refused.status_code == 404
    # A closed debrief's review offers no editing.
    Debrief.objects.filter(pk=later.pk).update(status="closed")
    closed = client.post(url(cast, "review_decide", later.pk, action.pk), keep)
    assert closed.status_code == 422
    assert "its review offers no editing" in closed.content.decode()
    page = client.get(url(cast, "review", later.pk)).content.decode()
    assert 'id="review-closed"' in page
    assert "review_decide" not in page
    assert f"/review/{action.pk}/" not in page
    assert not action.updates.filter(note__contains="cross").exists()


def test_the_room_panels_and_program_section(
    cast: Cast, rec: Recommendation, debrief: Debrief, frozen: Any
) -> None:
    action = add(cast, rec, title="Panel action")
    viewer = cast.viewer("facilitator")
    panels = {s["key"]: s for s in sections.for_page("debrief-room", viewer, debrief)}
    assert {"review", "actions"} <= set(panels)
    html = render_to_string(
        panels["actions"]["template"],
        {"section": panels["actions"]["context"], "current_workspace": cast.acme},
    )
    assert "Panel action" in html
    assert "Add an action item" in html
    assert f'href="{url(cast, "debrief_actions", debrief.pk)}#add"' in html
    later = make_debrief(cast, ends_at=NOW + timedelta(days=20), title="Second session")
    review = {s["key"]: s for s in sections.for_page("debrief-room", viewer, later)}["review"]
    html = render_to_string(
        review["template"], {"section": review["context"], "current_workspace": cast.acme}
    )
    assert "Panel action" in html
    assert "Keep, re-date or drop them" in html
    # Closed, its review takes no more choices: the link no longer promises them.
    Debrief.objects.filter(pk=later.pk).update(status=DebriefStatus.CLOSED, closed_at=NOW)
    later.refresh_from_db()
    review = {s["key"]: s for s in sections.for_page("debrief-room", viewer, later)}["review"]
    html = render_to_string(
        review["template"], {"section": review["context"], "current_workspace": cast.acme}
    )
    assert "Keep, re-date or drop them" not in html
    assert f'href="{url(cast, "review", later.pk)}">See the review</a>' in html
    services.change_status(cast.viewer("core_team"), action, "in_progress", "Go")
    program = {s["key"]: s for s in sections.for_page("program", viewer, cast.program)}
    html = render_to_string(
        program["time_to_action"]["template"], {"section": program["time_to_action"]["context"]}
    )
    assert "Decided → first action started" in html
    assert "1 of 1" in html
    # Medians in words, never a Python timedelta; a stage nobody reached is "not yet".
    assert "<td>3 days</td>" in html
    assert "<td>under 1 min</td>" in html
    assert "<td>not yet</td>" in html
    assert "None" not in html
    assert "0:00:00" not in html


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (None, "not yet"),
        (timedelta(seconds=20), "under 1 min"),
        (timedelta(minutes=45, seconds=59), "45 min"),
        (timedelta(hours=5), "5 h"),
        (timedelta(hours=21, minutes=30), "21 h 30 min"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=4, hours=2, minutes=39, seconds=17.03893), "4 days 2 h"),
        (timedelta(days=4, hours=3), "4 days 3 h"),
    ],
)
def test_time_to_action_durations_in_words(delta: timedelta | None, words: str) -> None:
    from traction.debrief.templatetags.debrief_actions import duration

    assert duration(delta) == words


def test_navigation_badge_and_home_step(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client], frozen: Any
) -> None:
    home_url = reverse("accounts:workspace_home", args=[cast.acme.slug])
    assert "open action item" not in client_for("core_team").get(home_url).content.decode()
    add(cast, rec, due_on=date(2027, 3, 2))
    # Open, not overdue yet: the owner's home says so and leads to My actions.
    html = client_for("core_team").get(home_url).content.decode()
    assert "You own 1 open action item from debriefs: move it along" in html
    assert reverse("debrief:my_actions", args=[cast.acme.slug]) in html
    # Not the facilitator's: they own none.
    assert "open action item" not in client_for("facilitator").get(home_url).content.decode()
    add(cast, rec, due_on=date(2027, 3, 3))
    assert "You own 2 open action items from debriefs: move each along" in (
        client_for("core_team").get(home_url).content.decode()
    )
    frozen.advance(days=5)
    items = navigation.items(cast.viewer("core_team"), cast.acme.slug, "debrief:my_actions")
    (mine,) = [i for i in items if i.key == "my_actions"]
    assert mine.badge == 2
    assert mine.current
    home = client_for("core_team").get(reverse("accounts:workspace_home", args=[cast.acme.slug]))
    assert "2 action items overdue." in home.content.decode()
    assert "open action item" not in home.content.decode()  # the overdue step says it


def test_ownerless_is_flagged_on_pages(
    cast: Cast, rec: Recommendation, debrief: Debrief, client_for: Callable[[str], Client]
) -> None:
    action = add(cast, rec)
    accounts.remove_member(cast.viewer("admin"), membership=cast.membership("core_team"))
    for page in (
        url(cast, "my_actions"),
        url(cast, "debrief_actions", debrief.pk),
        url(cast, "action_detail", action.pk),
    ):
        html = client_for("facilitator").get(page).content.decode()
        assert "No owner: Cora Core left the workspace" in html, page


def test_removing_an_owner_says_what_their_actions_become(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client]
) -> None:
    """The admin is told before and after how many open actions the member owns (they will
    need a new owner); the action then reads "No owner (… left …)", and choosing the new
    owner starts on an empty "Choose…", refused beside the field if left so."""
    action = add(cast, rec)
    add(cast, rec, title="Second one")
    done = add(cast, rec, title="Done one")
    services.change_status(cast.viewer("core_team"), done, "done", "Shipped")
    admin = client_for("admin")
    remove = reverse("accounts:member_remove", args=["acme", cast.membership("core_team").pk])
    html = admin.get(remove).content.decode()
    assert "Cora Core owns <strong>2 open action items</strong>" in html
    assert "Need a new owner" in html
    removed = admin.post(remove, {"reason": "Left the company"}, follow=True)
    assert (
        "Cora Core no longer belongs to this workspace. Their 2 open action items now need a "
        "new owner (“Need a new owner” in My actions)."
    ) in removed.content.decode()
    # Someone who owns none: nothing said of actions.
    sponsor = reverse("accounts:member_remove", args=["acme", cast.membership("sponsor").pk])
    assert "open action item" not in admin.get(sponsor).content.decode()

    fran = client_for("facilitator")
    html = fran.get(url(cast, "action_detail", action.pk)).content.decode()
    assert "<dd>No owner (Cora Core left the workspace on 1 Mar 2027)</dd>" in html
    edit = fran.get(url(cast, "action_edit", action.pk))
    html = edit.content.decode()
    assert re.search(r'<option value="" selected>Choose…</option>', html)
    assert edit.context["form"]["owner"].value() is None
    fields = {
        "title": action.title,
        "planned_start": "",
        "due_on": "2027-03-31",
        "note": "",
        "version": action.version + 1,
        "opened": edit.context["form"]["opened"].value(),
    }
    empty = fran.post(url(cast, "action_edit", action.pk), {**fields, "owner": ""})
    assert empty.status_code == 422
    assert empty.context["form"].errors == {"owner": ["Choose the one person accountable for it."]}
    action.refresh_from_db()
    assert action.ownerless_since is not None
    sam = cast.users["sponsor"].pk
    saved = fran.post(url(cast, "action_edit", action.pk), {**fields, "owner": sam})
    assert saved.status_code == 302
    action.refresh_from_db()
    assert (action.owner_id, action.ownerless_since) == (sam, None)


def test_the_review_panel_shows_the_most_urgent_in_constant_queries(
    cast: Cast, rec: Recommendation, frozen: Any, django_assert_num_queries: Any
) -> None:
    from traction.debrief.setup.actions import PANEL_ROWS, review_context

    blocked = add(cast, rec, title="Blocked one", due_on=date(2027, 6, 1))
    services.change_status(cast.viewer("core_team"), blocked, "blocked", "x", reason="Legal")
    for n in range(PANEL_ROWS + 2):
        add(cast, rec, title=f"Action {n}", due_on=date(2027, 3, 10) + timedelta(days=n))
    later = make_debrief(cast, ends_at=NOW + timedelta(days=20), title="Second session")
    viewer = cast.viewer("facilitator")
    frozen.advance(days=12)  # 13 March: actions 0 to 2 are overdue
    with django_assert_num_queries(2):
        context = review_context(viewer, later)
    assert context["total"] == PANEL_ROWS + 3
    titles = [a.title for a in context["actions"]]
    assert len(titles) == PANEL_ROWS
    assert titles[:4] == ["Action 0", "Action 1", "Action 2", "Blocked one"]
    html = render_to_string(
        "debrief/actions/review_panel.html", {"section": context, "current_workspace": cast.acme}
    )
    assert f"The {PANEL_ROWS} most urgent of {PANEL_ROWS + 3}." in html


def test_the_room_shows_both_panels(
    cast: Cast, rec: Recommendation, debrief: Debrief, client_for: Callable[[str], Client]
) -> None:
    add(cast, rec, title="Panel action in the room")
    html = client_for("core_team").get(url(cast, "room", debrief.pk)).content.decode()
    assert "Open actions from earlier debriefs" in html
    assert "Action items and owners" in html
    assert "Panel action in the room" in html
    assert html.index('id="room-review"') < html.index('id="room-actions"')


def test_status_badges_say_the_status_and_what_is_wrong() -> None:
    """The badges every list of actions shows (a filter, one call per row); today is
    1 March 2027."""
    from traction.accounts.models import User
    from traction.debrief.templatetags.debrief_actions import status_badges

    owner = User(full_name="<Ann>", email="ann@example.com")
    late = ActionItem(status=ActionStatus.BLOCKED, due_on=date(2027, 2, 28), owner=owner)
    assert status_badges(late) == (
        '<span class="badge badge-warn">Blocked</span>'
        ' <span class="badge badge-warn">Overdue</span>'
    )
    done = ActionItem(status=ActionStatus.DONE, due_on=date(2027, 2, 28), owner=owner)
    assert status_badges(done) == '<span class="badge badge-ok">Done</span>'
    left = ActionItem(
        status=ActionStatus.OPEN,
        due_on=date(2027, 12, 1),
        owner=owner,
        ownerless_since=datetime(2027, 3, 2, tzinfo=ZoneInfo("UTC")),
    )
    assert status_badges(left) == (
        '<span class="badge">Open</span> <span class="badge badge-warn" data-ownerless>'
        "No owner: &lt;Ann&gt; left the workspace</span>"
    )


def test_the_room_summarises_the_debriefs_actions(
    cast: Cast,
    rec: Recommendation,
    debrief: Debrief,
    frozen: Any,
    django_assert_num_queries: Any,
) -> None:
    """The room's actions panel: counts by state (each a link to the list narrowed to it)
    and the PANEL_ROWS that need attention first (overdue and blocked, then due soonest),
    in the same queries however many there are; done and dropped ones only counted."""
    from traction.debrief.setup.actions import PANEL_ROWS, actions_context

    viewer = cast.viewer("core_team")
    blocked = add(cast, rec, title="Blocked one", due_on=date(2027, 6, 1))
    services.change_status(viewer, blocked, "blocked", "x", reason="Legal")
    done = add(cast, rec, title="Done one", due_on=date(2027, 3, 2))
    services.change_status(viewer, done, "done", "Shipped")
    for n in range(PANEL_ROWS + 2):
        add(cast, rec, title=f"Action {n}", due_on=date(2027, 3, 10) + timedelta(days=n))
    frozen.advance(days=12)  # 13 March: actions 0 to 2 are overdue
    facilitator = cast.viewer("facilitator")
    with django_assert_num_queries(3):
        context = actions_context(facilitator, debrief)
    counts = context["counts"]
    assert counts.total == PANEL_ROWS + 4
    assert {s: n for s, _, n in counts.by_status} == {
        "open": PANEL_ROWS + 2,
        "in_progress": 0,
        "blocked": 1,
        "done": 1,
        "dropped": 0,
    }
    assert counts.overdue == 3
    titles = [a.title for a in context["attention"]]
    assert titles[:4] == ["Action 0", "Action 1", "Action 2", "Blocked one"]
    assert len(titles) == PANEL_ROWS
    assert "Done one" not in titles
    html = render_to_string(
        "debrief/actions/actions_panel.html",
        {"section": context, "current_workspace": cast.acme},
    )
    listed = url(cast, "debrief_actions", debrief.pk)
    assert f'href="{listed}?status=blocked">Blocked <strong>1</strong>' in html
    assert f'href="{listed}?status=overdue">Overdue <strong>3</strong>' in html
    assert f"See all {PANEL_ROWS + 4} action items" in html
    # Each row's link (the base reversed once, then the id) is the action's page.
    for a in context["attention"]:
        assert f'href="{url(cast, "action_detail", a.pk)}"' in html
    assert f"{PANEL_ROWS} of {PANEL_ROWS + 4}" in html
    # The same queries for one action.
    other = make_debrief(cast, ends_at=NOW - timedelta(days=2), title="Other session")
    add(cast, approved(cast, other), title="Only one")
    with django_assert_num_queries(3):
        single = actions_context(facilitator, other)
    assert [a.title for a in single["attention"]] == ["Only one"]


def test_the_room_actions_panel_empty_states(
    cast: Cast, debrief: Debrief, client_for: Callable[[str], Client]
) -> None:
    client = client_for("core_team")
    html = client.get(url(cast, "room", debrief.pk)).content.decode()
    assert "No approved recommendation in this debrief yet." in html
    rec = approved(cast, debrief)
    html = client.get(url(cast, "room", debrief.pk)).content.decode()
    assert "No action items yet" in html
    assert "Add an action item" in html
    done = add(cast, rec, title="All done")
    services.change_status(cast.viewer("core_team"), done, "done", "Shipped")
    html = client.get(url(cast, "room", debrief.pk)).content.decode()
    assert "Nothing open: every action item is done or dropped." in html
    assert "See the action item<" in html  # not "See all 1 action item"
    assert "See all" not in html


def test_the_debriefs_actions_page_lists_every_action_a_page_at_a_time(
    cast: Cast,
    rec: Recommendation,
    debrief: Debrief,
    client_for: Callable[[str], Client],
    frozen: Any,
) -> None:
    from traction.debrief.views.actions import ACTIONS_PAGE

    viewer = cast.viewer("core_team")
    for n in range(ACTIONS_PAGE + 3):
        add(cast, rec, title=f"Listed {n:03}", due_on=date(2027, 3, 10) + timedelta(days=n))
    blocked = add(cast, rec, title="Stuck one", due_on=date(2028, 1, 1))
    services.change_status(viewer, blocked, "blocked", "x", reason="Waiting for legal")
    frozen.advance(days=11)  # 12 March: Listed 000 and 001 are overdue
    client = client_for("observer")
    first = client.get(url(cast, "debrief_actions", debrief.pk)).content.decode()
    assert "Listed 000" in first
    assert f"Listed {ACTIONS_PAGE - 1:03}" in first
    assert f"Listed {ACTIONS_PAGE:03}" not in first
    assert f"Page 1 of 2 ({ACTIONS_PAGE + 4} in all)" in first
    second = client.get(url(cast, "debrief_actions", debrief.pk) + "?page=2").content.decode()
    assert f"Listed {ACTIONS_PAGE + 2:03}" in second
    assert "Stuck one" in second
    assert "Waiting for legal" in second
    overdue = client.get(url(cast, "debrief_actions", debrief.pk) + "?status=overdue")
    html = overdue.content.decode()
    assert "Listed 000" in html
    assert "Listed 001" in html
    assert "Listed 002" not in html
    assert 'aria-current="true">Overdue <strong>2</strong>' in html
    blocked_only = client.get(url(cast, "debrief_actions", debrief.pk) + "?status=blocked")
    assert "Stuck one" in blocked_only.content.decode()
    assert "Listed 000" not in blocked_only.content.decode()
    dropped = client.get(url(cast, "debrief_actions", debrief.pk) + "?status=dropped")
    assert "No action item is in this state." in dropped.content.decode()
    # An unknown state lists them all.
    unknown = client.get(url(cast, "debrief_actions", debrief.pk) + "?status=bogus")
    assert f"Page 1 of 2 ({ACTIONS_PAGE + 4} in all)" in unknown.content.decode()


def test_the_decide_page_says_a_revisit_drops_the_open_actions(
    cast: Cast, rec: Recommendation, debrief: Debrief, client_for: Callable[[str], Client]
) -> None:
    add(cast, rec, title="First")
    add(cast, rec, title="Second")
    sam = client_for("sponsor")
    decide = url(cast, "recommendation_decide", debrief.pk, rec.pk)
    html = sam.get(decide).content.decode()
    assert "its 2 open action items will be dropped, with your reason on their timelines" in html
    rec.refresh_from_db()
    done = sam.post(decide, {"outcome": "rejected", "reason": "No budget", "version": rec.version})
    assert done.status_code == 302
    assert set(ActionItem.objects.values_list("status", flat=True)) == {ActionStatus.DROPPED}
    assert "will be dropped" not in sam.get(decide).content.decode()  # not approved any more


@pytest.mark.parametrize("role", ["core_team", "facilitator", "observer"])
def test_the_review_page_decides_its_buttons_in_constant_queries(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client], frozen: Any, role: str
) -> None:
    """The review page asks action.update and action.manage for all its rows at once: the
    same number of queries with 3 rows as with 30 (a full page of 25), and the same buttons
    as permissions.can gives row by row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from traction.core import permissions

    owner = cast.users["core_team"]
    later = make_debrief(cast, ends_at=NOW + timedelta(days=60), title="Second")
    client = client_for(role)

    def counted() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as seen:
            page = client.get(url(cast, "review", later.pk))
        assert page.status_code == 200
        return len(seen.captured_queries), page.content.decode()

    for n in range(3):
        add(cast, rec, title=f"Few {n}", owner_id=owner.pk)
    few, html = counted()
    assert "Few 0" in html
    for n in range(27):
        add(cast, rec, title=f"Many {n}", owner_id=owner.pk)
    many, html = counted()
    assert few == many, (few, many)
    # The same answers as asked one by one.
    from traction.debrief import selectors_actions as selectors
    from traction.debrief.views.actions import _review_context

    viewer = cast.viewer(role)
    context = _review_context(viewer, later, {})
    assert len(context["rows"]) == 25
    for row in context["rows"]:
        assert row["can_update"] == permissions.can(viewer, "action.update", row["action"])
        assert row["can_manage"] == permissions.can(viewer, "action.manage", row["action"])
    assert selectors.allowed_ids(viewer, "action.update", []) == set()


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("Europe/Berlin", "1 Mar 2027, 10:00"), ("America/New_York", "1 Mar 2027, 04:00")],
)
def test_the_timeline_shows_times_in_the_workspace_zone_and_names_it(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client], zone: str, shown: str
) -> None:
    """09:00 UTC, the frozen now, written out by hand for each zone (winter time in both)."""
    cast.acme.time_zone = zone
    cast.acme.save(update_fields=["time_zone"])
    action = add(cast, rec)
    html = client_for("core_team").get(url(cast, "action_detail", action.pk)).content.decode()
    assert f"times in {zone}" in html
    assert shown in html
    assert "1 Mar 2027, 09:00" not in html


def test_the_timeline_says_each_due_date_once(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client]
) -> None:
    # The notes the service writes name the new due date; the entry does not repeat it. A
    # note that does not (typed through the API at creation) gets the date beside it.
    action = add(cast, rec)
    services.update_action(
        cast.viewer("facilitator"),
        action=action,
        changes={"due_on": date(2027, 4, 15)},
        note="The vendor is late.",
    )
    other = add(cast, rec, title="Call the vendor", note="Agreed in the room.")
    page = client_for("core_team").get(url(cast, "action_detail", action.pk)).content.decode()
    entries = re.findall(r"<li><strong>.*?</li>", page[page.index('id="timeline"') :], re.S)
    texts = [" ".join(re.sub(r"<[^>]+>", " ", e).split()) for e in entries]
    assert texts[0].endswith("Created for Cora Core, due 31 Mar 2027.")
    assert texts[0].count("31 Mar 2027") == 1
    assert texts[1].endswith("Re-dated from 31 Mar 2027 to 15 Apr 2027. The vendor is late.")
    assert texts[1].count("15 Apr 2027") == 1
    page = client_for("core_team").get(url(cast, "action_detail", other.pk)).content.decode()
    words = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Agreed in the room. (due 31 Mar 2027)" in words


def test_an_owner_outside_the_program_gets_no_link_to_a_debrief_they_may_not_see(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client]
) -> None:
    action = add(cast, rec, owner_id=cast.users["account_owner"].pk)
    debrief_actions = url(cast, "debrief_actions", rec.debrief_id)
    owen = client_for("account_owner")
    assert owen.get(debrief_actions).status_code == 404
    page = owen.get(url(cast, "action_detail", action.pk)).content.decode()
    assert "My actions" in page
    assert debrief_actions not in page
    page = client_for("facilitator").get(url(cast, "action_detail", action.pk)).content.decode()
    assert debrief_actions in page


def _add_members(cast: Cast, n: int, name: str) -> list[Any]:
    made = []
    for i in range(n):
        user = accounts.create_user(
            email=f"{name.lower().replace(' ', '.')}{i}@acme.test",
            full_name=f"{name} {i:03d}",
            password=PASSWORD,
        )
        accounts.add_member(None, workspace=cast.acme, user=user, role="core_team")
        made.append(user)
    return made


def _options(html: str, name: str) -> list[int]:
    form = html.split('id="add"')[1]
    if name == "owner":
        part = form.split('name="owner"')[1].split("</select>")[0]
    else:
        part = form.split('name="owner"')[1].split("</select>")[1].split("</fieldset>")[0]
        return [int(v) for v in re.findall(r'name="contributors" value="(\d+)"', part)]
    return [int(v) for v in re.findall(r'<option value="(\d+)"', part)]


def test_the_add_form_lists_the_first_members_and_the_chosen_in_the_same_queries(
    cast: Cast,
    rec: Recommendation,
    debrief: Debrief,
    client_for: Callable[[str], Client],
    django_assert_num_queries: Any,
) -> None:
    client = client_for("facilitator")
    page = url(cast, "debrief_actions", debrief.pk)
    client.get(page)
    with CaptureQueriesContext(connection) as seen:
        small = client.get(page).content.decode()
    assert cast.users["core_team"].pk in _options(small, "owner")
    assert "Only the first" not in small
    made = _add_members(cast, 40, "Zed")  # after every cast member by name
    with django_assert_num_queries(len(seen)):
        large = client.get(page).content.decode()
    assert len(_options(large, "owner")) == 30
    assert len(_options(large, "contributors")) == 30
    assert "Only the first 30 members by name are listed below" in large
    # "Find" reloads by GET keeping the answers; the chosen owner and the ticked
    # contributors are offered wherever they fall (one more query, whatever their number).
    with CaptureQueriesContext(connection) as one:
        client.get(page, {"owner": made[0].pk, "owner_q": ""})
    with django_assert_num_queries(len(one)):
        found = client.get(
            page,
            {
                "recommendation": rec.pk,
                "title": "Kept title",
                "owner": made[-1].pk,
                "contributors": [made[-2].pk, made[-3].pk],
                "due_on": "2027-03-20",
                "owner_q": "zed 00",
            },
        )
    html = found.content.decode()
    assert found.status_code == 200
    assert sorted(_options(html, "owner")) == sorted(u.pk for u in [*made[:10], *made[-3:]])
    assert f'<option value="{made[-1].pk}" selected>' in html
    assert 'value="Kept title"' in html
    assert 'value="2027-03-20"' in html
    for ticked in (made[-2], made[-3]):
        assert re.search(rf'name="contributors" value="{ticked.pk}"[^>]*checked', html)
    # Saving takes an owner past the first 30.
    made_ok = client.post(
        page,
        {
            "recommendation": rec.pk,
            "title": "Far down the list",
            "owner": made[-1].pk,
            "contributors": [made[-2].pk],
            "due_on": "2027-03-20",
        },
    )
    assert made_ok.status_code == 302
    action = ActionItem.objects.get()
    assert (action.owner_id, list(action.contributors.values_list("pk", flat=True))) == (
        made[-1].pk,
        [made[-2].pk],
    )


def _answers(page: Any) -> dict[str, Any]:
    """A page's edit form as the browser would send it back (its hidden fields too)."""
    form = page.context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = value.isoformat() if isinstance(value, date) else value
    return data


def test_the_edit_page_lists_the_first_members_and_find_keeps_what_the_merge_compares(
    cast: Cast,
    rec: Recommendation,
    client_for: Callable[[str], Client],
    django_assert_num_queries: Any,
) -> None:
    action = add(cast, rec)
    fran = client_for("facilitator")
    path = url(cast, "action_edit", action.pk)
    fran.get(path)
    with CaptureQueriesContext(connection) as seen:
        small = fran.get(path).content.decode()
    assert "Only the first" not in small
    made = _add_members(cast, 40, "Zed")
    with django_assert_num_queries(len(seen)):
        large = fran.get(path).content.decode()
    owners = re.findall(
        r'<option value="(\d+)"', large.split('name="owner"')[1].split("</select>")[0]
    )
    assert len(owners) == 31  # the first 30 by name and the owner (saved, wherever it falls)
    assert str(made[-1].pk) not in owners
    assert "Only the first 30 members by name are listed below" in large
    form = _answers(fran.get(path))
    # Sam saves a new title meanwhile; Fran then finds a member far down the list.
    services.update_action(
        cast.viewer("sponsor"), action=action, changes={"title": "Sam's title"}, version=None
    )
    form.update({"title": "Fran's title", "owner": made[-1].pk, "contributors": [made[0].pk]})
    reloaded = fran.get(path, {**form, "owner_q": "zed 03"})
    html = reloaded.content.decode()
    assert reloaded.status_code == 200
    owners = re.findall(
        r'<option value="(\d+)"', html.split('name="owner"')[1].split("</select>")[0]
    )
    assert sorted(int(o) for o in owners) == sorted(
        [*(u.pk for u in made[30:40]), made[0].pk, cast.users["core_team"].pk]
    )
    assert f'<option value="{made[-1].pk}" selected>' in html
    assert 'value="Fran&#x27;s title"' in html
    # The version and opened values the reload carried are kept: the merge still sees that
    # both changed the title, and keeps Fran's owner.
    again = _answers(reloaded)
    assert (str(again["version"]), again["opened"]) == (str(form["version"]), form["opened"])
    page = fran.post(path, again)
    assert page.status_code == 422
    assert [m["name"] for m in page.context["merge"]] == ["title"]
    back = dict(page.context["form"].data.lists())
    back["keep_title"] = ["mine"]
    assert fran.post(path, back).status_code == 302
    action.refresh_from_db()
    assert (action.title, action.owner_id) == ("Fran's title", made[-1].pk)
    assert list(action.contributors.values_list("pk", flat=True)) == [made[0].pk]


def test_find_and_the_add_form_keep_the_lists_state_and_page(
    cast: Cast,
    rec: Recommendation,
    debrief: Debrief,
    client_for: Callable[[str], Client],
) -> None:
    """The add form's "Find a member" (a GET of the form) and its save kept neither the state
    filter nor the page of the list above it: both are carried now."""
    from traction.debrief.views.actions import ACTIONS_PAGE

    for n in range(ACTIONS_PAGE + 3):
        add(cast, rec, title=f"Listed {n:03}", due_on=date(2027, 3, 10) + timedelta(days=n))
    client = client_for("facilitator")
    page = url(cast, "debrief_actions", debrief.pk)
    listed = client.get(page, {"status": "open", "page": "2"}).content.decode()
    assert '<input type="hidden" name="status" value="open">' in listed
    assert '<input type="hidden" name="page" value="2">' in listed
    # What the Find button sends: the add form's fields, by GET.
    found = client.get(page, {"status": "open", "page": "2", "title": "Kept", "owner_q": "core"})
    assert found.context["status"] == "open"
    assert found.context["page"].number == 2
    assert f"Listed {ACTIONS_PAGE + 2:03}" in found.content.decode()
    assert 'value="Kept"' in found.content.decode()
    # A refused save keeps them too; a saved one goes back to them.
    form = {"recommendation": rec.pk, "title": "", "owner": cast.users["core_team"].pk,
            "due_on": "2027-03-20", "status": "open", "page": "2"}  # fmt: skip
    refused = client.post(page, form)
    assert refused.status_code == 422
    assert refused.context["status"] == "open"
    assert refused.context["page"].number == 2
    saved = client.post(page, {**form, "title": "A new one"})
    assert saved.status_code == 302
    assert saved["Location"] == f"{page}?status=open&page=2"
    # An unknown state or page is dropped, as the list's links drop it.
    odd = client.get(page, {"status": "bogus", "page": "x", "owner_q": ""})
    assert odd.context["status"] == ""
    assert odd.context["page"].number == 1


def test_review_shows_what_was_recorded_for_each_action(
    cast: Cast, rec: Recommendation, client_for: Callable[[str], Client], frozen: Any
) -> None:
    """A kept or re-dated action stays on the review: the page says what was recorded for it
    since the session ended (also once the debrief is closed, whose review "is kept as it
    was"), so the team sees which ones are done; one not yet reviewed says nothing."""
    keep = add(cast, rec, title="Keep me")
    other = add(cast, rec, title="Not yet")
    frozen.advance(days=40)
    later = make_debrief(cast, ends_at=clock.now() - timedelta(hours=1), title="Second")
    client = client_for("core_team")
    done = client.post(
        url(cast, "review_decide", later.pk, keep.pk), {"decision": "keep", "note": "On track"}
    )
    assert done.status_code == 302
    page = client.get(url(cast, "review", later.pk)).content.decode()
    recorded = page.split(f'id="recorded-{keep.pk}"')[1].split("</p>")[0]
    assert "Kept in the review. On track" in recorded
    assert "Cora" in recorded
    assert f'id="recorded-{other.pk}"' not in page
    Debrief.objects.filter(pk=later.pk).update(status=DebriefStatus.CLOSED, closed_at=clock.now())
    closed = client.get(url(cast, "review", later.pk)).content.decode()
    assert "Kept in the review. On track" in closed
