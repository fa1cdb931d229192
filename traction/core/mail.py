"""What every email Traction sends passes through on its way out (``outgoing``).

Plain-text mail has no markup to isolate a customer's words in: the bidirectional controls
(``core.text.BIDI_CONTROLS``) are refused at input, but a text stored before that could hold
one, and a reader's mail program would obey it (a subject reading backwards). ``outgoing``
drops them from the subject, the text and every text alternative; calendar files are built
without them (``without_bidi_controls_in`` in the .ics builders).
"""

from __future__ import annotations

from typing import TypeVar

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import EmailAlternative

from .text import without_bidi_controls

Message = TypeVar("Message", bound=EmailMessage)


def outgoing(message: Message) -> Message:
    """``message``, its subject, body and text alternatives without bidirectional controls."""
    message.subject = without_bidi_controls(str(message.subject))
    message.body = without_bidi_controls(str(message.body))
    if isinstance(message, EmailMultiAlternatives):
        message.alternatives = [
            EmailAlternative(
                without_bidi_controls(content) if isinstance(content, str) else content, mimetype
            )
            for content, mimetype in message.alternatives
        ]
    return message
