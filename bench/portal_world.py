"""The portal benchmark's world, bulk-loaded into its own PostgreSQL database (imported after
Django is set up).

The few rows people act through are made by the real services: the demo catalog, the vendor
and its staff account, the big customer and the distributor, each with an administrator. The
volume is generated and loaded with COPY — benchmark data, not a path users take — as rows
that satisfy every constraint (checks, unique and partial unique indexes, foreign keys, which
stay on) and the append-only triggers (COPY only inserts):

- `customers` companies, each with an administrator and `licences / customers` licences;
- one big company with `big` licences, about half of them on a device (a device, a live
  binding on a 30-day lease; a few older, ended bindings as history);
- one distributor, purchasing entity of `pos` fulfilled partner POs (one to three lines each)
  for the customers (nine in ten) and the big company: per line an entitlement whose licence
  is one of the owner's, a voucher the owner redeemed, its ledger entry and its locker;
- the audit trail those changes write: companies, users and licences created, POs recorded
  and fulfilled, vouchers issued and redeemed, devices registered and licences assigned.
"""

import importlib
import json
import random
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import psycopg
from django.utils import timezone

from entitle.accounts.models import Company, User
from entitle.accounts.services import company_create, user_create
from entitle.catalog.models import Sku
from entitle.core import codes
from entitle.demo import load_catalog

PASSWORD = "bench-portal-password"  # noqa: S105 — the benchmark's own throwaway accounts
STAFF_EMAIL = "staff@bench-portal.example"
BIG_EMAIL = "admin@big.bench-portal.example"
DISTRIBUTOR_EMAIL = "admin@distributor.bench-portal.example"
BIG_NAME = "Bench Big Owner"
DISTRIBUTOR_NAME = "Bench Distribution"
# Companies whose rows are generated and committed together.
CHUNK_COMPANIES = 2000
BIG_CHUNK = 40_000

COLUMNS = {
    "accounts_company": (
        "id, name, is_vendor, is_partner, country, created_at, require_second_factor"
    ),
    "accounts_user": (
        "id, password, is_superuser, email, name, role, is_active, is_staff, date_joined, "
        "company_id, is_service_account"
    ),
    "licensing_licence": (
        "id, public_id, activation_id, product_id, sku_id, quantity, start_date, end_date, "
        "owner_id, suspended_at, suspension_reason, file_serial, created_at, created_by_id"
    ),
    "licensing_device": "id, public_id, owner_id, product_id, name, host_id, location, created_at",
    "licensing_binding": (
        "id, licence_id, device_id, applied_quantity, bound_at, ended_at, end_reason, "
        "lease_until, file_serial, installation_key, request_nonce"
    ),
    "orders_purchaseorder": (
        "id, public_id, po_number, msa_reference, po_email, channel, status, ordered_on, "
        "recorded_at, fulfilled_at, owner_id, purchasing_entity_id, recorded_by_id"
    ),
    "orders_orderline": "id, po_id, number, sku_id, quantity, unit_price",
    "orders_entitlement": (
        "id, subscription_id, po_id, line_id, sku_id, quantity, start_date, end_date, licence_id"
    ),
    "locker_voucher": (
        "id, code, line_id, entitlement_id, sku_id, credits, status, issued_at, "
        "redeemed_by_company_id, redeemed_by_id, redeemed_at, locker_offset_cents"
    ),
    "locker_locker": "id, company_id, sku_id, balance_cents, intake_cents",
    "locker_ledgerentry": (
        "id, locker_id, kind, amount, voucher_id, reason, idempotency_key, created_at, "
        "created_by_id"
    ),
    "core_auditevent": (
        "id, occurred_at, actor_user_id, actor_company_id, company_id, action, object_type, "
        "object_id, object_repr, before, after"
    ),
}


@dataclass
class Sizes:
    customers: int
    licences: int  # over the customers
    big: int  # the big company's
    pos: int  # the distributor's

    @classmethod
    def at(cls, scale: float) -> "Sizes":
        customers = max(10, round(50_000 * scale))
        per = max(1, round(1_000_000 * scale / customers))
        return cls(
            customers, customers * per, max(100, round(200_000 * scale)), round(100_000 * scale)
        )

    @property
    def total(self) -> int:
        return self.licences + self.big


def _activation_id() -> str:
    return codes.with_check("".join(codes.ALPHABET[b & 31] for b in secrets.token_bytes(19)))


class Ids:
    """The next primary key of each table (the loader picks ids itself, then sets sequences)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.next = {
            table: conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]  # noqa: S608
            for table in COLUMNS
        }

    def __call__(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


class Rows:
    """Rows generated for one chunk, COPYed table by table, then committed."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = defaultdict(list)

    def add(self, table: str, *row) -> None:
        self.rows[table].append(row)

    def flush(self, conn: psycopg.Connection) -> None:
        with conn.cursor() as cur:
            for table, columns in COLUMNS.items():
                rows = self.rows.pop(table, [])
                if not rows:
                    continue
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        conn.commit()


@dataclass
class Party:
    company: int
    user: int


class Generator:
    """Turns companies into rows: their licences, the POs that paid for some, the rest."""

    def __init__(self, conn: psycopg.Connection, skus: list[Sku], staff: Party, dist: Party):
        self.ids = Ids(conn)
        self.skus = skus
        self.staff = staff
        self.dist = dist
        self.rng = random.Random(13)
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.po_serial = 0
        self.lockers: dict[tuple[int, int], list[int]] = {}  # (company, sku) → [id, cents]

    def moment(self, day: date) -> datetime:
        at = datetime.combine(day, time(9), UTC) + timedelta(seconds=self.rng.randrange(28_800))
        return min(at, self.now - timedelta(minutes=5))

    def event(self, rows: Rows, at, user, company, action, obj_type, obj_id, repr_, after):
        rows.add(
            "core_auditevent",
            self.ids("core_auditevent"),
            at,
            user,
            company,
            company,
            action,
            obj_type,
            str(obj_id),
            repr_[:200],
            None,
            json.dumps(after),
        )

    def company(self, rows: Rows, n: int) -> Party:
        cid, uid = self.ids("accounts_company"), self.ids("accounts_user")
        at = self.now - timedelta(days=1500 - n % 1000)
        name = f"Customer {n:06d}"
        rows.add("accounts_company", cid, name, False, False, "GB", at, False)
        email = f"admin{n:06d}@customer.bench-portal.example"
        rows.add(
            "accounts_user",
            *(uid, "!", False, email, f"Admin {n:06d}", "admin", True, False, at, cid, False),
        )
        self.event(
            rows,
            at,
            None,
            cid,
            "company.created",
            "accounts.company",
            cid,
            name,
            {"name": name, "is_vendor": False, "is_partner": False},
        )
        self.event(
            rows,
            at,
            None,
            cid,
            "user.created",
            "accounts.user",
            uid,
            email,
            {"email": email, "role": "admin", "is_staff": False},
        )
        return Party(cid, uid)

    def licences(self, rows: Rows, owner: Party, count: int, devices: float = 0.0) -> list[tuple]:
        made = []
        for _ in range(count):
            lid = self.ids("licensing_licence")
            sku = self.skus[self.rng.randrange(len(self.skus))]
            quantity = self.rng.choice((1, 1, 1, 2, 5, 10, 25))
            end = self.today + timedelta(days=self.rng.randint(-500, 1500))
            start = end - timedelta(days=sku.term_days)
            created = self.moment(min(start, self.today))
            suspended = self.now if self.rng.random() < 0.002 else None
            activation_id = _activation_id()
            rows.add(
                "licensing_licence",
                *(lid, uuid.uuid4(), activation_id, sku.product_id, sku.pk, quantity, start, end),
                *(owner.company, suspended, "Bench" if suspended else "", 0, created, owner.user),
            )
            self.event(
                rows,
                created,
                owner.user,
                owner.company,
                "licence.created",
                "licensing.licence",
                lid,
                activation_id,
                {
                    "activation_id": activation_id,
                    "sku": sku.code,
                    "quantity": quantity,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "suspended": False,
                },
            )
            if self.rng.random() < devices:
                self.device(rows, owner, lid, sku, created)
            made.append((lid, sku, quantity, start, end, created))
        return made

    def device(self, rows: Rows, owner: Party, lid: int, sku: Sku, at: datetime) -> None:
        did = self.ids("licensing_device")
        host = f"HOST-{lid:08d}"
        rows.add(
            "licensing_device",
            *(did, uuid.uuid4(), owner.company, sku.product_id, f"srv-{lid}", host, "Rack 4", at),
        )
        self.event(
            rows,
            at,
            owner.user,
            owner.company,
            "device.registered",
            "licensing.device",
            did,
            f"srv-{lid}",
            {"name": f"srv-{lid}", "product": sku.product.code, "host_id": host},
        )
        if self.rng.random() < 0.1:
            # History: an earlier binding, deactivated.
            rows.add(
                "licensing_binding",
                *(self.ids("licensing_binding"), lid, did, 1, at, at + timedelta(days=1)),
                *("deactivated", None, 0, "", ""),
            )
        lease = self.today + timedelta(days=self.rng.randint(1, 30))
        rows.add(
            "licensing_binding",
            *(self.ids("licensing_binding"), lid, did, 1, at, None, "", lease, 0, "", ""),
        )
        self.event(
            rows,
            at,
            owner.user,
            owner.company,
            "licence.assigned",
            "licensing.licence",
            lid,
            f"srv-{lid}",
            {"device": f"srv-{lid}"},
        )

    def orders(self, rows: Rows, owner: Party, licences: list[tuple], count: int) -> None:
        """`count` fulfilled POs of the distributor for `owner`, one line per licence."""
        dist, staff = self.dist, self.staff
        for n in range(count):
            lines = licences[n::count][: 1 + self.rng.randrange(3)] if count else []
            if not lines:
                return
            self.po_serial += 1
            pid, number = self.ids("orders_purchaseorder"), f"BP-{self.po_serial:07d}"
            at = min(line[5] for line in lines)
            rows.add(
                "orders_purchaseorder",
                *(pid, uuid.uuid4(), number, "", "orders@distributor.bench-portal.example"),
                *("partner", "fulfilled", at.date(), at, at + timedelta(minutes=1)),
                *(owner.company, dist.company, staff.user),
            )
            state = {
                "po_number": number,
                "channel": "partner",
                "owner": owner.company,
                "purchasing_entity": dist.company,
            }
            self.event(
                rows,
                at,
                staff.user,
                dist.company,
                "po.recorded",
                "orders.purchaseorder",
                pid,
                f"PO {number}",
                {**state, "status": "recorded"},
            )
            subscriptions = []
            for k, (lid, sku, quantity, start, end, _) in enumerate(lines, start=1):
                line = self.ids("orders_orderline")
                ent, vid = self.ids("orders_entitlement"), self.ids("locker_voucher")
                rows.add("orders_orderline", line, pid, k, sku.pk, quantity, sku.partner_price)
                subscription = codes.generate()
                subscriptions.append(subscription)
                rows.add(
                    "orders_entitlement",
                    *(ent, subscription, pid, line, sku.pk, quantity, start, end, lid),
                )
                locker = self.lockers.get((owner.company, sku.pk))
                if locker is None:
                    locker = self.lockers[owner.company, sku.pk] = [self.ids("locker_locker"), 0]
                cents = quantity * 100
                code = codes.generate()
                redeemed = at + timedelta(minutes=5)
                rows.add(
                    "locker_voucher",
                    *(vid, code, line, ent, sku.pk, Decimal(quantity), "redeemed", at),
                    *(owner.company, owner.user, redeemed, locker[1]),
                )
                rows.add(
                    "locker_ledgerentry",
                    *(self.ids("locker_ledgerentry"), locker[0], "redemption", Decimal(quantity)),
                    *(vid, f"Voucher {code} redeemed", f"voucher:{vid}", redeemed, owner.user),
                )
                locker[1] += cents
                self.event(
                    rows,
                    at,
                    staff.user,
                    dist.company,
                    "voucher.issued",
                    "locker.voucher",
                    vid,
                    code,
                    {"sku": sku.code, "credits": f"{quantity}.00", "po": number},
                )
                self.event(
                    rows,
                    redeemed,
                    owner.user,
                    owner.company,
                    "voucher.redeemed",
                    "locker.voucher",
                    vid,
                    code,
                    {"status": "redeemed", "credits": f"{quantity}.00"},
                )
            self.event(
                rows,
                at + timedelta(minutes=1),
                staff.user,
                dist.company,
                "po.fulfilled",
                "orders.purchaseorder",
                pid,
                f"PO {number}",
                {**state, "status": "fulfilled", "subscriptions": subscriptions},
            )

    def lockers_of(self, rows: Rows, companies: set[int]) -> None:
        """The lockers of `companies`: every redeemed credit still there (nothing consumed)."""
        for (company, sku), (lid, cents) in list(self.lockers.items()):
            if company in companies:
                rows.add("locker_locker", lid, company, sku, cents, cents)
                del self.lockers[company, sku]


def _party(email: str, company_name: str, *, vendor: bool = False, partner: bool = False):
    company = company_create(actor=None, name=company_name, is_vendor=vendor, is_partner=partner)
    user = user_create(
        actor=None,
        company=company,
        email=email,
        name=f"{company_name} admin",
        password=PASSWORD,
        role=User.Role.ADMIN,
        is_staff=vendor,
    )
    return Party(company.pk, user.pk)


def load(dsn: str, sizes: Sizes, advance: Callable[[int], None]) -> None:
    """The whole world into the empty, migrated database at `dsn`."""
    skus = list(load_catalog().values())
    staff = _party(STAFF_EMAIL, "Bench Vendor", vendor=True)
    dist = _party(DISTRIBUTOR_EMAIL, DISTRIBUTOR_NAME, partner=True)
    big = _party(BIG_EMAIL, BIG_NAME)
    assert Company.objects.count() == 3
    # A tenth of the POs are the big company's, the rest spread over the customers.
    big_pos = sizes.pos // 10
    per_customer = sizes.licences // sizes.customers
    with psycopg.connect(dsn) as conn:
        gen = Generator(conn, skus, staff, dist)
        rows = Rows()
        customer_pos = sizes.pos - big_pos
        for first in range(0, sizes.customers, CHUNK_COMPANIES):
            chunk = range(first, min(first + CHUNK_COMPANIES, sizes.customers))
            companies = set()
            for n in chunk:
                owner = gen.company(rows, n)
                companies.add(owner.company)
                made = gen.licences(rows, owner, per_customer)
                # Spread the POs evenly: customer n gets its share of the running total.
                pos = (
                    customer_pos * (n + 1) // sizes.customers - customer_pos * n // sizes.customers
                )
                gen.orders(rows, owner, made, pos)
            gen.lockers_of(rows, companies)
            rows.flush(conn)
            advance(len(chunk) * per_customer)
        # The big company's lockers span chunks: made empty first, filled at the end.
        for sku in skus:
            locker = gen.ids("locker_locker")
            gen.lockers[big.company, sku.pk] = [locker, 0]
            rows.add("locker_locker", locker, big.company, sku.pk, 0, 0)
        rows.flush(conn)
        done = 0
        while done < sizes.big:
            n = min(BIG_CHUNK, sizes.big - done)
            made = gen.licences(rows, big, n, devices=0.5)
            pos = big_pos * (done + n) // sizes.big - big_pos * done // sizes.big
            gen.orders(rows, big, made, pos)
            rows.flush(conn)
            done += n
            advance(n)
        for locker, cents in gen.lockers.values():
            conn.execute(
                "UPDATE locker_locker SET intake_cents = %s, balance_cents = %s WHERE id = %s",
                [cents, cents, locker],
            )
        for table in COLUMNS:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT greatest(max(id), 1) FROM {table}))"
            )
        # The Entitlements list's stored rows, as the migration that made them fills them.
        rows_migration = importlib.import_module(
            "entitle.orders.migrations.0004_entitlement_list_rows"
        )
        conn.execute(rows_migration.FILL)
        conn.execute(rows_migration.UNFUNDED_ONLY)
        conn.commit()
