"""The note taker's quick syntax."""

from traction.insights import quick

PEOPLE = [
    ("c:1", "Gina Globex"),
    ("c:2", "Ivy Initech"),
    ("u:7", "Cora Core"),
    ("c:3", "Gino Rossi"),
]
STEPS = [(10, "Sign the contract"), (11, "Set up billing"), (12, "First invoice")]


def parse(line: str) -> quick.Quick:
    return quick.parse(line, speakers=PEOPLE, steps=STEPS)


def test_leading_tokens_set_type_speaker_step_and_tags() -> None:
    q = parse("/i @gina >2 #Billing #slow Approval takes three weeks")
    assert (q.kind, q.speaker, q.step_id, q.tags, q.text) == (
        "issue",
        "c:1",
        11,
        ["billing", "slow"],
        "Approval takes three weeks",
    )
    assert q.errors == {}


def test_tokens_inside_the_text_are_words() -> None:
    q = parse("We want #1 support @ 9am > anything /really")
    assert (q.kind, q.speaker, q.step_id, q.tags) == (None, None, None, [])
    assert q.text == "We want #1 support @ 9am > anything /really"


def test_every_short_type_and_word_prefixes() -> None:
    expected = {
        "/o": "outcome",
        "/c": "context",
        "/s": "step",
        "/m": "moment_of_truth",
        "/i": "issue",
        "/d": "idea",
        "/k": "customer_metric",
        "/q": "quote",
        "/?": "question",
        "/mom": "moment_of_truth",
        "/met": "customer_metric",
        "/quot": "quote",
        "/ques": "question",
    }
    for token, kind in expected.items():
        assert parse(f"{token} words").kind == kind, token


def test_speakers_by_unique_prefix_full_name_or_accents() -> None:
    assert parse("@ivy x").speaker == "c:2"
    assert parse("@gina.globex x").speaker == "c:1"
    assert parse("@Gína x").speaker == "c:1"
    assert parse("@cora x").speaker == "u:7"
    ambiguous = parse("@gin x")
    assert ambiguous.speaker is None
    assert "more than one" in ambiguous.errors["speaker"]
    assert "nobody" in parse("@zed x").errors["speaker"]


def test_steps_by_number_or_title_prefix() -> None:
    assert parse(">3 x").step_id == 12
    assert parse(">set x").step_id == 11
    assert parse(">first-inv x").step_id == 12
    assert "no step 9" in parse(">9 x").errors["step"].lower()
    assert parse(">zzz x").errors["step"]


def test_unknown_type_is_an_error_not_text() -> None:
    q = parse("/x Something")
    assert q.errors["kind"].startswith("“/x” is not a type")


def test_a_step_number_that_is_not_plain_digits_or_too_long_is_an_error_not_a_crash() -> None:
    for token in (">²", ">" + "9" * 5000, ">" + "9" * 25, ">٣"):
        q = parse(f"/i {token} Too slow")
        assert q.step_id is None
        assert "step" in q.errors
        assert q.text == "Too slow"
