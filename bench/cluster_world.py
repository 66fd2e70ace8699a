"""The cluster run's data and its checks, through Django on the primary (imported after setup).

The world: the vendor and catalog (`entitle setup`), customer companies each with an
administrator, an API token and a PO of PowerChute credits (one big voucher, redeemed, and
small ones left for the load to redeem), a few licences to renew and increase; a fleet of
licences bound to devices for validation, and licences whose 30-day reminder is due today
(bulk-loaded with COPY: benchmark data, not a path users take).
"""

import secrets
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

import psycopg
from django.db.models import Sum
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from entitle.accounts import scopes
from entitle.accounts.models import Company, User
from entitle.accounts.services import api_token_create, company_create, user_create
from entitle.catalog.models import Sku
from entitle.core import codes
from entitle.core.actor import Actor
from entitle.licensing.models import ConsumptionRecord
from entitle.licensing.services.licences import licence_create
from entitle.locker.models import LedgerEntry, Locker, Voucher
from entitle.locker.services import voucher_redeem
from entitle.orders.services import LineInput, po_fulfil, po_record
from entitle.renewals.models import Reminder

SKU = "PCNS-1Y"
BIG_VOUCHER = 1_000_000


@dataclass
class Customer:
    company: int
    token: str
    licences: dict[str, int]  # activation id → quantity


@dataclass
class World:
    customers: list[Customer]
    codes: list[str]  # unredeemed vouchers, for the redemption race
    validation_pairs: list[tuple[str, str]]
    due: dict[str, str]  # activation id → the administrator the reminder goes to


def _copy_licences(dsn: str, rows: list[tuple], devices: bool) -> None:
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        base = cur.execute("SELECT coalesce(max(id), 0) FROM licensing_licence").fetchone()[0]
        dbase = cur.execute("SELECT coalesce(max(id), 0) FROM licensing_device").fetchone()[0]
        now = timezone.now()
        with cur.copy(
            "COPY licensing_licence (id, public_id, activation_id, product_id, sku_id, quantity, "
            "start_date, end_date, owner_id, suspension_reason, file_serial, created_at) "
            "FROM STDIN"
        ) as copy:
            for n, row in enumerate(rows, start=1):
                copy.write_row((base + n, uuid.uuid4(), *row, "", 1, now))
        if devices:
            with cur.copy(
                "COPY licensing_device (id, public_id, owner_id, product_id, name, host_id, "
                "location, created_at) FROM STDIN"
            ) as copy:
                for n, row in enumerate(rows, start=1):
                    activation_id, product, _, _, _, _, owner = row
                    host = f"HOST-{activation_id[:8]}"
                    copy.write_row((dbase + n, uuid.uuid4(), owner, product, host, host, "", now))
            # On a lease renewed a few days ago (more than half of it left): validating reads.
            lease_until = timezone.localdate() + timedelta(days=25)
            with cur.copy(
                "COPY licensing_binding (licence_id, device_id, applied_quantity, lease_until, "
                "file_serial, bound_at, end_reason, installation_key, request_nonce) FROM STDIN"
            ) as copy:
                for n, row in enumerate(rows, start=1):
                    copy.write_row((base + n, dbase + n, row[3], lease_until, 1, now, "", "", ""))
        for table in ("licensing_licence", "licensing_device"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT greatest(max(id), 1) FROM {table}))"
            )
        conn.commit()
        conn.execute("ANALYZE")


def _activation_id() -> str:
    return codes.with_check("".join(codes.ALPHABET[b & 31] for b in secrets.token_bytes(19)))


def seed(
    *, dsn: str, staff_email: str, customers: int, vouchers_each: int, fleet: int, due: int
) -> World:
    staff = Actor.for_user(User.objects.get(email=staff_email))
    sku = Sku.objects.select_related("product").get(code=SKU)
    world = World([], [], [], {})
    admins: list[tuple[Company, User]] = []
    for n in range(customers):
        company = company_create(actor=None, name=f"Customer {n:02d}")
        admin = user_create(
            actor=None,
            company=company,
            email=f"admin{n:02d}@customer{n:02d}.example",
            name=f"Admin {n:02d}",
            password=secrets.token_urlsafe(16),
            role=User.Role.ADMIN,
        )
        actor = Actor.for_user(admin)
        _, token = api_token_create(
            actor=actor, name="cluster run", scopes=scopes.everything_for(staff=False)
        )
        po = po_record(
            actor=staff,
            po_number=f"CLUSTER-{n:03d}",
            po_email=f"orders@customer{n:02d}.example",
            channel="direct",
            purchasing_entity=company,
            owner=company,
            lines=[LineInput(sku, BIG_VOUCHER)] + [LineInput(sku, 10)] * vouchers_each,
        )
        po = po_fulfil(actor=staff, public_id=po.public_id)
        vouchers = list(Voucher.objects.filter(line__po=po).order_by("line__number"))
        voucher_redeem(actor=actor, code=vouchers[0].code, idempotency_key="seed")
        world.codes += [v.code for v in vouchers[1:]]
        licences = {}
        for k in range(3):
            record = licence_create(
                actor=actor, sku=sku, quantity=1, terms=1, idempotency_key=f"seed-{k}"
            )
            licences[record.licence.activation_id] = 1
        world.customers.append(Customer(company.pk, token, licences))
        admins.append((company, admin))
    today = timezone.localdate()
    fleet_owner = company_create(actor=None, name="Fleet Owner")
    fleet_rows = [
        (_activation_id(), sku.product_id, sku.pk, 5, today - timedelta(days=100),
         today + timedelta(days=400), fleet_owner.pk)
        for _ in range(fleet)
    ]  # fmt: skip
    _copy_licences(dsn, fleet_rows, devices=True)
    world.validation_pairs = [(row[0], f"HOST-{row[0][:8]}") for row in fleet_rows[:5000]]
    due_rows = []
    for n in range(due):
        company, admin = admins[n % len(admins)]
        row = (_activation_id(), sku.product_id, sku.pk, 1, today - timedelta(days=335),
               today + timedelta(days=30), company.pk)  # fmt: skip
        due_rows.append(row)
        world.due[row[0]] = admin.email
    _copy_licences(dsn, due_rows, devices=False)
    return world


# --- The checks. ---


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Mails:
    by_message_id: Counter = field(default_factory=Counter)
    by_subject_to: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))


def read_mails(directory: Path) -> Mails:
    """The messages the file e-mail backend wrote (each followed by a line of 79 dashes)."""
    mails = Mails()
    separator = b"\n" + b"-" * 79 + b"\n"
    for path in sorted(directory.glob("*.log")) if directory.exists() else []:
        for chunk in path.read_bytes().split(separator):
            if not chunk.strip():
                continue
            message = message_from_bytes(chunk, policy=policy.default)
            message_id = str(message["Message-ID"])
            mails.by_message_id[message_id] += 1
            mails.by_subject_to[(str(message["Subject"]), str(message["To"]))].add(message_id)
    return mails


def _in_ledger_once(ack) -> bool:
    """The acknowledged consumption is completed, and debited once, never returned."""
    record = ConsumptionRecord.objects.filter(public_id=ack.answer["id"]).first()
    if record is None:
        return False
    debits = LedgerEntry.objects.filter(idempotency_key=f"consumption:{record.public_id}")
    returned = LedgerEntry.objects.filter(idempotency_key=f"return:{record.public_id}").exists()
    return (
        record.company_id == ack.company
        and record.idempotency_key == ack.key
        and record.status == ConsumptionRecord.Status.COMPLETED
        and [entry.amount for entry in debits] == [-record.credits]
        and not returned
    )


def check_consumptions(acks: list, gave_up: list) -> list[Check]:
    consuming = [a for a in acks if a.kind != "redeem"]
    wrong = [ack.key for ack in consuming if not _in_ledger_once(ack)]
    keys = {(a.company, a.key) for a in consuming}
    committed = ConsumptionRecord.objects.exclude(idempotency_key__startswith="seed-")
    unacknowledged = [r for r in committed if (r.company_id, r.idempotency_key) not in keys]
    pending = ConsumptionRecord.objects.filter(status=ConsumptionRecord.Status.PENDING).count()
    return [
        Check(
            "every acknowledged consumption is in the ledger exactly once",
            not wrong and pending == 0,
            f"{len(consuming):,} acknowledged, {len(wrong)} wrong, {pending} pending; "
            f"{len(unacknowledged)} committed but never acknowledged "
            f"({len(gave_up)} requests given up)",
        )
    ]


def check_ledgers() -> list[Check]:
    """Each locker: its entries add up to its stored balance, which is what was redeemed into
    it less what completed consumptions took, and never below zero."""
    wrong = []
    lockers = Locker.objects.select_related("sku")
    for locker in lockers:
        ledger = locker.entries.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        redeemed = Voucher.objects.filter(
            redeemed_by_company=locker.company_id, sku=locker.sku, status=Voucher.Status.REDEEMED
        ).aggregate(total=Sum("credits"))["total"] or Decimal(0)
        consumed = ConsumptionRecord.objects.filter(
            company=locker.company_id, sku=locker.sku, status=ConsumptionRecord.Status.COMPLETED
        ).aggregate(total=Sum("credits"))["total"] or Decimal(0)
        stored = Decimal(locker.balance_cents) / 100
        if not (ledger == stored == redeemed - consumed >= 0):
            wrong.append(
                f"{locker}: ledger {ledger}, stored {stored}, redeemed {redeemed}, "
                f"consumed {consumed}"
            )
    return [
        Check(
            "every ledger sums to its balance (= redeemed − consumed, never negative)",
            not wrong,
            f"{lockers.count()} lockers" + (f"; {wrong[:3]}" if wrong else ""),
        )
    ]


def check_vouchers(acks: list, codes: list[str]) -> list[Check]:
    acked: dict[str, set[int]] = defaultdict(set)
    for ack in acks:
        if ack.kind == "redeem":
            acked[ack.answer["code"]].add(ack.company)
    twice = [code for code, companies in acked.items() if len(companies) > 1]
    wrong = []
    for voucher in Voucher.objects.filter(code__in=codes):
        entries = list(
            LedgerEntry.objects.filter(voucher=voucher, kind=LedgerEntry.Kind.REDEMPTION)
        )
        winners = acked.get(voucher.code, set())
        if voucher.status == Voucher.Status.REDEEMED:
            if len(entries) != 1 or (winners and winners != {voucher.redeemed_by_company_id}):
                wrong.append(voucher.code)
        elif entries or winners:
            wrong.append(voucher.code)
    redeemed = Voucher.objects.filter(code__in=codes, status=Voucher.Status.REDEEMED).count()
    return [
        Check(
            "no voucher is redeemed twice",
            not twice and not wrong,
            f"{len(codes)} codes raced by two companies, {redeemed} redeemed, "
            f"{len(twice)} acknowledged to both, {len(wrong)} inconsistent",
        )
    ]


def check_reminders(due: dict[str, str], mails: Mails) -> list[Check]:
    reminders = Counter(
        Reminder.objects.filter(licence__activation_id__in=due).values_list(
            "licence__activation_id", flat=True
        )
    )
    mailed = set(
        Reminder.objects.filter(
            licence__activation_id__in=due, status=Reminder.Status.MAILED
        ).values_list("licence__activation_id", flat=True)
    )
    delivered: dict[str, set[str]] = defaultdict(set)
    for (subject, to), ids in mails.by_subject_to.items():
        for activation_id in due.keys() & set(subject.split()):
            if to == due[activation_id]:
                delivered[activation_id] |= ids
    wrong = [
        a for a in due if reminders[a] != 1 or a not in mailed or len(delivered.get(a, ())) != 1
    ]
    other = Reminder.objects.exclude(licence__activation_id__in=due).count()
    return [
        Check(
            "every due reminder was sent exactly once",
            not wrong and other == 0,
            f"{len(due):,} due, {len(mailed):,} mailed, {len(wrong)} wrong, {other} not due",
        )
    ]


def check_tasks(mails: Mails, worker_kills: int) -> list[Check]:
    left = (
        DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
        .exclude(run_after__gt=timezone.now(), run_after__lt=get_date_max())  # booked for later
        .count()
    )
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count()
    queued = [
        task.args_kwargs["kwargs"].get("message_id")
        for task in DBTaskResult.objects.filter(task_path="entitle.core.tasks.send_email")
    ]
    lost = [m for m in queued if mails.by_message_id[m] == 0]
    resent = sum(mails.by_message_id[m] - 1 for m in queued if mails.by_message_id[m] > 1)
    requeued = sum(
        len(ids) > 1 for ids in DBTaskResult.objects.values_list("worker_ids", flat=True)
    )
    return [
        Check(
            "no task is lost: every queued mail delivered",
            not lost and not left and not failed,
            f"{len(queued):,} mails queued, {len(lost)} lost, {left} tasks left, {failed} failed; "
            f"{requeued} task(s) put back after their worker died",
        ),
        Check(
            "each mail delivered once (a worker killed mid-send may send one again)",
            resent <= worker_kills,
            f"{resent} sent twice (same Message-ID), at most {worker_kills} allowed: "
            "one per killed worker",
        ),
    ]
