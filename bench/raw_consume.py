"""The raw baseline of bench/consume.py: a bare WSGI callable that carries out Entitle's four
credit-spending requests by hand with psycopg — the same rules, the same locks and the same
rows, in one transaction each — and answers with the same JSON.

    POST /api/v1/licences                  create a licence (quantity × terms credits)
    POST /api/v1/licences/<id>/renew       renew by whole terms
    POST /api/v1/licences/<id>/increase    increase the quantity (prorated)
    POST /api/v1/vouchers/redeem           redeem a voucher code into the Digital Locker

Each request: the API's sign-in limit (the client's failures, in Redis), the API token
look-up; then, in one transaction, the licence row locked (renew,
increase; through the same access rule: owner or `manage` delegate), the idempotency claim,
the locker row locked with its balance checked and moved (one UPDATE), the ledger entry, the
vouchers that pay (those whose place in the locker's intake the debit overlaps), the licence
written, the Entitlements list's stored rows, the consumption record, its fundings, the audit
events (one INSERT); commit; then whether a webhook endpoint listens (to queue the fan-out).
Redemption counts its two rate limits in Redis, claims its key, locks the voucher, locks (or
creates) the locker while adding the credits, marks the voucher redeemed with its place in the
locker, and writes the ledger entry and the audit events. Malformed input is not checked
beyond what the benchmark sends.

Served by bench/consume.py under the same server (granian, WSGI) as `entitle serve`.
"""

import hashlib
import json
import os
import re
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

import psycopg
import redis
from psycopg.types.json import Jsonb

from entitle.core import codes

DSN = os.environ["BENCH_DSN"]
CENT = Decimal("0.01")
local = threading.local()
cache = redis.Redis.from_url(os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/2"))
RATE_LIMIT = int(os.environ.get("ENTITLE_REDEEM_RATE_USER", "20"))
# The API's sign-in limit (entitle.accounts.signin): failed sign-ins counted per client in
# 15-minute windows, under the key Django's cache (django-redis, no prefix) gives them.
SIGN_IN_LIMIT = int(os.environ.get("ENTITLE_LOGIN_FAILURES_PER_CLIENT", "100"))
SIGN_IN_WINDOW = 15 * 60
WEBHOOKS_IN_USE = "SELECT EXISTS (SELECT 1 FROM webhooks_endpoint WHERE status = 'active')"
LICENCE_PATH = re.compile(r"^/api/v1/licences/([^/]+)/(renew|increase)$")

ACTOR_OF_KEY = """
SELECT t.id, t.company_id, t.created_by_id FROM accounts_apitoken t
JOIN accounts_user u ON u.id = t.created_by_id
WHERE t.key_hash = %s AND t.revoked_at IS NULL AND u.is_active AND u.company_id = t.company_id
"""
CLAIM = """
INSERT INTO core_idempotencyrecord (company_id, key, operation, fingerprint, result, created_at)
VALUES (%s, %s, %s, %s, '{}', now()) ON CONFLICT (company_id, key) DO NOTHING RETURNING id
"""
# Lock the locker, check the debit fits and move the balance: one statement.
DEBIT = """
UPDATE locker_locker SET balance_cents = balance_cents - %(cents)s
WHERE company_id = %(company)s AND sku_id = %(sku)s AND balance_cents >= %(cents)s
RETURNING id, balance_cents, intake_cents
"""
# The vouchers whose place in the locker's intake [offset, offset + credits) overlaps the debit.
PAYING_VOUCHERS = """
SELECT v.id, v.credits, v.locker_offset_cents, e.id, e.licence_id IS NULL, e.subscription_id,
       po.po_number
FROM locker_voucher v JOIN orders_entitlement e ON e.id = v.entitlement_id
JOIN orders_purchaseorder po ON po.id = e.po_id
WHERE v.redeemed_by_company_id = %(company)s AND v.sku_id = %(sku)s AND v.status = 'redeemed'
  AND v.locker_offset_cents < %(end)s AND v.locker_offset_cents + v.credits * 100 > %(start)s
ORDER BY v.locker_offset_cents
"""
# The licence, locked, if the caller's company owns it or holds a `manage` delegation for it.
LICENCE = """
SELECT l.id, l.activation_id, l.sku_id, l.quantity, l.start_date, l.end_date,
       l.suspended_at IS NOT NULL, l.owner_id, p.renewable_after_expiry, p.grace_days,
       s.term_days, s.code, l.product_id, p.name
FROM licensing_licence l
JOIN catalog_product p ON p.id = l.product_id JOIN catalog_sku s ON s.id = l.sku_id
WHERE l.activation_id = %(aid)s AND (l.owner_id = %(company)s OR EXISTS (
    SELECT 1 FROM sharing_delegation d
    WHERE d.owner_id = l.owner_id AND d.delegate_id = %(company)s AND d.role = 'manage'
      AND d.revoked_at IS NULL AND (d.expires_at IS NULL OR d.expires_at > now())
      AND (d.scope = 'all' OR (d.scope = 'licence' AND d.licence_id = l.id)
           OR (d.scope = 'po' AND EXISTS (SELECT 1 FROM orders_entitlement e
                                           WHERE e.po_id = d.po_id AND e.licence_id = l.id)))))
FOR UPDATE OF l
"""
CONSUMPTION = """
INSERT INTO licensing_consumptionrecord (public_id, kind, company_id, licence_id, sku_id, credits,
    status, failure_reason, details, idempotency_key, created_at, completed_at, created_by_id)
VALUES (%s, %s, %s, %s, %s, %s, 'completed', '', %s, %s, %s, %s, %s) RETURNING id
"""
LEDGER = """
INSERT INTO locker_ledgerentry (locker_id, kind, amount, voucher_id, reason, idempotency_key,
    created_at, created_by_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id
"""
AUDIT = """
INSERT INTO core_auditevent (occurred_at, actor_user_id, actor_company_id, via_token_id,
    company_id, action, object_type, object_id, object_repr, before, after) VALUES
"""
AUDIT_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
# The Entitlements list's stored rows: the licence's own, and the unused row of an entitlement
# whose credits went into a licence for the first time; then a new row for each entitlement
# that funded the licence and had none for it yet.
LIST_ROWS = """
UPDATE orders_entitlementlistrow SET licence_id = %(licence)s, licence_key = %(licence)s,
    product_id = %(product)s, product_name = %(product_name)s, sku_code = %(sku)s,
    quantity = %(quantity)s, start_date = %(start)s, end_date = %(end)s
WHERE licence_id = %(licence)s OR (licence_key = 0 AND entitlement_id = ANY(%(funding)s))
RETURNING entitlement_id
"""
LIST_ROW_INSERT = """
INSERT INTO orders_entitlementlistrow (entitlement_id, licence_id, licence_key, subscription_id,
    product_id, product_name, sku_code, quantity, start_date, end_date, po_number) VALUES
"""
VOUCHER = """
SELECT v.id, v.status, v.credits, v.sku_id, v.line_id, v.issued_at, s.code, p.name,
       po.po_number, e.subscription_id
FROM locker_voucher v JOIN catalog_sku s ON s.id = v.sku_id
JOIN catalog_product p ON p.id = s.product_id JOIN orders_orderline ol ON ol.id = v.line_id
JOIN orders_purchaseorder po ON po.id = ol.po_id
JOIN orders_entitlement e ON e.id = v.entitlement_id
WHERE v.code = %s FOR UPDATE OF v
"""


class Refused(Exception):
    def __init__(self, status: str, code: str, message: str = ""):
        self.status, self.code, self.message = status, code, message


def connection() -> psycopg.Connection:
    conn = getattr(local, "conn", None)
    if conn is None:
        # Autocommit: each request opens its transaction (conn.transaction()); what runs
        # outside one (the webhooks' question after the commit) is a statement of its own.
        conn = local.conn = psycopg.connect(DSN, autocommit=True)
    return conn


def fingerprint(**request) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def audit(cur, actor: tuple, now: datetime, events: list[tuple]) -> None:
    """One INSERT for all of a request's audit events: (company, action, type, id, repr,
    before, after)."""
    token, company, user = actor
    rows, values = [], []
    for event_company, action, object_type, object_id, text, before, after in events:
        rows.append(AUDIT_ROW)
        values += [
            now,
            user,
            company,
            token,
            event_company,
            action,
            object_type,
            str(object_id),
            text[:200],
            None if before is None else Jsonb(before),
            Jsonb(after),
        ]
    cur.execute(AUDIT + ", ".join(rows), values)


def claim(cur, company: int, key: str, operation: str, request: dict) -> bool:
    """False if the key is new; True if this same request was already carried out."""
    if cur.execute(CLAIM, (company, key, operation, fingerprint(**request))).fetchone():
        return False
    op, print_ = cur.execute(
        "SELECT operation, fingerprint FROM core_idempotencyrecord "
        "WHERE company_id = %s AND key = %s",
        (company, key),
    ).fetchone()
    if op != operation or print_ != fingerprint(**request):
        raise Refused("409 Conflict", "idempotency_key_reused")
    return True


def consumption_answer(cur, company: int, key: str) -> dict:
    row = cur.execute(
        "SELECT c.public_id, c.kind, c.status, c.failure_reason, l.activation_id, s.code, "
        "c.credits, c.details, c.created_at, c.completed_at FROM licensing_consumptionrecord c "
        "JOIN catalog_sku s ON s.id = c.sku_id "
        "LEFT JOIN licensing_licence l ON l.id = c.licence_id "
        "WHERE c.company_id = %s AND c.idempotency_key = %s",
        (company, key),
    ).fetchone()
    keys = (
        "id",
        "kind",
        "status",
        "failure_reason",
        "activation_id",
        "sku",
        "credits",
        "details",
        "created_at",
        "completed_at",
    )
    return dict(zip(keys, row, strict=True))


def consume(cur, actor, *, kind, sku_id, sku_code, credits, key, details, apply):
    """The consumption protocol, by hand: claim, lock, check, fund, apply, record, settle."""
    _, company, user = actor
    cents = int(credits * 100)
    locker = cur.execute(DEBIT, {"cents": cents, "company": company, "sku": sku_id}).fetchone()
    if locker is None:
        held = cur.execute(
            "SELECT balance_cents FROM locker_locker WHERE company_id = %s AND sku_id = %s",
            (company, sku_id),
        ).fetchone()
        raise Refused(
            "409 Conflict",
            "insufficient_credits",
            f"This needs {credits} credits of {sku_code}; your Digital Locker has "
            f"{Decimal(held[0] if held else 0) / 100:.2f}.",
        )
    locker_id, balance, intake = locker
    now = datetime.now(UTC)
    public_id = uuid.uuid4()
    label = {
        "create": "Create licence",
        "renew": "Renew / extend",
        "increase": "Increase quantity",
    }[kind]
    reason = f"{label} ({details['summary']})"
    entry = cur.execute(
        LEDGER,
        (locker_id, "consumption", -credits, None, reason, f"consumption:{public_id}", now, user),
    ).fetchone()[0]
    start = intake - balance - cents
    fundings = []
    for voucher, voucher_credits, offset, entitlement, unlinked, subscription, po in cur.execute(
        PAYING_VOUCHERS, {"company": company, "sku": sku_id, "start": start, "end": start + cents}
    ).fetchall():
        used = min(start + cents, offset + int(voucher_credits * 100)) - max(start, offset)
        fundings.append((voucher, Decimal(used) / 100, entitlement, unlinked, subscription, po))
    licence_id, licence_events = apply(cur, fundings, now)
    unlinked = [f[2] for f in fundings if f[3]]
    if unlinked:
        cur.execute(
            "UPDATE orders_entitlement SET licence_id = %s WHERE id = ANY(%s) "
            "AND licence_id IS NULL",
            (licence_id, unlinked),
        )
    consumption = cur.execute(
        CONSUMPTION,
        (
            public_id,
            kind,
            company,
            licence_id,
            sku_id,
            credits,
            Jsonb(details),
            key,
            now,
            now,
            user,
        ),
    ).fetchone()[0]
    rows = [(consumption, f[0], f[1]) for f in fundings]
    cur.execute(
        "INSERT INTO licensing_funding (consumption_id, voucher_id, credits) VALUES "  # noqa: S608
        + ", ".join(["(%s, %s, %s)"] * len(rows)),
        [value for row in rows for value in row],
    )
    audit(
        cur,
        actor,
        now,
        [
            (
                company,
                "ledger.consumption",
                "locker.ledgerentry",
                entry,
                f"Credits consumed {-credits:+}",
                None,
                {"sku": sku_code, "amount": str(-credits), "reason": reason},
            ),
            *licence_events,
            (
                company,
                "consumption.completed",
                "licensing.consumptionrecord",
                consumption,
                f"{label} {credits} {sku_code}",
                None,
                {"kind": kind, "sku": sku_code, "credits": str(credits), **details},
            ),
        ],
    )
    return {
        "id": public_id,
        "kind": kind,
        "status": "completed",
        "failure_reason": "",
        "activation_id": None,
        "sku": sku_code,
        "credits": credits,
        "details": details,
        "created_at": now,
        "completed_at": now,
    }


def list_rows(cur, fundings, *, created: bool = False, **shown) -> None:
    """The Entitlements list's rows of this licence, as it is after the change. A new licence
    has no rows yet, and only an entitlement funding for the first time (unlinked) has an unused
    row to take over: with none of those, there is nothing to update."""
    funding = {f[2]: f for f in fundings}
    first = [pk for pk, f in funding.items() if f[3]] if created else list(funding)
    updated = (
        cur.execute(LIST_ROWS, {**shown, "funding": first}).fetchall()
        if first or not created
        else []
    )
    missing = funding.keys() - {entitlement for (entitlement,) in updated}
    if missing:
        values = [
            (
                pk,
                shown["licence"],
                shown["licence"],
                funding[pk][4],
                shown["product"],
                shown["product_name"],
                shown["sku"],
                shown["quantity"],
                shown["start"],
                shown["end"],
                funding[pk][5],
            )
            for pk in missing
        ]
        cur.execute(
            LIST_ROW_INSERT + ", ".join(["(" + ", ".join(["%s"] * 11) + ")"] * len(values)),
            [value for row in values for value in row],
        )


def licence_state(aid, sku_code, quantity, start, end) -> dict:
    return {
        "activation_id": aid,
        "sku": sku_code,
        "quantity": quantity,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "suspended": False,
    }


def create(cur, actor, body: dict) -> dict:
    _, company, user = actor
    sku = cur.execute(
        "SELECT s.id, s.product_id, s.term_days, p.name FROM catalog_sku s "
        "JOIN catalog_product p ON p.id = s.product_id WHERE s.code = %s",
        (body["sku"],),
    ).fetchone()
    if sku is None:
        raise Refused("404 Not Found", "not_found")
    sku_id, product_id, term_days, product_name = sku
    quantity, terms = int(body["quantity"]), int(body.get("terms", 1))
    start = date.today()
    end = start + timedelta(days=terms * term_days)
    credits = Decimal(quantity * terms).quantize(CENT)
    details = {
        "quantity": quantity,
        "terms": terms,
        "start": str(start),
        "end": str(end),
        "summary": f"{quantity} × {terms} term{'s' if terms > 1 else ''}",
    }
    answer = {}

    def apply(cur, fundings, now):
        activation_id = None
        if len(fundings) == 1 and fundings[0][3]:
            subscription = fundings[0][4]
            taken = cur.execute(
                "SELECT 1 FROM licensing_licence WHERE activation_id = %s", (subscription,)
            ).fetchone()
            activation_id = None if taken else subscription
        activation_id = activation_id or codes.generate()
        licence = cur.execute(
            "INSERT INTO licensing_licence (public_id, activation_id, product_id, sku_id, "
            "quantity, start_date, end_date, owner_id, suspension_reason, file_serial, "
            "created_at, created_by_id) "
            "VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, %s, %s, '', 0, %s, %s) RETURNING id",
            (activation_id, product_id, sku_id, quantity, start, end, company, now, user),
        ).fetchone()[0]
        answer["activation_id"] = activation_id
        list_rows(
            cur,
            fundings,
            created=True,
            licence=licence,
            product=product_id,
            product_name=product_name,
            sku=body["sku"],
            quantity=quantity,
            start=start,
            end=end,
        )
        state = licence_state(activation_id, body["sku"], quantity, start, end)
        return licence, [
            (company, "licence.created", "licensing.licence", licence, activation_id, None, state)
        ]

    key = body["idempotency_key"]
    request = {"sku": body["sku"], "quantity": quantity, "terms": terms, "start": start}
    if claim(cur, company, key, "consume.create", request):
        return consumption_answer(cur, company, key)
    result = consume(
        cur,
        actor,
        kind="create",
        sku_id=sku_id,
        sku_code=body["sku"],
        credits=credits,
        key=key,
        details=details,
        apply=apply,
    )
    return {**result, **answer}


def change(cur, actor, activation_id: str, what: str, body: dict) -> dict:
    company = actor[1]
    row = cur.execute(LICENCE, {"aid": activation_id, "company": company}).fetchone()
    if row is None:
        raise Refused("404 Not Found", "licence_not_found")
    (
        licence,
        aid,
        sku_id,
        quantity,
        start,
        end,
        suspended,
        owner,
        renewable,
        grace,
        term_days,
        sku_code,
        product_id,
        product_name,
    ) = row
    key = body["idempotency_key"]
    today = date.today()
    if what == "renew":
        terms = int(body.get("terms", 1))
        request = {"licence": aid, "terms": terms, "sku": sku_code}
    else:
        new_quantity = int(body["quantity"])
        request = {"licence": aid, "quantity": new_quantity}
    # Claimed before the state is checked: a request already carried out gets its first answer.
    if claim(cur, company, key, f"consume.{what}", request):
        return consumption_answer(cur, company, key)
    if suspended:
        raise Refused("409 Conflict", "licence_suspended")
    before = licence_state(aid, sku_code, quantity, start, end)
    if what == "renew":
        if today >= end and not renewable:
            raise Refused("409 Conflict", "renewal_not_allowed")
        extension = timedelta(days=terms * term_days)
        new_start, new_end = (
            (start, end + extension)
            if today < end + timedelta(days=grace)
            else (today, today + extension)
        )
        credits = Decimal(quantity * terms).quantize(CENT)
        details = {
            "activation_id": aid,
            "terms": terms,
            "old_end": before["end"],
            "new_end": str(new_end),
            "summary": f"{terms} term{'s' if terms > 1 else ''} to {new_end}",
        }

        def apply(cur, fundings, now):
            cur.execute(
                "UPDATE licensing_licence SET start_date = %s, end_date = %s, sku_id = %s "
                "WHERE id = %s",
                (new_start, new_end, sku_id, licence),
            )
            # Re-issue the files of the devices it is on (the benchmark's licences have none).
            cur.execute(
                "SELECT b.id, d.host_id, b.applied_quantity FROM licensing_binding b "
                "JOIN licensing_device d ON d.id = b.device_id WHERE b.licence_id = %s",
                (licence,),
            ).fetchall()
            list_rows(
                cur,
                fundings,
                licence=licence,
                product=product_id,
                product_name=product_name,
                sku=sku_code,
                quantity=quantity,
                start=new_start,
                end=new_end,
            )
            after = licence_state(aid, sku_code, quantity, new_start, new_end)
            return licence, [
                (owner, "licence.renewed", "licensing.licence", licence, aid, before, after)
            ]
    else:
        if today >= end:
            raise Refused("409 Conflict", "increase_not_allowed")
        if new_quantity <= quantity:
            raise Refused("409 Conflict", "increase_not_allowed")
        exact = Decimal(new_quantity - quantity) * Decimal((end - today).days) / term_days
        credits = exact.quantize(CENT, rounding=ROUND_CEILING)
        details = {
            "activation_id": aid,
            "from": quantity,
            "to": new_quantity,
            "summary": f"{quantity} → {new_quantity}",
        }

        def apply(cur, fundings, now):
            cur.execute(
                "UPDATE licensing_licence SET quantity = %s WHERE id = %s",
                (new_quantity, licence),
            )
            list_rows(
                cur,
                fundings,
                licence=licence,
                product=product_id,
                product_name=product_name,
                sku=sku_code,
                quantity=new_quantity,
                start=start,
                end=end,
            )
            after = licence_state(aid, sku_code, new_quantity, start, end)
            return licence, [
                (owner, "licence.increased", "licensing.licence", licence, aid, before, after)
            ]

    result = consume(
        cur,
        actor,
        kind=what,
        sku_id=sku_id,
        sku_code=sku_code,
        credits=credits,
        key=key,
        details=details,
        apply=apply,
    )
    return {**result, "activation_id": aid}


def redeem(cur, actor, body: dict) -> dict:
    _, company, user = actor
    window = int(time.time()) // 600
    pipe = cache.pipeline(transaction=False)
    for key in (f"rl:redeem:user:{user}:{window}", f"rl:redeem:company:{company}:{window}"):
        pipe.incr(key)
        pipe.expire(key, 601, nx=True)
    counts = pipe.execute()
    if counts[0] > RATE_LIMIT or counts[2] > RATE_LIMIT:
        raise Refused("429 Too Many Requests", "rate_limited")
    code = codes.normalize(body["code"])
    key = body["idempotency_key"]
    replayed = claim(cur, company, key, "voucher.redeem", {"code": code})
    row = cur.execute(VOUCHER, (code,)).fetchone()
    if row is None:
        raise Refused("404 Not Found", "voucher_not_found")
    voucher, status, credits, sku_id, line, issued, sku_code, product, po_number, sub = row
    if replayed:
        raise Refused("409 Conflict", "replayed")
    if status != "unredeemed":
        raise Refused("409 Conflict", "voucher_redeemed")
    now = datetime.now(UTC)
    cents = int(credits * 100)
    # The locker, created if need be, locked and credited: one upsert.
    locker, intake = cur.execute(
        "INSERT INTO locker_locker (company_id, sku_id, balance_cents, intake_cents) "
        "VALUES (%(company)s, %(sku)s, %(cents)s, %(cents)s) ON CONFLICT (company_id, sku_id) "
        "DO UPDATE SET balance_cents = locker_locker.balance_cents + excluded.balance_cents, "
        "intake_cents = locker_locker.intake_cents + excluded.intake_cents "
        "RETURNING id, intake_cents",
        {"company": company, "sku": sku_id, "cents": cents},
    ).fetchone()
    cur.execute(
        "UPDATE locker_voucher SET status = 'redeemed', redeemed_by_company_id = %s, "
        "redeemed_by_id = %s, redeemed_at = %s, locker_offset_cents = %s WHERE id = %s",
        (company, user, now, intake - cents, voucher),
    )
    reason = f"Voucher {code} redeemed"
    entry = cur.execute(
        LEDGER, (locker, "redemption", credits, voucher, reason, f"voucher:{voucher}", now, user)
    ).fetchone()[0]
    audit(
        cur,
        actor,
        now,
        [
            (
                company,
                "ledger.redemption",
                "locker.ledgerentry",
                entry,
                f"Voucher redeemed {credits:+}",
                None,
                {"sku": sku_code, "amount": str(credits), "reason": reason},
            ),
            (
                company,
                "voucher.redeemed",
                "locker.voucher",
                voucher,
                code,
                {"status": "unredeemed"},
                {"status": "redeemed", "credits": str(credits)},
            ),
        ],
    )
    # A shop order waiting for this voucher would be applied now (none in the benchmark).
    cur.execute(
        "SELECT o.id FROM renewals_shoporder o JOIN orders_orderline l ON l.po_id = o.po_id "
        "WHERE l.id = %s AND o.company_id = %s AND o.status = 'placed' FOR UPDATE OF o",
        (line, company),
    ).fetchone()
    company_name = cur.execute(
        "SELECT name FROM accounts_company WHERE id = %s", (company,)
    ).fetchone()[0]
    return {
        "code": code,
        "sku": sku_code,
        "product": product,
        "credits": credits,
        "status": "redeemed",
        "po_number": po_number,
        "subscription_id": sub,
        "issued_at": issued,
        "redeemed_at": now,
        "redeemed_by_company": company_name,
    }


def application(environ, start_response):
    status = "200 OK"
    try:
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        secret = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
        # A client that failed to sign in too often is refused, whatever its token.
        failures_key = (
            f":1:ratelimit:signin:client:{environ.get('REMOTE_ADDR', '')[:64]}:"
            f"{int(time.time()) // SIGN_IN_WINDOW}"
        )
        if int(cache.get(failures_key) or 0) >= SIGN_IN_LIMIT:
            raise Refused("429 Too Many Requests", "sign_in_limited")
        conn = connection()
        with conn.transaction(), conn.cursor() as cur:
            actor = cur.execute(
                ACTOR_OF_KEY, (hashlib.sha256(secret.encode()).hexdigest(),)
            ).fetchone()
            if actor is None:
                pipe = cache.pipeline()
                pipe.incr(failures_key).expire(failures_key, SIGN_IN_WINDOW + 1)
                pipe.execute()
                raise Refused("401 Unauthorized", "unauthenticated")
            path = environ["PATH_INFO"]
            if path == "/api/v1/licences":
                status, answer = "201 Created", create(cur, actor, body)
            elif path == "/api/v1/vouchers/redeem":
                answer = redeem(cur, actor, body)
            elif match := LICENCE_PATH.match(path):
                answer = change(cur, actor, match[1], match[2], body)
            else:
                raise Refused("404 Not Found", "not_found")
        # Committed: the webhooks' fan-out is queued if any endpoint listens (none here).
        conn.execute(WEBHOOKS_IN_USE).fetchone()
    except Refused as refused:
        status, answer = refused.status, {"code": refused.code, "message": refused.message}
    payload = json.dumps(answer, default=str).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]
