from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_product_quantity_counts_devices"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="lease_days",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Days a licence file's lease runs; validating renews it. 0: an offline "
                "product, whose files have no lease and are good to their end date.",
            ),
        ),
        migrations.AddField(
            model_name="product",
            name="rehosts_per_term",
            field=models.PositiveIntegerField(
                default=2,
                help_text="How many times a licence may be moved to another host id in one term.",
            ),
        ),
    ]
