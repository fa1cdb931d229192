"""Where the web keeps an import between its preview and its confirm.

The upload page parses the file once (``preview_import``) and keeps, in the ``imports``
storage under the workspace and the file's SHA-256: the file itself, and the preview's parse
(what it showed and every row it read, as JSON lines). Confirming reads that parse back and
imports it: the file is not parsed a second time. Only a preview shown again with other
reading choices (another column mapping or scenario) parses the file again, once, and keeps
that parse too. Nothing here touches the database: a preview writes no insight, no batch and
nothing in the full-text index. Whatever nobody confirmed is swept after ``KEPT_FOR``.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, storages

from traction.core import clock
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.sessions.models import Session

from . import parsers, speakers
from .reading import earlier_import, scenario_of
from .selectors import import_speakers
from .shapes import ImportOptions, Preview, Rows, SpeakerFound

KEPT_FOR = timedelta(hours=24)
_SHA = re.compile(r"[0-9a-f]{64}")


def upload_storage() -> Storage:
    """Where uploads wait between preview and confirm: the "imports" storage when the project
    configures one (object storage in production), else a folder under MEDIA_ROOT or the var
    directory."""
    if "imports" in settings.STORAGES:
        return storages["imports"]
    root = Path(settings.MEDIA_ROOT or Path(settings.VAR_DIR) / "media") / "imports"
    return FileSystemStorage(location=root)


def _name(viewer: Viewer, sha256: str, suffix: str = "") -> str:
    return f"{viewer.workspace_id}/{sha256}{suffix}"


def _sweep(viewer: Viewer) -> None:
    """Forget this workspace's uploads and parses nobody confirmed within ``KEPT_FOR``."""
    storage = upload_storage()
    folder = str(viewer.workspace_id)
    if not storage.exists(folder):
        return
    too_old = clock.now() - KEPT_FOR
    for name in storage.listdir(folder)[1]:
        path = f"{folder}/{name}"
        try:
            if storage.get_modified_time(path) < too_old:
                storage.delete(path)
        except (OSError, NotImplementedError):  # a racing delete; a storage without times
            continue


def keep_upload(viewer: Viewer, upload: Any) -> str:
    """Store an uploaded file (a Django ``UploadedFile``) under its SHA-256, returned."""
    _sweep(viewer)
    digest = hashlib.sha256()
    for block in upload.chunks():
        digest.update(block)
    sha256 = digest.hexdigest()
    storage = upload_storage()
    name = _name(viewer, sha256)
    if not storage.exists(name):
        upload.seek(0)
        storage.save(name, File(upload))
    return sha256


def open_upload(viewer: Viewer, sha256: str) -> BinaryIO | None:
    """The stored upload, or None when it is gone (swept, confirmed, or never there)."""
    storage = upload_storage()
    name = _name(viewer, sha256)
    if not _SHA.fullmatch(sha256) or not storage.exists(name):
        return None
    return cast(BinaryIO, storage.open(name, "rb"))


def drop_upload(viewer: Viewer, sha256: str) -> None:
    """Forget an upload and every parse kept of it."""
    if not _SHA.fullmatch(sha256):
        return
    storage = upload_storage()
    folder = str(viewer.workspace_id)
    if not storage.exists(folder):
        return
    for name in storage.listdir(folder)[1]:
        if name == sha256 or name.startswith(f"{sha256}."):
            storage.delete(f"{folder}/{name}")


def _parse_name(viewer: Viewer, sha256: str, options: ImportOptions) -> str:
    """One kept parse per file and reading choices (``ImportOptions.reading``)."""
    key = hashlib.sha256(json.dumps(options.reading()).encode()).hexdigest()[:16]
    return _name(viewer, sha256, f".{key}.parse")


def keep_parse(viewer: Viewer, preview: Preview, options: ImportOptions) -> None:
    """Keep what ``preview_import`` read with ``options``: a header line (what the preview
    showed), then its rows."""
    assert preview.records is not None  # every preview_import keeps its rows
    layout = preview.layout
    header = {
        "filename": preview.filename,
        "format": preview.format,
        "sha256": preview.sha256,
        "size": preview.size,
        "rows": preview.rows,
        "sample": preview.sample,
        "speakers": [[s.name, s.rows, s.first_line] for s in preview.speakers],
        "unknown_steps": preview.unknown_step_lines,
        "layout": [layout.delimiter, layout.headers, layout.mapping, layout.sep_line]
        if layout
        else None,
        "scenario": preview.scenario.pk if preview.scenario else None,
        "encoding": preview.encoding,
        "onto_map": preview.onto_map,
    }
    storage = upload_storage()
    name = _parse_name(viewer, preview.sha256, options)
    if storage.exists(name):
        storage.delete(name)
    with tempfile.TemporaryFile() as kept:
        kept.write(json.dumps(header, ensure_ascii=False).encode() + b"\n")
        preview.records.dump(kept)
        kept.seek(0)
        storage.save(name, File(kept))


def kept_parse(
    viewer: Viewer, session: Session, sha256: str, options: ImportOptions
) -> Preview | None:
    """The preview kept for this file and reading choices, its speakers matched to the
    people an import may credit as they are now (``import_speakers``); None when there is
    none (other choices, or swept). The caller closes ``Preview.records``."""
    storage = upload_storage()
    if not _SHA.fullmatch(sha256):
        return None
    name = _parse_name(viewer, sha256, options)
    if not storage.exists(name):
        return None
    file = cast(BinaryIO, storage.open(name, "rb"))
    header = json.loads(file.readline())
    try:
        scenario = scenario_of(session, header["scenario"])
    except ValidationFailed:  # deleted since the preview: read the file again, and say so
        file.close()
        return None
    people = [(p, p.name) for p in import_speakers(session, viewer.user_id)]
    layout = header["layout"]
    return Preview(
        filename=header["filename"],
        format=header["format"],
        sha256=header["sha256"],
        size=header["size"],
        rows=header["rows"],
        sample=header["sample"],
        speakers=[
            SpeakerFound(n, rows, line, speakers.match(n, people))
            for n, rows, line in header["speakers"]
        ],
        unknown_steps=list(header["unknown_steps"]),
        layout=parsers.CsvLayout(layout[0], tuple(layout[1]), layout[2], layout[3:] == [True])
        if layout
        else None,
        scenario=scenario,
        already=earlier_import(session, sha256),
        unknown_step_lines=header["unknown_steps"],
        encoding=header.get("encoding", "utf-8"),
        onto_map=header.get("onto_map", 0),
        read_with=options.reading(),
        records=Rows(file, start=file.tell()),
    )
