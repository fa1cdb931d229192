"""Forms of delivery, subscriptions and the portal's replies. No rules here: the services
check and name each field they refuse, and the form shows it beside that field."""

from __future__ import annotations

from typing import Any

from django import forms

from traction.core.forms import Form, Paragraphs

from .models import FeedbackAnswer, UnsubscribeScope
from .services.responses import MAX_TEXT
from .services.subscriptions import WHY_MAX


class ReplyForm(Form):
    text = forms.CharField(
        label="Your reply",
        widget=Paragraphs(attrs={"rows": 5}),
        max_length=MAX_TEXT,
        help_text="It goes to the team behind this update, attributed to you.",
        error_messages={"required": "Write your reply first."},
    )


class FeedbackForm(Form):
    answer = forms.ChoiceField(
        choices=FeedbackAnswer.choices,
        widget=forms.RadioSelect,
        label="Did it work for you?",
        error_messages={
            "required": "Pick yes, partly or no.",
            "invalid_choice": "Pick yes, partly or no.",
        },
    )
    comment = forms.CharField(
        label="Anything to add? (optional)",
        widget=Paragraphs(attrs={"rows": 3}),
        required=False,
        max_length=MAX_TEXT,
    )


class PortalFeedbackForm(FeedbackForm):
    """The portal's copy, under a heading that asks "Did it work for you?" already: the
    answer's label is "Your answer", as the page shows it before any error."""

    priority = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answer"].label = "Your answer"
        self.fields["answer"].label_suffix = ""


class UnsubscribeForm(Form):
    scope = forms.ChoiceField(choices=UnsubscribeScope.choices, label="Stop")
    program = forms.IntegerField(required=False, label="Program")
    priority = forms.IntegerField(
        required=False, label="Priority (card number)", help_text="For “This priority” only."
    )
    why = forms.CharField(
        max_length=WHY_MAX, label="Why", help_text="E.g. “asked on the phone on 3 May”."
    )


class FollowForm(Form):
    priority = forms.IntegerField(label="Priority (card number)")
    why = forms.CharField(
        max_length=WHY_MAX, label="Why", help_text="E.g. “asked in the steering meeting”."
    )


class UnreachableForm(Form):
    reason = forms.CharField(
        max_length=WHY_MAX, label="Why", help_text="E.g. “mail bounced: mailbox full”."
    )
