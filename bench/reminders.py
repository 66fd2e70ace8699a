"""Benchmark: the renewal reminder sweep over 1,000,000 licences on PostgreSQL.

    .venv/bin/python bench/reminders.py [--licences 1000000]

Sets up a PostgreSQL database `entitle_bench_reminders` with N licences of the three demo
products, their end dates spread from 400 days ago to 1,500 days ahead of a fixed day and 1 in
101 suspended (bulk-loaded with COPY: benchmark data, not a path users take). Then, each in a
fresh process so that its peak memory is its own, it runs the sweep as the scheduler would:

  1. the first sweep ever (every licence whose current step has come due: the day the
     feature is switched on), 2. the same day again (claims nothing), 3. the next day,
  4. two sweeps at once on a fresh table (two workers), and 5. the worker mailing a sample.

Each sweep's count is checked against the number due, computed here independently of the
SQL from the same seed, and the bench fails if they differ. Needs PostgreSQL on localhost.
"""

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_REMINDERS_DB", "entitle_bench_reminders")
DSN = f"{PG}/{DB}"
# The day the sweeps run "on": fixed, so that a re-run on another day finds the same data due.
DAY = date(2026, 1, 15)
PRODUCTS = ["dce", "secure-nmc", "pcns"]
SPAN, BEFORE = 1900, 400
SUSPENDED_EVERY = 101
TARGET_SECONDS = 60


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DSN,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "ENTITLE_DATA_DIR": str(ROOT / ".entitle" / "bench-reminders"),
    }


def setup_django() -> None:
    os.environ.update(env())
    import django

    django.setup()


def licence_row(i: int) -> tuple[str, int, bool]:
    """Licence i: its product, its end date's offset from DAY, and whether it is suspended."""
    return PRODUCTS[i % 3], (i * 7919) % SPAN - BEFORE, i % SUSPENDED_EVERY == 0


# --- Seeding. ---


def ensure_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone():
            conn.execute(f"CREATE DATABASE {DB}")
    subprocess.run([sys.executable, "-m", "entitle.cli", "migrate", "-v0"], env=env(), check=True)


def seed(count: int) -> None:
    setup_django()
    from entitle.accounts.models import Company, User
    from entitle.accounts.services import company_create, user_create
    from entitle.core import codes
    from entitle.demo import load_catalog

    with psycopg.connect(DSN) as conn:
        have = conn.execute("SELECT count(*) FROM licensing_licence").fetchone()[0]
    if have == count:
        print(f"{have:,} licences already loaded")
        return
    if have:
        raise SystemExit(f"{DB} holds {have:,} licences, not {count:,}: drop it first")
    skus = load_catalog()
    sku_of = {code: skus[f"{code.upper()}-1Y"] for code in PRODUCTS}
    owner = Company.objects.filter(name="Bench Owner").first() or company_create(
        actor=None, name="Bench Owner"
    )
    if not User.objects.filter(email="admin@bench.example").exists():
        user_create(
            actor=None,
            company=owner,
            email="admin@bench.example",
            name="Bench Admin",
            password=secrets.token_urlsafe(16),
            role=User.Role.ADMIN,
        )
    started = time.perf_counter()
    with psycopg.connect(DSN) as conn, conn.cursor() as cur:
        batch = 100_000
        for start in range(0, count, batch):
            with cur.copy(
                "COPY licensing_licence (id, activation_id, product_id, sku_id, quantity, "
                "start_date, end_date, owner_id, suspended_at, suspension_reason, file_serial, "
                "created_at) FROM STDIN"
            ) as copy:
                for i in range(start, min(start + batch, count)):
                    product, offset, suspended = licence_row(i)
                    sku = sku_of[product]
                    end = DAY + timedelta(days=offset)
                    body = "".join(codes.ALPHABET[b & 31] for b in secrets.token_bytes(19))
                    copy.write_row(
                        (
                            i + 1,
                            codes.with_check(body),
                            sku.product_id,
                            sku.pk,
                            1 + i % 50,
                            end - timedelta(days=365),
                            end,
                            owner.pk,
                            "2026-01-01T00:00:00Z" if suspended else None,
                            "bench" if suspended else "",
                            0,
                            "2025-01-01T00:00:00Z",
                        )
                    )
            conn.commit()
            print(f"  {min(start + batch, count):,} licences", end="\r", flush=True)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('licensing_licence', 'id'), "
            "(SELECT max(id) FROM licensing_licence))"
        )
        conn.commit()
        conn.execute("ANALYZE")
    print(f"Loaded {count:,} licences in {time.perf_counter() - started:.0f} s")


def reset() -> None:
    with psycopg.connect(DSN) as conn:
        conn.execute(
            "TRUNCATE renewals_reminder, renewals_remindersweep, "
            "django_tasks_database_dbtaskresult CASCADE"
        )


# --- What is due, computed from the seed without the SQL. ---


def expected(count: int, days: list[date]) -> list[int]:
    """Reminders the sweeps on `days`, run one after the other, claim: on each day, every
    licence's latest step that has come due (the last step stays due CATCH_UP_DAYS), unless
    claimed already for that end date; suspended licences get none."""
    setup_django()
    from entitle.catalog.models import Product
    from entitle.renewals import schedule

    policy = {p.code: (p.reminder_days, p.grace_days) for p in Product.objects.all()}
    buckets = Counter(licence_row(i)[:2] for i in range(count) if not licence_row(i)[2])
    sent: set[tuple] = set()
    claimed = []
    for day in days:
        n = 0
        for (product, offset), licences in buckets.items():
            reminder_days, grace_days = policy[product]
            steps = schedule.steps(reminder_days=reminder_days, grace_days=grace_days)
            end = DAY + timedelta(days=offset)
            due = [end - timedelta(days=step.offset) for step in steps]
            current = None
            for k, step in enumerate(steps):
                until = (
                    due[k + 1]
                    if k + 1 < len(steps)
                    else due[k] + timedelta(days=schedule.CATCH_UP_DAYS)
                )
                if due[k] <= day < until:
                    current = step.key
            if current and (product, offset, current) not in sent:
                sent.add((product, offset, current))
                n += licences
        claimed.append(n)
    return claimed


# --- One sweep, in a process of its own. ---


def child(on: date, mail_sample: int) -> None:
    setup_django()
    import time_machine

    from entitle.renewals.models import Reminder
    from entitle.renewals.services.reminders import reminders_mail
    from entitle.renewals.tasks import sweep_now

    with time_machine.travel(datetime(on.year, on.month, on.day, 6, tzinfo=UTC), tick=True):
        started = time.perf_counter()
        if mail_sample:
            ids = list(
                Reminder.objects.filter(status="claimed")
                .order_by("pk")
                .values_list("pk", flat=True)[:mail_sample]
            )
            mailed = sum(
                reminders_mail(reminder_ids=ids[k : k + 200]) for k in range(0, len(ids), 200)
            )
            result = {"mailed": mailed}
        else:
            result = {"claimed": sweep_now().reminders}
        result["seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def spawn(on: date, mail_sample: int = 0) -> subprocess.Popen:
    command = [sys.executable, __file__, "--child", on.isoformat()]
    if mail_sample:
        command += ["--mail", str(mail_sample)]
    return subprocess.Popen(command, env=env(), cwd=ROOT, stdout=subprocess.PIPE, text=True)


def collect(process: subprocess.Popen) -> dict:
    out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"the sweep failed ({process.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def rows() -> int:
    with psycopg.connect(DSN) as conn:
        return conn.execute("SELECT count(*) FROM renewals_reminder").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--licences", type=int, default=1_000_000)
    parser.add_argument("--child", type=date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--mail-sample", type=int, default=2000)
    parser.add_argument("--mail", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.mail)
        return
    ensure_database()
    seed(args.licences)
    next_day = DAY + timedelta(days=1)
    first, again, following = expected(args.licences, [DAY, DAY, next_day])

    print(f"\nreminder sweep, {args.licences:,} licences, on {DAY} (PostgreSQL)")
    print(f"{'run':<34}{'claimed':>10}{'due':>10}{'seconds':>10}{'peak RSS MB':>13}")
    failures = []

    def report(name: str, result: dict, due: int) -> None:
        got = result.get("claimed", result.get("mailed"))
        print(
            f"{name:<34}{got:>10,}{due:>10,}{result['seconds']:>10.2f}"
            f"{result['peak_rss_mb']:>13.0f}"
        )
        if got != due:
            failures.append(f"{name}: {got:,} claimed, {due:,} due")

    reset()
    report("1. first sweep ever", collect(spawn(DAY)), first)
    report("2. same day again", collect(spawn(DAY)), again)
    report("3. the next day", collect(spawn(next_day)), following)
    if rows() != first + following:
        failures.append(f"{rows():,} reminder rows, {first + following:,} expected")
    reset()
    together = [spawn(DAY), spawn(DAY)]
    a, b = (collect(p) for p in together)
    report("4a. two sweeps at once: one", a, a["claimed"])
    report("4b. two sweeps at once: other", b, b["claimed"])
    if a["claimed"] + b["claimed"] != first or rows() != first:
        failures.append(f"at once: {a['claimed']:,} + {b['claimed']:,} claimed, {first:,} due")
    print(f"{'   together':<34}{a['claimed'] + b['claimed']:>10,}{first:>10,}")
    sample = min(args.mail_sample, first)
    report(f"5. worker mails {sample:,} reminders", collect(spawn(DAY, sample)), sample)
    print(f"target: the first sweep under {TARGET_SECONDS} s, in bounded memory")
    if failures:
        raise SystemExit("MISMATCH: " + "; ".join(failures))


if __name__ == "__main__":
    main()
