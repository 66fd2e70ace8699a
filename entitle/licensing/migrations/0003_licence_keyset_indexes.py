"""The licence list's sorts over every licence (vendor staff: 1.2 M rows in bench/portal.py)
read a page from an index in (value, id) order instead of sorting the whole table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0002_device_trust"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="licence",
            index=models.Index(fields=["end_date", "id"], name="licence_end_keyset"),
        ),
        migrations.AddIndex(
            model_name="licence",
            index=models.Index(fields=["start_date", "id"], name="licence_start_keyset"),
        ),
        migrations.AddIndex(
            model_name="licence",
            index=models.Index(fields=["created_at", "id"], name="licence_created_keyset"),
        ),
    ]
