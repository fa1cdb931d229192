"""The one permission policy asked by web views, API endpoints and CLI commands alike.

Each app declares its actions in ``rules.py`` as data: for every action, which workspace
roles may do it and over what *scope* — every object in the workspace (``ALL``) or only the
objects the viewer is tied to (``OWN``: their own customers, the programs they belong to).
A workspace is a hard wall: every scope starts by filtering on the viewer's workspace.

Asking the policy also marks the current request as checked; ``DefaultDenyMiddleware``
refuses a successful response from any view that never asked and is not marked public.
"""

from __future__ import annotations

import contextvars
import enum
import functools
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from .errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class Role(models.TextChoices):
    """Workspace roles (docs/roles.md). Customer contacts are not members: they are principals
    of their own kind (``CustomerPrincipal``), granted in rules under ``customer=``."""

    ADMIN = "admin", "Admin"
    FACILITATOR = "facilitator", "Facilitator"
    CORE_TEAM = "core_team", "Core team member"
    SPONSOR = "sponsor", "Executive sponsor"
    ACCOUNT_OWNER = "account_owner", "Account owner"
    OBSERVER = "observer", "Observer"


ROLE_DESCRIPTIONS: dict[str, str] = {
    Role.ADMIN: "Manages the workspace, its members and settings; sees everything.",
    Role.FACILITATOR: "Plans and runs sessions, captures, runs debriefs; sees everything.",
    Role.CORE_TEAM: "Takes part, takes notes, owns action items in the programs they belong to.",
    Role.SPONSOR: "Decides recommendations and allocates resources in their programs.",
    Role.ACCOUNT_OWNER: "Approves outreach to their own customers; sees their customers.",
    Role.OBSERVER: "Reads the programs they belong to; changes nothing.",
}


class Scope(enum.Enum):
    ALL = "all"  # every object of the kind in the viewer's workspace
    OWN = "own"  # only objects the viewer is tied to (see Rule.own)


ALL = Scope.ALL
OWN = Scope.OWN


@dataclass(frozen=True)
class Viewer:
    """Who is asking, in which workspace, with which role. Built by each interface."""

    user: AbstractBaseUser
    workspace_id: int
    role: str
    # Given explicitly when ``user`` is a lazy object (API tokens), so that reading the id
    # for a permission filter does not load the user.
    user_id: int = 0

    def __post_init__(self) -> None:
        if not self.user_id:
            object.__setattr__(self, "user_id", int(self.user.pk))


# The grant key for customer contacts in ``rule(...)``: not a workspace role (nobody can be
# made a member "as a customer"), but asked through the same functions below.
CUSTOMER = "customer"


@dataclass(frozen=True)
class CustomerPrincipal:
    """A customer contact acting through a signed personal link (RSVP, ballot, portal).

    A customer is a principal of the same policy as members, with rules of its own: a rule
    grants ``customer=OWN`` with a ``customer_own`` filter that ties objects to this contact
    (their own invitation, their own session's open round, their own contributions). The
    link that built the principal is part of who is asking: ``invitation_id`` and
    ``session_id`` bind it to one invitation of one session, so one customer's link never
    reaches another customer's ballot or another session.
    """

    contact_id: int
    workspace_id: int
    # 0 for a portal principal: bound to no one invitation, so the invitation-bound rules
    # (RSVP, ballot) match nothing for it.
    invitation_id: int = 0
    session_id: int = 0
    # The portal link a portal sign-in stands on (0: an invitation's link, not the portal).
    portal_link_id: int = 0
    role: str = CUSTOMER

    @property
    def portal(self) -> bool:
        """Signed in to the customer portal (``traction.portal``), not through one invitation."""
        return bool(self.portal_link_id)

    @property
    def user_id(self) -> int:  # no account: matches no member filter
        return 0


Principal = Viewer | CustomerPrincipal
OwnFilter = Callable[[Viewer], models.Q]
CustomerFilter = Callable[[CustomerPrincipal], models.Q]


@dataclass(frozen=True)
class Rule:
    """One action: which roles may perform it, and over which scope."""

    action: str
    grants: dict[str, Scope]
    own: OwnFilter | None = None
    description: str = ""
    customer_own: CustomerFilter | None = None
    # What a role granted OWN is told about an object outside its own scope (default: that
    # the role does not allow it), e.g. "You are not invited to this debrief."
    outside: str = ""

    def scope_for(self, role: str) -> Scope | None:
        return self.grants.get(role)

    def own_filter(self, principal: Principal) -> models.Q:
        """The rule's OWN filter for this kind of principal (guaranteed by ``rule``)."""
        if isinstance(principal, CustomerPrincipal):
            assert self.customer_own is not None
            return self.customer_own(principal)
        assert self.own is not None
        return self.own(principal)


def rule(
    action: str,
    *,
    own: OwnFilter | None = None,
    customer_own: CustomerFilter | None = None,
    description: str = "",
    outside: str = "",
    **grants: Scope,
) -> Rule:
    """One action. ``customer=OWN`` grants it to customer contacts over ``customer_own``;
    customers never get ``ALL`` (a customer sees only what is theirs)."""
    unknown = set(grants) - {*Role.values, CUSTOMER}
    if unknown:
        raise ValueError(f"{action}: unknown roles {sorted(unknown)}")
    member_grants = {k: v for k, v in grants.items() if k != CUSTOMER}
    if own is None and Scope.OWN in member_grants.values():
        raise ValueError(f"{action}: grants OWN scope but defines no 'own' filter")
    if CUSTOMER in grants and (grants[CUSTOMER] is not Scope.OWN or customer_own is None):
        raise ValueError(f"{action}: customers are granted OWN with a 'customer_own' filter")
    return Rule(
        action=action,
        grants=dict(grants),
        own=own,
        description=description,
        customer_own=customer_own,
        outside=outside,
    )


@dataclass
class Registry:
    rules: dict[str, Rule] = field(default_factory=dict)

    def register(self, rules: Iterable[Rule]) -> None:
        for r in rules:
            if r.action in self.rules and self.rules[r.action] != r:
                raise ValueError(f"action {r.action!r} registered twice")
            self.rules[r.action] = r

    def get(self, action: str) -> Rule:
        try:
            return self.rules[action]
        except KeyError:
            raise LookupError(
                f"no rule for action {action!r}: add it to the app's rules.py"
            ) from None


registry = Registry()


def everyone(action: str, *, description: str = "") -> Rule:
    """An action every workspace role (not customers) may take over the whole workspace."""
    return Rule(action=action, grants=dict.fromkeys(Role.values, ALL), description=description)


# --- request bookkeeping for default-deny -------------------------------------------------

_checked: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "traction_permission_checked", default=None
)


def begin_request() -> contextvars.Token[list[bool] | None]:
    return _checked.set([False])


def end_request(token: contextvars.Token[list[bool] | None]) -> bool:
    holder = _checked.get()
    _checked.reset(token)
    return bool(holder and holder[0])


def mark_checked() -> None:
    holder = _checked.get()
    if holder is not None:
        holder[0] = True


# --- the policy ---------------------------------------------------------------------------

M = TypeVar("M", bound=models.Model)


def allows(viewer: Principal, action: str) -> bool:
    """May the viewer perform ``action`` on at least some objects? (For menus and buttons.)"""
    return registry.get(action).scope_for(viewer.role) is not None


def scope(viewer: Principal, action: str, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """The objects of ``queryset`` the viewer may ``action``: their workspace, their scope.

    Raises PermissionDenied when the viewer's role may not ``action`` anything at all. The
    OWN filter is applied as a subquery on the primary key (as NetBox's ``restrict()``
    does), so a filter that follows a to-many relation never repeats rows and needs no
    DISTINCT. The subquery is correlated (``EXISTS``, a semi-join): the database checks the
    rows the rest of the query reaches, where an uncorrelated ``pk IN (…)`` makes SQLite
    build the viewer's whole scope in the workspace first (seconds at a million rows).
    """
    mark_checked()
    r = registry.get(action)
    grant = r.scope_for(viewer.role)
    if grant is None:
        # A role with no access at all is told so, rather than shown a misleading empty list.
        raise PermissionDenied(_denied_message(action, viewer.role))
    qs = queryset.filter(workspace_id=viewer.workspace_id)
    if grant is Scope.OWN:
        model = queryset.model
        own = model._default_manager.filter(pk=models.OuterRef("pk")).filter(r.own_filter(viewer))
        return qs.filter(models.Exists(own))
    return qs


def scope_any(
    viewer: Principal, actions: Sequence[str], queryset: models.QuerySet[M]
) -> models.QuerySet[M]:
    """The objects of ``queryset`` on which the viewer may do at least one of ``actions``
    (e.g. see an action item through its program, or update it as its owner): the union of
    their ``scope``s, written once: the workspace filter at the top (so the database can
    lead with an index starting with the workspace), then, unless a role sees every object
    through one of them, the ``EXISTS`` of each OWN filter, ORed. (``scope(a) | scope(b)``
    repeats the workspace inside the OR, and SQLite then cannot use such an index.)

    Raises PermissionDenied when the viewer's role may do none of them."""
    mark_checked()
    granted = [(r, r.scope_for(viewer.role)) for r in map(registry.get, actions)]
    granted = [(r, grant) for r, grant in granted if grant is not None]
    if not granted:
        raise PermissionDenied(_denied_message(actions[0], viewer.role))
    qs = queryset.filter(workspace_id=viewer.workspace_id)
    if any(grant is Scope.ALL for _, grant in granted):
        return qs
    rows = queryset.model._default_manager
    mine = [
        models.Exists(rows.filter(pk=models.OuterRef("pk")).filter(r.own_filter(viewer)))
        for r, _ in granted
    ]
    return qs.filter(functools.reduce(operator.or_, mine))


def get(viewer: Principal, action: str, queryset: models.QuerySet[M], **lookup: Any) -> M:
    """Fetching is checking: the one object, or NotFound whether missing or hidden."""
    try:
        return scope(viewer, action, queryset).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError):
        label = str(queryset.model._meta.verbose_name or "object")
        raise NotFound(f"{label[:1].upper()}{label[1:]} not found.") from None


def check(viewer: Principal, action: str, obj: models.Model | None = None) -> None:
    """Raise PermissionDenied unless the viewer may ``action`` (on ``obj`` if given).

    Objects of another workspace raise NotFound: nothing crosses the wall.
    """
    mark_checked()
    _decide(viewer, action, obj)


def can(viewer: Principal, action: str, obj: models.Model | None = None) -> bool:
    """The same answer as ``check``, as a boolean, for drawing links and buttons.

    Asking ``can`` is not a permission check: it does not mark the request as checked, so a
    view that only asked ``can`` to draw a button still answers to the default-deny
    middleware. Fetch through a selector (or ``check``) to show anything.
    """
    try:
        _decide(viewer, action, obj)
    except (PermissionDenied, NotFound):
        return False
    return True


def _decide(viewer: Principal, action: str, obj: models.Model | None) -> None:
    r = registry.get(action)
    grant = r.scope_for(viewer.role)
    if obj is not None and getattr(obj, "workspace_id", None) != viewer.workspace_id:
        raise NotFound()
    if grant is None:
        raise PermissionDenied(_denied_message(action, viewer.role))
    if grant is Scope.OWN:
        if obj is None:
            if isinstance(viewer, CustomerPrincipal):
                # A customer is only ever asked about a concrete object of theirs.
                raise PermissionDenied(_denied_message(action, viewer.role))
            return
        if not type(obj)._default_manager.filter(pk=obj.pk).filter(r.own_filter(viewer)).exists():
            raise PermissionDenied(r.outside or _denied_message(action, viewer.role))


def _denied_message(action: str, role: str) -> str:
    """What the 403 says, in words: the role, and what the action is as the roles page
    describes it ("Plan, change or cancel a session and its agenda."), not its key."""
    label = "customer" if role == CUSTOMER else Role(role).label if role in Role.values else role
    rule = registry.rules.get(action)
    what = rule.description if rule is not None and rule.description else action
    return f"Your role ({label}) does not allow this: “{what}”"


# --- public routes --------------------------------------------------------------------------

PUBLIC_ATTR = "traction_public_reason"
_public_url_names: dict[str, str] = {}

F = TypeVar("F", bound=Callable[..., Any])


def public(reason: str) -> Callable[[F], F]:
    """Mark a view as reachable without a permission check. The reason is reviewed code."""

    def decorate(view: F) -> F:
        setattr(view, PUBLIC_ATTR, reason)
        return view

    return decorate


def personal(reason: str) -> Callable[[F], F]:
    """Mark a signed-in view that shows only the user's own data (no workspace in play).

    Such a view must still require sign-in; the reason is reviewed code, like ``public``.
    """
    return public(f"personal: {reason}")


def register_public_url(url_name: str, reason: str) -> None:
    """For views we do not own (the API's OpenAPI document and docs page)."""
    _public_url_names[url_name] = reason


def public_reason(view: Callable[..., Any], url_name: str | None) -> str | None:
    reason = getattr(view, PUBLIC_ATTR, None)
    if reason is None and url_name:
        reason = _public_url_names.get(url_name)
    return reason
