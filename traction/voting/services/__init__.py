"""Customer prioritisation (docs/method.md, step 4): the dot-voting use-cases.

Each customer participant of a session spends a fixed budget of dots on the session's
votable cards (its accepted customer moments of truth, issues and ideas), in one of three
ways: in the room on the facilitator's shared screen, on paper (the facilitator enters the
tallies), or through their own signed link on a phone. One rule holds whatever the channel
(docs/method.md): a customer participant cannot spend more dots than the budget, and votes
only on cards of the session they take part in.

The use-cases lock the session's ``VotingRound`` row before they count what a customer has
spent, so two phones submitting at once are serialised and cannot overspend (PostgreSQL:
``select_for_update``; SQLite runs every transaction IMMEDIATE, which serialises writers).

Closing freezes the ranking (``FrozenCard`` rows, read from then on); a closed round is
reopened only explicitly, with a reason (``reopen_voting``). Cancelling the session closes
it (``close_for_cancelled_session``, subscribed to ``session.cancelled``); a customer who
declines loses their dots in an open round (``clear_declined_dots``).
What the facilitator and readers see of it (ballots, the ranking, the room's
screen) is read in ``traction/voting/selectors.py``.

The package: ``checks`` (the budget's limits, ``KIND_PLURALS``, the shared checks,
``votable_cards``, ``spent``), ``rounds`` (opening, closing, the budget), ``room`` (a dot at a
time in the room), ``ballots`` (whole ballots: a paper round, a customer's link) and
``link_mail`` (emailing the voting links). Everything other code uses is importable from
here, ``link_mail`` as a module.
"""

from .ballots import LinkBallot, TallyEntry, ballot_for_link, record_paper_tally, vote_by_link
from .checks import (
    DEFAULT_BUDGET,
    KIND_PLURALS,
    MAX_BUDGET,
    MIN_BUDGET,
    PAPER_REASON,
    behalf_reason,
    spent,
    votable_cards,
)
from .room import add_dot, remove_dot, show_totals
from .rounds import (
    change_budget,
    clear_declined_dots,
    close_for_cancelled_session,
    close_voting,
    open_voting,
    remove_participant_dots,
    reopen_voting,
)

__all__ = [
    "DEFAULT_BUDGET",
    "KIND_PLURALS",
    "MAX_BUDGET",
    "MIN_BUDGET",
    "PAPER_REASON",
    "LinkBallot",
    "TallyEntry",
    "add_dot",
    "ballot_for_link",
    "behalf_reason",
    "change_budget",
    "clear_declined_dots",
    "close_for_cancelled_session",
    "close_voting",
    "open_voting",
    "record_paper_tally",
    "remove_dot",
    "remove_participant_dots",
    "reopen_voting",
    "show_totals",
    "spent",
    "votable_cards",
    "vote_by_link",
]
