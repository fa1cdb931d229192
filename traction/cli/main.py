"""The ``traction`` command: one entry point for what a person or cron does from a shell.

A thin click group over the services and selectors. Django is set up only when a command
needs it (``--help`` stays instant). Commands this group does not know are handed to
Django's own management commands, so ``traction shell`` or ``traction dbshell`` work too.
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
ROLES = ["admin", "facilitator", "core_team", "sponsor", "account_owner", "observer"]

F = TypeVar("F", bound=Callable[..., Any])


def setup_django() -> None:
    """Point Django at the settings (``DJANGO_SETTINGS_MODULE`` wins) and load the apps once."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


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


class TractionGroup(click.Group):
    """A group that hands commands it does not know to Django's ``manage.py`` machinery."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        return _django_command(cmd_name)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        with formatter.section("Django commands"):
            formatter.write_text(
                "Any other command is passed to Django's management commands, for example "
                "'traction shell', 'traction dbshell', 'traction changepassword'. "
                "'traction help' lists them."
            )


def _django_command(name: str) -> click.Command:
    @click.command(
        name=name,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
    )
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def django_command(args: tuple[str, ...]) -> None:
        setup_django()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["traction", name, *args])

    return django_command


@click.group(cls=TractionGroup)
@click.version_option(package_name="traction", prog_name="traction")
def cli() -> None:
    """Traction: from what customers said in co-design sessions to decisions, owned
    actions, measured results and honest updates back to them.

    Start with 'traction run': it prepares the database, loads a demo workspace the
    first time, and serves the app. Settings come from DJANGO_SETTINGS_MODULE
    (default traction.settings.dev); DATABASE_URL points it at PostgreSQL.
    """


# --- database and demo ----------------------------------------------------------------------


def _migrate(verbosity: int = 1) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


@cli.command()
@click.option(
    "--verbosity",
    "-v",
    type=click.IntRange(0, 3),
    default=1,
    show_default=True,
    help="0 is silent.",
)
@domain_command
def migrate(verbosity: int) -> None:
    """Create or update the database tables (safe to run any time)."""
    _migrate(verbosity)


def _echo_demo_logins() -> None:
    from traction.demo import DEMO_PASSWORD
    from traction.demo.build import PEOPLE

    click.echo("Demo workspace: Northwind Software. Sign in as any of:")
    width = max(len(p.email) for p in PEOPLE)
    for person in PEOPLE:
        click.echo(f"  {person.email:<{width}}  {person.name} ({_role_label(person.role)})")
    click.echo(f"Password for every demo login: {DEMO_PASSWORD}")


def _role_label(role: str) -> str:
    from traction.core.permissions import Role

    return str(Role(role).label)


@cli.command()
@click.option(
    "--reset", is_flag=True, help="Delete the demo workspace and its users, then rebuild it."
)
@domain_command
def demo(reset: bool) -> None:
    """Load the demo workspace 'Northwind Software' (slug northwind).

    It holds members in every role, customers with contacts and two programs, all created
    through the same use-cases as the app, so the audit trail is filled too. Without
    --reset an existing demo is left alone; with --reset it is deleted and rebuilt.
    """
    from traction.demo import build_demo, demo_exists, remove_demo

    if reset and demo_exists():
        remove_demo()
        click.echo("Deleted the demo workspace.")
    built = build_demo()
    click.echo(
        f"Built the demo workspace: {len(built.users)} members, "
        f"{len(built.customers)} customers, {len(built.programs)} programs."
    )
    _echo_demo_logins()


# --- serving --------------------------------------------------------------------------------


def _serve(host: str, port: int, workers: int) -> NoReturn:
    """Collect static files, then replace this process with granian serving the WSGI app."""
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    argv = granian_argv(
        host=host,
        port=port,
        workers=workers,
        static_route="/" + settings.STATIC_URL.strip("/"),
        static_root=str(settings.STATIC_ROOT),
    )
    click.echo(f"Traction is at http://{_url_host(host)}:{port}/  (Ctrl+C stops it)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)  # noqa: S606 -- our own interpreter, fixed arguments


def granian_argv(
    *, host: str, port: int, workers: int, static_route: str, static_root: str
) -> list[str]:
    """The granian command line serving Traction's WSGI app (also used by the benchmark)."""
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--no-ws",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        # Python threads per worker: enough for a team, without a thread per queued request.
        "--backpressure",
        "32",
        "--static-path-route",
        static_route,
        "--static-path-mount",
        static_root,
        "traction.wsgi:application",
    ]


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):  # noqa: S104 -- only to print a URL people can open
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


host_option = click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
)
port_option = click.option(
    "--port", default=8000, show_default=True, type=int, help="Port to listen on."
)


@cli.command()
@host_option
@port_option
@domain_command
def run(host: str, port: int) -> None:
    """Set everything up and serve the app: the one command to try Traction.

    Creates or updates the database, loads the demo workspace the first time (when the
    database holds no workspace at all), prints the address and the demo logins, then
    serves the app until you press Ctrl+C.
    """
    from traction.accounts.models import Workspace
    from traction.demo import build_demo, demo_exists

    _migrate(verbosity=0)
    if not Workspace.objects.exists():
        build_demo()
        click.echo("Loaded the demo workspace (first start).")
    if demo_exists():
        _echo_demo_logins()
    _serve(host, port, workers=1)


@cli.command()
@host_option
@port_option
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Worker processes."
)
@domain_command
def serve(host: str, port: int, workers: int) -> None:
    """Serve the app with granian (no migrations, no demo).

    Static files are collected into STATIC_ROOT first and served by granian itself.
    """
    _serve(host, port, workers)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def worker(args: tuple[str, ...]) -> None:
    """Run background tasks (emails, webhooks) from the database queue until stopped.

    Extra options go to django_tasks_db's db_worker, e.g. 'traction worker --batch'.
    """
    setup_django()
    from django.core.management import call_command

    call_command("db_worker", *args)


# --- people and tokens ----------------------------------------------------------------------


@cli.command()
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Their password (asked for when not given).",
)
@click.option("--workspace", "workspace_slug", help="Add them to this workspace (its slug).")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    help="Their role in --workspace (default: observer).",
)
@domain_command
def createuser(
    email: str, name: str, password: str, workspace_slug: str | None, role: str | None
) -> None:
    """Create a user account that signs in with EMAIL, optionally as a workspace member."""
    from traction.accounts import services
    from traction.accounts.models import Workspace
    from traction.core.errors import NotFound, ValidationFailed

    if role and not workspace_slug:
        raise ValidationFailed.field("role", "--role needs --workspace.")
    workspace = None
    if workspace_slug:
        workspace = Workspace.objects.filter(slug=workspace_slug).first()
        if workspace is None:
            raise NotFound(f"No workspace with the slug '{workspace_slug}'.")
    user = services.create_user(email=email, full_name=name, password=password)
    click.echo(f"Created user {user.email}.")
    if workspace is not None:
        membership = services.add_member(
            None, workspace=workspace, user=user, role=role or "observer"
        )
        click.echo(
            f"Added to {workspace.name} ({workspace.slug}) as {membership.get_role_display()}."
        )


@cli.group()
def token() -> None:
    """Manage API bearer tokens."""


@token.command("create")
@click.argument("email")
@click.option("--workspace", "workspace_slug", help="The workspace the token acts in (its slug).")
@click.option("--name", default="cli", show_default=True, help="Where the token will be used.")
@domain_command
def token_create(email: str, workspace_slug: str | None, name: str) -> None:
    """Create an API token for the user with EMAIL; the token is the last line printed.

    The token acts as that user, with their role, in one workspace: --workspace is needed
    when they belong to several. It is shown once; only its hash is stored.
    """
    from traction.accounts import services

    viewer, workspace_label = _viewer_for_email(email, workspace_slug)
    _, key = services.create_api_token(viewer, name=name)
    click.echo(f"Created API token '{name}' for {viewer.user} in {workspace_label}.")
    click.echo("It is shown only this once. Send it as 'Authorization: Bearer <token>':")
    click.echo(key)


@cli.group()
def sessions() -> None:
    """Sessions: list them, send their invitations (only to approved contacts)."""


@sessions.command("list")
@click.option("--as", "email", required=True, help="Act as the member with this email.")
@click.option("--workspace", "workspace_slug", help="The workspace (its slug), if several.")
@domain_command
def sessions_list(email: str, workspace_slug: str | None) -> None:
    """List the sessions the member may see, with their state and readiness."""
    from traction.sessions import selectors

    viewer, _ = _viewer_for_email(email, workspace_slug)
    found = list(selectors.sessions(viewer))
    if not found:
        click.echo("No sessions yet. Plan one in a program (web UI or POST /api/v1/sessions).")
    for s in found:
        ready = f"{selectors.readiness(s).percent:>3}% ready" if s.state == "upcoming" else ""
        when = f"{s.local_start:%Y-%m-%d %H:%M} {s.time_zone}"
        click.echo(f"{s.pk:>5}  {when:<32} {s.state:<10} {ready:<11} {s.title}")


@sessions.command("invite")
@click.argument("session_id", type=int)
@click.option("--as", "email", required=True, help="Act as this facilitator or admin.")
@click.option("--workspace", "workspace_slug", help="The workspace (its slug), if several.")
@click.option(
    "--contact",
    "contact_ids",
    type=int,
    multiple=True,
    help="Invite only this contact (repeatable); default: every approved contact not invited yet.",
)
@domain_command
def sessions_invite(
    session_id: int, email: str, workspace_slug: str | None, contact_ids: tuple[int, ...]
) -> None:
    """Email invitations (with a calendar file and RSVP link) for SESSION_ID.

    Only contacts whose account owner approved (or whose approval an admin waived) can be
    invited: asking for any other contact fails and sends nothing.
    """
    from traction.core.errors import NotFound
    from traction.sessions import selectors, services

    viewer, _ = _viewer_for_email(email, workspace_slug)
    session = selectors.session(viewer, session_id)
    if contact_ids:
        requests = {r.contact_id: r for r in selectors.session_outreach(session)}
        missing = [c for c in contact_ids if c not in requests]
        if missing:
            raise NotFound(f"No outreach request for contact(s) {missing} in this session.")
        sent = [services.send_invitation(viewer, request=requests[c]) for c in contact_ids]
    else:
        sent = services.send_invitations(viewer, session=session)
    for invitation in sent:
        click.echo(f"Invited {invitation.contact.name} <{invitation.contact.email}>.")
    click.echo(f"{len(sent)} invitation(s) sent for “{session.title}”.")


# --- imports -------------------------------------------------------------------------------


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """ "NAME=VALUE" options as a dict (the name may itself hold "=" only before the last)."""
    from traction.core.errors import ValidationFailed

    found: dict[str, str] = {}
    for value in values:
        name, sep, target = value.rpartition("=")
        if not sep or not name.strip() or not target.strip():
            raise ValidationFailed.field(option, f"Write {option} as NAME=VALUE, not “{value}”.")
        found[name.strip()] = target.strip()
    return found


def _csv_columns(path: str, given: dict[str, str]) -> dict[str, int | None] | None:
    """--column field=Header (or field=3, 1-based; field=- unmaps) as 0-based indexes."""
    from traction.core.errors import ValidationFailed
    from traction.insights import parsers

    if not given:
        return None
    with open(path, "rb") as stream:
        try:
            headers = parsers.sniff_csv(stream).headers
        except parsers.ParseError as exc:
            raise ValidationFailed.field("file", str(exc)) from None
    columns: dict[str, int | None] = {}
    folded = [h.casefold() for h in headers]
    for field, header in given.items():
        if header == "-":
            columns[field] = None
        elif header.isdigit():
            columns[field] = int(header) - 1
        elif header.casefold() in folded:
            columns[field] = folded.index(header.casefold())
        else:
            raise ValidationFailed.field(
                "--column", f"No column “{header}” in the file; its columns: {', '.join(headers)}."
            )
    return columns


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--session", "session_id", type=int, required=True, help="The session's id.")
@click.option("--as", "email", required=True, help="Act as this member (who runs the session).")
@click.option("--workspace", "workspace_slug", help="The workspace (its slug), if several.")
@click.option("--scenario", "scenario_id", type=int, help="The scenario the steps belong to.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["vtt", "srt", "text", "csv"]),
    help="Force the format (default: detected from the content and the name).",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=HEADER",
    help="CSV: which column holds text, author, kind, step or tags (header name or 1-based "
    "number; '-' for none). Repeatable; default: guessed from the headers.",
)
@click.option(
    "--speaker",
    "speakers",
    multiple=True,
    metavar="NAME=WHO",
    help="Map a name as written to c:<contact id>, u:<user id>, new:<customer id> (a new "
    "contact of that customer) or '-' (keep the name, credit nobody). Repeatable.",
)
@click.option("--keep-unmatched", is_flag=True, help="Keep names matching nobody, unattributed.")
@click.option(
    "--unknown-steps",
    type=click.Choice(["ask", "create", "ignore"]),
    default="ask",
    show_default=True,
    help="CSV step names not in the scenario: refuse and list them, create them, or import "
    "those rows without a step.",
)
@click.option("--accept", is_flag=True, help="Accept every imported row onto the map at once.")
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
@domain_command
def import_(
    file: str,
    session_id: int,
    email: str,
    workspace_slug: str | None,
    scenario_id: int | None,
    fmt: str | None,
    columns: tuple[str, ...],
    speakers: tuple[str, ...],
    keep_unmatched: bool,
    unknown_steps: str,
    accept: bool,
    dry_run: bool,
) -> None:
    """Import a transcript or sticky-note export FILE into a session's review queue.

    Takes WebVTT (Zoom, Teams), SRT, plain text with "Name: text" lines, and sticky-note
    CSV exports (comma, semicolon or tab). Speakers are matched to the session's
    participants by name; names matching nobody are listed and must be mapped (--speaker)
    or kept (--keep-unmatched). All or nothing: a bad line refuses the whole file with its
    line number. Importing the same file again adds nothing.

    \b
    Examples:
      traction import zoom.vtt --session 12 --as fran@acme.test
      traction import wall.csv --session 12 --scenario 3 --unknown-steps create --as fran@acme.test
      traction import call.vtt --session 12 --speaker "Hank=new:7" --accept --as fran@acme.test
    """
    from traction.insights import imports, selectors

    viewer, _ = _viewer_for_email(email, workspace_slug)
    session = selectors.session_for(viewer, session_id, "insight.import")
    options = imports.ImportOptions(
        scenario_id=scenario_id,
        columns=_csv_columns(file, _pairs(columns, "--column")),
        speakers=_pairs(speakers, "--speaker"),
        unmatched="keep" if keep_unmatched else "ask",
        unknown_steps=unknown_steps,  # type: ignore[arg-type]  # click.Choice checked it
        accept=accept,
        format=fmt,
    )
    name = os.path.basename(file)
    with open(file, "rb") as stream:
        if dry_run:
            preview = imports.preview_import(
                viewer, session=session, stream=stream, filename=name, options=options
            )
            _echo_preview(preview, session)
            return
        size = os.fstat(stream.fileno()).st_size
        with click.progressbar(
            length=size, label=f"Importing {name}", file=sys.stderr, show_eta=False
        ) as bar:
            seen = [0]

            def progress(done: int, total: int) -> None:
                bar.update(done - seen[0])
                seen[0] = done

            result = imports.import_file(
                viewer,
                session=session,
                stream=stream,
                filename=name,
                options=options,
                progress=progress,
            )
    click.echo(result.summary)
    for contact in result.new_contacts:
        click.echo(f"New contact: {contact} (edit it to add the real email address).")
    for step in result.new_steps:
        click.echo(f"New step: {step}")
    if result.created and result.candidates:
        click.echo("Review the candidates in the session's review queue (web UI or API).")


def _echo_preview(preview: Any, session: Any) -> None:
    click.echo(f"{preview.filename}: {preview.format_label}, {preview.rows} rows.")
    if preview.already is not None:
        click.echo("Already imported into this session: importing it again adds nothing.")
    if preview.layout is not None:
        headers = preview.layout.headers
        for field, index in preview.layout.mapping.items():
            column = f"column {index + 1} “{headers[index]}”" if index is not None else "—"
            click.echo(f"  {field:<7} ← {column}")
    for found in preview.speakers:
        who = found.match.label if found.match else "matches nobody: map it with --speaker"
        click.echo(f"  speaker “{found.name}” ({found.rows} rows) → {who}")
    if preview.unknown_steps:
        click.echo("  steps not in the scenario: " + ", ".join(preview.unknown_steps))
    for row in preview.sample:
        where = "map" if row["onto_map"] else "queue"
        click.echo(f"  line {row['line']:>5} [{where}] {row['speaker'] or '—'}: {row['text'][:70]}")


def _viewer_for_email(email: str, workspace_slug: str | None) -> tuple[Viewer, str]:
    """The user's standing in their one workspace (or in --workspace), as the CLI acts."""
    from traction.accounts import selectors

    return selectors.viewer_for_email(email, workspace_slug)


if __name__ == "__main__":  # python -m traction.cli.main
    cli()
