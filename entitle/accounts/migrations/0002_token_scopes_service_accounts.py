import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def tokens_act_as_their_creator(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.update(user=models.F("created_by"))


def tokens_keep_what_they_could_do(apps, schema_editor):
    # Tokens made before scopes could use every route of the API but the back office's.
    areas = [
        "accounts", "catalog", "orders", "locker", "licences", "devices", "sharing",
        "renewals", "activity", "webhooks",
    ]
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.update(
        scopes=[f"{area}:{access}" for area in areas for access in ("read", "write")]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="is_service_account",
            field=models.BooleanField(
                default=False,
                help_text="An account for another system (an ERP, a partner's system): it acts "
                "through API tokens and never signs in.",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="user",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="api_tokens",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(default=list),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(tokens_act_as_their_creator, migrations.RunPython.noop),
        migrations.RunPython(tokens_keep_what_they_could_do, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="api_tokens",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
