"""Data: the audit trail names the renamed model by its new label.

Audit events record the type of the object they are about as the model's label; after
0005 an invitation to join a workspace is an ``accounts.memberinvitation``. Only that label
changes (the events' time, actor, action, object and changes stay as they were), so the
audit log's type filter shows one type for the one kind of object.
"""

from django.db import migrations

OLD, NEW = "accounts.invitation", "accounts.memberinvitation"


def _relabel(old: str, new: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        # The historical model has a plain manager: the append-only guard of the live
        # AuditEvent.objects is not in play here, on purpose and only for this label.
        AuditEvent = apps.get_model("core", "AuditEvent")
        AuditEvent.objects.filter(object_type=old).update(object_type=new)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_rename_invitation_memberinvitation"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(_relabel(OLD, NEW), _relabel(NEW, OLD))]
