"""Import transcripts and sticky-note exports into a session (docs/method.md, step 3).

What a facilitator can count on:

- **All or nothing per file.** The file is parsed once and checked whole before anything is
  written; a bad line refuses the file with its line number and the reason, and nothing is
  written.
- **Idempotent.** A file is known by the SHA-256 of its bytes; importing the same file into
  the same session again adds nothing and says so (``ImportResult.created`` is False).
- **Nobody silently dropped.** Speaker names are matched to the session's participants
  (``speakers.match``: also "Last, First"); a name that matches nobody must be mapped by the
  user (to a participant, to a new contact of a customer, or kept as written, unattributed),
  otherwise the import is refused with the list of such names. Unknown step names likewise.
- **Where rows land.** Transcript utterances become *candidates* of kind "quote" in the
  review queue (``accept=True`` accepts them at once). A sticky note is what the team wrote
  on the wall: when its row names a type we recognise (``parsers.kind_from``) and, for the
  journey-grid types, a step of the chosen scenario, it goes onto the map as accepted;
  otherwise it waits in the review queue as a candidate (kind "idea" when no type is known).

Rows go in a chunk per transaction, each chunk one ``executemany`` of one INSERT on Django's
cursor (``services._Insert``); the full-text index follows them as it follows every insight.
One audit event records the whole import.

Where things are: ``parsers/`` (reading each file format, no Django), ``speakers`` (matching
names as written to people), ``shapes`` (``ImportOptions``, ``Record``, ``Rows``,
``Preview``, ``ImportResult``), ``reading`` (fingerprint, format, CSV layout, rows),
``preview`` (``preview_import``: the one parse), ``decisions`` (who each speaker is, which
step each row names), ``services`` (``import_file``), ``selectors`` (``review_queue``),
``staging`` (the web's uploads and parsed previews between preview and confirm), ``views``,
``forms``, ``api``; ``discarding`` (``discard_import``: a wrong import taken back whole).
This module re-exports what the rest of the project uses.
"""

from . import parsers
from .discarding import Discarded, discard_import
from .preview import preview_import
from .selectors import import_speakers, review_queue
from .services import import_file
from .shapes import ImportOptions, ImportResult, Preview

__all__ = [
    "Discarded",
    "ImportOptions",
    "ImportResult",
    "Preview",
    "discard_import",
    "import_file",
    "import_speakers",
    "parsers",
    "preview_import",
    "review_queue",
]
