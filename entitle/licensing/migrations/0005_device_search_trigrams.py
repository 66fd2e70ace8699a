"""Indexes for the Devices page's search on PostgreSQL (trigrams, upper-cased host ids): a search that matches few
devices read the whole fleet (100,000 devices: 100–160 ms). Django's icontains is
`UPPER(col::text) LIKE UPPER(%s)` there, so the indexes are on that expression. pg_trgm is a
trusted extension: the database's owner may create it. SQLite searches as before; the indexes
are not declared in the model's Meta, which would give SQLite an index it cannot build."""

from django.db import migrations

COLUMNS = ("name", "location")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS device_{column}_trigram ON licensing_device "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )
    # host_id__iexact is UPPER(host_id::text) = UPPER(%s).
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS device_host_id_upper ON licensing_device "
        "((UPPER(host_id::text)))"
    )
    # An expression index has statistics only once analysed: until then the planner guessed
    # and walked the name index through the whole fleet.
    schema_editor.execute("ANALYZE licensing_device")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS device_{column}_trigram")
    schema_editor.execute("DROP INDEX IF EXISTS device_host_id_upper")


class Migration(migrations.Migration):
    dependencies = [("licensing", "0004_device_keyset_indexes")]

    operations = [migrations.RunPython(create, drop)]
