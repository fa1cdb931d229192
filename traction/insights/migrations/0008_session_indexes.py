"""A session's cards by an index that starts with the session.

The session index (session, status) tied with the workspace's (workspace, status) for every
session-scoped read (each also filters on the workspace), and SQLite's planner took the
workspace's: an empty session's count walked all of the workspace's accepted insights. With
the capture order as a third column, (session, status, created_at) wins every such plan on
SQLite and PostgreSQL, and also serves a session's cards in capture order. It replaces the
two-column index (its prefix); created first, so a session's reads are never without one.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("insights", "0007_link_delivery_and_participants_by_customer")]

    operations = [
        migrations.AddIndex(
            model_name="insight",
            index=models.Index(
                fields=["session", "status", "created_at"], name="insight_session_status_time"
            ),
        ),
        migrations.RemoveIndex(model_name="insight", name="insight_session_status"),
    ]
