"""Pure tests of speaker-name matching: no database, no Django."""

import pytest

from traction.insights.imports.speakers import display_name, match, normalize


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Alice Example", "alice example"),
        ("  ALICE   example ", "alice example"),
        ("José Müller", "jose muller"),
        ("José Müller 🚀", "jose muller"),
        ("Globex, Gina", "gina globex"),
        ("Globex, Gina (Guest)", "gina globex"),
        ("Gina Globex (External)", "gina globex"),
        ("Gina Globex (Globex)", "gina globex"),
        ("Gina Globex [Globex]", "gina globex"),
        ("Alice Example, PhD", "alice example"),
        ("O'Brien, Seán", "sean obrien"),
        ("Jean-Luc Picard", "jean luc picard"),
        ("Straße", "strasse"),
        ("Dr. Jane Smith", "dr jane smith"),
        ("🙂", ""),
        ("", ""),
    ],
)
def test_normalize(name, normalized):
    assert normalize(name) == normalized


PEOPLE = [
    (1, "Alice Example"),
    (2, "Gina Globex"),
    (3, "José Müller"),
    (4, "Alice Other"),
    (5, "Bob Stone"),
    (6, "Maria Luisa Fernández"),
]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Alice Example", 1),
        ("alice example (Guest)", 1),
        ("Globex, Gina", 2),
        ("Gina Globex (External)", 2),
        ("Gina", 2),
        ("gina g.", 2),
        ("José 🚀", 3),
        ("Jose Muller", 3),
        ("Bob S.", 5),
        ("bob.stone@example.com", 5),
        ("Maria Fernandez", 6),
        ("Alice", None),  # two Alices: ambiguous
        ("Alice E.", 1),
        ("Alice X.", None),
        ("Charlie", None),
        ("Stone", None),
        ("", None),
        ("🙂", None),
    ],
)
def test_match(name, key):
    assert match(name, PEOPLE) == key


def test_match_ambiguous_full_name_is_none():
    assert match("Sam Lee", [("a", "Sam Lee"), ("b", "sam lee")]) is None


def test_match_keys_are_generic():
    people = [(("team", 7), "Gina Globex")]
    assert match("Gina", people) == ("team", 7)
    assert match("Gina", []) is None


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Gina Globex (Guest)", "Gina Globex"),
        ("Gina Globex (guest)", "Gina Globex"),
        ("Ivy Initech (External)", "Ivy Initech"),
        ("Ivy Initech (Unverified)", "Ivy Initech"),
        ("Fran  Facilitator (Host, me)", "Fran Facilitator"),
        ("Cora Core (Co-host)", "Cora Core"),
        ("Bob Builder [Organizer]", "Bob Builder"),
        ("Ann Able (Unverified) (Guest)", "Ann Able"),
        ("Globex, Gina (Guest)", "Globex, Gina"),
        ("Gina Globex (Globex)", "Gina Globex (Globex)"),  # not a role: stays
        ("Gina (Guest of Globex)", "Gina (Guest of Globex)"),
        ("(Guest)", "(Guest)"),  # nothing else to show
        ("Gina Globex", "Gina Globex"),
    ],
)
def test_display_name_drops_meeting_role_labels_only(written, shown):
    assert display_name(written) == shown
