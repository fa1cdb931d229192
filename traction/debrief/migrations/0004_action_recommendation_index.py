"""A debrief's actions by an index that starts with the recommendation and also holds the
workspace.

A debrief's actions are read by its approved recommendations' ids, and every read also
filters on the workspace (the permission policy's wall). The index (recommendation, status)
then tied with the workspace's indexes, and SQLite's planner, which has no statistics, took
a workspace's: the room's counts and its actions needing attention walked every action of the
workspace. (recommendation, workspace, status, due_on) gives those reads one more equality
than any workspace index, and holds every column the counts read (a covering index, which
the planner prefers to the workspace's covering one). It replaces the two-column index; it is created first, so the reads are
never without one.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("debrief", "0003_action_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="actionitem",
            index=models.Index(
                fields=["recommendation", "workspace", "status", "due_on"],
                name="action_rec_ws_status_due",
            ),
        ),
        migrations.RemoveIndex(model_name="actionitem", name="debrief_act_recomme_bf562c_idx"),
    ]
