"""Idempotency keys for requests that consume or redeem: the same request twice acts once."""

import hashlib
import json
from typing import Any

from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from entitle.core import statements
from entitle.core.actor import Actor
from entitle.core.errors import Conflict, DomainError
from entitle.core.models import IdempotencyRecord
from entitle.core.policy import Action, rule


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = "This idempotency key was already used for a different request."


class IdempotencyKeyInvalid(DomainError):
    status = 422
    code = "idempotency_key_invalid"
    default_message = "The idempotency key must be 1 to 100 characters."


def clean_key(key: str | None) -> str:
    key = (key or "").strip()
    if not 0 < len(key) <= 100:
        raise IdempotencyKeyInvalid(field="idempotency_key")
    return key


def fingerprint(**request: Any) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def _claim_sql() -> str:
    table = IdempotencyRecord._meta.db_table
    # Only the table's name (from the model) is formatted in; every value is a parameter.
    return (
        f"INSERT INTO {table} (company_id, key, operation, fingerprint, result, created_at) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (company_id, key) DO NOTHING RETURNING id"
    )


CLAIM_SQL = _claim_sql()


def claim(
    *, company: models.Model, key: str, operation: str, request_fingerprint: str
) -> IdempotencyRecord | None:
    """Claim `key` for this request inside the caller's transaction.

    Returns None when the key is new (go ahead), or the earlier record when the same request
    was already carried out. One statement: a concurrent request with the same key waits on
    the unique index until the first one commits (and then gets its answer) or rolls back
    (and then claims the key itself). A request that fails rolls its claim back with it.
    """
    created_at = IdempotencyRecord._meta.get_field("created_at").get_db_prep_value(
        timezone.now(), connection
    )
    with statements.cursor() as cursor:
        cursor.execute(
            CLAIM_SQL, [company.pk, key, operation, request_fingerprint, "{}", created_at]
        )
        if cursor.fetchone() is not None:
            return None
    earlier = IdempotencyRecord.objects.get(company=company, key=key)
    if earlier.operation != operation or earlier.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(field="idempotency_key")
    return earlier


def settle(*, company: models.Model, key: str, result: dict[str, Any]) -> None:
    IdempotencyRecord.objects.filter(company=company, key=key).update(result=result)


@rule(IdempotencyRecord)
def idempotency_record_rule(actor: Actor, action: Action) -> Q | None:
    if action is Action.VIEW:
        return Q(company=actor.company)
    return None
