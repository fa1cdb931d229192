"""core.offering.found_again: the answers a "Find" reload carries back into a form."""

from __future__ import annotations

from django.http import QueryDict

from traction.core.offering import found_again


def test_found_again_keeps_what_was_sent_and_reads_id_lists_strictly() -> None:
    sent = QueryDict("title=Kept&due_on=&owner_q=x&ticked=3&ticked=%C2%B2&ticked=-1&ticked=7")
    again = found_again(sent, ["title", "due_on", "owner"], ids={"ticked": 2})
    # Only what was sent (an empty answer too), as sent; the ids among the first two only.
    assert again == {"title": "Kept", "due_on": "", "ticked": [3]}
    assert found_again(sent, ["title"]) == {"title": "Kept"}
    assert found_again(QueryDict(""), ["title"], ids={"ticked": 5}) == {"ticked": []}
