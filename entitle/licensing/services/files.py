"""Issuing offline licence files (docs/licence-files.md)."""

import time

from django.utils import timezone

from entitle.licensing import signing
from entitle.licensing.models import Binding, Licence, LicenceFile


def licence_claims(licence: Licence, binding: Binding, serial: int) -> dict:
    product = licence.product
    return {
        "iss": "entitle",
        "activation_id": licence.activation_id,
        "host_id": binding.device.host_id,
        "product": product.code,
        "product_name": product.name,
        "sku": licence.sku.code,
        "quantity": binding.applied_quantity,
        "start": licence.start_date.isoformat(),
        "end": licence.end_date.isoformat(),
        "grace_days": product.grace_days,
        "warn_days": product.warn_days,
        "serial": serial,
        "iat": int(time.time()),
    }


def issue_files(licence: Licence, bindings: list[Binding]) -> list[LicenceFile]:
    """A new file for each binding, each with the licence's next serial. The caller holds the
    licence locked and saves `file_serial` (it is saved here too, for callers that do not)."""
    issued = []
    for binding in bindings:
        serial = licence.next_file_serial()
        signed = signing.sign(licence_claims(licence, binding, serial), typ=signing.LICENCE_TYP)
        issued.append(
            LicenceFile.objects.create(
                licence=licence,
                device=binding.device,
                serial=serial,
                kid=signed.kid,
                text=signing.armour(signed.token),
                issued_at=timezone.now(),
            )
        )
    if issued:
        Licence.objects.filter(pk=licence.pk).update(file_serial=licence.file_serial)
    return issued
