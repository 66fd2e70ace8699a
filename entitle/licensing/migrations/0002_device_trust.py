"""Device trust: a public id per licence, a secret Activation ID that is never a Subscription ID,
normalised host ids, and bindings that end (deactivate, rehost, transfer) and carry a lease."""

import uuid

from django.db import migrations, models

import entitle.core.codes


def split_identifiers(apps, schema_editor):
    """Every licence gets a public id; a licence whose Activation ID is (or equals) any
    Subscription ID gets a new, unguessable one: a Subscription ID is seen by every role on the
    PO, so it can no longer activate anything."""
    Licence = apps.get_model("licensing", "Licence")
    Entitlement = apps.get_model("orders", "Entitlement")
    subscription_ids = set(Entitlement.objects.values_list("subscription_id", flat=True))
    taken = set(Licence.objects.values_list("activation_id", flat=True)) | subscription_ids
    for licence in Licence.objects.only("pk", "activation_id").iterator():
        licence.public_id = uuid.uuid4()
        fields = ["public_id"]
        if licence.activation_id in subscription_ids:
            new = entitle.core.codes.generate()
            while new in taken:
                new = entitle.core.codes.generate()
            taken.add(new)
            licence.activation_id = new
            fields.append("activation_id")
        licence.save(update_fields=fields)


def normalise_host_ids(apps, schema_editor):
    """Host ids are compared without surrounding white space and case, as the client does."""
    Device = apps.get_model("licensing", "Device")
    seen = set(Device.objects.values_list("owner_id", "product_id", "host_id"))
    for device in Device.objects.only("pk", "owner_id", "product_id", "host_id").iterator():
        normal = device.host_id.strip().upper()
        key = (device.owner_id, device.product_id, normal)
        if normal != device.host_id and key not in seen:
            seen.add(key)
            device.host_id = normal
            device.save(update_fields=["host_id"])


def binding_serials(apps, schema_editor):
    """Each binding knows the serial of its newest file."""
    Binding = apps.get_model("licensing", "Binding")
    LicenceFile = apps.get_model("licensing", "LicenceFile")
    newest = {}
    for licence_id, device_id, serial in LicenceFile.objects.values_list(
        "licence_id", "device_id", "serial"
    ):
        key = (licence_id, device_id)
        newest[key] = max(serial, newest.get(key, 0))
    for binding in Binding.objects.only("pk", "licence_id", "device_id").iterator():
        serial = newest.get((binding.licence_id, binding.device_id), 0)
        if serial:
            binding.file_serial = serial
            binding.save(update_fields=["file_serial"])


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0001_initial"),
        ("orders", "0002_entitlement_licence"),
    ]

    operations = [
        migrations.AddField(
            model_name="licence",
            name="public_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(split_identifiers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="licence",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
        migrations.RunPython(normalise_host_ids, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="binding", name="binding_unique"),
        migrations.AddField(
            model_name="binding",
            name="ended_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="binding",
            name="end_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("deactivated", "Deactivated"),
                    ("rehosted", "Rehosted"),
                    ("transferred", "Transferred away"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="binding",
            name="lease_until",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="binding",
            name="file_serial",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="binding",
            name="installation_key",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="binding",
            name="request_nonce",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(binding_serials, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="binding",
            index=models.Index(fields=["licence", "device"], name="binding_licence_device"),
        ),
        migrations.AddConstraint(
            model_name="binding",
            constraint=models.UniqueConstraint(
                condition=models.Q(ended_at__isnull=True),
                fields=("licence", "device"),
                name="binding_live_unique",
            ),
        ),
    ]
