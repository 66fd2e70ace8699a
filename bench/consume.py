"""Benchmark: the paths that spend credits — licence creation, renewal, increase and voucher
redemption — through `entitle serve` on PostgreSQL, against a raw baseline.

    .venv/bin/python bench/consume.py [--clients 32] [--seconds 10] [--kinds create,renew,...]

Creates a fresh PostgreSQL database (`entitle_bench_consume`, or BENCH_DB) and loads it through
the real services: the vendor records and fulfils a direct PO per company, each company
redeems its vouchers into its Digital Locker, and creates the licences that the renewal and
increase runs then change. Two groups of clients: "distinct" (each client an API token of a
company of its own: N lockers) and "shared" (N users of one company: one locker, every
request queued on its row lock).

Then, for each kind and group, wrk drives N clients (one thread and one connection each, one
request at a time, bench/consume.lua) for `--seconds` against bench/raw_consume.py — a bare
WSGI callable doing the same transaction by hand with psycopg — and against `entitle serve`,
both under granian with the same settings, one after the other. It prints requests/s,
p50/p99 and the ratio, and checks the database afterwards, independently of the code under
test: every acknowledged request is recorded exactly once, no more were carried out than were
sent, every ledger sums to what its vouchers brought in minus what was consumed, no voucher
funds more than its credits, every renewal and increase applied exactly once, in order, and
every Entitlements list row shows its licence as it is.
Exits non-zero if a check fails.

Needs PostgreSQL and Redis on localhost and Debian's wrk (apt-get install wrk).
Environment: BENCH_PG (server URL), BENCH_DB, BENCH_REDIS, BENCH_PORT (two ports from it).
"""

import argparse
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "entitle_bench_consume")
DSN = f"{PG}/{DB}"
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/2")
PORT = int(os.environ.get("BENCH_PORT", "8110"))
SKU = "PCNS-1Y"
KINDS = ("create", "renew", "increase", "redeem")
GROUPS = ("distinct", "shared")
SERVERS = ("raw", "entitle")
LICENCES_PER_CLIENT = 4  # per server, for each of renew and increase
WORK = ROOT / ".entitle" / "bench-consume"


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DSN,
        "CACHE_URL": REDIS,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "bench-consume-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ENTITLE_DATA_DIR": str(WORK / "data"),
        "ENTITLE_REDEEM_RATE_USER": "1000000000",
        "ENTITLE_REDEEM_RATE_COMPANY": "1000000000",
        "LOG_LEVEL": "WARNING",
        "BENCH_DSN": DSN,
        "BENCH_REDIS": REDIS,
        "PYTHONPATH": str(ROOT),
    }


# --- The data, loaded through the real services. ---


@dataclass
class Client:
    group: str
    n: int
    company_id: int
    token: str
    # Per server: the licences this client renews / increases, and its voucher codes.
    renew: dict[str, list[str]] = field(default_factory=dict)
    increase: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)


def recreate_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    subprocess.run([sys.executable, "-m", "entitle.cli", "migrate", "-v0"], env=env(), check=True)


def load(clients: int, vouchers: int, credits: int) -> list[Client]:
    """Companies, users, tokens, credits, licences and voucher codes, made by the services."""
    os.environ.update(env())
    import django

    django.setup()
    from rich.progress import Progress

    from entitle.accounts import scopes
    from entitle.accounts.models import User
    from entitle.accounts.services import api_token_create, company_create, user_create
    from entitle.core.actor import Actor
    from entitle.demo import load_catalog
    from entitle.licensing.services.licences import licence_create
    from entitle.locker.services import voucher_redeem
    from entitle.orders.services import LineInput, po_fulfil, po_record

    sku = load_catalog()[SKU]
    vendor = company_create(actor=None, name="Bench Vendor", is_vendor=True)
    # Benchmark users never log in: no password (hashing one costs a second each).
    staff = Actor.for_user(
        user_create(
            actor=None,
            company=vendor,
            email="staff@bench.example",
            name="Bench Staff",
            password=None,
            role=User.Role.ADMIN,
            is_staff=True,
        )
    )
    po_serial = iter(range(1, 1_000_000))

    def buy(company, lines: list[int]) -> list[str]:
        """A direct PO of `company`, fulfilled: the codes of its vouchers, one per line."""
        codes = []
        for start in range(0, len(lines), 500):
            po = po_record(
                actor=staff,
                po_number=f"BENCH-{next(po_serial)}",
                po_email="orders@bench.example",
                channel="direct",
                purchasing_entity=company,
                owner=company,
                lines=[LineInput(sku, q) for q in lines[start : start + 500]],
            )
            po = po_fulfil(actor=staff, public_id=po.public_id)
            codes += [line.voucher.code for line in po.lines.select_related("voucher")]
        return codes

    def person(company, n: int):
        user = user_create(
            actor=None,
            company=company,
            email=f"client{n}@{company.pk}.bench.example",
            name=f"Client {n}",
            password=None,
            role=User.Role.ADMIN,
        )
        return Actor.for_user(user)

    result = []
    with Progress() as progress:
        task = progress.add_task("Loading through the services", total=2 * clients)
        shared = company_create(actor=None, name="Bench Shared")
        shared_people = [person(shared, n) for n in range(clients)]
        for group in GROUPS:
            for n in range(clients):
                if group == "shared":
                    company, actor = shared, shared_people[n]
                else:
                    company = company_create(actor=None, name=f"Bench {n}")
                    actor = person(company, n)
                if group == "distinct" or n == 0:
                    total = credits * (clients if group == "shared" else 1)
                    (code,) = buy(company, [total])
                    voucher_redeem(actor=actor, code=code, idempotency_key="bench-credits")
                _, secret = api_token_create(
                    actor=actor, name="bench", scopes=scopes.everything_for(staff=False)
                )
                client = Client(group, n, company.pk, secret)
                codes = buy(company, [1] * (vouchers * len(SERVERS)))
                for s, server in enumerate(SERVERS):
                    client.codes[server] = codes[s * vouchers : (s + 1) * vouchers]
                    for kind in ("renew", "increase"):
                        getattr(client, kind)[server] = [
                            licence_create(
                                actor=actor,
                                sku=sku,
                                quantity=1,
                                terms=1,
                                idempotency_key=f"bench-{kind}-{server}-{n}-{i}",
                            ).licence.activation_id
                            for i in range(LICENCES_PER_CLIENT)
                        ]
                result.append(client)
                progress.advance(task)
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return result


# --- Serving and driving. ---


def granian_options(workers: int, threads: int, port: int) -> list[str]:
    return [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--backpressure",
        "128",
    ]


def start(command: list[str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        command, env=env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"the server on port {port} did not start")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its descendants (the granian workers), from /proc."""
    parents, times = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        p = int(stat.parent.name)
        parents[p] = int(fields[1])
        times[p] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += times.get(p, 0.0)
        todo += [c for c, parent in parents.items() if parent == p]
    return total


def machine_busy() -> tuple[float, float]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields), idle


@dataclass
class Run:
    label: str
    server: str
    kind: str
    group: str
    requests: int
    seconds: float
    p50: float
    p99: float
    non_2xx: int
    socket_errors: int
    wrk_cpu: float
    server_cpu: float
    busy: float
    acks: dict[int, list[str]]
    statuses: Counter
    exhausted: bool

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def write_clients(directory: Path, clients: list[Client], kind: str, server: str) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for i, client in enumerate(clients):
        if kind == "create":
            items = []
        elif kind == "redeem":
            items = client.codes[server]
        else:
            # Each licence starts at quantity 1 and is changed by this run only.
            items = [f"{aid} 1" for aid in getattr(client, kind)[server]]
        (directory / f"client-{i}.txt").write_text("\n".join([client.token, SKU, *items]) + "\n")


def drive(
    port: int,
    server_pid: int,
    clients: list[Client],
    kind: str,
    server: str,
    seconds: float,
    label: str = "",
) -> Run:
    label = label or f"{server}-{kind}-{clients[0].group}"
    directory = WORK / label
    write_clients(directory, clients, kind, server)
    n = len(clients)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = tree_cpu_seconds(server_pid)
    total_before, idle_before = machine_busy()
    out = subprocess.run(
        [
            "wrk",
            f"-t{n}",
            f"-c{n}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "consume.lua"),
            f"http://127.0.0.1:{port}",
            "--",
            str(directory),
            kind,
            label,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = tree_cpu_seconds(server_pid) - server_before
    total_after, idle_after = machine_busy()
    requests, duration, p50, p99, status_errors, socket_errors = map(
        int, re.search(r"^RESULT (.*)$", out, re.M).group(1).split()
    )
    acks: dict[int, list[str]] = {}
    statuses: Counter = Counter()
    exhausted = False
    for i, client in enumerate(clients):
        lines = (directory / f"ack-{i}.txt").read_text().splitlines()
        acks[i] = [line.split(" ", 1)[1] for line in lines if line.startswith("2")]
        statuses.update(line if not line.startswith("2") else line[:3] for line in lines)
        if kind == "redeem" and len(lines) >= len(client.codes[server]):
            exhausted = True
    wrk_cpu = (after_children.ru_utime + after_children.ru_stime) - (
        before_children.ru_utime + before_children.ru_stime
    )
    total, idle = total_after - total_before, idle_after - idle_before
    return Run(
        label,
        server,
        kind,
        group=clients[0].group,
        requests=requests,
        seconds=duration / 1e6,
        p50=p50 / 1000,
        p99=p99 / 1000,
        non_2xx=status_errors,
        socket_errors=socket_errors,
        wrk_cpu=wrk_cpu,
        server_cpu=server_cpu,
        busy=1 - idle / total if total else 0.0,
        acks=acks,
        statuses=statuses,
        exhausted=exhausted,
    )


# --- Checks: read the database directly, independently of the code under test. ---


def check_run(conn: psycopg.Connection, run: Run, clients: list[Client]) -> list[str]:
    """Every acknowledged request is recorded once; no more were carried out than were sent."""
    problems = []
    acked = [ack for acks in run.acks.values() for ack in acks]
    if len(set(acked)) != len(acked):
        problems.append(f"{run.label}: the same answer was given to two requests")
    if run.kind == "redeem":
        codes = [code for c in clients for code in c.codes[run.server]]
        (redeemed,) = conn.execute(
            "SELECT count(*) FROM locker_voucher WHERE status = 'redeemed' AND code = ANY(%s)",
            [acked],
        ).fetchone()
        (carried_out,) = conn.execute(
            "SELECT count(*) FROM locker_voucher WHERE status = 'redeemed' AND code = ANY(%s)",
            [codes],
        ).fetchone()
        wrong_company = conn.execute(
            "SELECT count(*) FROM locker_voucher WHERE code = ANY(%s) "
            "AND redeemed_by_company_id <> ALL(%s)",
            [acked, [c.company_id for c in clients]],
        ).fetchone()[0]
        if wrong_company:
            problems.append(f"{run.label}: {wrong_company} vouchers went to another company")
    else:
        (redeemed,) = conn.execute(
            "SELECT count(*) FROM licensing_consumptionrecord "
            "WHERE status = 'completed' AND public_id = ANY(%s::uuid[])",
            [acked],
        ).fetchone()
        (carried_out,) = conn.execute(
            "SELECT count(*) FROM licensing_consumptionrecord WHERE idempotency_key LIKE %s",
            [f"{run.label}-%"],
        ).fetchone()
    if redeemed != len(acked):
        problems.append(f"{run.label}: {len(acked)} acknowledged, {redeemed} recorded")
    # Requests still in flight when wrk stopped may have been carried out unacknowledged:
    # at most one per client.
    if not len(acked) <= carried_out <= len(acked) + len(clients):
        problems.append(f"{run.label}: {len(acked)} acknowledged but {carried_out} carried out")
    return problems


CHECKS = {
    "a locker's stored balance is not the sum of its entries, or its intake not the sum of "
    "what was redeemed into it": """
        SELECT count(*) FROM locker_locker l
        WHERE l.balance_cents <> 100 * (SELECT coalesce(sum(amount), 0) FROM locker_ledgerentry e
                                        WHERE e.locker_id = l.id)
           OR l.intake_cents <> 100 * (SELECT coalesce(sum(amount), 0) FROM locker_ledgerentry e
                                       WHERE e.locker_id = l.id AND e.kind = 'redemption')
    """,
    "two redeemed vouchers of a locker share credits' places (its intake is not laid end to "
    "end)": """
        SELECT count(*) FROM (
            SELECT locker_offset_cents, credits, lead(locker_offset_cents) OVER (
                PARTITION BY redeemed_by_company_id, sku_id ORDER BY locker_offset_cents) AS next
            FROM locker_voucher WHERE status = 'redeemed') v
        WHERE v.next IS NOT NULL AND v.next <> v.locker_offset_cents + v.credits * 100
    """,
    "a locker's balance is negative or is not what its vouchers brought in minus what "
    "completed consumptions took": """
        WITH lockers AS (
            SELECT l.id, l.company_id, l.sku_id,
                   (SELECT coalesce(sum(amount), 0) FROM locker_ledgerentry e
                    WHERE e.locker_id = l.id) AS balance
            FROM locker_locker l
        ), redeemed AS (
            SELECT redeemed_by_company_id AS company_id, sku_id, sum(credits) AS credits
            FROM locker_voucher WHERE status = 'redeemed' GROUP BY 1, 2
        ), consumed AS (
            SELECT company_id, sku_id, sum(credits) AS credits
            FROM licensing_consumptionrecord WHERE status = 'completed' GROUP BY 1, 2
        )
        SELECT count(*) FROM lockers l
        LEFT JOIN redeemed r USING (company_id, sku_id)
        LEFT JOIN consumed c USING (company_id, sku_id)
        WHERE l.balance < 0
           OR l.balance <> coalesce(r.credits, 0) - coalesce(c.credits, 0)
    """,
    "a redeemed voucher has not exactly one redemption entry of its credits, or an "
    "unredeemed one has one": """
        SELECT count(*) FROM locker_voucher v
        WHERE (SELECT count(*) FROM locker_ledgerentry e
               WHERE e.voucher_id = v.id AND e.kind = 'redemption' AND e.amount = v.credits)
              <> (v.status = 'redeemed')::int
    """,
    "a consumption has not exactly one debit of its credits (and one return if it failed)": """
        WITH entries AS (
            SELECT idempotency_key AS key, count(*) AS n, sum(amount) AS amount
            FROM locker_ledgerentry WHERE kind IN ('consumption', 'return') GROUP BY 1
        )
        SELECT count(*) FROM licensing_consumptionrecord c
        LEFT JOIN entries d ON d.key = 'consumption:' || c.public_id
        LEFT JOIN entries r ON r.key = 'return:' || c.public_id
        WHERE c.credits > 0 AND (
            d.n IS DISTINCT FROM 1 OR d.amount <> -c.credits
            OR (c.status = 'failed') <> (r.n IS NOT DISTINCT FROM 1 AND r.amount = c.credits)
        )
    """,
    "a ledger entry of a consumption has no consumption record": """
        SELECT count(*) FROM locker_ledgerentry e
        WHERE e.kind = 'consumption' AND NOT EXISTS (
            SELECT 1 FROM licensing_consumptionrecord c
            WHERE e.idempotency_key = 'consumption:' || c.public_id)
    """,
    "a completed consumption is not funded by vouchers for exactly its credits": """
        SELECT count(*) FROM licensing_consumptionrecord c
        WHERE c.status = 'completed' AND c.credits <> (
            SELECT coalesce(sum(f.credits), 0) FROM licensing_funding f
            WHERE f.consumption_id = c.id)
    """,
    "a voucher funds more than its credits (credits spent twice)": """
        SELECT count(*) FROM locker_voucher v
        WHERE v.credits < (
            SELECT coalesce(sum(f.credits), 0) FROM licensing_funding f
            JOIN licensing_consumptionrecord c ON c.id = f.consumption_id
            WHERE f.voucher_id = v.id AND c.status <> 'failed')
    """,
    "a licence's end date is not its first end plus one term per completed renewal": """
        SELECT count(*) FROM licensing_licence l
        JOIN catalog_sku s ON s.id = l.sku_id
        JOIN licensing_consumptionrecord c ON c.licence_id = l.id AND c.kind = 'create'
        WHERE l.end_date <> (c.details->>'end')::date + (s.term_days * (
            SELECT count(*) FROM licensing_consumptionrecord r
            WHERE r.licence_id = l.id AND r.kind = 'renew' AND r.status = 'completed'))::int
    """,
    "a licence's quantity is not its first quantity plus its completed increases, or two "
    "increases started from the same quantity (a lost update)": """
        SELECT count(*) FROM licensing_licence l
        JOIN licensing_consumptionrecord c ON c.licence_id = l.id AND c.kind = 'create'
        JOIN LATERAL (
            SELECT coalesce(sum((i.details->>'to')::int - (i.details->>'from')::int), 0) AS up,
                   count(*) AS n, count(DISTINCT i.details->>'from') AS starts
            FROM licensing_consumptionrecord i
            WHERE i.licence_id = l.id AND i.kind = 'increase' AND i.status = 'completed'
        ) i ON true
        WHERE l.quantity <> (c.details->>'quantity')::int + i.up OR i.n <> i.starts
    """,
    "an Entitlements list row does not show its licence as it is, or a funding entitlement "
    "has no row for the licence": """
        SELECT (SELECT count(*) FROM orders_entitlementlistrow r
                JOIN licensing_licence l ON l.id = r.licence_id
                WHERE (r.quantity, r.start_date, r.end_date) <>
                      (l.quantity, l.start_date, l.end_date))
             + (SELECT count(*) FROM (
                    SELECT DISTINCT c.licence_id, v.entitlement_id
                    FROM licensing_funding f
                    JOIN licensing_consumptionrecord c ON c.id = f.consumption_id
                    JOIN locker_voucher v ON v.id = f.voucher_id
                    WHERE c.status = 'completed') funded
                WHERE NOT EXISTS (
                    SELECT 1 FROM orders_entitlementlistrow r
                    WHERE r.entitlement_id = funded.entitlement_id
                      AND r.licence_id = funded.licence_id))
    """,
    "a consumption or redemption has no idempotency record": """
        SELECT (SELECT count(*) FROM licensing_consumptionrecord c
                WHERE NOT EXISTS (SELECT 1 FROM core_idempotencyrecord i
                                  WHERE i.company_id = c.company_id
                                    AND i.key = c.idempotency_key))
    """,
    "the audit trail misses events (or has extra ones) for consumptions, licence changes or "
    "redemptions": """
        SELECT count(*) FROM (VALUES
            ('consumption.completed',
             (SELECT count(*) FROM licensing_consumptionrecord WHERE status = 'completed')),
            ('licence.created', (SELECT count(*) FROM licensing_licence)),
            ('licence.renewed', (SELECT count(*) FROM licensing_consumptionrecord
                                 WHERE kind = 'renew' AND status = 'completed')),
            ('licence.increased', (SELECT count(*) FROM licensing_consumptionrecord
                                   WHERE kind = 'increase' AND status = 'completed')),
            ('voucher.redeemed', (SELECT count(*) FROM locker_voucher
                                  WHERE status = 'redeemed')),
            ('ledger.consumption', (SELECT count(*) FROM locker_ledgerentry
                                    WHERE kind = 'consumption')),
            ('ledger.redemption', (SELECT count(*) FROM locker_ledgerentry
                                   WHERE kind = 'redemption'))
        ) AS expected (action, n)
        WHERE n <> (SELECT count(*) FROM core_auditevent a WHERE a.action = expected.action)
    """,
}


def check_all(conn: psycopg.Connection) -> list[str]:
    return [what for what, sql in CHECKS.items() if conn.execute(sql).fetchone()[0]]


# --- The run. ---


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (32)")
    parser.add_argument("--seconds", type=int, default=10, help="length of each run (10)")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--groups", default=",".join(GROUPS))
    parser.add_argument("--workers", type=int, default=2, help="granian workers (2)")
    parser.add_argument("--threads", type=int, default=2, help="blocking threads per worker (2)")
    parser.add_argument(
        "--vouchers", type=int, default=300, help="voucher codes per client and server (300)"
    )
    parser.add_argument("--credits", type=int, default=100_000, help="credits per client")
    args = parser.parse_args()
    kinds, groups = args.kinds.split(","), args.groups.split(",")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    started = time.monotonic()
    recreate_database()
    clients = load(args.clients, args.vouchers, args.credits)
    by_group = {g: [c for c in clients if c.group == g] for g in GROUPS}
    print(f"loaded in {time.monotonic() - started:.0f} s")
    ports = {"raw": PORT, "entitle": PORT + 1}
    options = {s: granian_options(args.workers, args.threads, ports[s]) for s in SERVERS}
    commands = {
        "raw": [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            *options["raw"],
            "bench.raw_consume:application",
        ],
        "entitle": [sys.executable, "-m", "entitle.cli", "serve", *options["entitle"]],
    }
    servers = {}
    runs: list[Run] = []
    problems: list[str] = []
    try:
        for server in SERVERS:
            servers[server] = start(commands[server], ports[server])
        with psycopg.connect(DSN, autocommit=True) as conn:
            for server in SERVERS:
                # Warm up: connections, imports, plans.
                warm = drive(
                    ports[server],
                    servers[server].pid,
                    by_group["distinct"],
                    "create",
                    server,
                    3,
                    label=f"warm-{server}",
                )
                problems += check_run(conn, warm, by_group["distinct"])
            for kind in kinds:
                for group in groups:
                    for server in SERVERS:
                        run = drive(
                            ports[server],
                            servers[server].pid,
                            by_group[group],
                            kind,
                            server,
                            args.seconds,
                        )
                        runs.append(run)
                        problems += check_run(conn, run, by_group[group])
                        print(f"  {run.label:<26}{run.rate:>8.0f} /s", flush=True)
            problems += check_all(conn)
    finally:
        for process in servers.values():
            process.terminate()
        for process in servers.values():
            process.wait(timeout=30)
    report(args, runs, problems)
    if problems:
        sys.exit(1)


def report(args: argparse.Namespace, runs: list[Run], problems: list[str]) -> None:
    print(
        f"\nconsume: {args.clients} clients (wrk, one thread and one connection each), "
        f"{args.seconds} s per run; granian {args.workers} workers × {args.threads} threads"
    )
    print(
        f"{'':<28}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}"
        f"{'server ms':>11}{'wrk cpu':>9}{'busy':>7}"
    )
    ratios = {}
    for run in runs:
        per_request = 1000 * run.server_cpu / run.requests if run.requests else 0.0
        print(
            f"{run.label:<28}{run.rate:>8.0f}{run.p50:>9.1f}{run.p99:>9.1f}"
            f"{run.non_2xx + run.socket_errors:>9}{per_request:>11.2f}"
            f"{run.wrk_cpu / run.seconds:>8.0%}{run.busy:>7.0%}"
        )
        for status, count in run.statuses.items():
            if not status.startswith("2"):
                print(f"    {count} × {status}")
        if run.exhausted:
            print(
                "    (some clients used all their voucher codes: the rate is a lower bound;"
                " raise --vouchers)"
            )
        if run.server == "entitle":
            raw = next(
                r for r in runs if (r.kind, r.group, r.server) == (run.kind, run.group, "raw")
            )
            ratios[f"{run.kind} {run.group}"] = run.rate / raw.rate if raw.rate else 0.0
    print("\nentitle / raw: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))
    print(
        "server ms = CPU time of the server's processes per request; wrk cpu = the load "
        "generator's CPU (share of one core); busy = the whole machine's CPU use."
    )
    if problems:
        print("\nCHECKS FAILED:")
        for problem in problems:
            print(f"  - {problem}")
    else:
        print(
            "\nchecks passed: every acknowledged request recorded once, none carried out twice,"
            " every ledger = its vouchers − its consumptions ≥ 0, no voucher overspent, every"
            " renewal and increase applied once and in order, every Entitlements list row"
            " showing its licence, the audit trail complete."
        )


if __name__ == "__main__":
    main()
