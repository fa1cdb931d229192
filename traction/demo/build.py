"""Northwind Software: a B2B invoicing-software company making onboarding effortless.

The demo is built as a list of steps (``STEPS``), each a function taking the ``Demo`` being
built. Every write goes through the services, so the audit trail tells the story too.
Later areas of the flow (sessions, insights, debriefs, updates) add their own step at the
end of ``STEPS``, reading what earlier steps left in ``Demo`` (people, customers, programs).

Everything is deterministic: fixed names and values, dates relative to the day it is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from django.apps import apps
from django.db import transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.test.utils import override_settings

from traction.accounts.models import User, Workspace
from traction.core import clock
from traction.core.errors import Conflict
from traction.core.models import AppendOnlyError

from .captures import PILOT_INSIGHTS, PILOT_STEPS, PILOT_VOTES, add_captures
from .common import (
    DEMO_EMAIL_DOMAIN,
    DEMO_NAME,
    DEMO_PASSWORD,
    DEMO_SLUG,
    Demo,
    at_time,
    contact_of,
    months_ahead,
    owner_of,
)
from .customers import CUSTOMERS, ContactSpec, CustomerSpec, add_customers
from .debriefs import add_debriefs
from .loop import add_loop
from .people import PEOPLE, Person, add_people
from .portal import add_portal_link
from .programs import add_programs
from .sessions import add_sessions
from .updates import add_updates

__all__ = [
    "CUSTOMERS",
    "DEMO_EMAIL_DOMAIN",
    "DEMO_NAME",
    "DEMO_PASSWORD",
    "DEMO_SLUG",
    "PEOPLE",
    "PILOT_INSIGHTS",
    "PILOT_STEPS",
    "PILOT_VOTES",
    "STEPS",
    "ContactSpec",
    "CustomerSpec",
    "Demo",
    "DemoExists",
    "Person",
    "Step",
    "add_captures",
    "add_customers",
    "add_debriefs",
    "add_loop",
    "add_people",
    "add_portal_link",
    "add_programs",
    "add_sessions",
    "add_updates",
    "at_time",
    "build_demo",
    "contact_of",
    "demo_exists",
    "months_ahead",
    "owner_of",
    "remove_demo",
]


class DemoExists(Conflict):
    """The demo workspace is already there; rebuilding it needs an explicit reset."""


Step = Callable[[Demo], None]

# Later areas append their step here (e.g. insights, debrief, loop), in flow order.
STEPS: list[Step] = [
    add_people,
    add_customers,
    add_programs,
    add_sessions,
    add_captures,
    add_debriefs,
    add_loop,
    add_updates,
    add_portal_link,
]


# --- entry points ---------------------------------------------------------------------------


def demo_exists() -> bool:
    return Workspace.objects.filter(slug=DEMO_SLUG).exists()


def build_demo(*, today: date | None = None, password: str = DEMO_PASSWORD) -> Demo:
    """Build the demo workspace; refuses (DemoExists) when it is already there.

    Everyone signs in with ``password`` (the published demo password unless given). The
    emails its steps send go nowhere, and none is queued for a worker.
    """
    if demo_exists():
        raise DemoExists(
            f"The demo workspace '{DEMO_SLUG}' already exists. "
            "Use --reset to delete and rebuild it."
        )
    demo = Demo(today=today or clock.today(), password=password)
    # The demo's people are fictional: the messages its steps send (on commit) go nowhere,
    # right away, rather than waiting in a production task queue for the worker.
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        ),
        transaction.atomic(),
    ):
        for step in STEPS:
            step(demo)
    return demo


@transaction.atomic
def remove_demo() -> None:
    """Delete the demo workspace (everything in it, its audit trail) and the demo users.

    Rows with history are protected from cascading deletes (the app archives them), so
    the demo's rows are deleted model by model, dependents first, before the workspace.
    """
    workspace = Workspace.objects.filter(slug=DEMO_SLUG).first()
    if workspace is not None:
        _delete_rows_of(workspace)
        workspace.delete()
    User.objects.filter(email__endswith="@" + DEMO_EMAIL_DOMAIN).delete()


def _delete_rows_of(workspace: Workspace) -> None:
    pending = [
        model
        for model in apps.get_models()
        if model is not Workspace
        and any(f.name == "workspace" and f.is_relation for f in model._meta.concrete_fields)
    ]
    for _ in range(2 * len(pending) + 2):
        blocked = []
        for model in pending:
            try:
                with transaction.atomic():
                    model._base_manager.filter(workspace=workspace).delete()
            except ProtectedError as exc:
                blocked.append(model)  # something else still points at its rows:
                _try_delete(exc.protected_objects)  # those first (some have no workspace)
            except RestrictedError as exc:
                blocked.append(model)
                _try_delete(exc.restricted_objects)
        if not blocked:
            return
        pending = blocked


def _try_delete(objects: Iterable[Model]) -> None:
    for obj in objects:
        try:
            with transaction.atomic():
                obj.delete()
        except (ProtectedError, RestrictedError, AppendOnlyError):
            pass  # blocked in turn, or append-only (deleted by query): a later round gets to it
