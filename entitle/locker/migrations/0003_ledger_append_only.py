from django.db import migrations


def forwards(apps, schema_editor):
    # The ledger is append-only: a correction is a reversing entry, never an edit.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TRIGGER locker_ledgerentry_append_only BEFORE UPDATE OR DELETE "
            "ON locker_ledgerentry FOR EACH ROW EXECUTE FUNCTION entitle_append_only();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS locker_ledgerentry_append_only ON locker_ledgerentry"
        )


class Migration(migrations.Migration):
    dependencies = [("locker", "0002_initial"), ("core", "0003_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
