"""Scoped reads for accounts. Fetching is checking."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import Case, DateTimeField, F, IntegerField, Q, QuerySet, Value, When
from django.utils.functional import SimpleLazyObject

from traction.core import clock, permissions
from traction.core.errors import NotFound, Unauthenticated, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.offering import Offered, offer, typed_words
from traction.core.permissions import Viewer
from traction.core.web import CurrentWorkspace

from .models import (
    ApiToken,
    MemberInvitation,
    MemberInvitationQuerySet,
    Membership,
    Notice,
    User,
    Workspace,
    WorkspaceLogo,
)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


def memberships_of(user: User) -> QuerySet[Membership]:
    """The workspaces a user belongs to (their own list: no policy needed beyond identity)."""
    return (
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )


def viewer_for(user: AbstractBaseUser, workspace_slug: str) -> tuple[Viewer, CurrentWorkspace]:
    """The user's standing in a workspace and the workspace, in one query, or NotFound:
    non-members cannot tell it exists. ``core.web.workspace_view`` asks it for every page
    inside a workspace (registered in ``AccountsConfig.ready``)."""
    membership = (
        Membership.objects.filter(
            user_id=user.pk, workspace__slug=workspace_slug, user__is_active=True
        )
        .select_related("workspace")
        .only("workspace_id", "role", "workspace__slug", "workspace__name", "workspace__time_zone")
        .first()
    )
    if membership is None:
        raise NotFound("Workspace not found.")
    workspace = membership.workspace
    # Identity only: this does not count as a permission check for the view using it.
    return (
        Viewer(user=user, workspace_id=membership.workspace_id, role=membership.role),
        CurrentWorkspace(
            pk=workspace.pk, slug=workspace.slug, name=workspace.name, time_zone=workspace.time_zone
        ),
    )


def viewer_for_email(email: str, workspace_slug: str | None = None) -> tuple[Viewer, str]:
    """An active user's standing in their one workspace (or in ``workspace_slug``), and a label
    for that workspace. Operators act through it on the command line."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise NotFound(f"No active user with the email {email}.")
    memberships = Membership.objects.filter(user=user).select_related("workspace")
    if workspace_slug:
        memberships = memberships.filter(workspace__slug=workspace_slug)
    found = list(memberships.order_by("workspace__slug"))
    if not found:
        where = f"the workspace '{workspace_slug}'" if workspace_slug else "any workspace"
        raise NotFound(f"{user.email} is not a member of {where}.")
    if len(found) > 1:
        slugs = ", ".join(m.workspace.slug for m in found)
        raise ValidationFailed.field(
            "__all__",
            f"{user.email} belongs to several workspaces ({slugs}): choose one with --workspace.",
        )
    membership = found[0]
    viewer = Viewer(user=user, workspace_id=membership.workspace_id, role=membership.role)
    return viewer, f"{membership.workspace.name} ({membership.workspace.slug})"


class TokenStanding(TypedDict):
    """What a request needs of an API token: its id, whose it is, in which workspace, the
    user's role there, when the token was last used and when it expires (None: never)."""

    id: int
    user_id: int
    workspace_id: int
    role: str
    last_used_at: datetime | None
    expires_at: datetime | None


def token_for_key(key: str) -> TokenStanding | None:
    """The API token behind ``key`` with ``role`` (its user's role in the token's workspace),
    in one query; None if unknown, revoked, its user inactive or no longer a member (a removed
    member's membership is archived). Looked up by the key's hash. The columns only: no token
    or user instance is built (``viewer_of_token`` loads the user when it is needed).

    A token that would stand but has expired (``expires_at`` at or before now) raises
    Unauthenticated saying so and when, in UTC: its holder learns why it stopped working and
    nothing else (not whose it is, nor its name). The refusal writes nothing."""
    if not key.startswith(ApiToken.PREFIX):
        return None
    found = (
        ApiToken.objects.active()
        .filter(
            key_hash=ApiToken.hash_key(key),
            user__is_active=True,
            # One filter() call: both conditions are on the same membership row.
            user__memberships__workspace=F("workspace"),
            user__memberships__archived_at__isnull=True,
        )
        .values(
            "id",
            "user_id",
            "workspace_id",
            "last_used_at",
            "expires_at",
            role=F("user__memberships__role"),
        )
    )
    try:
        token = cast("TokenStanding", found.get())
    except ApiToken.DoesNotExist:
        return None
    expires_at = token["expires_at"]
    if expires_at is not None and expires_at <= clock.now():
        raise Unauthenticated(
            f"This API token expired at {expires_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC and no "
            "longer works. Create a new one (API tokens in the web app, or "
            "'traction token create')."
        )
    return token


def viewer_of_token(token: TokenStanding) -> Viewer:
    """The viewer a token stands for. Its user row loads only if an operation reads the user
    (an audited write does; a list does not), as ``request.user`` loads in Django's
    authentication middleware."""
    user_id = token["user_id"]
    user = cast("User", SimpleLazyObject(lambda: User.objects.get(pk=user_id)))
    return Viewer(
        user=user, workspace_id=token["workspace_id"], role=token["role"], user_id=user_id
    )


def viewer_for_token(key: str) -> Viewer | None:
    """The viewer behind an API bearer token, or None (the refusals of ``token_for_key``;
    an expired token raises Unauthenticated, as there). Records the token's last use, at
    most once a minute."""
    token = token_for_key(key)
    if token is None:
        return None
    now = clock.now()
    if token["last_used_at"] is None or token["last_used_at"] < now - timedelta(seconds=60):
        ApiToken.objects.filter(pk=token["id"]).update(last_used_at=now)
    return viewer_of_token(token)


def workspace(viewer: Viewer) -> Workspace:
    permissions.check(viewer, "workspace.view")
    return Workspace.objects.get(pk=viewer.workspace_id)


def workspace_settings(viewer: Viewer) -> Workspace:
    """The workspace, for the one who may change its settings (admins)."""
    permissions.check(viewer, "workspace.configure")
    return Workspace.objects.get(pk=viewer.workspace_id)


def workspace_logo(viewer: Viewer) -> WorkspaceLogo:
    """The viewer's own workspace's logo (any member sees it), or NotFound when it has none.
    Only ever the viewer's workspace: no id is taken from outside."""
    permissions.check(viewer, "workspace.view")
    found = WorkspaceLogo.objects.filter(workspace_id=viewer.workspace_id).first()
    if found is None:
        raise NotFound("This workspace has no logo.")
    return found


def workspace_time_zone(viewer: Viewer) -> str:
    """The zone the workspace's pickers start at (a setting every member's forms read)."""
    permissions.check(viewer, "workspace.view")
    zone: str = (
        Workspace.objects.filter(pk=viewer.workspace_id).values_list("time_zone", flat=True).get()
    )
    return zone


def logo_of(workspace_id: int) -> WorkspaceLogo | None:
    """The logo of a workspace the caller already reached through the policy (a customer's
    invitation, checked by the customer's page): no check of its own."""
    return WorkspaceLogo.objects.filter(workspace_id=workspace_id).first()


def has_logo(workspace_id: int) -> str:
    """The logo's digest (for a cache-busting URL), or "" when the workspace has none. Like
    ``logo_of``, for a workspace already reached through the policy."""
    digest: str | None = (
        WorkspaceLogo.objects.filter(workspace_id=workspace_id)
        .values_list("digest", flat=True)
        .first()
    )
    return digest or ""


def members(
    viewer: Viewer, *, role: str = "", q: str = "", removed: bool = False
) -> QuerySet[Membership]:
    """Current members; ``removed=True``: the archived memberships of people who left."""
    manager = Membership.history if removed else Membership.objects
    qs = permissions.scope(viewer, "member.view", manager.select_related("user"))
    if removed:
        qs = qs.filter(archived_at__isnull=False)
    if role:
        qs = qs.filter(role=role)
    if q:
        qs = qs.filter(user__full_name__icontains=q) | qs.filter(user__email__icontains=q)
    return qs.order_by("user__full_name", "user__email")


def member(viewer: Viewer, membership_id: int, action: str = "member.view") -> Membership:
    return permissions.get(
        viewer, action, Membership.objects.select_related("user"), pk=membership_id
    )


def member_users(viewer: Viewer, *, roles: list[str] | None = None) -> QuerySet[User]:
    """Users of the viewer's workspace (for choosing owners, sponsors, core team)."""
    permissions.check(viewer, "member.view")
    # One filter() call: the conditions apply to the same (current) membership row.
    current: dict[str, object] = {
        "memberships__workspace_id": viewer.workspace_id,
        "memberships__archived_at": None,
    }
    if roles:
        current["memberships__role__in"] = roles
    qs = User.objects.filter(is_active=True, **current)
    return qs.order_by("full_name", "email").distinct()


def offered_members(
    viewer: Viewer,
    *,
    typed: str = "",
    chosen: int | None = None,
    ticked: Iterable[int] = (),
    roles: list[str] | None = None,
    among: QuerySet[User] | None = None,
) -> Offered[User]:
    """The options of a select (or checkbox list) of members (``member_users``, or ``among``
    if given: a narrower set the caller checked, e.g. who may own an action): the chosen
    one, or those ticked, and the first others by name (of ``roles`` only, if given). One
    query, two with any chosen or ticked, whatever their number. Validation stays with
    ``member_users`` (or ``among``)."""
    members = member_users(viewer, roles=roles) if among is None else among
    typed = typed_words(typed)
    offered = (
        members.filter(Q(full_name__icontains=typed) | Q(email__icontains=typed))
        if typed
        else members
    )
    keep = {*ticked, *([chosen] if chosen is not None else [])}
    return offer(members, offered, keep, typed=typed, order=lambda u: (u.full_name, u.email))


def invitations(viewer: Viewer, *, pending_only: bool = True) -> QuerySet[MemberInvitation]:
    qs = permissions.scope(
        viewer, "member.manage", MemberInvitation.objects.select_related("invited_by")
    )
    return cast(MemberInvitationQuerySet, qs).pending() if pending_only else qs


def invitation(viewer: Viewer, invitation_id: int) -> MemberInvitation:
    return permissions.get(
        viewer, "member.manage", MemberInvitation.objects.all(), pk=invitation_id
    )


def by_standing(tokens: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
    """Tokens apart by standing: those that work first (the latest created first), then the
    expired (the latest to expire first), then the revoked (the latest revoked first). A
    token revoked after it expired counts as revoked, as ``ApiToken.status`` says."""
    now = clock.now()
    revoked = When(revoked_at__isnull=False, then=Value(2))
    expired = When(expires_at__lte=now, then=Value(1))
    return tokens.annotate(
        standing=Case(revoked, expired, default=Value(0), output_field=IntegerField()),
        since=Case(
            When(revoked_at__isnull=False, then=F("revoked_at")),
            When(expires_at__lte=now, then=F("expires_at")),
            default=F("created_at"),
            output_field=DateTimeField(),
        ),
    ).order_by("standing", "-since", "-pk")


def api_tokens(viewer: Viewer) -> QuerySet[ApiToken]:
    """The viewer's own API tokens in the workspace, apart by standing (``by_standing``)."""
    permissions.check(viewer, "token.manage_own")
    return by_standing(
        ApiToken.objects.filter(user_id=viewer.user_id, workspace_id=viewer.workspace_id)
    )


def api_token(viewer: Viewer, token_id: int) -> ApiToken:
    try:
        return api_tokens(viewer).get(pk=token_id)
    except ApiToken.DoesNotExist:
        raise NotFound("Token not found.") from None


def token_lifetimes(viewer: Viewer) -> tuple[list[int | None], int]:
    """The lifetimes, in days, a new token of the viewer may have (None: never expires)
    and the default among them: every one of ``ApiToken.LIFETIMES`` and None, or those up to
    the workspace's maximum (``Workspace.token_max_days``); 90 days, or that maximum if
    shorter."""
    permissions.check(viewer, "token.manage_own")
    longest = (
        Workspace.objects.filter(pk=viewer.workspace_id)
        .values_list("token_max_days", flat=True)
        .get()
    )
    if longest is None:
        return [*ApiToken.LIFETIMES, None], ApiToken.DEFAULT_LIFETIME
    allowed: list[int | None] = [days for days in ApiToken.LIFETIMES if days <= longest]
    return allowed, min(ApiToken.DEFAULT_LIFETIME, longest)


def workspace_api_tokens(viewer: Viewer) -> QuerySet[ApiToken]:
    """Every member's API tokens in the workspace (an admin's view), expired and revoked ones
    too, apart by standing (``by_standing``), with their owners. Never a key: only its hash
    is stored."""
    permissions.check(viewer, "token.manage_all")
    return by_standing(
        ApiToken.objects.filter(workspace_id=viewer.workspace_id).select_related("user")
    )


def workspace_api_token(viewer: Viewer, token_id: int) -> ApiToken:
    try:
        return workspace_api_tokens(viewer).get(pk=token_id)
    except ApiToken.DoesNotExist:
        raise NotFound("Token not found.") from None


def audit_events(
    viewer: Viewer,
    *,
    action: str = "",
    actor_email: str = "",
    object_type: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    qs = permissions.scope(viewer, "audit.view", AuditEvent.objects.all())
    if action:
        qs = qs.filter(action__startswith=action)
    if actor_email:
        qs = qs.filter(actor_label__iexact=actor_email)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-at", "-id")


def notices(viewer: Viewer, *, unread: bool = False) -> QuerySet[Notice]:
    """The viewer's own in-app notices in this workspace, newest first; ``unread``: only the
    open ones (neither read nor resolved by doing what they asked)."""
    permissions.check(viewer, "workspace.view")
    qs = Notice.objects.filter(workspace_id=viewer.workspace_id, user_id=viewer.user_id)
    return qs.open() if unread else qs


def functions_of(workspace_id: int, user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's function in the workspace (their current membership; "" when not stated).
    One query; a user with no current membership is left out."""
    return dict(
        Membership.objects.filter(workspace_id=workspace_id, user_id__in=set(user_ids)).values_list(
            "user_id", "function"
        )
    )
