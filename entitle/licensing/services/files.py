"""Issuing offline licence files (docs/licence-files.md)."""

import time
from datetime import timedelta

from django.utils import timezone

from entitle.licensing import signing
from entitle.licensing.models import Binding, Licence, LicenceFile


def lease_for(licence: Licence, binding: Binding):
    """The lease a new file of this binding gets: none for an offline product (`lease_days` 0)
    or an air-gapped installation (activated by a request file), else `lease_days` from today."""
    days = licence.product.lease_days
    if not days or binding.request_nonce:
        return None
    return timezone.localdate() + timedelta(days=days)


def licence_claims(licence: Licence, binding: Binding, serial: int, answering: str = "") -> dict:
    product = licence.product
    claims = {
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
        "lease_until": binding.lease_until.isoformat() if binding.lease_until else None,
    }
    if answering:
        # The response to an air-gapped request: the client installs it once, for that request.
        claims["request_nonce"] = answering
        claims["installation_key"] = binding.installation_key
    return claims


def issue_files(
    licence: Licence, bindings: list[Binding], *, answering: str = ""
) -> list[LicenceFile]:
    """A new file for each live binding, each with the licence's next serial and a new lease.
    `answering`: the nonce of the air-gapped request the (one) file answers. The caller holds
    the licence locked; `file_serial` is saved here."""
    issued = []
    for binding in [b for b in bindings if b.is_live]:
        serial = licence.next_file_serial()
        binding.lease_until = lease_for(licence, binding)
        binding.file_serial = serial
        binding.save(update_fields=["lease_until", "file_serial"])
        claims = licence_claims(licence, binding, serial, answering)
        signed = signing.sign(claims, typ=signing.LICENCE_TYP)
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
