"""A forgotten password, and the first admin's one-time "set your password" link.

Built on Django's own password-reset machinery: the views of ``django.contrib.auth.views``
and ``default_token_generator``. A link's token depends on the account's password hash and
last sign-in, so it works once (setting the password, or signing in, spends it) and only
for ``PASSWORD_RESET_TIMEOUT`` seconds. ``traction setup --link`` prints the same kind of
link (``set_password_link``) instead of asking for the admin's password.

The request page never tells whether an address has an account: the same page follows
either way, and an email goes out only to an active account. Requests are throttled per
client address (answered 429 with the wait) and per email address (further requests get
the same page, but no more emails: nobody can flood someone's inbox).

A link is one path segment, ``<uidb64>.<token>`` (neither part ever holds a dot), so it
reads like the other links whose secret is the credential (invitations).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.decorators.http import require_GET, require_http_methods

from traction.core.permissions import public
from traction.core.proxies import client_address, limit_address
from traction.core.tasks import send_email_on_commit

from . import throttle
from .models import User

# Per client address: this many requests for a link within the window, then 429.
ADDRESS_LIMIT = 10
# Per email address: this many emails within the window; later requests send nothing.
EMAIL_LIMIT = 3
WINDOW_SECONDS = 60 * 60
SUBJECT = "Set your Traction password"


def link_lifetime() -> str:
    """How long a link works, in words ("3 days", "2 hours")."""
    seconds = int(settings.PASSWORD_RESET_TIMEOUT)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


def _secret(uidb64: str, token: str) -> str:
    return f"{uidb64}.{token}"


def set_password_link(user: User) -> str:
    """A one-time link at which ``user`` sets a new password (for the CLI and the email)."""
    secret = _secret(
        urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
    )
    return settings.TRACTION_SITE_URL.rstrip("/") + reverse(
        "accounts:password_reset_confirm", args=[secret]
    )


# --- throttling ------------------------------------------------------------------------------


def _count(key: str) -> int:
    """One more within the window (a fixed window starting at the first); the new count."""
    if cache.add(key, 1, WINDOW_SECONDS):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW_SECONDS)
        return 1


def _address_allowed(ip: str | None) -> bool:
    return _count(f"traction:pwreset:ip:{limit_address(ip) or '-'}") <= ADDRESS_LIMIT


def _email_allowed(email: str) -> bool:
    return _count(f"traction:pwreset:email:{email.strip().lower()}") <= EMAIL_LIMIT


# --- forms ---------------------------------------------------------------------------------


class RequestLinkForm(PasswordResetForm):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="The address you sign in with.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def get_users(self, email: str) -> list[User]:
        # Unlike Django's default, an account that never had a password (an admin made by
        # 'traction setup --link' who lost the link) may set one: Traction has no other way in.
        email = email.strip().lower()
        if not _email_allowed(email):
            return []
        return list(User.objects.filter(email__iexact=email, is_active=True))

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        body = render_to_string(
            email_template_name,
            {
                "user": user,
                "link": settings.TRACTION_SITE_URL.rstrip("/")
                + reverse(
                    "accounts:password_reset_confirm",
                    args=[_secret(context["uid"], context["token"])],
                ),
                "lifetime": link_lifetime(),
                "site_url": settings.TRACTION_SITE_URL.rstrip("/"),
            },
        )
        # Through the task queue like every other email: sent by the worker, retried.
        send_email_on_commit(SUBJECT, body, [to_email])


class NewPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "new_password1"
        ].help_text = "At least 8 characters; not a common password, not only digits."
        self.fields["new_password1"].widget.attrs["autofocus"] = True
        self.fields["new_password2"].label = "The new password again"
        self.fields["new_password2"].help_text = "To be sure it is typed as you meant."


# --- views ---------------------------------------------------------------------------------


class RequestLinkView(auth_views.PasswordResetView):
    form_class = RequestLinkForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        if form.is_valid() and not _address_allowed(client_address(request)):
            form.add_error(
                None,
                "Too many requests for a sign-in link from your address. "
                f"Wait {WINDOW_SECONDS // 60} minutes, then try again.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if form.is_valid():
            return self.form_valid(form)
        return self.form_invalid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["lifetime"] = link_lifetime()
        return context


class RequestSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["lifetime"] = link_lifetime()
        return context


class SetNewPasswordView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Failed sign-ins before the reset no longer slow the owner down from here.
        throttle.clear_failed_logins(email=form.user.email, ip=client_address(self.request))
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["account"] = self.user if context.get("validlink") else None
        context["lifetime"] = link_lifetime()
        return context


class PasswordSetView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


_request_link = RequestLinkView.as_view()
_request_sent = RequestSentView.as_view()
_set_new_password = SetNewPasswordView.as_view()
_password_set = PasswordSetView.as_view()


@public("Asking for a link happens before anyone is known; it never says who has an account.")
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponseBase:
    return _request_link(request)


@public("Says only that an email is on its way if the address has an account.")
@require_GET
def password_reset_done(request: HttpRequest) -> HttpResponseBase:
    return _request_sent(request)


@public("The link's secret is the credential; Django's token generator checks it.")
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, secret: str) -> HttpResponseBase:
    uidb64, _, token = secret.partition(".")
    return _set_new_password(request, uidb64=uidb64, token=token)


@public("Says only that the password is set, and where to sign in.")
@require_GET
def password_reset_complete(request: HttpRequest) -> HttpResponseBase:
    return _password_set(request)
