"""Webhook endpoints; fanning each change out to the endpoints that may hear of it; delivery
attempts with exponential backoff, the delivery log, redelivery and automatic disabling.

Nothing here runs inside the change's own transaction: `handlers.on_audit` only queues the
fan-out once the change has committed, so a write path pays at most one task row for it.
Tasks are queued through callables handed in by the entry points (`tasks`, views, API), inside
the transaction that makes the row they work on: with the database task backend, a delivery
and its task commit together.
"""

import base64
import json
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from entitle.accounts.models import User
from entitle.core import outbound, sealed, statements
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import NotFound
from entitle.core.mail import send_after_commit
from entitle.core.models import AuditEvent
from entitle.core.policy import Action
from entitle.webhooks import catalogue, payloads
from entitle.webhooks.errors import (
    DeliveryNotFound,
    EndpointDisabled,
    EndpointNotFound,
    EventTypesInvalid,
)
from entitle.webhooks.models import Delivery, DeliveryAttempt, Endpoint

SEALED_AS = "webhooks.endpoint-secret"
# The system acting on its own (fan-out, automatic disabling) in the audit trail.
SYSTEM = Actor.anonymous()
# A claimed attempt not finished after this long belongs to a worker that died.
LEASE = timedelta(minutes=5)
LONGEST_PAUSE = timedelta(hours=12)

# queue(delivery_id, attempt, manual, run_after): queue an attempt of a delivery.
Queue = Callable[[int, int, bool, datetime | None], None]


def _setting(name: str):
    return settings.ENTITLE[name]


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _clean_event_types(event_types: Iterable[str] | None) -> list[str]:
    wanted = set(event_types or ())
    unknown = wanted - set(catalogue.EVENT_TYPES)
    if not wanted or unknown:
        message = f"Unknown event type: {', '.join(sorted(unknown))}." if unknown else None
        raise EventTypesInvalid(message, field="event_types")
    return [name for name in catalogue.EVENT_TYPES if name in wanted]


def _state(endpoint: Endpoint) -> dict:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "status": endpoint.status,
    }


def endpoint_create(
    *, actor: Actor, url: str, event_types: Iterable[str], description: str = ""
) -> tuple[Endpoint, str]:
    """Register an endpoint for the actor's company. The signing secret is returned here once;
    it is kept encrypted, since every delivery is signed with it."""
    if not actor.is_authenticated or not (actor.is_company_admin or actor.is_vendor_staff):
        raise NotFound()
    url = outbound.check_url(url)
    types = _clean_event_types(event_types)
    secret = _new_secret()
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            company=actor.company,
            created_by=actor.user,
            url=url,
            description=(description or "").strip()[:200],
            event_types=types,
            secret_sealed=sealed.seal(secret, purpose=SEALED_AS),
            staff_view=actor.is_vendor_staff,
        )
        record(
            actor=actor,
            action=AuditAction.WEBHOOK_ENDPOINT_CREATED,
            obj=endpoint,
            company=endpoint.company,
            after=_state(endpoint),
        )
    return endpoint, secret


def _lock(actor: Actor, public_id) -> Endpoint:
    try:
        return (
            Endpoint.objects.visible_to(actor, Action.CHANGE)
            .select_for_update()
            .get(public_id=public_id)
        )
    except (Endpoint.DoesNotExist, ValueError) as exc:
        raise EndpointNotFound() from exc


def endpoint_update(
    *,
    actor: Actor,
    public_id,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> Endpoint:
    """Change what an endpoint receives, where, or whether it is on (enabling it again starts
    its count of failures afresh)."""
    url = None if url is None else outbound.check_url(url)
    types = None if event_types is None else _clean_event_types(event_types)
    with transaction.atomic():
        endpoint = _lock(actor, public_id)
        before = _state(endpoint)
        if url is not None:
            endpoint.url = url
        if types is not None:
            endpoint.event_types = types
        if description is not None:
            endpoint.description = description.strip()[:200]
        action = AuditAction.WEBHOOK_ENDPOINT_CHANGED
        if enabled is True and not endpoint.is_active:
            endpoint.mark_enabled()
            action = AuditAction.WEBHOOK_ENDPOINT_ENABLED
        elif enabled is False and endpoint.is_active:
            endpoint.mark_disabled(timezone.now(), "Disabled by a user.")
            action = AuditAction.WEBHOOK_ENDPOINT_DISABLED
        endpoint.save()
        after = _state(endpoint)
        if after != before:
            record(
                actor=actor,
                action=action,
                obj=endpoint,
                company=endpoint.company,
                before=before,
                after=after,
            )
    return endpoint


def endpoint_rotate_secret(*, actor: Actor, public_id) -> tuple[Endpoint, str]:
    """A new signing secret, shown once; deliveries from now on are signed with it."""
    secret = _new_secret()
    with transaction.atomic():
        endpoint = _lock(actor, public_id)
        endpoint.secret_sealed = sealed.seal(secret, purpose=SEALED_AS)
        endpoint.save(update_fields=["secret_sealed"])
        record(
            actor=actor,
            action=AuditAction.WEBHOOK_SECRET_ROTATED,
            obj=endpoint,
            company=endpoint.company,
        )
    return endpoint, secret


def endpoint_secret(endpoint: Endpoint) -> str:
    return sealed.unseal(endpoint.secret_sealed, purpose=SEALED_AS)


# --- Fan-out: which endpoints hear of a change, and what they are told. ---


def endpoint_actor(endpoint: Endpoint) -> Actor | None:
    """Who an endpoint hears as: its creator in its company, never with more rights than the
    creator has today — and with the back office's rights only if it was made with them."""
    creator = endpoint.created_by
    if not creator.is_active or creator.company_id != endpoint.company_id:
        return None
    if endpoint.staff_view:
        return Actor(user=creator, company=endpoint.company)
    # No back-office scope: whatever the creator is, the endpoint hears as its company.
    return Actor(user=creator, company=endpoint.company, scopes=frozenset())


# Written out: every committed change asks it, and building the ORM's EXISTS query cost a tenth
# of a licence creation's time (bench/consume.py); the table name comes from the model.
_IN_USE_SQL = f"SELECT EXISTS (SELECT 1 FROM {Endpoint._meta.db_table} WHERE status = %s)"  # noqa: S608


def webhooks_in_use() -> bool:
    """Whether any endpoint listens at all (asked once a change has committed)."""
    with statements.cursor() as cursor:
        cursor.execute(_IN_USE_SQL, [Endpoint.Status.ACTIVE.value])
        return cursor.fetchone()[0]


def _envelope(event_type: str, at: datetime, data: dict) -> dict:
    return {"type": event_type, "timestamp": at.isoformat(), "data": data}


def deliveries_create(*, audit_event_ids: list[int], queue: Queue) -> list[Delivery]:
    """One delivery per change and endpoint that subscribed to the change's event type and
    whose company may see the changed object, with the payload as that company sees it. Safe
    to run twice (a change is delivered to an endpoint once)."""
    events = AuditEvent.objects.filter(pk__in=audit_event_ids).order_by("pk")
    listening = list(
        Endpoint.objects.filter(status=Endpoint.Status.ACTIVE).select_related(
            "company", "created_by__company"
        )
    )
    actors = {endpoint.pk: endpoint_actor(endpoint) for endpoint in listening}
    made = []
    for event in events:
        event_type = catalogue.event_type_of(event.action, event.after)
        if event_type is None:
            continue
        for endpoint in listening:
            actor = actors[endpoint.pk]
            if actor is None or not endpoint.wants(event_type):
                continue
            data = payloads.build(event_type, event, actor)
            if data is None:
                continue
            try:
                with transaction.atomic():
                    delivery = Delivery.objects.create(
                        endpoint=endpoint,
                        audit_event=event,
                        event_type=event_type,
                        payload=_envelope(event_type, event.occurred_at, data),
                        next_attempt_at=timezone.now(),
                    )
                    queue(delivery.pk, 1, False, None)
            except IntegrityError:
                continue  # fanned out already
            made.append(delivery)
    return made


def endpoint_test(*, actor: Actor, public_id, queue: Queue) -> Delivery:
    """Send a `webhook.test` event to an endpoint now, to check it receives and verifies."""
    with transaction.atomic():
        endpoint = _lock(actor, public_id)
        if not endpoint.is_active:
            raise EndpointDisabled()
        now = timezone.now()
        delivery = Delivery.objects.create(
            endpoint=endpoint,
            event_type=catalogue.TEST_EVENT,
            payload=_envelope(
                catalogue.TEST_EVENT,
                now,
                {"endpoint": str(endpoint.public_id), "message": "A test from Entitle."},
            ),
            next_attempt_at=now,
        )
        queue(delivery.pk, 1, True, None)
    return delivery


# --- Delivering. ---


def backoff(attempt: int) -> timedelta:
    """The pause after failed attempt number `attempt`: doubling from the base, capped."""
    pause = timedelta(seconds=_setting("WEBHOOK_RETRY_BASE") * 2 ** (attempt - 1))
    return min(pause, LONGEST_PAUSE)


def _claim(delivery_id: int, attempt: int, now: datetime) -> Delivery | None:
    """Claim attempt number `attempt`, unless it is not this attempt's turn (a duplicate or
    superseded task), or the delivery is settled. A claim whose worker died can be taken over."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != Delivery.Status.PENDING:
            return None
        abandoned = (
            delivery.attempts == attempt
            and delivery.claimed_at is not None
            and delivery.claimed_at < now - LEASE
        )
        if delivery.attempts != attempt - 1 and not abandoned:
            return None
        if not delivery.endpoint.is_active:
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "next_attempt_at"])
            return None
        delivery.attempts = attempt
        delivery.claimed_at = now
        delivery.next_attempt_at = None
        delivery.save(update_fields=["attempts", "claimed_at", "next_attempt_at"])
    return delivery


def _signed_headers(delivery: Delivery, body: bytes, at: datetime) -> dict[str, str]:
    signature = Webhook(endpoint_secret(delivery.endpoint)).sign(delivery.message_id, at, body)
    return {
        "content-type": "application/json",
        "user-agent": "Entitle-Webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def delivery_attempt(*, delivery_id: int, attempt: int, manual: bool, queue: Queue) -> str:
    """Make attempt number `attempt` of a delivery (signed per Standard Webhooks), log it, and
    either settle the delivery or queue the next attempt after a pause that doubles each time.
    Returns what happened. Safe to run twice: only the attempt whose turn it is runs."""
    now = timezone.now()
    delivery = _claim(delivery_id, attempt, now)
    if delivery is None:
        return "skipped"
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    outcome = outbound.post(
        delivery.endpoint.url,
        body=body,
        headers=_signed_headers(delivery, body, now),
        timeout=_setting("WEBHOOK_TIMEOUT"),
    )
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        endpoint = Endpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=attempt,
            attempted_at=now,
            manual=manual,
            succeeded=outcome.succeeded,
            response_code=outcome.status,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        delivery.last_response_code = outcome.status
        delivery.claimed_at = None
        if outcome.succeeded:
            delivery.status = Delivery.Status.SUCCEEDED
            delivery.delivered_at = timezone.now()
            endpoint.consecutive_failures = 0
        else:
            endpoint.consecutive_failures += 1
            if endpoint.is_active and endpoint.consecutive_failures >= _setting(
                "WEBHOOK_DISABLE_AFTER"
            ):
                _disable_after_failures(endpoint)
            if endpoint.is_active and attempt < _setting("WEBHOOK_MAX_ATTEMPTS"):
                delivery.next_attempt_at = timezone.now() + backoff(attempt)
                queue(delivery.pk, attempt + 1, False, delivery.next_attempt_at)
            else:
                delivery.status = Delivery.Status.FAILED
        delivery.save()
        endpoint.save()
    return delivery.status


def _disable_after_failures(endpoint: Endpoint) -> None:
    reason = f"{endpoint.consecutive_failures} failed attempts in a row."
    before = _state(endpoint)
    endpoint.mark_disabled(timezone.now(), reason)
    record(
        actor=SYSTEM,
        action=AuditAction.WEBHOOK_ENDPOINT_DISABLED,
        obj=endpoint,
        company=endpoint.company,
        before=before,
        after={**_state(endpoint), "reason": reason},
    )
    administrators = User.objects.filter(
        company=endpoint.company,
        role=User.Role.ADMIN,
        is_active=True,
        is_service_account=False,
    ).values_list("email", flat=True)
    if administrators:
        send_after_commit(
            to=list(administrators),
            template="webhooks/email/disabled",
            context={"endpoint": endpoint, "reason": reason},
        )


def delivery_redeliver(*, actor: Actor, public_id, queue: Queue) -> Delivery:
    """Try a delivery again now (after it failed, or to send it once more): the same message
    id, so that a receiver that already has it can tell."""
    with transaction.atomic():
        try:
            delivery = (
                Delivery.objects.visible_to(actor, Action.CHANGE)
                .select_for_update(of=("self",))
                .select_related("endpoint")
                .get(public_id=public_id)
            )
        except (Delivery.DoesNotExist, ValueError) as exc:
            raise DeliveryNotFound() from exc
        if not delivery.endpoint.is_active:
            raise EndpointDisabled()
        delivery.status = Delivery.Status.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["status", "next_attempt_at"])
        record(
            actor=actor,
            action=AuditAction.WEBHOOK_REDELIVERED,
            obj=delivery.endpoint,
            company=delivery.endpoint.company,
            after={"delivery": str(delivery.public_id), "event_type": delivery.event_type},
        )
        queue(delivery.pk, delivery.attempts + 1, True, None)
    return delivery
