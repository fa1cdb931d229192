"""A session's cards by an index that starts with the session and also holds the workspace.

Every session-scoped read also filters on the workspace (the permission policy's wall). The
session index (session, status) then tied with the workspace's indexes, and SQLite's planner,
which has no statistics (Django never runs ANALYZE), took a workspace's: an empty session's
count, its ranking and its search walked every insight of the workspace. An index on
(session, workspace, status) gives every such read one more equality than any workspace
index, and, as SQLite indexes end with the row id, rows newest first within it for the
search's listing: the session's index wins each plan, so a session's pages cost what the
session holds, whatever the workspace holds. PostgreSQL picks by its statistics and takes
the same index for a session's reads. It replaces the two-column index; it is created first,
so a session's reads are never without one.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("insights", "0007_link_delivery_and_participants_by_customer")]

    operations = [
        migrations.AddIndex(
            model_name="insight",
            index=models.Index(
                fields=["session", "workspace", "status"], name="insight_session_ws_status"
            ),
        ),
        migrations.RemoveIndex(model_name="insight", name="insight_session_status"),
    ]
