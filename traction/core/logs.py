"""Keeping the secrets of links out of the server's log.

Several addresses carry their own credential in the path: a customer's RSVP, ballot and
portal links, an update email's unsubscribe and "did it work for you?" links, an account
owner's approve link, a member's invitation and set-password links, and a workspace's
secret bounce URL. Django writes the path of every answer from 400 on to its log
("Bad Request: /rsvp/<token>/"), and the input guard names the path it refused: a link that
still works would sit in the log, for whoever reads it (operators, a log service) to open.

``redacted`` replaces such a segment with ``[secret]`` (found by the URLconf: every route
parameter named ``token``, ``secret`` or ``…_token``), and ``LinkSecretsFilter`` does it to
every string argument of a log record that is such a path. The logging settings
(``settings/base.py``) put the filter on the loggers that write paths.
"""

from __future__ import annotations

import logging

from django.urls import Resolver404, resolve

MASK = "[secret]"


def _secret_name(name: str) -> bool:
    return name in ("token", "secret") or name.endswith("_token")


def redacted(path: str) -> str:
    """``path`` with the value of each credential segment its route takes replaced by
    ``MASK``; any other path (or text) as it is."""
    if not path.startswith("/"):
        return path
    try:
        match = resolve(path.split("?", 1)[0])
    except (Resolver404, ValueError):
        return path
    parts = path.split("/")
    for name, value in match.kwargs.items():
        if _secret_name(name) and isinstance(value, str) and value:
            parts = [MASK if part == value else part for part in parts]
    return "/".join(parts)


def redacted_words(text: str) -> str:
    """``text`` with each space-separated word that is such a path ``redacted`` (a request
    line, "GET /rsvp/<token>/ HTTP/1.1", as the development server logs it)."""
    return " ".join(redacted(word) for word in text.split(" "))


class LinkSecretsFilter(logging.Filter):
    """Rewrites a record's text arguments (and a message with no arguments) through
    ``redacted_words``; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redacted_words(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif not record.args and isinstance(record.msg, str):
            record.msg = redacted_words(record.msg)
        return True
