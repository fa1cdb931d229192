"""Voting moves to its own app (``traction.voting``): its models leave the insights state.

State only: the tables stay as they are (``insights_votinground``, ``insights_vote``,
``insights_frozencard``, ``insights_frozenvote``, ``insights_linkdelivery``), now owned by
``voting.0001_initial``, which this migration follows, so no row moves and none is lost.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0008_session_indexes"),
        ("voting", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # The rows that refer to others first.
                migrations.DeleteModel(name="FrozenVote"),
                migrations.DeleteModel(name="FrozenCard"),
                migrations.DeleteModel(name="LinkDelivery"),
                migrations.DeleteModel(name="Vote"),
                migrations.DeleteModel(name="VotingRound"),
            ],
            database_operations=[],
        )
    ]
