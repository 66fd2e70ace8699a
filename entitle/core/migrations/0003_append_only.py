from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION entitle_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%% is append-only: rows are never updated or deleted', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION entitle_append_only();"
    )


def forwards(apps, schema_editor):
    # Enforced by PostgreSQL itself, whatever code runs against it. (SQLite, the embedded
    # mode, relies on the code: no service has an update or delete path for these rows.)
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(trigger("core_auditevent"))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_idempotencyrecord")]
    operations = [migrations.RunPython(forwards, backwards)]
