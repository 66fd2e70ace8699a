"""Creating, increasing and renewing licences from locker credits; suspension by the vendor.

Every consuming action is one transaction: it locks the licence (renew, increase), claims its
idempotency key, takes the credits from the locker (locking it), applies the change and writes
the consumption record, its fundings and its audit events. If applying fails, the credits are
returned by a reversing entry and the record is marked failed with the reason, in the same
transaction. Each statement is one the rules need: the budgets are asserted by
tests/test_write_budgets.py.
"""

import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from entitle.catalog.models import Sku
from entitle.core import audit, idempotency, policy, statements, units
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import DomainError, NotFound
from entitle.core.policy import Action, require_vendor_staff
from entitle.licensing import arithmetic
from entitle.licensing.errors import (
    IncreaseNotAllowed,
    LicenceInvalid,
    LicenceNotFound,
    LicenceSuspended,
    RenewalNotAllowed,
)
from entitle.licensing.models import Binding, ConsumptionRecord, Funding, Licence
from entitle.licensing.selectors import licence_get, normalize_activation_id
from entitle.licensing.services.devices import new_activation_id
from entitle.licensing.services.files import issue_files
from entitle.locker.models import LedgerEntry, Voucher
from entitle.locker.selectors import credits_of
from entitle.locker.services import ledger_append, vouchers_paying
from entitle.orders.models import Entitlement, EntitlementListRow

MAX_TERMS = 10
MAX_QUANTITY = 1_000_000


def licence_state(licence: Licence) -> dict:
    return {
        "activation_id": licence.activation_id,
        "sku": licence.sku.code,
        "quantity": licence.quantity,
        "start": licence.start_date.isoformat(),
        "end": licence.end_date.isoformat(),
        "suspended": licence.is_suspended,
    }


# --- Quotes: the price and the resulting dates, changing nothing. ---


@dataclass(frozen=True)
class Quote:
    kind: str
    sku: Sku
    credits: Decimal
    quantity: int
    start_date: date
    end_date: date
    balance: Decimal

    @property
    def affordable(self) -> bool:
        return self.balance >= self.credits


def _clean_quantity(quantity: int, *, field: str = "quantity") -> int:
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise LicenceInvalid(
            f"The quantity must be a whole number from 1 to {MAX_QUANTITY}.", field=field
        )
    return quantity


def _clean_terms(terms: int) -> int:
    if not isinstance(terms, int) or not 1 <= terms <= MAX_TERMS:
        raise LicenceInvalid(f"The number of terms must be from 1 to {MAX_TERMS}.", field="terms")
    return terms


def _creation(
    sku: Sku, quantity: int, terms: int, start: date | None
) -> tuple[Decimal, date, date]:
    today = timezone.localdate()
    start = start or today
    if start < today or start > today + timedelta(days=365):
        raise LicenceInvalid(
            "The start date must be today or a day within the coming year.", field="start_date"
        )
    start, end = arithmetic.creation_dates(start=start, terms=terms, term_days=sku.term_days)
    return arithmetic.renewal_cost(quantity=quantity, terms=terms), start, end


def _increase(licence: Licence, new_quantity: int) -> Decimal:
    today = timezone.localdate()
    if licence.is_suspended:
        raise LicenceSuspended()
    if today >= licence.end_date:
        raise IncreaseNotAllowed(
            "The quantity of a license past its end date cannot be increased. Renew it first.",
            field="quantity",
        )
    if new_quantity <= licence.quantity:
        raise IncreaseNotAllowed(
            f"Enter a quantity greater than the current {licence.quantity}.", field="quantity"
        )
    return arithmetic.increase_cost(
        old_quantity=licence.quantity,
        new_quantity=new_quantity,
        end=licence.end_date,
        on=today,
        term_days=licence.sku.term_days,
    )


def _renewal(licence: Licence, sku: Sku, terms: int) -> tuple[Decimal, date, date]:
    today = timezone.localdate()
    if licence.is_suspended:
        raise LicenceSuspended()
    if sku.product_id != licence.product_id:
        raise LicenceInvalid("Renew with credits of the license's own product.", field="sku")
    if today >= licence.end_date and not licence.product.renewable_after_expiry:
        raise RenewalNotAllowed()
    start, end = arithmetic.renewal_dates(
        start=licence.start_date,
        end=licence.end_date,
        on=today,
        terms=terms,
        term_days=sku.term_days,
        grace_days=licence.product.grace_days,
    )
    return arithmetic.renewal_cost(quantity=licence.quantity, terms=terms), start, end


def quote_create(
    *, actor: Actor, sku: Sku, quantity: int, terms: int, start_date: date | None = None
) -> Quote:
    credits, start, end = _creation(sku, _clean_quantity(quantity), _clean_terms(terms), start_date)
    return Quote("create", sku, credits, quantity, start, end, credits_of(actor=actor, sku=sku))


def quote_increase(*, actor: Actor, activation_id: str, quantity: int) -> Quote:
    licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
    credits = _increase(licence, _clean_quantity(quantity))
    return Quote(
        "increase",
        licence.sku,
        credits,
        quantity,
        licence.start_date,
        licence.end_date,
        credits_of(actor=actor, sku=licence.sku),
    )


def quote_renew(*, actor: Actor, activation_id: str, terms: int, sku: Sku | None = None) -> Quote:
    licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
    sku = sku or licence.sku
    credits, start, end = _renewal(licence, sku, _clean_terms(terms))
    return Quote(
        "renew", sku, credits, licence.quantity, start, end, credits_of(actor=actor, sku=sku)
    )


# --- Consuming. ---

Shares = list[tuple[Voucher, Decimal]]


def _claim(
    actor: Actor, idempotency_key: str, kind: str, request: dict
) -> ConsumptionRecord | None:
    """Claim the request's idempotency key: None to go ahead, or the record of this very
    request if it was already carried out. Renewals and increases claim under the licence lock
    before the licence's state is checked again, so that a retried request whose first attempt
    succeeded gets the first answer, not an error."""
    key = idempotency.clean_key(idempotency_key)
    earlier = idempotency.claim(
        company=actor.company,
        key=key,
        operation=f"consume.{kind}",
        request_fingerprint=idempotency.fingerprint(**request),
    )
    if earlier is None:
        return None
    return ConsumptionRecord.objects.select_related("sku", "licence").get(
        company=actor.company, idempotency_key=key
    )


def _consume(
    *,
    actor: Actor,
    kind: str,
    sku: Sku,
    credits: Decimal,
    idempotency_key: str,
    details: dict,
    apply: Callable[[Shares], Licence],
    may_fail: bool,
) -> ConsumptionRecord:
    """The consumption protocol, inside the caller's transaction and audit batch, after its
    `_claim` (and under its licence lock, if any): take the credits from the locker (locked
    until the end of the transaction; refused whole if they are not there), find the vouchers
    that pay, apply the change, then write the consumption record, its fundings and its event.

    If applying `may_fail` (a renewal signs new licence files), it runs inside a savepoint:
    when it fails, everything it did is rolled back, a reversing entry returns the credits and
    the record says why it failed — in the same transaction. Otherwise (every rule was checked
    before the credits were taken) an unexpected error rolls the whole request back."""
    key = idempotency_key.strip()
    record_id = uuid.uuid4()
    label = ConsumptionRecord.Kind(kind).label
    shares: Shares = []
    if credits > 0:
        change = ledger_append(
            actor=actor,
            company=actor.company,
            sku=sku,
            kind=LedgerEntry.Kind.CONSUMPTION,
            amount=-credits,
            reason=f"{label} ({details.get('summary', '')})",
            idempotency_key=f"consumption:{record_id}",
        )
        shares = vouchers_paying(
            company=actor.company, sku=sku, spent_before=change.spent_before, credits=credits
        )
    consumption = ConsumptionRecord(
        public_id=record_id,
        kind=kind,
        company=actor.company,
        sku=sku,
        credits=credits,
        details=details,
        idempotency_key=key,
        created_by=actor.user,
        created_at=timezone.now(),
    )
    try:
        with transaction.atomic() if may_fail else nullcontext(), audit.batch():
            licence = apply(shares)
    except DomainError as error:
        if not may_fail:
            raise
        if credits > 0:
            ledger_append(
                actor=actor,
                company=actor.company,
                sku=sku,
                kind=LedgerEntry.Kind.RETURN,
                amount=credits,
                reason=f"Returned: {error.message}",
                idempotency_key=f"return:{record_id}",
            )
        consumption.fail(timezone.now(), error.message)
    else:
        consumption.licence = licence
        consumption.complete(timezone.now())
    statements.insert([consumption])
    statements.insert(
        [
            Funding(consumption=consumption, voucher=voucher, credits=share)
            for voucher, share in shares
        ]
    )
    record(
        actor=actor,
        action=AuditAction(f"consumption.{consumption.status}"),
        obj=consumption,
        company=actor.company,
        after={"kind": kind, "sku": sku.code, "credits": str(credits), **details},
    )
    return consumption


def _link_entitlements(licence: Licence, shares: Shares, *, created: bool = False) -> None:
    """The entitlements whose credits went into this licence now show it: as their first
    licence, and in the Entitlements list's stored rows (`EntitlementListRow`), which show the
    licence as it is after this change — every change of a licence's product, SKU, quantity or
    dates passes here (creation, renewal, increase; `created`: the licence is new)."""
    funding = {v.entitlement_id: v.entitlement for v, _ in shares if v.entitlement_id}
    unlinked = [pk for pk, entitlement in funding.items() if entitlement.licence_id is None]
    if unlinked:
        Entitlement.objects.filter(pk__in=unlinked, licence__isnull=True).update(licence=licence)
    table = EntitlementListRow._meta.db_table
    shown = {
        "licence_id": licence.pk,
        "licence_key": licence.pk,
        "product_id": licence.product_id,
        "product_name": licence.product.name,
        "sku_code": licence.sku.code,
        "quantity": licence.quantity,
        "start_date": licence.start_date,
        "end_date": licence.end_date,
    }
    # The rows that exist already: this licence's own (none yet if it is new), and the row of
    # what was fulfilled, of an entitlement whose credits go into a licence for the first time
    # (an entitlement that funded one before has no such row: it became that licence's). They
    # now show the licence: one statement, which says which entitlements do (the model's
    # columns; values are bound). A new licence paid by entitlements that funded before — most
    # creations — has none to change.
    where, params = [], []
    if not created:
        where.append("licence_id = %s")
        params.append(licence.pk)
    first = unlinked if created else list(funding)
    if first:
        where.append(f"(licence_key = 0 AND entitlement_id IN ({', '.join(['%s'] * len(first))}))")
        params += first
    missing = set(funding)
    if where:
        sql = (
            f"UPDATE {table} SET {', '.join(f'{name} = %s' for name in shown)} "  # noqa: S608
            f"WHERE {' OR '.join(where)} RETURNING entitlement_id"
        )
        with statements.cursor() as cursor:
            cursor.execute(sql, [*shown.values(), *params])
            missing -= {pk for (pk,) in cursor.fetchall()}
    # An entitlement whose credits already went into another licence: one more row.
    statements.insert(
        [
            EntitlementListRow(
                entitlement_id=pk,
                subscription_id=funding[pk].subscription_id,
                po_number=funding[pk].po.po_number,
                **shown,
            )
            for pk in missing
        ]
    )


def licence_create(
    *,
    actor: Actor,
    sku: Sku,
    quantity: int,
    terms: int,
    idempotency_key: str,
    start_date: date | None = None,
) -> ConsumptionRecord:
    """Turn q × n credits of `sku` into a licence owned by the actor's company."""
    if not actor.is_authenticated:
        raise NotFound()
    credits, start, end = _creation(sku, _clean_quantity(quantity), _clean_terms(terms), start_date)

    def apply(shares: Shares) -> Licence:
        licence = Licence(
            activation_id=new_activation_id(),
            product=sku.product,
            sku=sku,
            quantity=quantity,
            start_date=start,
            end_date=end,
            owner=actor.company,
            created_by=actor.user,
        )
        statements.insert([licence])
        _link_entitlements(licence, shares, created=True)
        record(
            actor=actor,
            action=AuditAction.LICENCE_CREATED,
            obj=licence,
            company=actor.company,
            after=licence_state(licence),
        )
        return licence

    kind = ConsumptionRecord.Kind.CREATE
    request = {"sku": sku.code, "quantity": quantity, "terms": terms, "start": start}
    with transaction.atomic(), audit.batch():
        earlier = _claim(actor, idempotency_key, kind, request)
        if earlier is not None:
            return earlier
        return _consume(
            actor=actor,
            kind=kind,
            sku=sku,
            credits=credits,
            idempotency_key=idempotency_key,
            details={
                "quantity": quantity,
                "terms": terms,
                "start": str(start),
                "end": str(end),
                "summary": f"{quantity} × {terms} term{'s' if terms > 1 else ''}",
            },
            apply=apply,
            may_fail=False,
        )


# Compiled once (entitle.core.statements); the access policy's condition is added per call.
LOCKED_LICENCE = statements.Select(
    Licence, related=("product", "sku", "owner"), where="t.activation_id = %s", lock=True
)


# A renewed licence's installations, to re-issue their files (in the order they were bound).
BINDINGS_OF = statements.Select(
    Binding, related=("device",), where="t.licence_id = %s", order_by="t.bound_at"
)


def _lock_licence(actor: Actor, activation_id: str) -> Licence:
    """The licence the actor may change, locked until the transaction ends: one query, the
    policy's condition for CHANGE (what `visible_to(actor, CHANGE)` filters by) and the lock
    together."""
    allowed = policy.condition(Licence, actor, Action.CHANGE)
    licence = (
        None
        if allowed is None
        else LOCKED_LICENCE.one([normalize_activation_id(activation_id)], allowed=allowed)
    )
    if licence is None:
        raise LicenceNotFound()
    return licence


def licence_increase(
    *, actor: Actor, activation_id: str, quantity: int, idempotency_key: str
) -> ConsumptionRecord:
    """Raise the quantity for the rest of the term, at the prorated price. The devices then
    show the new quantity available until the owner confirms "Add License"."""
    quantity = _clean_quantity(quantity)
    kind = ConsumptionRecord.Kind.INCREASE
    with transaction.atomic(), audit.batch():
        licence = _lock_licence(actor, activation_id)
        request = {"licence": licence.activation_id, "quantity": quantity}
        earlier = _claim(actor, idempotency_key, kind, request)
        if earlier is not None:
            return earlier
        credits = _increase(licence, quantity)
        before = licence_state(licence)

        def apply(shares: Shares) -> Licence:
            licence.quantity = quantity
            statements.update(licence, ("quantity",))
            _link_entitlements(licence, shares)
            record(
                actor=actor,
                action=AuditAction.LICENCE_INCREASED,
                obj=licence,
                company=licence.owner,
                before=before,
                after=licence_state(licence),
            )
            return licence

        return _consume(
            actor=actor,
            kind=kind,
            sku=licence.sku,
            credits=credits,
            idempotency_key=idempotency_key,
            details={
                "activation_id": licence.activation_id,
                "from": before["quantity"],
                "to": quantity,
                "summary": f"{before['quantity']} → {quantity}",
            },
            apply=apply,
            may_fail=False,
        )


def licence_renew(
    *, actor: Actor, activation_id: str, terms: int, idempotency_key: str, sku: Sku | None = None
) -> ConsumptionRecord:
    """Extend by `terms` terms of `sku` (the licence's own by default) for q × n credits, and
    re-issue the licence file of every device it is assigned to."""
    terms = _clean_terms(terms)
    kind = ConsumptionRecord.Kind.RENEW
    with transaction.atomic(), audit.batch():
        licence = _lock_licence(actor, activation_id)
        sku = sku or licence.sku
        request = {"licence": licence.activation_id, "terms": terms, "sku": sku.code}
        earlier = _claim(actor, idempotency_key, kind, request)
        if earlier is not None:
            return earlier
        credits, start, end = _renewal(licence, sku, terms)
        before = licence_state(licence)

        def apply(shares: Shares) -> Licence:
            licence.start_date, licence.end_date, licence.sku = start, end, sku
            statements.update(licence, ("start_date", "end_date", "sku"))
            _link_entitlements(licence, shares)
            issue_files(licence, BINDINGS_OF.all([licence.pk]))
            record(
                actor=actor,
                action=AuditAction.LICENCE_RENEWED,
                obj=licence,
                company=licence.owner,
                before=before,
                after=licence_state(licence),
            )
            return licence

        return _consume(
            actor=actor,
            kind=kind,
            sku=sku,
            credits=credits,
            idempotency_key=idempotency_key,
            details={
                "activation_id": licence.activation_id,
                "terms": terms,
                "old_end": before["end"],
                "new_end": str(end),
                "summary": f"{terms} term{'s' if terms > 1 else ''}, valid through "
                f"{units.valid_through_text(end)}",
            },
            apply=apply,
            may_fail=True,
        )


# --- The vendor's back office. ---


def licence_suspend(*, actor: Actor, activation_id: str, reason: str) -> Licence:
    require_vendor_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise LicenceInvalid("Please give the reason for the suspension.", field="reason")
    with transaction.atomic():
        licence = _lock_for_vendor(activation_id)
        if not licence.is_suspended:
            licence.suspend(timezone.now(), reason)
            licence.save(update_fields=["suspended_at", "suspension_reason"])
            record(
                actor=actor,
                action=AuditAction.LICENCE_SUSPENDED,
                obj=licence,
                company=licence.owner,
                before={"suspended": False},
                after={"suspended": True, "reason": reason},
            )
    return licence


def licence_reinstate(*, actor: Actor, activation_id: str, reason: str = "") -> Licence:
    """Lift a suspension; `reason` (why it is lifted) goes into the audit trail."""
    require_vendor_staff(actor)
    reason = (reason or "").strip()
    with transaction.atomic():
        licence = _lock_for_vendor(activation_id)
        if licence.is_suspended:
            before = {"suspended": True, "reason": licence.suspension_reason}
            licence.reinstate()
            licence.save(update_fields=["suspended_at", "suspension_reason"])
            record(
                actor=actor,
                action=AuditAction.LICENCE_REINSTATED,
                obj=licence,
                company=licence.owner,
                before=before,
                after={"suspended": False, **({"reason": reason} if reason else {})},
            )
    return licence


def _lock_for_vendor(activation_id: str) -> Licence:
    try:
        return Licence.objects.select_for_update().get(
            activation_id=normalize_activation_id(activation_id)
        )
    except Licence.DoesNotExist as exc:
        raise LicenceNotFound() from exc
