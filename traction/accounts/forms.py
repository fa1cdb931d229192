"""Web forms for accounts: they parse input; the services decide (a refusal goes onto the
form with ``traction.core.web.apply_domain_errors``)."""

from __future__ import annotations

from django import forms

from traction.core.forms import Form, TimeZoneField, VersionField
from traction.core.permissions import Role
from traction.core.text import QUERY_MAX, validate_one_line

from . import logos
from .models import ApiToken, MemberFunction


class LoginForm(Form):
    email = forms.EmailField(
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class AcceptInvitationForm(Form):
    full_name = forms.CharField(
        validators=[validate_one_line],
        label="Your name",
        max_length=150,
        help_text="How your colleagues will see you in Traction.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        strip=False,
        help_text="At least 8 characters; not a common password, not only digits.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class InviteForm(Form):
    email = forms.EmailField(
        help_text="We send the invitation link to this address.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.CORE_TEAM,
        help_text="What they may do in this workspace. You can change it later.",
    )
    function = forms.ChoiceField(
        required=False,
        choices=[("", "Not stated"), *MemberFunction.choices],
        help_text="The part of the company they work in: programs show whether their team "
        "is cross-functional. Optional.",
    )


class MemberRoleForm(Form):
    role = forms.ChoiceField(choices=Role.choices)
    version = VersionField()


class MemberFunctionForm(Form):
    function = forms.ChoiceField(
        required=False, choices=[("", "Not stated"), *MemberFunction.choices]
    )
    version = VersionField()


class RemoveMemberForm(Form):
    reason = forms.CharField(
        required=False,
        max_length=300,
        help_text="Optional; kept in the audit log.",
    )


class TokenForm(Form):
    name = forms.CharField(
        validators=[validate_one_line],
        label="Token name",
        max_length=200,  # the service says what is too long, beside the field
        help_text='Where the token will be used, e.g. "Reporting script" or "Jira sync".',
    )
    expires_in = forms.ChoiceField(
        label="Expires",
        required=False,  # not sent: the default
        help_text="From then on the token is refused; you get a notice and an email a week before "
        "(the email can be turned off in your settings).",
    )

    def __init__(
        self,
        *args: object,
        lifetimes: tuple[list[int | None], int],
        **kwargs: object,
    ) -> None:
        """``lifetimes``: those the workspace allows and the default
        (``selectors.token_lifetimes``)."""
        super().__init__(*args, **kwargs)
        allowed, default = lifetimes
        field = self.fields["expires_in"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (str(days), f"In {days} days") if days else ("never", "Never") for days in allowed
        ]
        field.initial = str(default)
        self.default = default
        if None in allowed:
            field.help_text += " Choose “Never” only for a token you will revoke yourself."
        else:
            longest = max(days or 0 for days in allowed)
            field.help_text += f" This workspace's tokens expire within {longest} days at most."

    def lifetime_days(self) -> int | None:
        """The lifetime chosen, in days; None: never expires."""
        value = self.cleaned_data.get("expires_in") or str(self.default)
        return None if value == "never" else int(value)


class TokenEmailsForm(Form):
    expiry_emails = forms.BooleanField(
        label="Email me before a token expires",
        required=False,
        help_text="A week before one of your API tokens expires, you get a notice in Traction "
        "and, with this on, an email.",
    )


class AuditFilterForm(Form):
    action = forms.CharField(
        required=False,
        max_length=QUERY_MAX,
        help_text='Starts with, e.g. "customer" or "member.role_changed".',
    )
    actor = forms.CharField(required=False, max_length=QUERY_MAX, label="Who (email)")
    object_type = forms.ChoiceField(required=False, label="Object type", choices=[("", "Any")])

    def __init__(self, *args: object, object_types: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["object_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Any"), *[(t, t) for t in object_types]]


class WorkspaceCreateForm(Form):
    name = forms.CharField(
        label="Workspace name",
        max_length=120,
        validators=[validate_one_line],
        help_text="Usually your company's or your client's name.",
    )
    slug = forms.SlugField(
        label="Address",
        max_length=60,
        required=False,
        help_text="The workspace's part of its web address; leave empty to make it from the name.",
    )
    admin_email = forms.EmailField(
        label="Admin's email",
        help_text="Its first admin; an existing account keeps its password.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    admin_name = forms.CharField(
        label="Admin's name",
        max_length=150,
        required=False,
        validators=[validate_one_line],
        help_text="Needed only when they have no account yet.",
    )


class WorkspaceSettingsForm(Form):
    name = forms.CharField(
        max_length=120,
        validators=[validate_one_line],
        label="Workspace name",
        help_text="Customers see it in their invitation emails and on their RSVP and voting pages.",
    )
    time_zone = TimeZoneField(
        help_text="New sessions start in this zone; you can pick another for each session.",
    )
    sender_name = forms.CharField(
        max_length=120,
        required=False,
        validators=[validate_one_line],
        label="Sender name",
        help_text="The name customers see as the sender of their emails (updates, "
        "invitations). Leave empty to use the workspace name.",
    )
    reply_to = forms.EmailField(
        required=False,
        label="Reply-to address",
        help_text="Where customers' replies to those emails go, e.g. your team's shared "
        "inbox. Leave empty and replies to an invitation go to its organiser.",
        error_messages={"invalid": "Enter an email address like replies@example.com."},
    )
    token_max_days = forms.TypedChoiceField(
        required=False,
        label="Longest lifetime of an API token",
        choices=[
            ("", "No limit (“Never” allowed)"),
            *((str(days), f"{days} days") for days in ApiToken.LIFETIMES),
        ],
        coerce=int,
        empty_value=None,
        help_text="Members cannot create tokens that work longer. Tokens made before keep "
        "their expiry: the members' API tokens page shows them.",
    )


class LogoForm(Form):
    logo = forms.FileField(
        label="Logo",
        help_text=(
            "PNG, JPEG or WebP, at most 512 KB (a few hundred pixels wide is plenty). "
            "SVG files are not accepted. Customers see it beside the workspace name."
        ),
        widget=forms.FileInput(attrs={"accept": logos.ACCEPT}),
    )
