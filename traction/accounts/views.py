"""Web views for signing in, workspaces, members, invitations, the audit log and API tokens.

Each view parses input with a form, calls one service or selector, and renders.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from traction.core import dashboard, permissions, sections, tasks
from traction.core.errors import Conflict, NotFound, ValidationFailed
from traction.core.guard import whole_number
from traction.core.permissions import ROLE_DESCRIPTIONS, Role, Viewer, personal, public
from traction.core.proxies import client_address
from traction.core.web import (
    WorkspaceRequest,
    apply_domain_errors,
    error_text,
    query_without,
    workspace_view,
)

from . import logos, selectors, services, throttle
from .forms import (
    AcceptInvitationForm,
    AuditFilterForm,
    InviteForm,
    LoginForm,
    LogoForm,
    MemberFunctionForm,
    MemberRoleForm,
    RemoveMemberForm,
    TokenEmailsForm,
    TokenForm,
    WorkspaceCreateForm,
    WorkspaceSettingsForm,
)
from .models import MemberFunction, User
from .views_password import link_lifetime, set_password_link

AUDIT_PAGE_SIZE = 50
TOKENS_PAGE = 25  # API tokens a page (revoked ones stay listed: the lists grow with history)
FORMER_PAGE = 25  # former members a page
MEMBERS_PAGE = 50  # current members a page (``page``)
INVITATIONS_PAGE = 25  # pending invitations a page (``invited``)


def _client_ip(request: HttpRequest) -> str | None:
    """The client's address; behind a proxy named in TRACTION_TRUSTED_PROXIES, the forwarded one."""
    return client_address(request)


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("accounts:home")


def _landing(request: HttpRequest, user: User, target: str) -> str:
    """Where signing in leads: a safe ``next``; else the one workspace of a member of one (no
    chooser with a single choice); else the chooser."""
    home = reverse("accounts:home")
    landing = _safe_next(request, target)
    if landing in (home, "/"):
        slugs = list(selectors.memberships_of(user).values_list("workspace__slug", flat=True)[:2])
        if len(slugs) == 1:
            return reverse("accounts:workspace_home", args=[slugs[0]])
    return landing


# --- signing in and out ---------------------------------------------------------------------


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@public("Signing in happens before anyone is known.")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(
        request.POST if request.method == "POST" else None,
        initial={"next": request.GET.get("next", "")},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        email, ip = form.cleaned_data["email"], _client_ip(request)
        wait = throttle.login_wait_seconds(email=email, ip=ip)
        if wait:
            # Refused before the password is even checked: guessing gains nothing. Only
            # this account from this address waits; the account elsewhere is not locked.
            form.add_error(
                None,
                "Too many failed sign-ins for this account from your address. "
                f"Wait {_duration(wait)}, then try again.",
            )
            status = 429
        else:
            user = authenticate(request, email=email, password=form.cleaned_data["password"])
            if user is None:
                throttle.record_failed_login(email=email, ip=ip)
                form.add_error(None, "That email and password do not match an account.")
            else:
                throttle.clear_failed_logins(email=email, ip=ip)
                login(request, user)
                return redirect(_landing(request, user, form.cleaned_data["next"]))
    return render(request, "accounts/login.html", {"form": form}, status=status)


@public("Signing out needs no permission; it only ends the visitor's own session.")
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect("accounts:login")


@personal("Lists only the signed-in user's own workspaces.")
@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    memberships = list(selectors.memberships_of(user))
    return render(request, "accounts/home.html", {"memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def workspace_create(request: HttpRequest) -> HttpResponse:
    """The installation's owner creates a workspace, as ``traction workspace create`` does."""
    user = request.user
    assert isinstance(user, User)
    services.check_installation_owner(user)
    form = WorkspaceCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            workspace, admin, created = services.create_workspace_for(
                user,
                name=values["name"],
                slug=values["slug"],
                admin_email=values["admin_email"],
                admin_name=values["admin_name"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {"email": "admin_email", "full_name": "admin_name"})
        else:
            return render(
                request,
                "accounts/workspace_created.html",
                {
                    "workspace": workspace,
                    "admin": admin,
                    "link": set_password_link(admin) if created else "",
                    "lifetime": link_lifetime(),
                },
            )
    return render(request, "accounts/workspace_create.html", {"form": form})


# --- invitations ----------------------------------------------------------------------------


@public("The invitation link's secret is the credential; the service checks it.")
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, secret: str) -> HttpResponse:
    invitation = services.find_invitation(secret)  # NotFound for a used or unknown link
    user = request.user if request.user.is_authenticated else None
    existing_account = user is None and User.objects.filter(email__iexact=invitation.email).exists()
    form = (
        AcceptInvitationForm(request.POST if request.method == "POST" else None)
        if user is None
        else None
    )
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            membership = services.accept_invitation(
                secret=secret,
                user=user,
                full_name=form.cleaned_data["full_name"] if form else "",
                password=form.cleaned_data["password"] if form else "",
            )
        except ValidationFailed as exc:
            assert form is not None  # a signed-in member joining has nothing to validate
            apply_domain_errors(form, exc)
        else:
            if user is None:
                login(request, membership.user)
            messages.success(
                request,
                f"Welcome to {membership.workspace.name}. You joined as "
                f"{membership.get_role_display()}.",
            )
            return redirect("accounts:workspace_home", workspace_slug=membership.workspace.slug)
    return render(
        request,
        "accounts/accept_invitation.html",
        {
            "invitation": invitation,
            "form": form,
            "existing_account": existing_account,
            "wrong_user": user is not None and user.email.lower() != invitation.email.lower(),
            "role_description": ROLE_DESCRIPTIONS.get(invitation.role, ""),
        },
    )


# --- inside a workspace ---------------------------------------------------------------------


@workspace_view
@require_GET
def workspace_home(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    workspace = selectors.workspace(viewer)
    # The apps built on accounts contribute their figures (core.dashboard) and their next
    # steps (core.sections, page "home"): this page names none of them.
    counts = dashboard.figures(viewer)
    home = dashboard.Home(workspace_slug=workspace.slug, counts=counts)
    # Admins hear when emails wait with no worker taking them (``traction worker`` down).
    backlog = tasks.task_backlog() if permissions.allows(viewer, "member.manage") else None
    return render(
        request,
        "accounts/workspace_home.html",
        {
            "workspace": workspace,
            "cards": dashboard.cards(workspace.slug, counts),
            "steps": sections.for_page("home", viewer, home),
            "overview": sections.for_page("home-overview", viewer, home),
            "backlog": backlog,
            "role_label": Role(viewer.role).label,
            "role_description": ROLE_DESCRIPTIONS.get(viewer.role, ""),
        },
    )


MEMBERS_PAGERS = ("page", "former", "invited")  # the members page's own query: its pagers


def members_query(request: HttpRequest) -> str:
    """The members page's own query from ``request``'s (the page, or a form posted from it
    with that query): its pagers' pages, whole numbers only; nothing else is carried."""
    kept = QueryDict(mutable=True)
    for name in MEMBERS_PAGERS:
        number = whole_number(request.GET.get(name, ""))
        if number is not None:
            kept[name] = str(number)
    return kept.urlencode()


def _to_members(request: WorkspaceRequest) -> HttpResponse:
    """Back to the members page as it was when the form was sent (its pagers' pages): a
    change of role on page 3 shows page 3. Only this page's address and query, so a crafted
    query can never send anyone elsewhere."""
    url = reverse("accounts:members", kwargs={"workspace_slug": request.workspace.slug})
    query = members_query(request)
    return redirect(f"{url}?{query}" if query else url)


def _members_context(request: HttpRequest, viewer: Viewer) -> dict[str, Any]:
    """The members page's lists, each a page at a time (current members ``page``, former
    ``former``, pending invitations ``invited``): the same queries however many there are."""
    manage = permissions.allows(viewer, "member.manage")
    return {
        "functions": MemberFunction.choices,
        "members": Paginator(
            selectors.members(viewer).order_by("user__full_name", "user__email", "pk"),
            MEMBERS_PAGE,
        ).get_page(request.GET.get("page")),
        # People who left, the latest first, a page at a time (``former``).
        "removed": Paginator(
            selectors.members(viewer, removed=True).order_by("-archived_at", "-pk"), FORMER_PAGE
        ).get_page(request.GET.get("former")),
        # Newest first (the model's order), a page at a time (``invited``).
        "invitations": Paginator(
            selectors.invitations(viewer).order_by("-created_at", "-pk"), INVITATIONS_PAGE
        ).get_page(request.GET.get("invited"))
        if manage
        else None,
        "query": query_without(request, "page"),
        "back": members_query(request),
        "former_query": query_without(request, "former"),
        "invited_query": query_without(request, "invited"),
        "can_manage": manage,
        "can_manage_tokens": permissions.allows(viewer, "token.manage_all"),
        "roles": [
            {"value": value, "label": label, "description": ROLE_DESCRIPTIONS[value]}
            for value, label in Role.choices
        ],
    }


@workspace_view
@require_GET
def members(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    return render(request, "accounts/members.html", _members_context(request, viewer))


@workspace_view
@require_http_methods(["GET", "POST"])
def member_invite(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    permissions.check(viewer, "member.manage")
    form = InviteForm(request.POST if request.method == "POST" else None)
    sent: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        # A pending invitation to the same address is replaced by this one: say so.
        earlier = [
            i.get_role_display()
            for i in selectors.invitations(viewer).filter(email__iexact=form.cleaned_data["email"])
        ]
        try:
            invitation, link = services.invite_member(viewer, **form.cleaned_data)
        except (ValidationFailed, Conflict) as exc:
            apply_domain_errors(form, exc)
        else:
            # Shown once, on this response: the secret is stored only as a hash.
            sent = {
                "email": invitation.email,
                "role": invitation.get_role_display(),
                "function": invitation.get_function_display(),
                "link": link,
                "replaced": earlier,
            }
            form = InviteForm()
    roles = [
        {"label": label, "description": ROLE_DESCRIPTIONS[value]} for value, label in Role.choices
    ]
    return render(
        request, "accounts/member_invite.html", {"form": form, "sent": sent, "roles": roles}
    )


@workspace_view
@require_POST
def member_role(request: WorkspaceRequest, viewer: Viewer, membership_id: int) -> HttpResponse:
    membership = selectors.member(viewer, membership_id, action="member.manage")
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles listed.")
    else:
        try:
            changed = services.change_member_role(
                viewer,
                membership=membership,
                role=form.cleaned_data["role"],
                expected_version=form.cleaned_data["version"],
            )
        except (ValidationFailed, NotFound, Conflict) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, f"{changed.user} is now {changed.get_role_display()}.")
    return _to_members(request)


@workspace_view
@require_POST
def member_function(request: WorkspaceRequest, viewer: Viewer, membership_id: int) -> HttpResponse:
    membership = selectors.member(viewer, membership_id, action="member.manage")
    form = MemberFunctionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the functions listed.")
    else:
        try:
            changed = services.set_member_function(
                viewer,
                membership=membership,
                function=form.cleaned_data["function"],
                expected_version=form.cleaned_data["version"],
            )
        except (ValidationFailed, NotFound, Conflict) as exc:
            messages.error(request, error_text(exc))
        else:
            label = changed.get_function_display() or "not stated"
            messages.success(request, f"{changed.user}'s function: {label}.")
    return _to_members(request)


@workspace_view
@require_http_methods(["GET", "POST"])
def member_remove(request: WorkspaceRequest, viewer: Viewer, membership_id: int) -> HttpResponse:
    membership = selectors.member(viewer, membership_id, action="member.manage")
    form = RemoveMemberForm(request.POST if request.method == "POST" else None)
    # What the removal leaves behind in the apps above (e.g. the open actions they own,
    # which will need a new owner): said before, and (a section's ``after``) in the message.
    consequences = sections.for_page("member-remove", viewer, membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_member(
                viewer, membership=membership, reason=form.cleaned_data["reason"]
            )
        except (ValidationFailed, NotFound) as exc:
            apply_domain_errors(form, exc)
        else:
            after = [s["context"]["after"] for s in consequences if s["context"].get("after")]
            text = " ".join([f"{membership.user} no longer belongs to this workspace.", *after])
            messages.success(request, text)
            return _to_members(request)
    return render(
        request,
        "accounts/member_remove.html",
        {
            "membership": membership,
            "form": form,
            "back": members_query(request),
            "sections": consequences,
        },
    )


@workspace_view
@require_POST
def invitation_revoke(
    request: WorkspaceRequest, viewer: Viewer, invitation_id: int
) -> HttpResponse:
    invitation = selectors.invitation(viewer, invitation_id)
    try:
        services.revoke_invitation(viewer, invitation=invitation)
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"The invitation for {invitation.email} no longer works.")
    return _to_members(request)


@workspace_view
@require_GET
def audit_log(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    all_events = selectors.audit_events(viewer)
    object_types = sorted(set(all_events.order_by().values_list("object_type", flat=True)))
    form = AuditFilterForm(request.GET or None, object_types=object_types)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_events(
        viewer,
        action=filters.get("action", "").strip(),
        actor_email=filters.get("actor", "").strip(),
        object_type=filters.get("object_type", ""),
    ).select_related("actor")
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/audit_log.html",
        {
            "form": form,
            "page": page,
            "filtered": any(filters.values()),
            "query": query_without(request, "page"),
        },
    )


# --- workspace settings ------------------------------------------------------------------


def _settings_page(
    request: WorkspaceRequest,
    viewer: Viewer,
    *,
    form: WorkspaceSettingsForm | None = None,
    logo_form: LogoForm | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = selectors.workspace_settings(viewer)
    if form is None:
        form = WorkspaceSettingsForm(
            initial={
                "name": workspace.name,
                "time_zone": workspace.time_zone,
                "sender_name": workspace.sender_name,
                "reply_to": workspace.reply_to,
                "token_max_days": workspace.token_max_days or "",
            }
        )
    form.fields["time_zone"].keep(workspace.time_zone)  # type: ignore[attr-defined]
    return render(
        request,
        "accounts/workspace_settings.html",
        {
            "form": form,
            "logo_form": logo_form or LogoForm(),
            "settings_workspace": workspace,
            "logo_digest": selectors.has_logo(workspace.pk),
            "sections": sections.for_page("workspace-settings", viewer, workspace),
        },
        status=status,
    )


@workspace_view
@require_http_methods(["GET", "POST"])
def workspace_settings(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """The workspace's name, time zone and logo (admins)."""
    if request.method != "POST":
        return _settings_page(request, viewer)
    workspace = selectors.workspace_settings(viewer)
    form = WorkspaceSettingsForm(request.POST)
    form.fields["time_zone"].keep(workspace.time_zone)  # type: ignore[attr-defined]
    if form.is_valid():
        try:
            services.update_workspace(
                viewer,
                name=form.cleaned_data["name"],
                time_zone=form.cleaned_data["time_zone"],
                sender_name=form.cleaned_data["sender_name"],
                reply_to=form.cleaned_data["reply_to"],
                token_max_days=form.cleaned_data["token_max_days"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "The workspace settings are saved.")
            return redirect("accounts:workspace_settings", workspace_slug=request.workspace.slug)
    return _settings_page(request, viewer, form=form)


@workspace_view
@require_POST
def workspace_logo_upload(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    selectors.workspace_settings(viewer)
    logo_form = LogoForm(request.POST, request.FILES)
    if logo_form.is_valid():
        upload = logo_form.cleaned_data["logo"]
        # Read one byte past the limit: a larger file is refused without reading it all.
        data = upload.read(logos.MAX_BYTES + 1)
        try:
            services.set_workspace_logo(viewer, data=data)
        except ValidationFailed as exc:
            apply_domain_errors(logo_form, exc)
        else:
            messages.success(request, "The logo is saved. Customers see it from now on.")
            return redirect("accounts:workspace_settings", workspace_slug=request.workspace.slug)
    return _settings_page(request, viewer, logo_form=logo_form)


@workspace_view
@require_POST
def workspace_logo_remove(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    if services.remove_workspace_logo(viewer):
        messages.success(request, "The logo is removed. Customers see the workspace name alone.")
    return redirect("accounts:workspace_settings", workspace_slug=request.workspace.slug)


@workspace_view
@require_GET
def workspace_logo(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """This workspace's own logo, for its members' pages (settings, email preview)."""
    return logos.response(selectors.workspace_logo(viewer), version=request.GET.get("v", ""))


@workspace_view
@require_GET
def my_settings(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """The member's own settings in this workspace: what the apps add (``sections``
    "settings", e.g. which emails they get) and their API tokens."""
    permissions.check(viewer, "settings.own")
    token_emails = TokenEmailsForm(
        initial={"expiry_emails": services.token_expiry_emails_for(viewer)}
    )
    return render(
        request,
        "accounts/settings.html",
        {"sections": sections.for_page("settings", viewer, None), "token_emails": token_emails},
    )


@workspace_view
@require_POST
def token_emails(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """The member's choice of an email before one of their API tokens expires (the notice
    comes whatever they choose); a checkbox, so any answer is valid."""
    form = TokenEmailsForm(request.POST)
    form.is_valid()
    chosen = services.choose_token_expiry_emails(
        viewer, expiry_emails=bool(form.cleaned_data.get("expiry_emails"))
    )
    messages.success(request, f"Emails before a token expires: {'on' if chosen else 'off'}. Saved.")
    return redirect("accounts:settings", workspace_slug=request.workspace.slug)


@workspace_view
@require_http_methods(["GET", "POST"])
def tokens(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    lifetimes = selectors.token_lifetimes(viewer)
    form = TokenForm(request.POST if request.method == "POST" else None, lifetimes=lifetimes)
    new_key = ""
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            new_token, new_key = services.create_api_token(
                viewer, name=form.cleaned_data["name"], lifetime_days=form.lifetime_days()
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            form = TokenForm(lifetimes=lifetimes)
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "tokens": Paginator(selectors.api_tokens(viewer), TOKENS_PAGE).get_page(
                request.GET.get("page")
            ),
            "new_token": new_token,
            "new_key": new_key,
            "api_url": settings.TRACTION_SITE_URL.rstrip("/") + "/api/v1/customers",
        },
    )


@workspace_view
@require_POST
def token_revoke(request: WorkspaceRequest, viewer: Viewer, token_id: int) -> HttpResponse:
    token = selectors.api_token(viewer, token_id)
    services.revoke_api_token(viewer, token=token)
    messages.success(request, f"The token “{token.name}” no longer works.")
    return redirect("accounts:tokens", workspace_slug=request.workspace.slug)


# --- in-app notices -------------------------------------------------------------------------


def _notice_id(raw: str) -> int | None:
    # Strictly ASCII digits of a 64-bit id: "²".isdigit() is True but int("²") fails.
    return (
        int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw.lstrip("0")) <= 18 else None
    )


def _follow(request: WorkspaceRequest, viewer: Viewer, notice_id: int) -> HttpResponse:
    services.mark_notices_read(viewer, notice_id=notice_id)
    link = selectors.notices(viewer).filter(pk=notice_id).values_list("link", flat=True).first()
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(link)
    return redirect("accounts:notices", workspace_slug=request.workspace.slug)


@workspace_view
@require_http_methods(["GET", "POST"])
def notices(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """The viewer's own notices; POST marks them read (one, then follows its link, or all)."""
    if request.method == "POST":
        notice_id = _notice_id(request.POST.get("notice", ""))
        if notice_id is not None:
            return _follow(request, viewer, notice_id)
        services.mark_notices_read(viewer)
        return redirect("accounts:notices", workspace_slug=request.workspace.slug)
    found = list(selectors.notices(viewer)[:100])
    return render(
        request,
        "accounts/notices.html",
        {
            "notices": found,
            "unread": sum(1 for n in found if n.read_at is None and n.resolved_at is None),
        },
    )


@workspace_view
@require_GET
def notice_open(request: WorkspaceRequest, viewer: Viewer, notice_id: int) -> HttpResponse:
    """A notice's "Open" link (a real link, so it opens in a new tab too): marks the viewer's
    own notice read and follows its link; another's notice is just the notices page."""
    return _follow(request, viewer, notice_id)


@workspace_view
@require_GET
def workspace_tokens(request: WorkspaceRequest, viewer: Viewer) -> HttpResponse:
    """Every member's API tokens with their last use, for an admin to revoke any of them."""
    tokens = Paginator(selectors.workspace_api_tokens(viewer), TOKENS_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/workspace_tokens.html", {"tokens": tokens})


@workspace_view
@require_POST
def workspace_token_revoke(
    request: WorkspaceRequest, viewer: Viewer, token_id: int
) -> HttpResponse:
    token = selectors.workspace_api_token(viewer, token_id)
    services.revoke_member_api_token(viewer, token=token)
    messages.success(request, f"{token.user}'s token “{token.name}” no longer works.")
    return redirect("accounts:workspace_tokens", workspace_slug=request.workspace.slug)
