"""Devices, assigning licences to them ("Add License"), and their licence files."""

from django.db import IntegrityError, transaction

from entitle.accounts.models import Company
from entitle.catalog.models import Product
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import NotFound
from entitle.core.policy import Action
from entitle.licensing.errors import (
    AssignmentRefused,
    DeviceExists,
    DeviceInvalid,
    LicenceExpired,
    LicenceSuspended,
)
from entitle.licensing.models import Binding, Device, Licence, LicenceFile
from entitle.licensing.selectors import device_get, licence_get, licence_status
from entitle.licensing.services.files import issue_files


def device_register(
    *, actor: Actor, product: Product, name: str, host_id: str, location: str = ""
) -> Device:
    """Register an installed product instance of the actor's company."""
    if not actor.is_authenticated:
        raise NotFound()
    return create_device(
        actor=actor,
        owner=actor.company,
        product=product,
        name=name,
        host_id=host_id,
        location=location,
    )


def create_device(
    *, actor: Actor, owner: Company, product: Product, name: str, host_id: str, location: str = ""
) -> Device:
    """A new device of `owner` (the product's own activation registers devices this way)."""
    name, host_id = (name or "").strip(), (host_id or "").strip()
    if not name:
        raise DeviceInvalid("Please enter the device's name.", field="name")
    if not host_id or len(host_id) > 128:
        raise DeviceInvalid(
            "Please enter the device's host id (up to 128 characters).", field="host_id"
        )
    try:
        with transaction.atomic():
            device = Device.objects.create(
                owner=owner,
                product=product,
                name=name[:120],
                host_id=host_id,
                location=(location or "").strip()[:200],
            )
            record(
                actor=actor,
                action=AuditAction.DEVICE_REGISTERED,
                obj=device,
                company=owner,
                after={
                    "name": device.name,
                    "product": product.code,
                    "host_id": host_id,
                    "location": device.location,
                },
            )
    except IntegrityError as exc:
        raise DeviceExists(field="host_id") from exc
    return device


def bind(*, actor: Actor, licence: Licence, device: Device) -> tuple[Binding, LicenceFile]:
    """Assign `licence` (locked by the caller) to `device`, or apply its current quantity to a
    device it is already assigned to; then issue the device's new licence file."""
    product = licence.product
    if device.product_id != licence.product_id:
        raise AssignmentRefused(f"This device runs another product, not {product.name}.")
    if device.owner_id != licence.owner_id:
        raise AssignmentRefused("The device and the licence belong to different companies.")
    if licence.is_suspended:
        raise LicenceSuspended()
    if not licence_status(licence).may_run:
        raise LicenceExpired()
    # The device row is the lock that keeps "one licence per device" true under concurrency.
    Device.objects.select_for_update().get(pk=device.pk)
    binding = Binding.objects.filter(licence=licence, device=device).first()
    before = None if binding is None else {"applied_quantity": binding.applied_quantity}
    if binding is None:
        if product.one_licence_per_device and device.bindings.exists():
            raise AssignmentRefused(
                f"Each {product.name} device can have only one licence, and this one has one."
            )
        if licence.bindings.count() >= product.max_devices(licence.quantity):
            raise AssignmentRefused(
                "This licence is already assigned to as many devices as it allows."
            )
        binding = Binding.objects.create(
            licence=licence, device=device, applied_quantity=licence.quantity
        )
    else:
        binding.applied_quantity = licence.quantity
        binding.save(update_fields=["applied_quantity"])
    binding.device = device
    [file] = issue_files(licence, [binding])
    record(
        actor=actor,
        action=AuditAction.LICENCE_ASSIGNED,
        obj=licence,
        company=licence.owner,
        before=before,
        after={
            "device": str(device.public_id),
            "applied_quantity": binding.applied_quantity,
            "serial": file.serial,
        },
    )
    return binding, file


def licence_assign(*, actor: Actor, activation_id: str, device_public_id) -> LicenceFile:
    """ "Add License": assign the licence to the device, or apply its new quantity there."""
    with transaction.atomic():
        licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
        licence = (
            Licence.objects.select_for_update(of=("self",))
            .select_related("product", "sku")
            .get(pk=licence.pk)
        )
        device = device_get(actor=actor, public_id=device_public_id, action=Action.CHANGE)
        _, file = bind(actor=actor, licence=licence, device=device)
    return file
