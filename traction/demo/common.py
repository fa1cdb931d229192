"""What every demo step shares: the workspace's fixed names, the ``Demo`` being built, and
small helpers for dates (relative to the day the demo is built) and for finding a customer's
contact or an outreach request's account owner among the demo's people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from traction.accounts.models import User, Workspace
from traction.core.permissions import Viewer
from traction.customers.models import Contact, Customer
from traction.programs.models import Program
from traction.sessions.models import OutreachRequest, Session

DEMO_SLUG = "northwind"
DEMO_NAME = "Northwind Software"
DEMO_EMAIL_DOMAIN = "northwind.example"
DEMO_PASSWORD = "traction-demo"  # noqa: S105 -- printed to everyone on purpose: demo only


@dataclass
class Demo:
    """What the steps have built so far; later steps read it and add to it."""

    today: date
    # Everyone's password: the published one, or a random one in production.
    password: str = DEMO_PASSWORD
    workspace: Workspace | None = None
    users: dict[str, User] = field(default_factory=dict)
    viewers: dict[str, Viewer] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    # A demo contact's link to the customer portal, printed by `traction demo`.
    portal_url: str = ""
    portal_contact: str = ""

    def viewer(self, key: str) -> Viewer:
        return self.viewers[key]

    @property
    def viewers_by_id(self) -> dict[int, Viewer]:
        return {v.user_id: v for v in self.viewers.values()}


def months_ahead(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    month_index = day.year * 12 + day.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def at_time(day: date, days: int, hour: int, minute: int = 0) -> datetime:
    """A naive wall-clock time ``days`` after ``day``; services read it in the session's zone."""
    return datetime.combine(day + timedelta(days=days), time(hour, minute))


def contact_of(demo: Demo, customer: str, index: int = 0) -> Contact:
    return list(demo.customers[customer].contacts.order_by("id"))[index]


def owner_of(demo: Demo, request: OutreachRequest) -> Viewer:
    """The account owner who decides ``request``, as a viewer."""
    assert request.account_owner_id is not None
    return demo.viewers_by_id[request.account_owner_id]
