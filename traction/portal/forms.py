from django import forms

from traction.core.forms import Form


class LinkRequestForm(Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": "Enter the email address we know you by."},
    )


class WithdrawForm(Form):
    reason = forms.CharField(
        label="Why (optional)",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. I did not vote for this"}),
    )
