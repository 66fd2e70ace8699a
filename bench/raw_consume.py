"""The raw baseline of bench/consume.py: a bare WSGI callable that carries out Entitle's four
credit-spending requests by hand with psycopg — the same rules, the same locks and the same
rows, in one transaction each — and answers with the same JSON.

    POST /api/v1/licences                  create a licence (quantity × terms credits)
    POST /api/v1/licences/<id>/renew       renew by whole terms
    POST /api/v1/licences/<id>/increase    increase the quantity (prorated)
    POST /api/v1/vouchers/redeem           redeem a voucher code into the Digital Locker

Each request: the API token look-up; then, in one transaction, the idempotency claim, the
licence row locked (renew, increase; through the same access rule: owner or `manage`
delegate), the locker row locked and its balance read, the vouchers that pay (oldest first),
the licence written, the consumption record, its fundings, the ledger entry, the audit events,
the idempotency record settled; commit. Redemption counts its two rate limits in Redis, locks
the voucher, marks it redeemed, locks (or creates) the locker and writes the ledger entry and
the audit events. Malformed input is not checked beyond what the benchmark sends.

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
SETTLE = "UPDATE core_idempotencyrecord SET result = %s WHERE company_id = %s AND key = %s"
LOCKER = "SELECT id FROM locker_locker WHERE company_id = %s AND sku_id = %s FOR UPDATE"
BALANCE = "SELECT coalesce(sum(amount), 0) FROM locker_ledgerentry WHERE locker_id = %s"
PAYING_VOUCHERS = """
SELECT v.id, v.credits - coalesce((
           SELECT sum(f.credits) FROM licensing_funding f
           JOIN licensing_consumptionrecord c ON c.id = f.consumption_id
           WHERE f.voucher_id = v.id AND c.status <> 'failed'), 0),
       e.id, e.licence_id IS NULL, e.subscription_id
FROM locker_voucher v JOIN orders_entitlement e ON e.id = v.entitlement_id
WHERE v.redeemed_by_company_id = %s AND v.sku_id = %s AND v.status = 'redeemed'
ORDER BY v.redeemed_at, v.id
"""
# The licence, locked, if the caller's company owns it or holds a `manage` delegation for it.
LICENCE = """
SELECT l.id, l.activation_id, l.sku_id, l.quantity, l.start_date, l.end_date,
       l.suspended_at IS NOT NULL, l.owner_id, p.renewable_after_expiry, p.grace_days,
       s.term_days, s.code
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
        conn = local.conn = psycopg.connect(DSN)
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


def claim(cur, company: int, key: str, operation: str, request: dict):
    """None if the key is new, else the earlier result (the same request carried out)."""
    if cur.execute(CLAIM, (company, key, operation, fingerprint(**request))).fetchone():
        return None
    op, print_, result = cur.execute(
        "SELECT operation, fingerprint, result FROM core_idempotencyrecord "
        "WHERE company_id = %s AND key = %s",
        (company, key),
    ).fetchone()
    if op != operation or print_ != fingerprint(**request):
        raise Refused("409 Conflict", "idempotency_key_reused")
    return result


def consumption_answer(cur, consumption_id: int) -> dict:
    row = cur.execute(
        "SELECT c.public_id, c.kind, c.status, c.failure_reason, l.activation_id, s.code, "
        "c.credits, c.details, c.created_at, c.completed_at FROM licensing_consumptionrecord c "
        "JOIN catalog_sku s ON s.id = c.sku_id "
        "LEFT JOIN licensing_licence l ON l.id = c.licence_id WHERE c.id = %s",
        (consumption_id,),
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


def consume(cur, actor, *, kind, sku_id, sku_code, credits, key, request, details, apply):
    """The consumption protocol, by hand: claim, lock, check, fund, apply, record, settle."""
    _, company, user = actor
    earlier = claim(cur, company, key, f"consume.{kind}", request)
    if earlier is not None:
        return consumption_answer(cur, earlier["consumption"])
    locker = cur.execute(LOCKER, (company, sku_id)).fetchone()
    balance = cur.execute(BALANCE, (locker[0],)).fetchone()[0] if locker else Decimal(0)
    if balance < credits:
        raise Refused(
            "409 Conflict",
            "insufficient_credits",
            f"This needs {credits} credits of {sku_code}; your Digital Locker has {balance}.",
        )
    fundings, needed = [], credits
    for voucher, available, entitlement, unlinked, subscription in cur.execute(
        PAYING_VOUCHERS, (company, sku_id)
    ).fetchall():
        if needed <= 0:
            break
        if available > 0:
            share = min(available, needed)
            fundings.append((voucher, share, entitlement, unlinked, subscription))
            needed -= share
    now = datetime.now(UTC)
    licence_id, licence_events = apply(cur, fundings, now)
    unlinked = [f[2] for f in fundings if f[3]]
    if unlinked:
        cur.execute(
            "UPDATE orders_entitlement SET licence_id = %s WHERE id = ANY(%s) "
            "AND licence_id IS NULL",
            (licence_id, unlinked),
        )
    public_id = uuid.uuid4()
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
    cur.executemany(
        "INSERT INTO licensing_funding (consumption_id, voucher_id, credits) VALUES (%s, %s, %s)",
        [(consumption, f[0], f[1]) for f in fundings],
    )
    label = {
        "create": "Create licence",
        "renew": "Renew / extend",
        "increase": "Increase quantity",
    }[kind]
    reason = f"{label} ({details['summary']})"
    entry = cur.execute(
        LEDGER,
        (locker[0], "consumption", -credits, None, reason, f"consumption:{consumption}", now, user),
    ).fetchone()[0]
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
    cur.execute(SETTLE, (Jsonb({"consumption": consumption}), company, key))
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
        "SELECT s.id, s.product_id, s.term_days FROM catalog_sku s WHERE s.code = %s",
        (body["sku"],),
    ).fetchone()
    if sku is None:
        raise Refused("404 Not Found", "not_found")
    sku_id, product_id, term_days = sku
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
            "INSERT INTO licensing_licence (activation_id, product_id, sku_id, quantity, "
            "start_date, end_date, owner_id, suspension_reason, file_serial, created_at, "
            "created_by_id) VALUES (%s, %s, %s, %s, %s, %s, %s, '', 0, %s, %s) RETURNING id",
            (activation_id, product_id, sku_id, quantity, start, end, company, now, user),
        ).fetchone()[0]
        answer["activation_id"] = activation_id
        state = licence_state(activation_id, body["sku"], quantity, start, end)
        return licence, [
            (company, "licence.created", "licensing.licence", licence, activation_id, None, state)
        ]

    result = consume(
        cur,
        actor,
        kind="create",
        sku_id=sku_id,
        sku_code=body["sku"],
        credits=credits,
        key=body["idempotency_key"],
        request={"sku": body["sku"], "quantity": quantity, "terms": terms, "start": start},
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
    ) = row
    key = body["idempotency_key"]
    today = date.today()
    if what == "renew":
        terms = int(body.get("terms", 1))
        request = {"licence": aid, "terms": terms, "sku": sku_code}
    else:
        new_quantity = int(body["quantity"])
        request = {"licence": aid, "quantity": new_quantity}
    # A request already carried out gets its first answer, before the state is checked.
    earlier = cur.execute(
        "SELECT operation, fingerprint, result FROM core_idempotencyrecord "
        "WHERE company_id = %s AND key = %s",
        (company, key),
    ).fetchone()
    if earlier is not None:
        if (earlier[0], earlier[1]) != (f"consume.{what}", fingerprint(**request)):
            raise Refused("409 Conflict", "idempotency_key_reused")
        return consumption_answer(cur, earlier[2]["consumption"])
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
        request=request,
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
    earlier = claim(cur, company, key, "voucher.redeem", {"code": code})
    if earlier is not None:
        raise Refused("409 Conflict", "replayed")
    row = cur.execute(VOUCHER, (code,)).fetchone()
    if row is None:
        raise Refused("404 Not Found", "voucher_not_found")
    voucher, status, credits, sku_id, line, issued, sku_code, product, po_number, sub = row
    if status != "unredeemed":
        raise Refused("409 Conflict", "voucher_redeemed")
    now = datetime.now(UTC)
    cur.execute(
        "UPDATE locker_voucher SET status = 'redeemed', redeemed_by_company_id = %s, "
        "redeemed_by_id = %s, redeemed_at = %s WHERE id = %s",
        (company, user, now, voucher),
    )
    # The locker, created if need be, and locked: an upsert takes the row lock either way.
    locker = cur.execute(
        "INSERT INTO locker_locker (company_id, sku_id) VALUES (%s, %s) ON CONFLICT "
        "(company_id, sku_id) DO UPDATE SET company_id = excluded.company_id RETURNING id",
        (company, sku_id),
    ).fetchone()[0]
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
    cur.execute(SETTLE, (Jsonb({"voucher": voucher}), company, key))
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
        conn = connection()
        with conn.transaction(), conn.cursor() as cur:
            actor = cur.execute(
                ACTOR_OF_KEY, (hashlib.sha256(secret.encode()).hexdigest(),)
            ).fetchone()
            if actor is None:
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
    except Refused as refused:
        status, answer = refused.status, {"code": refused.code, "message": refused.message}
    payload = json.dumps(answer, default=str).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]
