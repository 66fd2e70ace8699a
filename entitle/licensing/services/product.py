"""What the licensed product asks: activate (bind a host within the seats and get its licence
file), validate (renews the lease), deactivate (frees the seat) — online, or air-gapped with
request and proof files signed by the installation's key (docs/licence-files.md).

The product authenticates with its Activation ID and host id: the Activation ID is the
credential, so these look-ups are the authentication step and cannot start from an actor's
`visible_to`. A Subscription ID, a mistyped key and an unknown key are answered identically
(`NOT_FOUND`). Every answer is a JWS signed by the vendor, built by `answer_claims` alone.
"""

import secrets
import time
from dataclasses import dataclass, field
from datetime import date

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from entitle_client import airgap, jws
from entitle_client.ids import normalize_activation_id, normalize_host_id

from entitle.core import clock, codes, ratelimit, routing
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.policy import Action
from entitle.licensing import signing
from entitle.licensing.arithmetic import status_at
from entitle.licensing.errors import AirGapFileInvalid, AssignmentRefused
from entitle.licensing.models import Binding, Device, Licence, LicenceFile, SigningKey
from entitle.licensing.selectors import licence_get
from entitle.licensing.services.devices import bind, create_device, end_binding, history_entry
from entitle.licensing.services.files import issue_files

VALID_CODES = frozenset({"VALID", "EXPIRING", "GRACE"})
CODE_OF_STATUS = {
    "not yet valid": "NOT_YET_VALID",
    "active": "VALID",
    "expiring": "EXPIRING",
    "grace": "GRACE",
    "expired": "EXPIRED",
    "suspended": "SUSPENDED",
}


@dataclass(frozen=True)
class ProductRequest:
    """A product's request, identifiers normalised (`entitle_client.ids`)."""

    activation_id: str
    host_id: str
    nonce: str
    address: str = ""
    device_name: str = ""
    installation_key: str = ""
    serial: int | None = None
    proof: str = ""
    # The day the answer is about, read once for the request.
    today: date = field(default_factory=clock.today)

    @classmethod
    def of(cls, *, activation_id: str, host_id: str, nonce: str | None = None, **more):
        return cls(
            activation_id=normalize_activation_id(activation_id),
            host_id=normalize_host_id(host_id),
            nonce=nonce or secrets.token_urlsafe(12),
            **more,
        )

    @property
    def well_formed_key(self) -> bool:
        return codes.is_well_formed(self.activation_id)


@dataclass(frozen=True)
class Facts:
    """What an answer says about the licence and this host's binding."""

    start: date
    end: date
    suspended: bool
    warn_days: int
    grace_days: int
    lease_until: date | None = None
    serial: int | None = None


@dataclass(frozen=True)
class Answer:
    token: str
    claims: dict
    licence: str | None = None

    @property
    def code(self) -> str:
        return self.claims["code"]


def facts_of(licence: Licence, binding: Binding | None = None) -> Facts:
    product = licence.product
    return Facts(
        start=licence.start_date,
        end=licence.end_date,
        suspended=licence.is_suspended,
        warn_days=product.warn_days,
        grace_days=product.grace_days,
        lease_until=binding.lease_until if binding else None,
        serial=binding.file_serial if binding else None,
    )


def status_of(facts: Facts, on: date):
    return status_at(
        start=facts.start,
        end=facts.end,
        on=on,
        warn_days=facts.warn_days,
        grace_days=facts.grace_days,
        suspended=facts.suspended,
    )


def answer_claims(request: ProductRequest, code: str | None, facts: Facts | None) -> dict:
    """The one claims builder of every product answer. `code` None: the licence's status says
    it (VALID, EXPIRING, GRACE, EXPIRED, SUSPENDED, NOT_YET_VALID)."""
    claims = {
        "iss": "entitle",
        "activation_id": request.activation_id,
        "host_id": request.host_id,
        "nonce": request.nonce,
        "iat": int(time.time()),
        "code": code or "NOT_FOUND",
        "valid": False,
        "status": None,
        "days_left": None,
        "start": None,
        "end": None,
        "grace_days": None,
        "lease_until": None,
        "serial": None,
    }
    if facts is not None:
        at = status_of(facts, request.today)
        code = code or CODE_OF_STATUS[at.status]
        claims.update(
            code=code,
            valid=code in VALID_CODES,
            status=str(at.status),
            days_left=at.days_left,
            start=facts.start.isoformat(),
            end=facts.end.isoformat(),
            grace_days=facts.grace_days,
            lease_until=facts.lease_until.isoformat() if facts.lease_until else None,
            serial=facts.serial,
        )
    return claims


def _signed(claims: dict, licence_text: str | None = None, *, kid: str | None = None) -> Answer:
    token = signing.sign(claims, typ=signing.VALIDATION_TYP, kid=kid).token
    return Answer(token, claims, licence_text)


RATE_WINDOW_SECONDS = 60
RATE_MESSAGE = "Too many requests. Please wait a minute."


def _limits(request: ProductRequest) -> dict[str, int]:
    """Per Activation ID (whatever it is) and per client address, counted in one round trip."""
    limits = {f"product:{request.activation_id[:64]}": settings.ENTITLE["PRODUCT_RATE"]}
    if request.address:
        limits[f"product-address:{request.address}"] = settings.ENTITLE["PRODUCT_RATE_ADDRESS"]
    return limits


def _limit(request: ProductRequest) -> None:
    ratelimit.hit_all(_limits(request), window_seconds=RATE_WINDOW_SECONDS, message=RATE_MESSAGE)


# --- Validate: the hot path, one query, one signature. ---


def _validation_sql() -> str:
    licence, product = Licence._meta.db_table, Licence.product.field.related_model._meta.db_table
    binding, device, key = Binding._meta.db_table, Device._meta.db_table, SigningKey._meta.db_table
    # Only table names (from the models) are formatted in; every value is a query parameter.
    # The binding is this host's newest (a live one first); the current signing key is read in
    # the same round trip, so a rotation is seen on the next answer.
    return (
        f"SELECT l.start_date, l.end_date, l.suspended_at IS NOT NULL, p.warn_days, "  # noqa: S608
        f"p.grace_days, p.lease_days, b.id, b.ended_at IS NOT NULL, b.lease_until, "
        f"b.file_serial, (SELECT kid FROM {key} WHERE is_current) "
        f"FROM {licence} l JOIN {product} p ON p.id = l.product_id "
        f"LEFT JOIN {binding} b ON b.id = (SELECT b2.id FROM {binding} b2 "
        f"JOIN {device} d ON d.id = b2.device_id WHERE b2.licence_id = l.id AND d.host_id = %s "
        f"ORDER BY CASE WHEN b2.ended_at IS NULL THEN 0 ELSE 1 END, b2.id DESC LIMIT 1) "
        f"WHERE l.activation_id = %s"
    )


VALIDATION_SQL = _validation_sql()


def _validation_row(host_id: str, activation: str, using: str) -> tuple | None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        # A server-side prepared statement for this one query: PostgreSQL plans it once per
        # connection instead of on every request.
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            return cursor.execute(VALIDATION_SQL, [host_id, activation], prepare=True).fetchone()
    with connection.cursor() as cursor:
        cursor.execute(VALIDATION_SQL, [host_id, activation])
        return cursor.fetchone()


def lease_due(lease_days: int, lease_until: date | None, today: date) -> bool:
    """A lease is renewed once less than half of it is left (or there is none yet)."""
    if not lease_days:
        return False
    return lease_until is None or 2 * (lease_until - today).days < lease_days


def _validation_row_routed(host_id: str, activation: str) -> tuple | None:
    """The row from the replica if there is one (entitle/core/routing.py). An answer that says
    no — an unknown key, a host not bound, a binding ended — may be a change not replayed yet
    (an activation a moment ago): the primary has the last word on it."""
    using = DEFAULT_DB_ALIAS
    if routing.replica_alias():
        with routing.replica_reads():
            using = routing.read_alias()
    row = _validation_row(host_id, activation, using)
    if using != DEFAULT_DB_ALIAS and (row is None or row[6] is None or row[7]):
        row = _validation_row(host_id, activation, DEFAULT_DB_ALIAS)
    return row


def product_validate(request: ProductRequest) -> Answer:
    """Is this licence valid on this host right now? One indexed query, one signature; a write
    only when the lease is renewed (on the primary, under the licence's lock), a second read
    only when the product's file is outdated."""
    # The rate limit's round trip overlaps the look-up (a read), and its verdict comes first.
    with ratelimit.hit_all_during(
        _limits(request), window_seconds=RATE_WINDOW_SECONDS, message=RATE_MESSAGE
    ):
        row = (
            _validation_row_routed(request.host_id, request.activation_id)
            if request.well_formed_key
            else None
        )
    if row is None:
        return _signed(answer_claims(request, None, None))
    start, end, suspended, warn, grace, lease_days, binding_id, ended, lease, serial, kid = row
    facts = Facts(start, end, suspended, warn, grace, lease, serial)
    if binding_id is None:
        return _signed(answer_claims(request, "HOST_MISMATCH", facts), kid=kid)
    if ended:
        return _signed(answer_claims(request, "DEACTIVATED", facts), kid=kid)
    text = None
    if status_of(facts, request.today).may_run and lease_due(lease_days, lease, request.today):
        text, facts = _renew_lease(binding_id, request.today)
    elif request.serial is not None and serial is not None and request.serial < serial:
        text = (
            LicenceFile.objects.filter(licence__bindings=binding_id, serial=serial)
            .values_list("text", flat=True)
            .first()
        )
    return _signed(answer_claims(request, None, facts), text, kid=kid)


def _renew_lease(binding_id: int, today: date) -> tuple[str | None, Facts]:
    """A new file with a new lease for a live binding of a runnable licence (re-checked under
    the licence's lock: a suspension or deactivation that just committed wins)."""
    with transaction.atomic():
        binding = Binding.objects.select_related("device").get(pk=binding_id)
        licence = (
            Licence.objects.select_for_update(of=("self",))
            .select_related("product", "sku")
            .get(pk=binding.licence_id)
        )
        binding.refresh_from_db()
        if not binding.is_live or not status_of(facts_of(licence), today).may_run:
            return None, facts_of(licence, binding)
        [file] = issue_files(licence, [binding])
        record(
            actor=Actor.anonymous(),
            action=AuditAction.LICENCE_LEASE_RENEWED,
            obj=licence,
            company=licence.owner,
            after={
                "device": str(binding.device.public_id),
                "lease_until": str(binding.lease_until),
            },
        )
        return file.text, facts_of(licence, binding)


# --- Activate and deactivate. ---


def _locked_licence(request: ProductRequest) -> Licence | None:
    if not request.well_formed_key:
        return None
    return (
        Licence.objects.select_for_update(of=("self",))
        .select_related("product", "sku", "owner")
        .filter(activation_id=request.activation_id)
        .first()
    )


def product_activate(
    request: ProductRequest, *, request_nonce: str = "", actor: Actor | None = None
) -> Answer:
    """Bind this host to the licence within its seats and hand out its licence file. A refused
    activation writes nothing (no device, no binding). Activating again on a bound host returns
    its newest file. `request_nonce`: an air-gapped request's (the file answers it, no lease)."""
    _limit(request)
    with transaction.atomic():
        licence = _locked_licence(request)
        if licence is None:
            return _signed(answer_claims(request, None, None))
        if not status_of(facts_of(licence), request.today).may_run:
            return _signed(answer_claims(request, None, facts_of(licence)))
        device = Device.objects.filter(
            owner=licence.owner, product=licence.product, host_id=request.host_id
        ).first()
        live = (
            device.bindings.filter(licence=licence, ended_at__isnull=True).first()
            if device
            else None
        )
        if (
            live is not None
            and not request_nonce
            and not lease_due(licence.product.lease_days, live.lease_until, request.today)
        ):
            file = licence.files.filter(device=device, serial=live.file_serial).first()
            return _signed(
                answer_claims(request, None, facts_of(licence, live)), file.text if file else None
            )
        product_actor = actor or Actor.anonymous()
        try:
            with transaction.atomic():
                device = device or create_device(
                    actor=product_actor,
                    owner=licence.owner,
                    product=licence.product,
                    name=request.device_name or request.host_id,
                    host_id=request.host_id,
                )
                binding, file = bind(
                    actor=product_actor,
                    licence=licence,
                    device=device,
                    installation_key=request.installation_key,
                    request_nonce=request_nonce,
                )
        except AssignmentRefused:
            return _signed(answer_claims(request, "TOO_MANY_DEVICES", facts_of(licence)))
        record(
            actor=product_actor,
            action=AuditAction.LICENCE_ACTIVATED,
            obj=licence,
            company=licence.owner,
            after=history_entry(
                device, request.address, serial=file.serial, air_gapped=bool(request_nonce)
            ),
        )
        return _signed(answer_claims(request, None, facts_of(licence, binding)), file.text)


def proof_matches(binding: Binding, proof: str, request: ProductRequest) -> bool:
    """Does `proof` come from the installation pinned to the binding, for one of its files?"""
    try:
        claims = airgap.read_deactivation_proof(proof)
    except jws.JWSError:
        return False
    return (
        claims["installation_key"] == binding.installation_key
        and claims["activation_id"] == request.activation_id
        and claims["host_id"] == request.host_id
        and LicenceFile.objects.filter(
            licence=binding.licence_id,
            device=binding.device_id,
            serial=claims["serial"],
            issued_at__gte=binding.bound_at,
        ).exists()
    )


def product_deactivate(request: ProductRequest, *, actor: Actor | None = None) -> Answer:
    """The product frees its own seat. A binding with an installation key needs that
    installation's signed proof; deactivating twice answers DEACTIVATED again."""
    _limit(request)
    with transaction.atomic():
        licence = _locked_licence(request)
        if licence is None:
            return _signed(answer_claims(request, None, None))
        bindings = Binding.objects.select_related("device", "licence__owner").filter(
            licence=licence, device__host_id=request.host_id
        )
        binding = bindings.filter(ended_at__isnull=True).first()
        if binding is None:
            code = "DEACTIVATED" if bindings.exists() else "HOST_MISMATCH"
            return _signed(answer_claims(request, code, facts_of(licence)))
        if binding.installation_key and not proof_matches(binding, request.proof, request):
            return _signed(answer_claims(request, "PROOF_REQUIRED", facts_of(licence, binding)))
        end_binding(
            actor=actor or Actor.anonymous(),
            binding=binding,
            reason=Binding.EndReason.DEACTIVATED,
            address=request.address,
        )
        return _signed(answer_claims(request, "DEACTIVATED", facts_of(licence, binding)))


# --- Air-gapped: the same, from the installation's signed files. ---


def airgap_activate(*, request_text: str, address: str = "", actor: Actor | None = None) -> Answer:
    """Activate from a request file (uploaded by the owner, or sent to the product API): the
    answer's licence is the response file, bound to the request's host, nonce and installation
    key. An owner's upload must name one of the owner's licences."""
    try:
        claims = airgap.read_activation_request(request_text)
    except jws.JWSError as exc:
        raise AirGapFileInvalid() from exc
    if actor is not None:
        licence_get(actor=actor, activation_id=claims["activation_id"], action=Action.CHANGE)
    request = ProductRequest.of(
        activation_id=claims["activation_id"],
        host_id=claims["host_id"],
        nonce=claims["nonce"],
        address=address,
        device_name=claims["device_name"][:120],
        installation_key=claims["installation_key"],
    )
    return product_activate(request, request_nonce=claims["nonce"], actor=actor)


def airgap_deactivate(*, proof_text: str, address: str = "", actor: Actor | None = None) -> Answer:
    """Free a seat with the installation's signed proof that it removed its licence file."""
    try:
        claims = airgap.read_deactivation_proof(proof_text)
    except jws.JWSError as exc:
        raise AirGapFileInvalid() from exc
    if actor is not None:
        licence_get(actor=actor, activation_id=claims["activation_id"], action=Action.CHANGE)
    request = ProductRequest.of(
        activation_id=claims["activation_id"],
        host_id=claims["host_id"],
        address=address,
        proof=proof_text,
    )
    return product_deactivate(request, actor=actor)
