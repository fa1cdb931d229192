"""The forms an admin sets a mail provider's key with (workspace settings, "Bounces from your
mail provider"). No rules here: the service checks and names each field it refuses."""

from __future__ import annotations

from django import forms

from traction.core.forms import Form, Paragraphs


class MailgunKeyForm(Form):
    signing_key = forms.CharField(
        label="Mailgun webhook signing key",
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Mailgun: Sending → Webhooks → HTTP webhook signing key.",
    )


class SendGridKeyForm(Form):
    public_key = forms.CharField(
        label="SendGrid verification key",
        max_length=2000,
        widget=Paragraphs(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="SendGrid: Settings → Mail Settings → Event Webhook → Signed Event Webhook "
        "(turn it on, then copy the verification key).",
    )


class PostmarkAuthForm(Form):
    username = forms.CharField(label="User name", max_length=100)
    password = forms.CharField(
        label="Password",
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 16 characters; letters and digits are easiest in a URL.",
    )


FORMS: dict[str, type[forms.Form]] = {
    "mailgun": MailgunKeyForm,
    "sendgrid": SendGridKeyForm,
    "postmark": PostmarkAuthForm,
}
