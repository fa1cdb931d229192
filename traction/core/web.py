"""The web kernel every app's views stand on: workspace views, the typed workspace request,
page-or-partial rendering and domain errors shown on forms.

``core`` imports no app, so the one piece of accounts a workspace view needs (who the user
is in the URL's workspace) is registered here by accounts in ``AppConfig.ready``
(``register_workspace_resolver``).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from . import csv_reader
from .errors import Conflict, DomainError, ValidationFailed
from .permissions import Viewer

if TYPE_CHECKING:
    from django import forms
    from django.contrib.auth.base_user import AbstractBaseUser


# --- the typed requests ----------------------------------------------------------------------


class HtmxRequest(HttpRequest):
    """A request that went through django-htmx's middleware (every request does: it is in
    ``MIDDLEWARE``). ``request.htmx`` is falsy unless htmx sent it; ``.target``,
    ``.trigger``, ``.boosted``, ``.history_restore_request`` read the HX-* headers."""

    htmx: HtmxDetails


@dataclass(frozen=True)
class CurrentWorkspace:
    """The workspace named in the URL, as far as links, titles and times need it:
    ``time_zone`` is the zone its pages show times in (activated by ``workspace_view``)."""

    pk: int
    slug: str
    name: str
    time_zone: str = "UTC"


class WorkspaceRequest(HtmxRequest):
    """The request a ``workspace_view`` receives: who asks (``viewer``), in which workspace
    (``workspace``), and the htmx details. Views annotate ``request: WorkspaceRequest`` and
    read ``request.workspace.slug`` without type-ignores."""

    viewer: Viewer
    workspace: CurrentWorkspace
    workspace_slug: str  # the same as ``workspace.slug``, as the URL spelled it


WorkspaceResolver = Callable[["AbstractBaseUser", str], tuple[Viewer, CurrentWorkspace]]
_resolver: list[WorkspaceResolver] = []


def register_workspace_resolver(resolver: WorkspaceResolver) -> None:
    """Accounts registers how a signed-in user and a workspace slug become a viewer (or
    NotFound for a non-member). One resolver; registering again replaces it."""
    _resolver[:] = [resolver]


def resolve_workspace(user: AbstractBaseUser, slug: str) -> tuple[Viewer, CurrentWorkspace]:
    if not _resolver:
        raise ImproperlyConfigured("No workspace resolver: is traction.accounts installed?")
    return _resolver[0](user, slug)


P = ParamSpec("P")
WorkspaceView = Callable[Concatenate[WorkspaceRequest, Viewer, P], HttpResponse]


def workspace_view(view: WorkspaceView[P]) -> Callable[..., HttpResponse]:
    """Sign-in required; the URL's workspace must be one of the user's (else 404).

    The view receives the request, typed as a ``WorkspaceRequest``, and the Viewer.
    Resolving it is identity, not permission: the view must still call a selector or service
    that checks, or the default-deny middleware refuses it.

    While the view runs (and renders: ``render`` is called inside it) the workspace's time
    zone is the current one (``django.utils.timezone.activate``), so templates show times in
    it; ``{% time_zone %}`` / ``{% zone_label %}`` (``traction_times``) name it. Outside a
    workspace view the zone stays ``TIME_ZONE`` (UTC). Code that must not depend on the
    page's zone names its own: ``clock.today()`` reads ``TIME_ZONE``, a session's times are
    shown in ``session.time_zone``, the insights export writes UTC.
    """

    @login_required
    @wraps(view)
    def wrapper(
        request: HttpRequest, workspace_slug: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        user = cast("AbstractBaseUser", request.user)  # login_required: signed in
        viewer, workspace = resolve_workspace(user, workspace_slug)
        typed = cast(WorkspaceRequest, request)
        typed.viewer = viewer
        typed.workspace = workspace
        typed.workspace_slug = workspace_slug
        # timezone.override: activate() now, and on the way out deactivate() (or give back a
        # zone a caller had activated around this request, e.g. a test's).
        with timezone.override(_zone_or_utc(workspace.time_zone)):
            return view(typed, viewer, *args, **kwargs)

    return wrapper


def _zone_or_utc(name: str) -> zoneinfo.ZoneInfo:
    """The zone a workspace's pages show times in; UTC for a name the server cannot load (a
    zone the tz database has since dropped), so a page never fails on it."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return zoneinfo.ZoneInfo("UTC")


def viewer_of(request: HttpRequest) -> Viewer | None:
    """The viewer a ``workspace_view`` resolved for this request, or None (sign-in pages,
    customer links, error pages): for code that runs on every request, such as context
    processors."""
    viewer = getattr(request, "viewer", None)
    return viewer if isinstance(viewer, Viewer) else None


# --- page or partial -------------------------------------------------------------------------


def query_without(request: HttpRequest, param: str) -> str:
    """The page's query string without ``param``: a pager's links keep the page's filters and
    the other pagers' pages."""
    query = request.GET.copy()
    query.pop(param, None)
    return query.urlencode()


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request that swaps part of the page: not a boosted link and not a history
    restore (htmx asks those for the whole page)."""
    htmx: HtmxDetails | None = getattr(request, "htmx", None)
    if not htmx:
        return False
    return not htmx.boosted and not htmx.history_restore_request


def render_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any],
    *,
    partial: str,
    status: int = 200,
) -> HttpResponse:
    """The whole page on a normal request; the page's named partial (``{% partialdef %}``)
    on an htmx request. The template says where the partial goes (``hx-target``); the view
    names only the partial, never a DOM id."""
    name = f"{template}#{partial}" if wants_partial(request) else template
    return render(request, name, dict(context), status=status)


# --- domain errors on forms ------------------------------------------------------------------

CONFLICT_HELP = " Your changes were not saved."


def error_text(exc: DomainError, *, conflict_help: str = "") -> str:
    """A refusal as one line for a message: every field's messages of a ValidationFailed,
    else the error's own message; a Conflict's followed by ``conflict_help`` (what the page
    asks the user to do: " Reload the page and try again.")."""
    if isinstance(exc, ValidationFailed):
        return " ".join(m for messages in exc.errors.values() for m in messages)
    if isinstance(exc, Conflict):
        return exc.message + conflict_help
    return exc.message


def apply_domain_errors(
    form: forms.BaseForm, exc: DomainError, field_map: Mapping[str, str] | None = None
) -> None:
    """Show a service's refusal on the form: beside the field it names, or on top.

    Services name model fields (``account_owner_id``); ``field_map`` maps them onto the
    form's fields (``account_owner``). A Conflict always goes on top: reload, then redo.
    """
    field_map = field_map or {}
    if isinstance(exc, Conflict):
        form.add_error(None, exc.message + CONFLICT_HELP)
        return
    if not isinstance(exc, ValidationFailed):
        form.add_error(None, exc.message)
        return
    for name, messages in exc.errors.items():
        target = field_map.get(name, name)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)


def import_refusal(form: forms.BaseForm, exc: ValidationFailed) -> list[str]:
    """An import's refusal on its upload form. A refusal of the whole file (the service
    raised it from a ``csv_reader.CsvRefused``: more rows than the cap, too many bytes, not
    text, no header) goes beside the file field, as the insight import shows it; the bad
    lines of a file that was read are returned, for the list above the form."""
    if isinstance(exc.__cause__, csv_reader.CsvRefused):
        apply_domain_errors(form, exc)
        return []
    return [m for messages in exc.errors.values() for m in messages]
