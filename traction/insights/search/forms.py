"""The search page's form: the query box and the filters, each a select of what the viewer
may see (a filter is only a narrowing; the selector scopes the results regardless)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Case, QuerySet, When

from traction.core import permissions
from traction.core.dates import short
from traction.core.forms import Form
from traction.core.guard import whole_number
from traction.core.offering import FIND_CHARS, Offered
from traction.core.permissions import Viewer
from traction.customers import selectors as customer_selectors
from traction.customers.models import Customer, Segment
from traction.insights.models import InsightKind, Step
from traction.programs import selectors as program_selectors
from traction.programs.models import Program
from traction.sessions import selectors as session_selectors
from traction.sessions.models import Session

from .query import MAX_QUERY_CHARS
from .selectors import Filters

CUSTOMERS_OFFERED = 30  # customers the Customer filter lists: the first by name, of those typed
CUSTOMER_QUERY_CHARS = 100


class SearchForm(Form):
    q = forms.CharField(
        required=False,
        label="Search",
        max_length=MAX_QUERY_CHARS,
        widget=forms.SearchInput(
            attrs={
                "placeholder": 'Words, or "a phrase"',
                "autocomplete": "off",
                "autofocus": True,
            }
        ),
        help_text='All words must match; "quotes" match a phrase; the last word may be '
        "unfinished (invo finds invoice).",
    )
    program_q = forms.CharField(
        required=False,
        label="Find a program",
        max_length=FIND_CHARS,
        widget=forms.TextInput(attrs={"placeholder": "Part of its name", "autocomplete": "off"}),
        help_text="Narrows the Program list below to the names holding these letters.",
    )
    program = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    session = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    step = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(
        required=False, label="Type", choices=[("", "Any type"), *InsightKind.choices]
    )
    customer_q = forms.CharField(
        required=False,
        label="Find a customer",
        max_length=CUSTOMER_QUERY_CHARS,
        widget=forms.TextInput(attrs={"placeholder": "Part of its name", "autocomplete": "off"}),
        help_text="Narrows the Customer list below to the names holding these letters.",
    )
    customer = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    segment = forms.ChoiceField(required=False, choices=[("", "Any segment"), *Segment.choices])
    tag = forms.CharField(
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "e.g. billing"}),
    )
    customers_only = forms.BooleanField(
        required=False,
        label="Customers only",
        help_text="Leave out what internal participants said.",
    )
    include_candidates = forms.BooleanField(
        required=False,
        label="Include candidates",
        help_text="Also imported insights still waiting for review.",
    )

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        sessions = session_selectors.sessions(viewer)
        session_id = whole_number(self.data.get("session", "")) if self.is_bound else None
        program_id = whole_number(self.data.get("program", "")) if self.is_bound else None
        fields["program"].choices = program_choices(
            program_selectors.offered_programs(
                viewer,
                typed=str(self.data.get("program_q", "")) if self.is_bound else "",
                chosen=program_id,
            )
        )
        fields["session"].choices = session_choices(sessions, program_id, session_id)
        # Steps only make sense within one session: offered once a session is chosen.
        steps = (
            Step.objects.filter(scenario__session__in=sessions, scenario__session_id=session_id)
            .select_related("scenario")
            .order_by("scenario_id", "position")
            if session_id is not None
            else Step.objects.none()
        )
        fields["step"].choices = [
            ("", "Any step" if session_id is not None else "Any step (choose a session)"),
            *((s.pk, f"{s.scenario.title}: {s.position}. {s.title}") for s in steps),
        ]
        if permissions.allows(viewer, "customer.view"):
            customer_id = whole_number(self.data.get("customer", "")) if self.is_bound else None
            typed = str(self.data.get("customer_q", "")) if self.is_bound else ""
            fields["customer"].choices = customer_choices(
                customer_selectors.customers(viewer, with_owner=False),
                typed[:CUSTOMER_QUERY_CHARS].strip(),
                customer_id,
            )
        else:
            del fields["customer_q"]
            del fields["customer"]

    def clean_tag(self) -> str:
        return str(self.cleaned_data.get("tag") or "").strip().lstrip("#").lower()

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            program_id=data.get("program"),
            session_id=data.get("session"),
            step_id=data.get("step"),
            kind=data.get("kind") or "",
            customer_id=data.get("customer"),
            segment=data.get("segment") or "",
            tag=data.get("tag") or "",
            customers_only=bool(data.get("customers_only")),
            include_candidates=bool(data.get("include_candidates")),
        )


def customer_choices(
    customers: QuerySet[Customer], typed: str, customer_id: int | None
) -> list[Any]:
    """The Customer filter's options, bounded however many customers there are: the first
    ``CUSTOMERS_OFFERED`` by name of those the viewer sees whose name holds ``typed`` ("Find
    a customer"), and the customer chosen wherever it falls (only if the viewer sees it:
    another is refused as an invalid choice, as before). One query."""
    offered = customers.filter(name__icontains=typed) if typed else customers
    if customer_id is not None:  # the chosen one first, in the same query
        offered = (offered | customers.filter(pk=customer_id)).order_by(
            Case(When(pk=customer_id, then=0), default=1), "name", "id"
        )
    rows = list(offered.values_list("id", "name")[: CUSTOMERS_OFFERED + 2])
    chosen = [c for c in rows if c[0] == customer_id][:1]
    others = [c for c in rows if c[0] != customer_id]
    more = len(others) > CUSTOMERS_OFFERED
    first = sorted([*chosen, *others[:CUSTOMERS_OFFERED]], key=lambda c: (c[1], c[0]))
    if more:
        empty = f"Any customer (the first {CUSTOMERS_OFFERED} listed: type a name to narrow)"
    elif typed and not first:
        empty = f"Any customer (none is named “{typed}”)"
    else:
        empty = "Any customer"
    return [("", empty), *first]


def program_choices(find: Offered[Program]) -> list[Any]:
    """The Program filter's options, bounded however many programs there are: the first
    ``OFFERED`` by name of those the viewer sees whose name holds what "Find a program"
    holds, and the program chosen wherever it falls (only if the viewer sees it: another is
    refused as an invalid choice, as before)."""
    if find.more:
        empty = f"Any program (the first {find.limit} listed: type a name to narrow)"
    elif find.typed and not find.matches:
        empty = f"Any program (none is named “{find.typed}”)"
    else:
        empty = "Any program"
    return [("", empty), *((p.pk, p.name) for p in find.rows)]


SESSIONS_OFFERED = 30  # sessions the Session filter lists: the latest, of the program chosen


def session_choices(
    sessions: QuerySet[Session], program_id: int | None, session_id: int | None
) -> list[Any]:
    """The Session filter's options, bounded however many sessions there are: the latest
    ``SESSIONS_OFFERED`` the viewer sees (of the program chosen, if one is), grouped by
    program, and the session chosen wherever it falls (a link from a session's page names
    any of them). Two queries at most."""
    offered = sessions.filter(program_id=program_id) if program_id is not None else sessions
    latest = list(offered.order_by("-starts_at", "-id")[: SESSIONS_OFFERED + 1])
    more = len(latest) > SESSIONS_OFFERED
    latest = latest[:SESSIONS_OFFERED]
    if session_id is not None and all(s.pk != session_id for s in latest):
        latest += list(sessions.filter(pk=session_id))
    groups: dict[str, list[tuple[int, str]]] = {}
    for s in sorted(latest, key=lambda s: (s.program.name, s.program_id, -s.starts_at.timestamp())):
        # The day it is held where it is held, as pages write dates ("1 Feb 2027").
        groups.setdefault(s.program.name, []).append((s.pk, f"{s.title} ({short(s.local_start)})"))
    empty = f"Any session (the {SESSIONS_OFFERED} latest listed)" if more else "Any session"
    if program_id is not None:  # one program: no groups needed
        return [("", empty), *(c for options in groups.values() for c in options)]
    return [("", empty), *groups.items()]


__all__ = ["SearchForm", "customer_choices", "program_choices", "session_choices"]
