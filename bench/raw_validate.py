"""The raw baseline for the validate benchmark: a bare WSGI callable doing the same work as
Entitle's POST /api/v1/product/validate by hand — the rate-limit counter in Redis, one indexed
look-up with psycopg, the same status rules, the same Ed25519-signed compact JWS answer.

Run by bench/validate.py under the same server (granian, WSGI) as `entitle serve`.
"""

import base64
import json
import os
import threading
import time
from datetime import date

import psycopg
import redis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DSN = os.environ["BENCH_DSN"]
KEY = Ed25519PrivateKey.generate()
KID = "raw-baseline"
HEADER = base64.urlsafe_b64encode(
    json.dumps(
        {"alg": "EdDSA", "kid": KID, "typ": "entitle-validation+jwt"}, separators=(",", ":")
    ).encode()
).rstrip(b"=")
QUERY = """
SELECT l.activation_id, l.end_date, l.suspended_at IS NOT NULL, l.file_serial, p.warn_days,
       p.grace_days,
       EXISTS (SELECT 1 FROM licensing_binding b JOIN licensing_device d ON d.id = b.device_id
               WHERE b.licence_id = l.id AND d.host_id = %s)
FROM licensing_licence l JOIN catalog_product p ON p.id = l.product_id
WHERE l.activation_id = %s
"""
local = threading.local()
cache = redis.Redis.from_url(os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/2"))


def b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def connection() -> psycopg.Connection:
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = psycopg.connect(DSN, autocommit=True)
    return conn


def application(environ, start_response):
    body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    activation_id, host_id = body["activation_id"], body["host_id"]
    window = int(time.time()) // 60
    key = f"rl:{activation_id}:{window}"
    pipe = cache.pipeline()
    pipe.incr(key)
    pipe.expire(key, 61)
    if pipe.execute()[0] > 1_000_000:
        start_response("429 Too Many Requests", [("Content-Type", "application/json")])
        return [b'{"code":"rate_limited"}']
    row = connection().execute(QUERY, (host_id, activation_id)).fetchone()
    claims = {
        "iss": "entitle",
        "activation_id": activation_id,
        "host_id": host_id,
        "nonce": body.get("nonce", ""),
        "iat": int(time.time()),
    }
    if row is None:
        claims.update(code="NOT_FOUND", valid=False)
    else:
        _, end, suspended, serial, warn, grace, on_host = row
        days_left = (end - date.today()).days
        if not on_host:
            code = "HOST_MISMATCH"
        elif suspended:
            code = "SUSPENDED"
        elif days_left > warn:
            code = "VALID"
        elif days_left > 0:
            code = "EXPIRING"
        elif days_left + grace > 0:
            code = "GRACE"
        else:
            code = "EXPIRED"
        claims.update(
            code=code,
            valid=code in ("VALID", "EXPIRING", "GRACE"),
            days_left=days_left,
            end=end.isoformat(),
            grace_days=grace,
            serial=serial,
        )
    signing_input = (
        HEADER + b"." + b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    )
    token = signing_input + b"." + b64(KEY.sign(signing_input))
    payload = b'{"token": "' + token + b'"}'
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]
