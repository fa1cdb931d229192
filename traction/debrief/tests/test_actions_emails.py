"""What owners hear, through a real SMTP server on loopback: the "you own this" email (text
and HTML, with the link to the action) and the reminders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from tests.email.conftest import SmtpServer, smtp_server  # noqa: F401 - the fixture
from traction.core import clock
from traction.core.testing.cast import Cast
from traction.debrief.models import Recommendation
from traction.debrief.services import actions as services

from .actions_world import approved, make_debrief

UTC = ZoneInfo("UTC")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(NOW) as f:
        yield f


@pytest.fixture
def rec(cast: Cast, frozen: Any) -> Recommendation:
    return approved(cast, make_debrief(cast, ends_at=NOW - timedelta(days=3)))


def test_owner_and_contributors_are_emailed_with_a_link(
    cast: Cast,
    rec: Recommendation,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        action = services.create_action(
            cast.viewer("facilitator"),
            recommendation=rec,
            title="Ship the one-page approval",
            owner_id=cast.users["core_team"].pk,
            contributor_ids=[cast.users["sponsor"].pk],
            due_on=date(2027, 3, 31),
        )
    (owner_mail,) = smtp_server.to("cora@acme.test")
    (helper_mail,) = smtp_server.to("sam@acme.test")
    assert len(smtp_server.messages) == 2
    assert owner_mail.subject == "You own an action: Ship the one-page approval (due 31 Mar 2027)"
    assert helper_mail.subject.startswith("You contribute to an action:")
    link = f"{settings.TRACTION_SITE_URL.rstrip('/')}/w/acme/debriefs/actions/{action.pk}/"
    assert link in owner_mail.body
    assert "accountable owner" in owner_mail.body
    assert "One-page invoice approval" in owner_mail.body
    html = owner_mail.message.get_body(preferencelist=("html",))
    assert html is not None
    assert f'href="{link}"' in html.get_content()
    # A new owner hears of it; the old one gets nothing more.
    smtp_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.reassign(
            cast.viewer("facilitator"), action=action, owner_id=cast.users["admin"].pk
        )
    assert [m.rcpt_tos for m in smtp_server.messages] == [["alice@acme.test"]]


def test_reminders_reach_the_owner_once(
    cast: Cast,
    rec: Recommendation,
    frozen: clock.FrozenClock,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    services.create_action(
        cast.viewer("facilitator"),
        recommendation=rec,
        title="Ship it",
        owner_id=cast.users["core_team"].pk,
        due_on=date(2027, 3, 5),
    )
    frozen.advance(days=2)  # 3 March: due in two days
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.send_reminders()
    (due_soon,) = smtp_server.messages
    assert due_soon.rcpt_tos == ["cora@acme.test"]
    assert due_soon.subject == "Due in 2 days: Ship it"
    assert "is due in 2 days (Friday 5 March 2027)" in due_soon.body
    frozen.advance(days=3)  # 6 March: overdue
    with django_capture_on_commit_callbacks(execute=True):
        services.send_reminders()
    overdue = smtp_server.messages[-1]
    assert overdue.subject == "Overdue since 5 Mar 2027: Ship it"
    assert len(smtp_server.messages) == 2


def test_the_text_part_shows_ampersands_and_apostrophes_as_typed(
    cast: Cast,
    rec: Recommendation,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    title = "Q&A with O'Brien's team <tier 2>"
    with django_capture_on_commit_callbacks(execute=True):
        services.create_action(
            cast.viewer("facilitator"),
            recommendation=rec,
            title=title,
            owner_id=cast.users["core_team"].pk,
            due_on=date(2027, 3, 31),
        )
    (owner_mail,) = smtp_server.to("cora@acme.test")
    text = owner_mail.message.get_body(preferencelist=("plain",))
    assert text is not None
    assert title in text.get_content()  # not "Q&amp;A with O&#x27;Brien&#x27;s"
    html = owner_mail.message.get_body(preferencelist=("html",))
    assert html is not None
    assert "Q&amp;A with O&#x27;Brien&#x27;s team &lt;tier 2&gt;" in html.get_content()
