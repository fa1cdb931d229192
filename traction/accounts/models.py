"""Users, workspaces, memberships (a role per workspace), invitations and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from traction.core import clock
from traction.core.models import ClockDateTimeField
from traction.core.permissions import Role


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    # Whoever runs this installation (``traction setup``'s first admin): creates workspaces
    # on the web as ``traction workspace create`` does at the shell. Not a workspace role.
    is_installation_owner = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=clock.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email


class Workspace(models.Model):
    """A hard wall: nothing crosses it. A consultancy runs one workspace per client."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    # The zone new sessions start in and pickers default to (a current IANA name).
    time_zone = models.CharField(max_length=64, default="UTC")
    # How customer mail is signed: the sender's name (empty: the workspace's name) beside
    # Traction's sending address, and where customers' replies go (empty: nowhere special).
    sender_name = models.CharField(max_length=120, blank=True)
    reply_to = models.EmailField(blank=True)
    # The longest lifetime, in days, a new API token may have (one of ApiToken.LIFETIMES);
    # None: any, a token that never expires included. Tokens made before keep theirs.
    token_max_days = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def sender_display_name(self) -> str:
        return self.sender_name or self.name


class WorkspaceLogo(models.Model):
    """The workspace's logo, shown to its customers (invitation email, RSVP and ballot pages).

    A small raster image (PNG, JPEG or WebP, checked by ``accounts.logos``) kept in the
    database: it is backed up with everything else and needs no media storage. Its own
    table, so loading a workspace never loads the image.
    """

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="logo")
    content_type = models.CharField(max_length=20)
    data = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)  # sha256 of ``data``: the ETag and cache key
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Logo of {self.workspace}"


class CurrentMemberships(models.Manager["Membership"]):
    """Memberships in force. A removed member's membership is archived, never deleted: it is
    history (who was in the workspace, in which role, until when) and grants nothing."""

    def get_queryset(self) -> models.QuerySet[Membership]:
        return super().get_queryset().filter(archived_at__isnull=True)


class MemberFunction(models.TextChoices):
    """The part of the company a member works in: a debrief shows whether the core team is
    cross-functional and which function is missing."""

    PRODUCT = "product", "Product"
    ENGINEERING = "engineering", "Engineering"
    DESIGN = "design", "Design"
    SUPPORT = "support", "Support"
    SUCCESS = "success", "Customer success"
    SALES = "sales", "Sales"
    MARKETING = "marketing", "Marketing"
    FINANCE = "finance", "Finance"
    OPERATIONS = "operations", "Operations"
    LEGAL = "legal", "Legal"
    OTHER = "other", "Other"


class Membership(models.Model):
    """A user's role in a workspace.

    ``objects`` (and ``user.memberships``) are the memberships in force; ``history`` every row,
    archived ones included. Anything joining memberships in a query must add
    ``memberships__archived_at__isnull=True``. Re-adding a removed member makes a fresh row.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.RESTRICT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    # Empty until someone says; "not stated" is shown as such, never guessed.
    function = models.CharField(max_length=20, choices=MemberFunction.choices, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Optimistic concurrency (``traction.core.writes``): a role or function change based on
    # an older version is refused, never silently overwritten.
    version = models.PositiveIntegerField(default=1)

    objects = CurrentMemberships()
    history = models.Manager()  # noqa: DJ012 - a second manager, not a field

    class Meta:
        ordering = ["user__full_name", "user__email"]
        base_manager_name = "history"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user"],
                condition=models.Q(archived_at__isnull=True),
                name="one_membership_per_workspace",
            )
        ]

    def __str__(self) -> str:
        label = f"{self.user} ({self.get_role_display()}) in {self.workspace}"
        return f"{label} (removed)" if self.archived_at else label


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class MemberInvitationQuerySet(models.QuerySet["MemberInvitation"]):
    def pending(self) -> MemberInvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=clock.now()
        )


class MemberInvitation(models.Model):
    """An invitation to join a workspace with a role; the link carries a secret we only hash."""

    VALID_FOR = timedelta(days=14)

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    # The member's function once they join (``Membership.function``); empty: not stated.
    function = models.CharField(max_length=20, choices=MemberFunction.choices, blank=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = MemberInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address: ten parallel "invite" clicks make one link.
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.workspace}"

    @staticmethod
    def new_secret() -> tuple[str, str]:
        secret = secrets.token_urlsafe(32)
        return secret, _hash(secret)

    @staticmethod
    def hash_secret(secret: str) -> str:
        return _hash(secret)

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= clock.now():
            return "expired"
        return "pending"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        """Not revoked (an expired token is not revoked: it is refused by its ``expires_at``)."""
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token for the API, bound to one user in one workspace. Only its hash is kept.

    It expires ``LIFETIMES`` days after it is created (``DEFAULT_LIFETIME`` unless its
    creator chose otherwise), or never (``expires_at`` None: chosen, or made before tokens
    expired). From the instant ``expires_at`` on, it is refused; its owner is told
    ``WARN_BEFORE`` then (``services.warn_expiring_api_tokens``)."""

    PREFIX = "trc_"
    LIFETIMES = (30, 90, 365)  # days; None: never expires
    DEFAULT_LIFETIME = 90
    WARN_BEFORE = timedelta(days=7)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)  # the first characters, to recognise a token
    created_at = ClockDateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The instant it stops working; None: never.
    expires_at = models.DateTimeField(null=True, blank=True)
    # When its owner was told it expires soon (once per token).
    expiry_warned_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def new_key(cls) -> tuple[str, str]:
        key = cls.PREFIX + secrets.token_urlsafe(32)
        return key, _hash(key)

    @staticmethod
    def hash_key(key: str) -> str:
        return _hash(key)

    def has_expired(self, now: datetime | None = None) -> bool:
        """True from the instant ``expires_at`` on (a token expiring exactly now has)."""
        return self.expires_at is not None and self.expires_at <= (now or clock.now())

    @property
    def status(self) -> str:
        """ "revoked", "expired" or "active"; revoked wins over expired."""
        if self.revoked_at:
            return "revoked"
        if self.has_expired():
            return "expired"
        return "active"


class TokenEmailPreference(models.Model):
    """Whether a member gets an email when one of their API tokens of this workspace is
    about to expire (no row: they do). The in-app notice comes whatever they choose."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expiry_emails = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user"], name="one_token_email_preference_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: token expiry emails {'on' if self.expiry_emails else 'off'}"


class FailedLogin(models.Model):
    """Failed sign-ins, counted per email and per address to throttle guessing."""

    email = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(default=clock.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.email} from {self.ip} at {self.at}"


class NoticeQuerySet(models.QuerySet["Notice"]):
    def unread(self) -> NoticeQuerySet:
        return self.filter(read_at__isnull=True)

    def open(self) -> NoticeQuerySet:
        """Neither read nor resolved: what the navigation's badge counts."""
        return self.filter(read_at__isnull=True, resolved_at__isnull=True)


class Notice(models.Model):
    """An in-app notice to one member (e.g. an outreach request waiting for their decision)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notices")
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # A notice that asks for an action names it ("outreach.decide:12", "briefing.read:7"); the
    # use-case that does the action resolves it (``resolved_at``), whoever did it.
    action = models.CharField(max_length=80, blank=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text
