"""core.guard's number reading: strict, never raising."""

from __future__ import annotations

import pytest

from traction.core.guard import MAX_ID, find_nul, id_out_of_range, whole_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        ("007", 7),
        (str(MAX_ID), MAX_ID),
        ("0" * 30 + "5", 5),
        ("²", None),  # "²".isdigit() is True, int("²") raises
        ("١٢", None),  # Arabic-Indic digits: int() reads them, a person did not mean an id
        ("", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1e3", None),
        ("0", None),
        (str(MAX_ID + 1), None),
        ("9" * 25, None),
        ("9" * 5000, None),  # past int()'s 4,300-digit limit: never converted
        (None, None),
        (12, None),
    ],
)
def test_whole_number_reads_ascii_digits_in_range_only(raw: object, expected: int | None) -> None:
    assert whole_number(raw) == expected


def test_whole_number_bounds() -> None:
    assert whole_number("0", low=0) == 0
    assert whole_number("10001", high=10_000) is None
    assert whole_number("10000", high=10_000) == 10_000


def test_ids_out_of_range() -> None:
    assert id_out_of_range({"session_id": MAX_ID}) is False
    assert id_out_of_range({"session_id": MAX_ID + 1}) is True
    assert id_out_of_range({"session_id": "9" * 25}) is True
    # Negative ones overflow too (the API fuzzer's -7366398178873186019610460160).
    assert id_out_of_range({"user_id": "-7366398178873186019610460160"}) is True
    assert id_out_of_range({"user_id": -(MAX_ID + 2)}) is True
    assert id_out_of_range({"user_id": "-5", "other": -MAX_ID}) is False
    assert id_out_of_range({"slug": "acme", "token": "x" * 40, "flag": True}) is False


def test_find_nul_names_the_path() -> None:
    assert find_nul({"a": [1, {"b": "x\x00"}]}) == "a.1.b"
    assert find_nul({"k\x00": "v"}) == "k\\0"
    assert find_nul({"a": ["fine"]}) is None
