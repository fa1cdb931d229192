"""Import transcripts and sticky-note exports into a session (docs/method.md, step 3).

What a facilitator can count on:

- **All or nothing per file.** The whole file is read and written inside one transaction; a
  bad line refuses the file with its line number and the reason, and nothing is written.
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

Rows go in through plain INSERTs on the database cursor (``executemany`` in chunks), not the
ORM: an import of 100,000 sticky notes must run at raw-SQL speed, and triggers on the insight
table (the full-text index) must see every row. One audit event records the whole import.

The package: ``shapes`` (the constants, ``ImportOptions``, ``Record``, ``Preview``,
``ImportResult``), ``reading`` (fingerprint, format, CSV layout, rows as ``Record``s),
``preview`` (``preview_import``), ``decisions`` (who each speaker is, which step each row
names, ``new_contact_customers``) and ``writing`` (``import_file``: the transaction, the chunked
INSERTs). Everything other code uses is importable from here.
"""

from traction.insights import parsers

from .decisions import Who, new_contact_customers
from .preview import preview_import
from .queue import review_queue
from .shapes import (
    CHUNK_ROWS,
    MAX_TEXT,
    NEW_CONTACT,
    SAMPLE_ROWS,
    UNATTRIBUTED,
    ImportOptions,
    ImportResult,
    Preview,
    Progress,
    Record,
    SpeakerFound,
    UnknownSteps,
    Unmatched,
)
from .writing import import_file

__all__ = [
    "CHUNK_ROWS",
    "MAX_TEXT",
    "NEW_CONTACT",
    "SAMPLE_ROWS",
    "UNATTRIBUTED",
    "ImportOptions",
    "ImportResult",
    "Preview",
    "Progress",
    "Record",
    "SpeakerFound",
    "UnknownSteps",
    "Unmatched",
    "Who",
    "import_file",
    "new_contact_customers",
    "parsers",
    "preview_import",
    "review_queue",
]
