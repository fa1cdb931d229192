"""What every ``traction`` command shares: Django set-up, error handling and the acting viewer.

``setup_django`` loads the apps only when a command runs (so ``--help`` stays instant),
``domain_command`` wraps a command so refused use-cases become one-line messages on stderr,
and ``viewer_for_email`` gives the user's standing in a workspace as the CLI acts.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from traction.core.permissions import Viewer

DEFAULT_SETTINGS = "traction.settings.dev"

F = TypeVar("F", bound=Callable[..., Any])


def setup_django() -> None:
    """Point Django at the settings (``DJANGO_SETTINGS_MODULE`` wins) and load the apps once."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def stored_text(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """The callback of every option and argument whose value is stored as text (a name, a
    reason): refuses one holding an invisible bidirectional control character, as the web
    forms and the API do (``core.text``), before the command runs, so nothing is written.
    Click names the option and exits with status 2."""
    from traction.core.text import bidi_control, bidi_message

    if isinstance(value, str) and (ch := bidi_control(value)) is not None:
        raise click.BadParameter(bidi_message(ch), ctx=ctx, param=param)
    return value


def stored_file_name(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """``stored_text`` for a file argument whose name (not its folders) is stored, as an
    import's source name: the same refusal, naming the argument, exit status 2."""
    if isinstance(value, str):
        stored_text(ctx, param, os.path.basename(value))
    return value


def fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def domain_command(func: F) -> F:
    """Set Django up, mark changes as coming from the CLI, turn domain errors into messages.

    A refused use-case prints its message (a validation failure: one line per field) on
    stderr and exits with status 1; people never see a traceback for it.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        setup_django()
        from traction.core import audit
        from traction.core.errors import DomainError, ValidationFailed

        try:
            with audit.channel("cli"):
                return func(*args, **kwargs)
        except ValidationFailed as exc:
            lines = [
                msg if name == "__all__" else f"{name}: {msg}"
                for name, msgs in exc.errors.items()
                for msg in msgs
            ]
            fail("\n".join(lines))
        except DomainError as exc:
            fail(exc.message)

    return wrapper  # type: ignore[return-value]


def viewer_for_email(email: str, workspace_slug: str | None) -> tuple[Viewer, str]:
    """The user's standing in their one workspace (or in --workspace), as the CLI acts."""
    from traction.accounts import selectors

    return selectors.viewer_for_email(email, workspace_slug)
