"""The webhook event types, and which audited change is which.

Every change is an audit event whose `action` names it (`entitle.core.audit.AuditAction`); the
webhooks learn of changes from that one stream (`AuditRecorded`), so no app below knows that
webhooks exist. A reminder mailed by the renewal sweep says a licence is expiring (a step before
its end date) or has expired (the step on its end date, or the one before its grace ends).
"""

from entitle.core.audit import AuditAction

EVENT_TYPES: dict[str, str] = {
    "po.recorded": "A purchase order was recorded",
    "po.fulfilled": "A purchase order was fulfilled: its vouchers were issued",
    "voucher.redeemed": "A voucher was redeemed into a Digital Locker",
    "licence.created": "A licence was created from credits",
    "licence.increased": "A licence's quantity was increased",
    "licence.renewed": "A licence was renewed",
    "licence.expiring": "A licence's end date is near (a renewal reminder went out)",
    "licence.expired": "A licence reached its end date, or its grace period is ending",
    "licence.suspended": "The vendor suspended a licence",
    "licence.reinstated": "The vendor reinstated a licence",
    "device.activated": "A licence was activated on (or added to) a device",
    "device.deactivated": "A licence was deactivated on a device (its seat is free)",
    "device.rehosted": "A licence was moved to another host",
    "transfer.proposed": "A licence transfer was offered",
    "transfer.accepted": "A licence transfer was accepted",
    "transfer.declined": "A licence transfer was declined",
    "renewal_request.sent": "A renewal request was sent to a partner",
    "renewal_request.answered": "A partner answered a renewal request",
}
# Sent on demand to check an endpoint; never subscribed to.
TEST_EVENT = "webhook.test"

BY_ACTION: dict[AuditAction, str] = {
    AuditAction.PO_RECORDED: "po.recorded",
    AuditAction.PO_FULFILLED: "po.fulfilled",
    AuditAction.VOUCHER_REDEEMED: "voucher.redeemed",
    AuditAction.LICENCE_CREATED: "licence.created",
    AuditAction.LICENCE_INCREASED: "licence.increased",
    AuditAction.LICENCE_RENEWED: "licence.renewed",
    AuditAction.LICENCE_SUSPENDED: "licence.suspended",
    AuditAction.LICENCE_REINSTATED: "licence.reinstated",
    AuditAction.LICENCE_ACTIVATED: "device.activated",
    AuditAction.LICENCE_ASSIGNED: "device.activated",
    AuditAction.LICENCE_DEACTIVATED: "device.deactivated",
    AuditAction.LICENCE_REHOSTED: "device.rehosted",
    AuditAction.TRANSFER_PROPOSED: "transfer.proposed",
    AuditAction.TRANSFER_ACCEPTED: "transfer.accepted",
    AuditAction.TRANSFER_DECLINED: "transfer.declined",
    AuditAction.RENEWAL_REQUEST_CREATED: "renewal_request.sent",
    AuditAction.RENEWAL_REQUEST_ANSWERED: "renewal_request.answered",
}
# The renewal reminder steps that mean "expired" (the others mean "expiring").
EXPIRED_STEPS = frozenset({"expiry", "grace-ending"})


def event_type_of(action: str, after: dict | None) -> str | None:
    """The webhook event type of an audited change, or None if no webhook tells of it."""
    if action == AuditAction.REMINDER_MAILED:
        step = (after or {}).get("step", "")
        return "licence.expired" if step in EXPIRED_STEPS else "licence.expiring"
    return BY_ACTION.get(action)
