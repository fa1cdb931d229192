"""Write use-cases for accounts: each checks permission, writes in one transaction, audits."""

from __future__ import annotations

import enum
import hashlib
from datetime import timedelta
from typing import Literal

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify

from traction.core import audit, clock, events, permissions, timezones
from traction.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from traction.core.permissions import Role, Viewer
from traction.core.tasks import send_email_on_commit
from traction.core.text import check_length, require_length, require_one_line
from traction.core.writes import expect_version, save_new_version

from . import logos
from .models import (
    ApiToken,
    MemberFunction,
    MemberInvitation,
    Membership,
    TokenEmailPreference,
    User,
    Workspace,
    WorkspaceLogo,
)

# Sign-in throttling lives in throttle.py; these names stay importable from here.
from .throttle import clear_failed_logins as clear_failed_logins
from .throttle import login_throttled as login_throttled
from .throttle import login_wait_seconds as login_wait_seconds
from .throttle import record_failed_login as record_failed_login


class Keep(enum.Enum):
    """An argument not given where None is a value: ``update_workspace`` keeps the current
    value, ``create_api_token`` takes the default lifetime."""

    KEEP = "keep"


def _clean_email(email: str, field: str = "email") -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed.field(field, "Enter a valid email address.") from None
    return email


def _clean_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationFailed.field("role", f"Choose one of: {', '.join(Role.values)}.")
    return role


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed({"password": list(exc.messages)}) from None


# --- users and workspaces (operator use-cases: CLI and demo) -------------------------------


@transaction.atomic
def create_user(*, email: str, full_name: str, password: str | None) -> User:
    """A new user account. Without a password the account cannot sign in until it sets one."""
    email = _clean_email(email)
    if not full_name.strip():
        raise ValidationFailed.field("full_name", "Enter the person's name.")
    require_one_line(full_name=full_name)
    require_length("full_name", full_name.strip(), 150)  # the column's width, on every backend
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed.field("email", f"A user with the email {email} already exists.")
    if password is not None:
        _check_password(password, User(email=email, full_name=full_name))
    return User.objects.create_user(email=email, password=password, full_name=full_name.strip())


@transaction.atomic
def create_account(
    *,
    email: str,
    full_name: str,
    password: str | None,
    workspace_slug: str | None = None,
    role: str | None = None,
) -> tuple[User, Membership | None]:
    """An operator's new user, optionally a member of one workspace: all or nothing.

    Everything is checked before anything is written: a wrong workspace or role leaves no
    user behind (``traction createuser``).
    """
    if role and not workspace_slug:
        raise ValidationFailed.field("role", "--role needs --workspace.")
    workspace = None
    if workspace_slug:
        workspace = Workspace.objects.filter(slug=workspace_slug).first()
        if workspace is None:
            raise NotFound(f"No workspace with the slug '{workspace_slug}'.")
        role = _clean_role(role or Role.OBSERVER)
    user = create_user(email=email, full_name=full_name, password=password)
    if workspace is None:
        return user, None
    return user, add_member(None, workspace=workspace, user=user, role=role or Role.OBSERVER)


def check_installation_owner(user: User) -> None:
    """Refuse anyone but the installation's owner (creating workspaces is theirs)."""
    permissions.mark_checked()
    if not (user.is_active and user.is_installation_owner):
        raise PermissionDenied("Only the owner of this Traction installation creates workspaces.")


def make_installation_owner(user: User) -> None:
    """``traction setup``: the first admin runs the installation."""
    if not user.is_installation_owner:
        user.is_installation_owner = True
        user.save(update_fields=["is_installation_owner"])


@transaction.atomic
def create_workspace_for(
    owner: User, *, name: str, admin_email: str, admin_name: str = "", slug: str = ""
) -> tuple[Workspace, User, bool]:
    """The installation's owner creates a workspace on the web, as ``traction workspace
    create`` does at the shell: ``admin_email``'s account becomes its first admin, created
    without a password when there is none (True: created; they set it at a one-time link)."""
    check_installation_owner(owner)
    admin = User.objects.filter(email__iexact=admin_email.strip()).first()
    created = admin is None
    if admin is None:
        if not admin_email.strip():
            raise ValidationFailed.field("admin_email", "Enter the admin's email.")
        if not admin_name.strip():
            raise ValidationFailed.field(
                "admin_name", "Enter the admin's name: they have no account yet."
            )
        admin = create_user(email=admin_email, full_name=admin_name, password=None)
    workspace = create_workspace(name=name, admin=admin, slug=slug)
    return workspace, admin, created


@transaction.atomic
def create_workspace(*, name: str, admin: User, slug: str = "") -> Workspace:
    """A new workspace with ``admin`` as its first admin."""
    name = name.strip()
    if not name:
        raise ValidationFailed.field("name", "Enter a workspace name.")
    require_one_line(name=name)  # it signs customer mail: a line break would break every header
    require_length("name", name, 120)
    slug = slugify(slug or name)[:60]
    if not slug:
        raise ValidationFailed.field("slug", "Use letters or digits in the workspace name.")
    if Workspace.objects.filter(slug=slug).exists():
        raise ValidationFailed.field("slug", f"The address '{slug}' is taken.")
    workspace = Workspace.objects.create(name=name, slug=slug)
    membership = Membership.objects.create(workspace=workspace, user=admin, role=Role.ADMIN)
    viewer = Viewer(user=admin, workspace_id=workspace.pk, role=Role.ADMIN)
    audit.record(viewer, action="workspace.created", obj=workspace, changes={"name": name})
    audit.record(viewer, action="member.added", obj=membership, changes={"role": Role.ADMIN})
    return workspace


@transaction.atomic
def add_member(actor: Viewer | None, *, workspace: Workspace, user: User, role: str) -> Membership:
    """Add an existing user to a workspace. ``actor`` None is the operator (CLI, demo)."""
    if actor is not None:
        permissions.check(actor, "member.manage")
        if actor.workspace_id != workspace.pk:
            raise NotFound()
    role = _clean_role(role)
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        raise ValidationFailed.field("email", f"{user.email} is already a member.")
    membership = Membership.objects.create(workspace=workspace, user=user, role=role)
    audit.record(actor, action="member.added", obj=membership, changes={"role": role})
    return membership


# --- workspace settings ------------------------------------------------------------------


def _lock_workspace(actor: Viewer) -> Workspace:
    permissions.check(actor, "workspace.configure")
    return Workspace.objects.select_for_update().get(pk=actor.workspace_id)


@transaction.atomic
def update_workspace(
    actor: Viewer,
    *,
    name: str,
    time_zone: str,
    sender_name: str | None = None,
    reply_to: str | None = None,
    token_max_days: int | Literal[Keep.KEEP] | None = Keep.KEEP,
) -> Workspace:
    """Rename the workspace (customers see the name in their emails and pages), set the
    time zone its forms start at (a current IANA name) and, when given, how customer mail is
    signed: the sender's name (empty: the workspace's name) and the reply-to address
    (empty: none), and the longest lifetime of a new API token (one of
    ``ApiToken.LIFETIMES``; None: any, never-expiring included)."""
    workspace = _lock_workspace(actor)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Enter a workspace name."]
    elif len(name) > 120:
        check_length(errors, "name", name, 120)
    else:
        try:
            require_one_line(name=name)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if not timezones.is_current(time_zone) and time_zone != workspace.time_zone:
        errors["time_zone"] = [f"Unknown time zone “{time_zone}”; use a name like Europe/Berlin."]
    sender = workspace.sender_name if sender_name is None else sender_name.strip()
    if len(sender) > 120:
        check_length(errors, "sender_name", sender, 120)
    elif sender:
        try:
            require_one_line(sender_name=sender)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    reply = workspace.reply_to if reply_to is None else reply_to.strip()
    if reply:
        try:
            validate_email(reply)
        except DjangoValidationError:
            errors["reply_to"] = [
                f"“{reply[:80]}” is not an email address; enter one like replies@example.com."
            ]
        else:
            check_length(errors, "reply_to", reply, 254)
    max_days = workspace.token_max_days if token_max_days is Keep.KEEP else token_max_days
    if max_days is not None and max_days not in ApiToken.LIFETIMES:
        errors["token_max_days"] = [f"Choose one of {lifetime_choices()}."]
    if errors:
        raise ValidationFailed(errors)
    fields = ["name", "time_zone", "sender_name", "reply_to", "token_max_days"]
    before = audit.snapshot(workspace, fields)
    workspace.name, workspace.time_zone = name, time_zone
    workspace.sender_name, workspace.reply_to = sender, reply
    workspace.token_max_days = max_days
    changes = audit.diff(before, audit.snapshot(workspace, fields))
    if changes:
        workspace.save(update_fields=fields)
        audit.record(actor, action="workspace.changed", obj=workspace, changes=changes)
    return workspace


@transaction.atomic
def set_workspace_logo(actor: Viewer, *, data: bytes) -> WorkspaceLogo:
    """Make ``data`` the logo customers see; refused (on the ``logo`` field) unless it is a
    small PNG, JPEG or WebP image (``accounts.logos``)."""
    workspace = _lock_workspace(actor)
    try:
        found = logos.check(data)
    except logos.LogoRefused as exc:
        raise ValidationFailed.field("logo", str(exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    logo, _ = WorkspaceLogo.objects.update_or_create(
        workspace=workspace,
        defaults={
            "content_type": found.content_type,
            "data": data,
            "width": found.width,
            "height": found.height,
            "digest": digest,
            "uploaded_at": clock.now(),
            "uploaded_by": actor.user,
        },
    )
    audit.record(
        actor,
        action="workspace.logo_set",
        obj=workspace,
        changes={
            "logo": {
                "type": found.content_type,
                "size": len(data),
                "width": found.width,
                "height": found.height,
                "sha256": digest,
            }
        },
    )
    return logo


@transaction.atomic
def remove_workspace_logo(actor: Viewer) -> bool:
    """Customers see the workspace's name alone again. False when there was no logo."""
    workspace = _lock_workspace(actor)
    deleted, _ = WorkspaceLogo.objects.filter(workspace=workspace).delete()
    if deleted:
        audit.record(actor, action="workspace.logo_removed", obj=workspace)
    return bool(deleted)


# --- members and invitations ----------------------------------------------------------------


@transaction.atomic
def invite_member(
    actor: Viewer, *, email: str, role: str, function: str = ""
) -> tuple[MemberInvitation, str]:
    """Invite someone by email with a role. Returns the invitation and its one-time link.

    A pending invitation to the same address is replaced, so only the newest link works.
    """
    permissions.check(actor, "member.manage")
    email = _clean_email(email)
    role = _clean_role(role)
    function = _clean_function(function)
    if Membership.objects.filter(
        workspace_id=actor.workspace_id, user__email__iexact=email
    ).exists():
        raise ValidationFailed.field("email", f"{email} is already a member of this workspace.")
    now = clock.now()
    # Every open invitation (pending or expired unanswered) is replaced: one link per address.
    MemberInvitation.objects.filter(
        workspace_id=actor.workspace_id,
        email=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=now)
    secret, token_hash = MemberInvitation.new_secret()
    try:
        with transaction.atomic():
            invitation = MemberInvitation.objects.create(
                workspace_id=actor.workspace_id,
                email=email,
                role=role,
                function=function,
                invited_by=actor.user,  # type: ignore[misc]
                token_hash=token_hash,
                expires_at=now + MemberInvitation.VALID_FOR,
            )
    except IntegrityError:  # the same address invited at the same moment: one link wins
        raise Conflict(
            f"{email} is being invited by someone else right now; reload to see the invitation."
        ) from None
    link = settings.TRACTION_SITE_URL.rstrip("/") + reverse(
        "accounts:accept_invitation", args=[secret]
    )
    audit.record(
        actor,
        action="invitation.sent",
        obj=invitation,
        changes={"email": email, "role": role, **({"function": function} if function else {})},
    )
    body = render_to_string(
        "accounts/email/invitation.txt",
        {"invitation": invitation, "link": link, "inviter": actor.user},
    )
    send_email_on_commit(
        f"You are invited to {invitation.workspace.name} on Traction", body, [email]
    )
    return invitation, link


def find_invitation(secret: str, *, lock: bool = False) -> MemberInvitation:
    """The pending invitation behind a link, or NotFound (unknown, used, revoked or expired).
    ``lock`` (inside a transaction): hold the row until the transaction ends."""
    rows = MemberInvitation.objects.pending()
    if lock:
        rows = rows.select_for_update(of=("self",))
    try:
        return rows.select_related("workspace").get(token_hash=MemberInvitation.hash_secret(secret))
    except MemberInvitation.DoesNotExist:
        raise NotFound("This invitation link is not valid any more. Ask for a new one.") from None


@transaction.atomic
def accept_invitation(
    *, secret: str, user: User | None = None, full_name: str = "", password: str = ""
) -> Membership:
    """Join the workspace: as the signed-in ``user`` (whose email must match) or as a new user."""
    # Locked: of parallel clicks on one link, one joins; the others are told it was used.
    invitation = find_invitation(secret, lock=True)
    if user is not None and user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            raise PermissionDenied(
                f"This invitation is for {invitation.email}; you are signed in as {user.email}."
            )
    elif User.objects.filter(email__iexact=invitation.email).exists():
        raise PermissionDenied(f"Sign in as {invitation.email} first, then open the link again.")
    else:
        user = create_user(email=invitation.email, full_name=full_name, password=password)
    membership, _ = Membership.objects.get_or_create(
        workspace=invitation.workspace,
        user=user,
        defaults={"role": invitation.role, "function": invitation.function},
    )
    invitation.accepted_at = clock.now()
    invitation.save(update_fields=["accepted_at"])
    viewer = Viewer(user=user, workspace_id=invitation.workspace_id, role=membership.role)
    audit.record(viewer, action="invitation.accepted", obj=invitation)
    audit.record(
        viewer,
        action="member.added",
        obj=membership,
        changes={
            "role": membership.role,
            **({"function": membership.function} if membership.function else {}),
        },
    )
    return membership


@transaction.atomic
def revoke_invitation(actor: Viewer, *, invitation: MemberInvitation) -> MemberInvitation:
    permissions.check(actor, "member.manage", invitation)
    if invitation.status != "pending":
        raise ValidationFailed.field("__all__", f"This invitation is already {invitation.status}.")
    invitation.revoked_at = clock.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(actor, action="invitation.revoked", obj=invitation)
    return invitation


def _admins_left(workspace_id: int, excluding: Membership) -> int:
    """Admins other than ``excluding`` (call ``_lock_membership`` first: it locks them)."""
    return (
        Membership.objects.filter(workspace_id=workspace_id, role=Role.ADMIN)
        .exclude(pk=excluding.pk)
        .count()
    )


def _lock_membership(membership: Membership) -> Membership:
    """Lock the workspace's admin memberships, then ``membership``, and read it afresh.

    Always in that order (admins by id, then the target), so two admins demoting or
    removing each other at once are serialised without a deadlock: the second sees the
    first's change, and is refused if it would leave no admin."""
    list(
        Membership.objects.select_for_update()
        .filter(workspace_id=membership.workspace_id, role=Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    try:
        return Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    except Membership.DoesNotExist:
        raise NotFound("This member was removed meanwhile.") from None


@transaction.atomic
def change_member_role(
    actor: Viewer, *, membership: Membership, role: str, expected_version: int | None = None
) -> Membership:
    """Give a member another role. The last admin keeps the admin role. A change based on
    another version than the current one (``expected_version``) is a Conflict."""
    permissions.check(actor, "member.manage", membership)
    role = _clean_role(role)
    membership = _lock_membership(membership)
    expect_version(membership, expected_version)
    if membership.role == role:
        return membership
    if membership.role == Role.ADMIN and _admins_left(actor.workspace_id, membership) == 0:
        raise ValidationFailed.field("role", "A workspace needs at least one admin.")
    old = membership.role
    membership.role = role
    save_new_version(membership, fields=["role"])
    audit.record(actor, action="member.role_changed", obj=membership, changes={"role": [old, role]})
    return membership


def _clean_function(function: str) -> str:
    if function not in MemberFunction.values and function != "":
        raise ValidationFailed.field(
            "function", f"Choose one of: {', '.join(MemberFunction.values)} (or none)."
        )
    return function


@transaction.atomic
def set_member_function(
    actor: Viewer, *, membership: Membership, function: str, expected_version: int | None = None
) -> Membership:
    """Say which part of the company a member works in ("" : not stated); the debrief shows
    whether a program's core team and policy makers are cross-functional. A change based on
    another version than the current one (``expected_version``) is a Conflict."""
    permissions.check(actor, "member.manage", membership)
    function = _clean_function(function)
    membership = _lock_membership(membership)
    expect_version(membership, expected_version)
    if membership.function == function:
        return membership
    old = membership.function
    membership.function = function
    save_new_version(membership, fields=["function"])
    audit.record(
        actor,
        action="member.function_changed",
        obj=membership,
        changes={"function": [old, function]},
    )
    return membership


@transaction.atomic
def remove_member(actor: Viewer, *, membership: Membership, reason: str = "") -> None:
    """Remove a member: their membership is archived (kept as history, granting nothing),
    their API tokens for this workspace stop working at once, and ``member.removed`` makes
    them leave every program team and session they took part in. Adding them again later
    makes a fresh membership; what they left stays left."""
    permissions.check(actor, "member.manage", membership)
    membership = _lock_membership(membership)
    if membership.role == Role.ADMIN and _admins_left(actor.workspace_id, membership) == 0:
        raise ValidationFailed.field("__all__", "A workspace needs at least one admin.")
    now = clock.now()
    ApiToken.objects.active().filter(
        workspace_id=actor.workspace_id, user_id=membership.user_id
    ).update(revoked_at=now)
    audit.record(
        actor,
        action="member.removed",
        obj=membership,
        changes={"user": membership.user.email, "role": membership.role},
        reason=reason,
    )
    membership.archived_at = now
    membership.archived_by_id = actor.user_id
    membership.save(update_fields=["archived_at", "archived_by"])
    events.publish("member.removed", actor, user_id=membership.user_id)


# --- API tokens -----------------------------------------------------------------------------


def lifetime_choices() -> str:
    return ", ".join(str(days) for days in ApiToken.LIFETIMES) + " (days) or none"


@transaction.atomic
def create_api_token(
    actor: Viewer, *, name: str, lifetime_days: int | Literal[Keep.KEEP] | None = Keep.KEEP
) -> tuple[ApiToken, str]:
    """A new bearer token for the actor in this workspace. The key is shown once, never stored.

    It expires ``lifetime_days`` (one of ``ApiToken.LIFETIMES``) after now, to the second
    (a day is 24 hours whatever the time zone), or never with None; not given, the default
    (``selectors.token_lifetimes``: 90 days, or the workspace's maximum if shorter). A
    lifetime beyond the workspace's maximum (``Workspace.token_max_days``) is refused."""
    from .selectors import token_lifetimes

    permissions.check(actor, "token.manage_own")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.field("name", "Name the token after where it will be used.")
    require_length("name", name, 80)
    allowed, default = token_lifetimes(actor)
    if lifetime_days is Keep.KEEP:
        lifetime_days = default
    if lifetime_days is not None and lifetime_days not in ApiToken.LIFETIMES:
        raise ValidationFailed.field(
            "expires_in", f"Choose how long the token works: {lifetime_choices()}."
        )
    if lifetime_days not in allowed:
        longest = max(days for days in allowed if days is not None)
        raise ValidationFailed.field(
            "expires_in",
            f"Tokens of this workspace expire within {longest} days at most (its admins' "
            f"setting): choose {longest} days or fewer.",
        )
    now = clock.now()
    expires_at = None if lifetime_days is None else now + timedelta(days=lifetime_days)
    key, key_hash = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=actor.user,  # type: ignore[misc]
        workspace_id=actor.workspace_id,
        name=name,
        key_hash=key_hash,
        hint=key[:10],
        expires_at=expires_at,
    )
    audit.record(
        actor,
        action="token.created",
        obj=token,
        changes={"expires_at": clock.iso_utc(expires_at) if expires_at else None},
        workspace_id=actor.workspace_id,
    )
    return token, key


def expiry_notice_action(token_id: int) -> str:
    return f"token.expiring:{token_id}"


def token_expiry_emails_of(workspace_id: int, user_id: int) -> bool:
    """Whether the member gets an email when one of their API tokens is about to expire
    (they do unless they chose not to)."""
    chosen = (
        TokenEmailPreference.objects.filter(workspace_id=workspace_id, user_id=user_id)
        .values_list("expiry_emails", flat=True)
        .first()
    )
    return True if chosen is None else chosen


def token_expiry_emails_for(viewer: Viewer) -> bool:
    """The viewer's own choice (for their settings page)."""
    permissions.check(viewer, "settings.own")
    assert viewer.user_id is not None
    return token_expiry_emails_of(viewer.workspace_id, viewer.user_id)


@transaction.atomic
def choose_token_expiry_emails(actor: Viewer, *, expiry_emails: bool) -> bool:
    """The member chooses whether they get an email when one of their API tokens is about
    to expire (the in-app notice comes whatever they choose)."""
    permissions.check(actor, "settings.own")
    assert actor.user_id is not None
    preference, _ = TokenEmailPreference.objects.select_for_update().get_or_create(
        workspace_id=actor.workspace_id, user_id=actor.user_id
    )
    before = preference.expiry_emails
    if before != expiry_emails:
        preference.expiry_emails = expiry_emails
        preference.save(update_fields=["expiry_emails"])
        audit.record(
            actor,
            action="token_emails.chosen",
            obj=preference,
            changes={"expiry_emails": [before, expiry_emails]},
        )
    return expiry_emails


def warn_expiring_api_tokens() -> dict[str, int]:
    """Tell the owner of each token that expires within ``ApiToken.WARN_BEFORE`` (and has not
    yet): an in-app notice and an email (unless they chose no such emails:
    ``choose_token_expiry_emails``), once per token (``expiry_warned_at``, claimed by a
    conditional update, so two runs at once warn once). Revoked and already expired tokens,
    and tokens of inactive users or former members, get no warning. A periodic job."""
    now = clock.now()
    due = ApiToken.objects.active().filter(
        expires_at__gt=now,
        expires_at__lte=now + ApiToken.WARN_BEFORE,
        expiry_warned_at__isnull=True,
        user__is_active=True,
        user__memberships__workspace=F("workspace"),
        user__memberships__archived_at__isnull=True,
    )
    warned = 0
    for token_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = ApiToken.objects.filter(
                pk=token_id, expiry_warned_at__isnull=True, revoked_at__isnull=True
            ).update(expiry_warned_at=now)
            if claimed:
                _warn_owner(ApiToken.objects.select_related("user", "workspace").get(pk=token_id))
                warned += 1
    return {"warned": warned}


def _warn_owner(token: ApiToken) -> None:
    from .models import Notice

    workspace = token.workspace
    assert token.expires_at is not None
    local = token.expires_at.astimezone(clock.zone(workspace.time_zone))
    when = f"{local:%-d %b %Y %H:%M} ({workspace.time_zone})"
    path = reverse("accounts:tokens", args=[workspace.slug])
    text = f"Your API token “{token.name}” ({token.hint}…) expires on {when}."
    Notice.objects.create(
        workspace_id=token.workspace_id,
        user_id=token.user_id,
        text=text[:300],
        link=path,
        action=expiry_notice_action(token.pk),
    )
    if not token_expiry_emails_of(token.workspace_id, token.user_id):
        return  # they chose the notice alone
    site = settings.TRACTION_SITE_URL.rstrip("/")
    settings_path = reverse("accounts:settings", args=[workspace.slug])
    send_email_on_commit(
        f"Your API token “{token.name}” expires on {local:%-d %b %Y}"[:200],
        f"{text}\n\nFrom then on, whatever uses it (a script, an integration) is refused. "
        f"Create a new token in {workspace.name} and put it in their place before then; "
        f"revoke the old one once nothing uses it:\n\n{site}{path}\n\n"
        "You get this email because a token of yours is about to expire. To get only the "
        f"notice in Traction, turn off “Email me before a token expires” in your "
        f"settings:\n\n{site}{settings_path}\n",
        [token.user.email],
    )


@transaction.atomic
def revoke_api_token(actor: Viewer, *, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens: it stops working at once."""
    permissions.check(actor, "token.manage_own")
    if token.user_id != actor.user_id or token.workspace_id != actor.workspace_id:
        raise NotFound("Token not found.")
    return _revoke(actor, token)


@transaction.atomic
def revoke_member_api_token(actor: Viewer, *, token: ApiToken) -> ApiToken:
    """An admin revokes any member's token of this workspace (a leaked one, a script that is
    gone); the audit entry names whose token it was."""
    permissions.check(actor, "token.manage_all")
    if token.workspace_id != actor.workspace_id:
        raise NotFound("Token not found.")
    return _revoke(actor, token)


def _revoke(actor: Viewer, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.revoked_at is None:
        from .models import Notice

        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        # A warning that it expires soon has been dealt with.
        Notice.objects.filter(
            action=expiry_notice_action(token.pk), resolved_at__isnull=True
        ).update(resolved_at=token.revoked_at)
        changes = {} if token.user_id == actor.user_id else {"user": token.user.email}
        audit.record(
            actor,
            action="token.revoked",
            obj=token,
            changes=changes,
            workspace_id=actor.workspace_id,
        )
    return token


def mark_notices_read(actor: Viewer, *, notice_id: int | None = None) -> int:
    """Mark the viewer's own notices read (one, or all); returns how many changed."""
    from .models import Notice

    permissions.check(actor, "workspace.view")
    qs = Notice.objects.filter(
        workspace_id=actor.workspace_id, user_id=actor.user_id, read_at__isnull=True
    )
    if notice_id is not None:
        qs = qs.filter(pk=notice_id)
    return qs.update(read_at=clock.now())
