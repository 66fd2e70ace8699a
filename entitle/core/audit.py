"""The one way to write an audit event, and the one list of what can happen.

Every service calls `record` inside its transaction, so an event exists exactly when its change
committed. `AuditAction` names every kind of event once: `record` accepts nothing else, and
every query on actions uses its members. Its labels read as the middle of a sentence ("Olivia
*renewed the licence* …"), which is how activity pages show events.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from entitle.core import hooks, statements
from entitle.core.actor import Actor
from entitle.core.events import AuditRecorded
from entitle.core.models import AuditEvent
from entitle.core.policy import Action, rule


class AuditAction(models.TextChoices):
    # Accounts.
    COMPANY_CREATED = "company.created", "created the company"
    COMPANY_CHANGED = "company.changed", "changed the company"
    COMPANY_DELETED = "company.deleted", "deleted the company"
    USER_CREATED = "user.created", "created the user"
    USER_CHANGED = "user.changed", "changed the user"
    USER_DELETED = "user.deleted", "deleted the user"
    USER_REGISTERED = "user.registered", "registered"
    INVITATION_CREATED = "invitation.created", "invited a co-worker"
    INVITATION_RESENT = "invitation.resent", "sent an invitation again"
    INVITATION_REVOKED = "invitation.revoked", "revoked an invitation"
    INVITATION_ACCEPTED = "invitation.accepted", "accepted an invitation"
    API_TOKEN_CREATED = "api_token.created", "created an API token"
    API_TOKEN_REVOKED = "api_token.revoked", "revoked an API token"
    SERVICE_ACCOUNT_CREATED = "service_account.created", "created a service account"
    SERVICE_ACCOUNT_DEACTIVATED = "service_account.deactivated", "deactivated a service account"
    IDENTITY_PROVIDER_SAVED = "identity_provider.saved", "set up single sign-on"
    SSO_IDENTITY_LINKED = "sso_identity.linked", "signed in through single sign-on the first time"
    SECOND_FACTOR_ENABLED = "second_factor.enabled", "turned two-factor sign-in on"
    SECOND_FACTOR_DISABLED = "second_factor.disabled", "turned two-factor sign-in off"
    RECOVERY_CODES_ISSUED = "recovery_codes.issued", "made new recovery codes"
    RECOVERY_CODE_USED = "recovery_code.used", "signed in with a recovery code"
    SECOND_FACTOR_POLICY_CHANGED = (
        "company.second_factor_policy",
        "changed whether two-factor sign-in is required",
    )
    # Catalog.
    PRODUCT_CREATED = "product.created", "added the product"
    PRODUCT_CHANGED = "product.changed", "changed the product"
    PRODUCT_DELETED = "product.deleted", "deleted the product"
    SKU_CREATED = "sku.created", "added the SKU"
    SKU_CHANGED = "sku.changed", "changed the SKU"
    SKU_DELETED = "sku.deleted", "deleted the SKU"
    # Orders, vouchers and the locker.
    PO_RECORDED = "po.recorded", "recorded the purchase order"
    PO_FULFILLED = "po.fulfilled", "fulfilled the purchase order"
    VOUCHER_ISSUED = "voucher.issued", "issued a voucher"
    VOUCHER_REDEEMED = "voucher.redeemed", "redeemed a voucher"
    VOUCHER_VOIDED = "voucher.voided", "voided a voucher"
    LEDGER_REDEMPTION = "ledger.redemption", "added credits to the Digital Locker"
    LEDGER_CONSUMPTION = "ledger.consumption", "used credits"
    LEDGER_RETURN = "ledger.return", "got credits back"
    # Licences and devices.
    CONSUMPTION_COMPLETED = "consumption.completed", "completed a use of credits"
    CONSUMPTION_FAILED = "consumption.failed", "had a use of credits fail"
    LICENCE_CREATED = "licence.created", "created the license"
    LICENCE_INCREASED = "licence.increased", "increased the license quantity"
    LICENCE_RENEWED = "licence.renewed", "renewed the license"
    LICENCE_SUSPENDED = "licence.suspended", "suspended the license"
    LICENCE_REINSTATED = "licence.reinstated", "reinstated the license"
    LICENCE_ASSIGNED = "licence.assigned", "added the license to a device"
    LICENCE_ACTIVATED = "licence.activated", "activated the license on a device"
    LICENCE_DEACTIVATED = "licence.deactivated", "deactivated the license on a device"
    LICENCE_REHOSTED = "licence.rehosted", "moved the license to another host"
    LICENCE_RELEASED_ON_TRANSFER = (
        "licence.released_on_transfer",
        "released a device of the license on its transfer",
    )
    LICENCE_KEY_REPLACED = "licence.key_replaced", "replaced the license's Activation ID"
    LICENCE_LEASE_RENEWED = "licence.lease_renewed", "renewed a device's license lease"
    LICENCE_TRANSFERRED = "licence.transferred", "transferred the license"
    DEVICE_REGISTERED = "device.registered", "registered the device"
    SIGNING_KEY_ROTATED = "signing_key.rotated", "rotated the signing keys"
    # Sharing and transfer.
    DELEGATION_GRANTED = "delegation.granted", "shared license information"
    DELEGATION_CHANGED = "delegation.changed", "changed a share"
    DELEGATION_ACCEPTED = "delegation.accepted", "accepted a share"
    DELEGATION_REVOKED = "delegation.revoked", "stopped sharing"
    TRANSFER_PROPOSED = "transfer.proposed", "offered a license transfer"
    TRANSFER_ACCEPTED = "transfer.accepted", "accepted a license transfer"
    TRANSFER_DECLINED = "transfer.declined", "declined a license transfer"
    TRANSFER_CANCELLED = "transfer.cancelled", "withdrew a license transfer"
    # Renewals.
    REMINDER_SWEEP_BOOKED = "reminder_sweep.booked", "booked the reminder sweep"
    REMINDER_SWEEP_STARTED = "reminder_sweep.started", "started the reminder sweep"
    REMINDER_SWEEP_FINISHED = "reminder_sweep.finished", "finished the reminder sweep"
    REMINDERS_CLAIMED = "reminders.claimed", "found renewal reminders due"
    REMINDER_MAILED = "reminder.mailed", "mailed a renewal reminder"
    REMINDER_SKIPPED = "reminder.skipped", "skipped a renewal reminder"
    RENEWAL_REQUEST_CREATED = "renewal_request.created", "asked a partner to renew"
    RENEWAL_REQUEST_ANSWERED = "renewal_request.answered", "answered a renewal request"
    RENEWAL_PARTNER_EMAILED = "renewal.partner_emailed", "e-mailed a partner about renewal"
    PARTNER_LISTING_CREATED = "partner_listing.created", "listed the company as a partner"
    PARTNER_LISTING_CHANGED = "partner_listing.changed", "changed the partner listing"
    PARTNER_LISTING_DELETED = "partner_listing.deleted", "removed the partner listing"
    SHOP_ORDER_PLACED = "shop_order.placed", "ordered online"
    SHOP_ORDER_APPLIED = "shop_order.applied", "applied an online order"
    SHOP_ORDER_NOT_APPLIED = "shop_order.not_applied", "could not apply an online order"
    # Webhooks.
    WEBHOOK_ENDPOINT_CREATED = "webhook_endpoint.created", "added a webhook endpoint"
    WEBHOOK_ENDPOINT_CHANGED = "webhook_endpoint.changed", "changed a webhook endpoint"
    WEBHOOK_ENDPOINT_ENABLED = "webhook_endpoint.enabled", "enabled a webhook endpoint"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled", "disabled a webhook endpoint"
    WEBHOOK_SECRET_ROTATED = "webhook_endpoint.secret_rotated", "replaced a webhook's secret"
    WEBHOOK_REDELIVERED = "webhook_delivery.redelivered", "sent a webhook delivery again"


_pending: ContextVar[list[AuditEvent] | None] = ContextVar("audit_pending", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """Write the events recorded inside the block with one INSERT when it ends — still inside
    the caller's transaction, so an event exists exactly when its change commits.

    Services that record several events in one change use it to save round trips. A batch
    inside a batch joins it; the events of a block that raises are dropped with it, so a batch
    opened inside a savepoint stays in step with what the savepoint keeps."""
    pending = _pending.get()
    if pending is not None:
        mark = len(pending)
        try:
            yield
        except BaseException:
            del pending[mark:]
            raise
        return
    pending = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    statements.insert(pending)


def record(
    *,
    actor: Actor,
    action: AuditAction,
    obj: models.Model,
    company: models.Model | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one event (at the end of the enclosing `batch`, if any), and tell the subscribers
    of `AuditRecorded`. `company` is the company whose object changed: its administrators see
    the event."""
    # By id: the event is written, not read back (setting the related objects cost a creation
    # of a licence, which records three events, a twentieth of its time).
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor_user_id=_pk(actor.user),
        actor_company_id=_pk(actor.company),
        via_token_id=_pk(actor.token),
        company_id=_pk(company),
        # An action outside the enumeration is a programming error: fail loudly.
        action=AuditAction(action).value,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )
    pending = _pending.get()
    if pending is None:
        statements.insert([event])
    else:
        pending.append(event)
    hooks.emit(AuditRecorded(event=event))
    return event


def _pk(obj: models.Model | None) -> Any:
    return None if obj is None else obj.pk


def events_of(obj: models.Model) -> "models.QuerySet[AuditEvent]":
    """The events recorded on one object. Callers fetch `obj` through the access policy
    first: who may see an object's history is who may see (or act on) the object."""
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor_user", "actor_company")


def without_keys(events, hidden: set[str]) -> list[AuditEvent]:
    """The events with some before/after keys removed (data the reader may not see)."""
    shown = []
    for event in events:
        for side in ("before", "after"):
            value = getattr(event, side)
            if isinstance(value, dict):
                setattr(event, side, {k: v for k, v in value.items() if k not in hidden})
        shown.append(event)
    return shown


def owner_hidden(events, *, owner_id: int, reader: Actor) -> list[AuditEvent]:
    """Events as a reader other than the owner may see them: the owner's people and company
    are shown only as "the licence owner" (delegates never see the owner's identity)."""
    events = list(events)
    if reader.is_vendor_staff or (reader.company and reader.company.pk == owner_id):
        return events
    for event in events:
        if event.actor_company_id == owner_id:
            event.actor_user = event.actor_company = None
            event.actor_label = "The license owner"
    return events


@rule(AuditEvent)
def audit_event_rule(actor: Actor, action: Action) -> Q | None:
    if action is not Action.VIEW:
        return None
    if actor.is_vendor_staff:
        return Q()
    if actor.is_company_admin:
        return Q(company=actor.company)
    return None
