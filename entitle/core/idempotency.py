"""Idempotency keys for requests that consume or redeem: the same request twice acts once."""

import hashlib
import json
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

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


def claim(
    *, company: models.Model, key: str, operation: str, request_fingerprint: str
) -> IdempotencyRecord | None:
    """Claim `key` for this request inside the caller's transaction.

    Returns None when the key is new (go ahead, then `settle` it), or the earlier record when
    the same request was already carried out. A concurrent request with the same key waits on
    the unique index until the first one commits or rolls back.
    """
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                company=company,
                key=key,
                operation=operation,
                fingerprint=request_fingerprint,
                created_at=timezone.now(),
            )
            return None
    except IntegrityError:
        earlier = IdempotencyRecord.objects.get(company=company, key=key)
        if earlier.operation != operation or earlier.fingerprint != request_fingerprint:
            raise IdempotencyKeyReused(field="idempotency_key") from None
        return earlier


def replayed(
    *, company: models.Model, key: str, operation: str, request_fingerprint: str
) -> IdempotencyRecord | None:
    """The record of this same request if it was already carried out (no claim is made)."""
    earlier = IdempotencyRecord.objects.filter(company=company, key=key).first()
    if earlier is None:
        return None
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
