from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from entitle.core import codes
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, events_of, owner_hidden
from entitle.core.models import AuditEvent
from entitle.core.policy import Action, RestrictedPrefetch
from entitle.licensing.arithmetic import StatusAt, status_at
from entitle.licensing.errors import DeviceNotFound, LicenceNotFound, NoLicenceFile
from entitle.licensing.models import Binding, ConsumptionRecord, Device, Licence, LicenceFile


def licence_status(licence: Licence, on: date | None = None) -> StatusAt:
    """The licence's status on a day (today by default), from its dates and product policy."""
    product = licence.product
    return status_at(
        start=licence.start_date,
        end=licence.end_date,
        on=on or timezone.localdate(),
        warn_days=product.warn_days,
        grace_days=product.grace_days,
        suspended=licence.is_suspended,
    )


def licence_list(*, actor: Actor, action: Action = Action.VIEW) -> QuerySet[Licence]:
    # The devices a licence is on are installation data: only those the actor may see.
    return (
        Licence.objects.visible_to(actor, action)
        .select_related("product", "sku", "owner")
        .prefetch_related(
            RestrictedPrefetch(
                "bindings",
                Binding,
                actor=actor,
                to_attr="visible_bindings",
                select_related=("device",),
            )
        )
    )


def normalize_activation_id(text: str) -> str:
    try:
        return codes.normalize(text)
    except codes.CodeTypo as exc:
        raise LicenceNotFound() from exc


def licence_get(*, actor: Actor, activation_id: str, action: Action = Action.VIEW) -> Licence:
    try:
        return licence_list(actor=actor, action=action).get(
            activation_id=normalize_activation_id(activation_id)
        )
    except Licence.DoesNotExist as exc:
        raise LicenceNotFound() from exc


def device_list(*, actor: Actor, action: Action = Action.VIEW) -> QuerySet[Device]:
    return (
        Device.objects.visible_to(actor, action)
        .select_related("product", "owner")
        .prefetch_related(
            RestrictedPrefetch(
                "bindings",
                Binding,
                actor=actor,
                to_attr="visible_bindings",
                select_related=("licence__product",),
            )
        )
    )


def device_get(*, actor: Actor, public_id, action: Action = Action.VIEW) -> Device:
    try:
        return device_list(actor=actor, action=action).get(public_id=public_id)
    except (Device.DoesNotExist, ValueError) as exc:
        raise DeviceNotFound() from exc


def consumption_list(*, actor: Actor) -> QuerySet[ConsumptionRecord]:
    return (
        ConsumptionRecord.objects.visible_to(actor, Action.VIEW)
        .filter(company=actor.company)
        .select_related("licence", "sku", "created_by")
    )


def licence_file_latest(*, actor: Actor, activation_id: str, device_public_id) -> LicenceFile:
    """The newest licence file of a licence on a device: the one that supersedes the others.
    Downloading is a lifecycle action (owner, or a `manage` delegate)."""
    licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
    file = (
        LicenceFile.objects.visible_to(actor, Action.CHANGE)
        .filter(licence=licence, device__public_id=device_public_id)
        .select_related("licence")
        .first()
    )
    if file is None:
        raise NoLicenceFile()
    return file


def _as_reader(actor: Actor) -> Action:
    # A licence's history (devices, files) is installation data: the owner's and managing
    # delegates' (CHANGE), and vendor staff's (who see everything).
    return Action.VIEW if actor.is_vendor_staff else Action.CHANGE


def licence_activity(*, actor: Actor, activation_id: str):
    licence = licence_get(actor=actor, activation_id=activation_id, action=_as_reader(actor))
    return licence, owner_hidden(events_of(licence), owner_id=licence.owner_id, reader=actor)


def device_activity(*, actor: Actor, public_id):
    device = device_get(actor=actor, public_id=public_id, action=_as_reader(actor))
    assigned = AuditEvent.objects.filter(
        Q(action=AuditAction.LICENCE_ASSIGNED) | Q(action=AuditAction.LICENCE_ACTIVATED),
        after__device=str(device.public_id),
    )
    events = (events_of(device) | assigned).select_related("actor_user", "actor_company")
    return device, owner_hidden(events, owner_id=device.owner_id, reader=actor)
