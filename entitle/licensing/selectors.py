import uuid
from datetime import date

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from entitle.core import codes
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, events_of, owner_hidden
from entitle.core.models import AuditEvent
from entitle.core.policy import Action, RestrictedPrefetch
from entitle.licensing.arithmetic import StatusAt, status_at
from entitle.licensing.errors import (
    DeviceNotFound,
    LicenceNotFound,
    LicenceSuspended,
    NoLicenceFile,
)
from entitle.licensing.models import Binding, ConsumptionRecord, Device, Licence, LicenceFile
from entitle.orders.models import Entitlement


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
    """Licences, each with `key_visible`: may the actor see its Activation ID (the owner, its
    `manage` delegates, vendor staff)? The live bindings the actor may see are prefetched."""
    key_visible = (
        Value(True, output_field=BooleanField())
        if actor.is_vendor_staff
        else Exists(Licence.objects.visible_to(actor, Action.CHANGE).filter(pk=OuterRef("pk")))
    )
    return (
        Licence.objects.visible_to(actor, action)
        .select_related("product", "sku", "owner")
        .prefetch_related(
            # The devices a licence is on are installation data: only those the actor may see.
            RestrictedPrefetch(
                "bindings",
                Binding,
                actor=actor,
                to_attr="visible_bindings",
                select_related=("device",),
                where=Q(ended_at__isnull=True),
            )
        )
        .annotate(
            key_visible=key_visible,
            subscription=Subquery(
                Entitlement.objects.visible_to(actor, Action.VIEW)
                .filter(licence=OuterRef("pk"))
                .order_by("pk")
                .values("subscription_id")[:1]
            ),
        )
    )


def normalize_activation_id(text: str) -> str:
    try:
        return codes.normalize(text)
    except codes.CodeTypo as exc:
        raise LicenceNotFound() from exc


def licence_get(*, actor: Actor, activation_id: str, action: Action = Action.VIEW) -> Licence:
    """A licence by its public id (a UUID: links and API paths), or by its Activation ID for
    those who may see the key (the owner, its `manage` delegates, vendor staff). Anything else
    is "not found"."""
    licences = licence_list(actor=actor, action=action)
    try:
        public_id = uuid.UUID(str(activation_id))
    except ValueError:
        licences = licences.filter(
            key_visible=True, activation_id=normalize_activation_id(activation_id)
        )
    else:
        licences = licences.filter(public_id=public_id)
    try:
        return licences.get()
    except Licence.DoesNotExist as exc:
        raise LicenceNotFound() from exc


def subscription_id_of(licence: Licence, *, actor: Actor) -> str:
    """The Subscription ID partners and every role on the PO know the licence by: that of the
    first entitlement whose credits went into it, if the actor may see it ("" otherwise)."""
    if hasattr(licence, "subscription"):  # annotated by `licence_list`
        return licence.subscription or ""
    return (
        Entitlement.objects.visible_to(actor, Action.VIEW)
        .filter(licence=licence)
        .order_by("pk")
        .values_list("subscription_id", flat=True)
        .first()
        or ""
    )


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
                where=Q(ended_at__isnull=True),
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
    if licence.is_suspended:
        # A suspended licence reaches no device: not even its newest file is handed out.
        raise LicenceSuspended()
    file = (
        LicenceFile.objects.visible_to(actor, Action.CHANGE)
        .filter(
            licence=licence,
            device__public_id=device_public_id,
            device__bindings__licence=licence,
            device__bindings__ended_at__isnull=True,
        )
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


ACTIVATION_HISTORY_ACTIONS = (
    AuditAction.LICENCE_ACTIVATED,
    AuditAction.LICENCE_DEACTIVATED,
    AuditAction.LICENCE_REHOSTED,
    AuditAction.LICENCE_RELEASED_ON_TRANSFER,
)
DEVICE_HISTORY_ACTIONS = (AuditAction.LICENCE_ASSIGNED, *ACTIVATION_HISTORY_ACTIONS)


def activation_history(*, actor: Actor, licence: Licence) -> list[AuditEvent]:
    """Every activation, deactivation and rehost of the licence, newest first, with device
    name, host id and client address: installation data, so only for those who may act on the
    licence (and vendor staff)."""
    if not licence.key_visible:
        return []
    events = events_of(licence).filter(action__in=ACTIVATION_HISTORY_ACTIONS).order_by("-pk")
    return owner_hidden(events[:100], owner_id=licence.owner_id, reader=actor)


def licence_activity(*, actor: Actor, activation_id: str):
    licence = licence_get(actor=actor, activation_id=activation_id, action=_as_reader(actor))
    return licence, owner_hidden(events_of(licence), owner_id=licence.owner_id, reader=actor)


def device_activity(*, actor: Actor, public_id):
    device = device_get(actor=actor, public_id=public_id, action=_as_reader(actor))
    assigned = AuditEvent.objects.filter(
        Q(action__in=DEVICE_HISTORY_ACTIONS, after__device=str(device.public_id))
        | Q(action__in=DEVICE_HISTORY_ACTIONS, before__device=str(device.public_id))
    )
    events = (events_of(device) | assigned).select_related("actor_user", "actor_company")
    return device, owner_hidden(events, owner_id=device.owner_id, reader=actor)
