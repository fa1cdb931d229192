"""``traction import``: a transcript or sticky-note export into a session's review queue.

Parses the repeatable NAME=VALUE options (``--column``, ``--speaker``), resolves CSV
column names to indexes, and prints the ``--dry-run`` preview.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from traction.cli.base import domain_command, stored_file_name, viewer_for_email


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
    from traction.core.guard import whole_number
    from traction.insights.imports import parsers

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
        elif (number := whole_number(header, high=10_000)) is not None:  # not "²", not "0"
            columns[field] = number - 1
        elif header.casefold() in folded:
            columns[field] = folded.index(header.casefold())
        else:
            raise ValidationFailed.field(
                "--column", f"No column “{header}” in the file; its columns: {', '.join(headers)}."
            )
    return columns


# An object id: a whole number a row can have (a 25-digit one would overflow the database).
ID = click.IntRange(1, 2**63 - 1)  # traction.core.guard.MAX_ID, without importing Django


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False), callback=stored_file_name)
@click.option("--session", "session_id", type=ID, required=True, help="The session's id.")
@click.option("--as", "email", required=True, help="Act as this member (who runs the session).")
@click.option("--workspace", "workspace_slug", help="The workspace (its slug), if several.")
@click.option("--scenario", "scenario_id", type=ID, help="The scenario the steps belong to.")
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

    viewer, _ = viewer_for_email(email, workspace_slug)
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
    read_as = f", read as {preview.read_as}" if preview.read_as else ""
    rows = f"{preview.rows:,} row{'s' if preview.rows != 1 else ''}"
    click.echo(f"{preview.filename}: {preview.format_label}, {rows}{read_as}.")
    if preview.already is not None:
        click.echo("Already imported into this session: importing it again adds nothing.")
    if preview.layout is not None:
        headers = preview.layout.headers
        for field, index in preview.layout.mapping.items():
            column = f"column {index + 1} “{headers[index]}”" if index is not None else "—"
            click.echo(f"  {field:<7} ← {column}")
    from traction.insights.imports.speakers import display_name

    # Names as the rows store them: the matched person's own name, else the name as written
    # without the role label a meeting tool appends ("Joris Bakker (External)": "Joris
    # Bakker"); --speaker takes either spelling.
    stored = {found.name: found.match.name for found in preview.speakers if found.match}
    for found in preview.speakers:
        who = found.match.label if found.match else "matches nobody: map it with --speaker"
        rows = f"{found.rows:,} row{'s' if found.rows != 1 else ''}"
        click.echo(f"  speaker “{display_name(found.name)}” ({rows}) → {who}")
    if preview.unknown_steps:
        click.echo("  steps not in the scenario: " + ", ".join(preview.unknown_steps))
    for row in preview.sample:
        where = "map" if row["onto_map"] else "queue"
        name = stored.get(row["written"], row["speaker"]) or "—"
        click.echo(f"  line {row['line']:>7,} [{where}] {name}: {row['text'][:70]}")
