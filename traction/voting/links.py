"""Personal voting links: signed, bound to one invitation and its contact.

Built like the RSVP link (``traction.sessions.rsvp.InvitationLink``) with a salt of its own,
so an RSVP token does not open the ballot and one customer's link cannot vote for another.
"""

from __future__ import annotations

from traction.sessions.rsvp import InvitationLink

SALT = "traction.insights.vote"
VOTE = InvitationLink(
    salt=SALT,
    invalid=(
        "This voting link is not valid. Use the link the facilitator shared with you as it "
        "is, or ask them for a new one."
    ),
    url_name="voting:ballot",
    gone="This voting link no longer works: the invitation behind it is gone.",
)
make_token = VOTE.make_token
read_token = VOTE.read_token
url_for = VOTE.url_for
