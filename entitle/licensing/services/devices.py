"""Devices, assigning licences to them ("Add License"), deactivating and rehosting them, and
their licence files. Every activation, deactivation and rehost is an audit event on the licence
with the device's name, host id and the client's address: the licence's activation history."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from entitle_client.ids import HOST_ID_MAX_LENGTH, normalize_host_id

from entitle.accounts.models import Company
from entitle.catalog.models import Product
from entitle.core import codes
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
    NoLicenceOnDevice,
    RehostLimit,
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
    name, host_id = (name or "").strip(), normalize_host_id(host_id or "")
    if not name:
        raise DeviceInvalid("Please enter the device's name.", field="name")
    if not host_id or len(host_id) > HOST_ID_MAX_LENGTH:
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


def seats_refusal(licence: Licence, device: Device) -> str | None:
    """Why binding `licence` to `device` (not yet bound) would exceed the seats, or None."""
    product = licence.product
    if product.one_licence_per_device and device.bindings.filter(ended_at__isnull=True).exists():
        return f"Each {product.name} device can have only one license, and this one has one."
    live = licence.bindings.filter(ended_at__isnull=True).count()
    if live >= product.max_devices(licence.quantity):
        return "This license is already assigned to as many devices as it allows."
    return None


def bind(
    *,
    actor: Actor,
    licence: Licence,
    device: Device,
    installation_key: str = "",
    request_nonce: str = "",
) -> tuple[Binding, LicenceFile]:
    """Assign `licence` (locked by the caller) to `device`, or apply its current quantity to a
    device it is already assigned to; then issue the device's new licence file. An
    installation key (and, air-gapped, the request's nonce) is pinned to the binding."""
    product = licence.product
    if device.product_id != licence.product_id:
        raise AssignmentRefused(f"This device runs another product, not {product.name}.")
    if device.owner_id != licence.owner_id:
        raise AssignmentRefused("The device and the license belong to different companies.")
    if licence.is_suspended:
        raise LicenceSuspended()
    if not licence_status(licence).may_run and licence.start_date <= timezone.localdate():
        raise LicenceExpired()
    # The device row is the lock that keeps "one licence per device" true under concurrency.
    Device.objects.select_for_update().get(pk=device.pk)
    binding = Binding.objects.filter(licence=licence, device=device, ended_at__isnull=True).first()
    before = None if binding is None else {"applied_quantity": binding.applied_quantity}
    if binding is None:
        refusal = seats_refusal(licence, device)
        if refusal:
            raise AssignmentRefused(refusal)
        binding = Binding.objects.create(
            licence=licence, device=device, applied_quantity=licence.quantity
        )
    binding.applied_quantity = licence.quantity
    if installation_key:
        binding.installation_key = installation_key
    binding.request_nonce = request_nonce
    binding.save(update_fields=["applied_quantity", "installation_key", "request_nonce"])
    binding.device = device
    [file] = issue_files(licence, [binding], answering=request_nonce)
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
        licence = _lock(actor, activation_id)
        device = device_get(actor=actor, public_id=device_public_id, action=Action.CHANGE)
        _, file = bind(actor=actor, licence=licence, device=device)
    return file


def _lock(actor: Actor, licence_ref: str) -> Licence:
    licence = licence_get(actor=actor, activation_id=licence_ref, action=Action.CHANGE)
    return (
        Licence.objects.select_for_update(of=("self",))
        .select_related("product", "sku", "owner")
        .get(pk=licence.pk)
    )


def history_entry(device: Device, address: str, **more) -> dict:
    """What the activation history shows of an event: the device, its host id, the client."""
    return {
        "device": str(device.public_id),
        "device_name": device.name,
        "host_id": device.host_id,
        "address": address,
        **more,
    }


def end_binding(
    *, actor: Actor, binding: Binding, reason: Binding.EndReason, address: str = ""
) -> None:
    """End a live binding (the caller holds its licence locked): its seat is free, it gets no
    new file or lease, and the event is in the licence's activation history (a rehost records
    its own event, naming both hosts)."""
    binding.end(timezone.now(), reason)
    binding.save(update_fields=["ended_at", "end_reason"])
    if reason == Binding.EndReason.REHOSTED:
        return
    action = {
        Binding.EndReason.DEACTIVATED: AuditAction.LICENCE_DEACTIVATED,
        Binding.EndReason.TRANSFERRED: AuditAction.LICENCE_RELEASED_ON_TRANSFER,
    }[reason]
    record(
        actor=actor,
        action=action,
        obj=binding.licence,
        company=binding.licence.owner,
        before=history_entry(binding.device, address, serial=binding.file_serial),
    )


def _live_binding(licence: Licence, device_public_id) -> Binding:
    binding = (
        Binding.objects.select_for_update(of=("self",))
        .select_related("device", "licence")
        .filter(licence=licence, device__public_id=device_public_id, ended_at__isnull=True)
        .first()
    )
    if binding is None:
        raise NoLicenceOnDevice()
    return binding


def binding_deactivate(
    *, actor: Actor, activation_id: str, device_public_id, address: str = ""
) -> Binding:
    """The owner (or a `manage` delegate) deactivates the licence on a device: the seat is
    freed and the device's file is superseded (no new file, no new lease)."""
    with transaction.atomic():
        licence = _lock(actor, activation_id)
        device_get(actor=actor, public_id=device_public_id, action=Action.CHANGE)
        binding = _live_binding(licence, device_public_id)
        end_binding(
            actor=actor, binding=binding, reason=Binding.EndReason.DEACTIVATED, address=address
        )
    return binding


def rehosts_this_term(licence: Licence) -> int:
    """Rehosts of the licence since the start of its current term."""
    term_days = licence.sku.term_days
    elapsed = max((timezone.localdate() - licence.start_date).days, 0)
    term_start = licence.start_date + timedelta(days=elapsed - elapsed % term_days)
    return licence.bindings.filter(
        end_reason=Binding.EndReason.REHOSTED, ended_at__date__gte=term_start
    ).count()


def licence_rehost(
    *,
    actor: Actor,
    activation_id: str,
    device_public_id,
    host_id: str,
    name: str = "",
    address: str = "",
) -> LicenceFile:
    """Move the licence from a device to another host id (a device of the owner's, registered
    now if new), at most `rehosts_per_term` times a term; the new host gets a new file."""
    with transaction.atomic():
        licence = _lock(actor, activation_id)
        old = device_get(actor=actor, public_id=device_public_id, action=Action.CHANGE)
        binding = _live_binding(licence, device_public_id)
        host_id = normalize_host_id(host_id or "")
        if host_id == old.host_id:
            raise DeviceInvalid("Enter the new host id: this is the device's own.", field="host_id")
        if rehosts_this_term(licence) >= licence.product.rehosts_per_term:
            raise RehostLimit(
                f"This license was already moved {licence.product.rehosts_per_term} times this "
                "term: rehosting is limited so that a key cannot be passed around."
            )
        end_binding(
            actor=actor, binding=binding, reason=Binding.EndReason.REHOSTED, address=address
        )
        device = Device.objects.filter(
            owner=licence.owner, product=licence.product, host_id=host_id
        ).first() or create_device(
            actor=actor,
            owner=licence.owner,
            product=licence.product,
            name=name or old.name,
            host_id=host_id,
            location=old.location,
        )
        _, file = bind(actor=actor, licence=licence, device=device)
        record(
            actor=actor,
            action=AuditAction.LICENCE_REHOSTED,
            obj=licence,
            company=licence.owner,
            before=history_entry(old, address),
            after=history_entry(device, address, serial=file.serial),
        )
    return file


def licence_hand_over(*, actor: Actor, licence: Licence) -> int:
    """What a transfer does to the devices: each live binding on the old owner's devices ends
    (audited per device), so their files get no new lease, and the licence gets a new
    Activation ID, which the old owner never saw; the new owner activates its own hosts. The
    caller (the transfer) holds the licence locked. Returns the number of bindings ended."""
    bindings = list(
        Binding.objects.select_for_update(of=("self",))
        .select_related("device", "licence__owner")
        .filter(licence=licence, ended_at__isnull=True)
    )
    for binding in bindings:
        end_binding(actor=actor, binding=binding, reason=Binding.EndReason.TRANSFERRED)
    licence.activation_id = new_activation_id()
    licence.save(update_fields=["activation_id"])
    record(
        actor=actor,
        action=AuditAction.LICENCE_KEY_REPLACED,
        obj=licence,
        company=licence.owner,
        after={"reason": "transfer", "devices_released": len(bindings)},
    )
    return len(bindings)


def new_activation_id() -> str:
    """A new Activation ID: its own 95 random bits, never derived from a Subscription ID (a
    clash with another licence's key is refused by the unique index, and is as unlikely as a
    guess)."""
    return codes.generate()
