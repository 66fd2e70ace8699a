"""The cluster run: Entitle scaled out on PostgreSQL, an app server killed mid-load, nothing lost.

    .venv/bin/python bench/cluster.py [--seconds 60]     # as root; about three minutes
    .venv/bin/python bench/cluster.py --clean            # what a run killed with SIGKILL left

Needs root (network namespaces), Debian's PostgreSQL 15 binaries, HAProxy and wrk
(apt-get install -y haproxy wrk) and the running Redis (database 12, emptied). In a temporary
directory and on ports 28000-28999 it starts:

  PostgreSQL   a primary (28432) and a streaming replica made by pg_basebackup (28433)
  app servers  three `entitle serve` (one granian worker, two threads each), each in its own
               network namespace (10.28.0.11-13:28000), joined to the host by veth pairs on
               a bridge (10.28.0.1)
  HAProxy      127.0.0.1:28081/28082/28083 balance over 1, 2 and 3 app servers, health-checked
               on /readyz; 10.28.0.1:28379 forwards to Redis for the namespaces
  workers      two `entitle worker`, mailing to files (so that every mail can be counted)

Then: validation alone through 1, 2 and 3 app servers (wrk); consumption alone, one thread per
company (distinct lockers); and the mixed load for --seconds — validation (most of it), voucher
redemptions raced by two companies, licence creations, renewals and increases, each with an
idempotency key and sent again on connection errors — while the reminder sweep mails a few
thousand reminders. Part-way it kills one app server and one worker (caught running a task)
with SIGKILL, and restarts the worker. Then it checks that every acknowledged consumption is in
the ledger exactly once, every ledger sums to its balance, no voucher was redeemed twice, every
due reminder was sent exactly once, and no task was lost; prints the figures; and tears it all
down (processes, namespaces, links, directory), also on Ctrl-C or an error. Exit status 0 when
every check passed.
"""

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster_infra as infra
import cluster_load as load

ROOT = Path(__file__).resolve().parent.parent
PG_PRIMARY, PG_REPLICA, APP_PORT, REDIS_PROXY = 28432, 28433, 28000, 28379
LB = {1: 28081, 2: 28082, 3: 28083}
REDIS_DB = 12
# HAProxy opens at most this many connections per server and backend (three backends share each
# app server); granian counts connections against its backpressure, so that stays above it.
SERVER_MAXCONN, BACKPRESSURE = 32, 256
CUSTOMERS, VOUCHERS_EACH, FLEET, DUE = 12, 10, 20_000, 1_000
SCALING_SECONDS, CONSUME_SECONDS = 8, 10
STAFF_EMAIL = "ops@vendor.example"
ADMIN_PASSWORD = secrets.token_urlsafe(16)
console = Console()


def haproxy_config(root: Path, apps: list[str]) -> str:
    servers = [f"app{n}" for n in range(1, len(apps) + 1)]
    lines = [
        "global",
        "    maxconn 4096",
        f"    stats socket {root}/haproxy.sock mode 600 level admin",
        "defaults",
        "    timeout connect 1s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout check 5s",
        "    retries 3",
        "    option redispatch",
        "listen redis",
        "    mode tcp",
        "    timeout client 1h",
        "    timeout server 1h",
        f"    bind {infra.HOST_IP}:{REDIS_PROXY}",
        "    server redis 127.0.0.1:6379",
        f"backend app{len(apps)}",
        "    mode http",
        "    balance roundrobin",
        "    option httpchk",
        "    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1",
        "    http-check expect status 200",
        # A busy server answers its check late, not never: it stays in unless the check fails
        # three times; a dead one refuses connections, which marks it down at once.
        "    default-server inter 1s fall 3 rise 2 observe layer4 error-limit 3 on-error mark-down",
        *(
            f"    server {s} {a}:{APP_PORT} check maxconn {SERVER_MAXCONN}"
            for s, a in zip(servers, apps, strict=True)
        ),
    ]
    for n in range(1, len(apps)):
        lines += [f"backend app{n}", "    mode http", "    balance roundrobin"]
        lines += [
            f"    server {s} {a}:{APP_PORT} track app{len(apps)}/{s} maxconn {SERVER_MAXCONN}"
            for s, a in zip(servers[:n], apps[:n], strict=True)
        ]
    for n, port in LB.items():
        lines += [f"frontend lb{n}", "    mode http", f"    bind 127.0.0.1:{port}"]
        lines += [f"    default_backend app{n}"]
    return "\n".join(lines) + "\n"


def entitle_env(root: Path, *, in_namespace: bool, secret: str) -> dict[str, str]:
    host = infra.HOST_IP if in_namespace else "127.0.0.1"
    cache = f"{infra.HOST_IP}:{REDIS_PROXY}" if in_namespace else "127.0.0.1:6379"
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://postgres@{host}:{PG_PRIMARY}/entitle",
        "DATABASE_REPLICA_URL": f"postgres://postgres@{host}:{PG_REPLICA}/entitle",
        "CACHE_URL": f"redis://{cache}/{REDIS_DB}",
        "EMAIL_URL": f"filemail:///{root / 'mail'}",  # django-environ: four slashes, absolute
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": "*",
        "ENTITLE_DATA_DIR": str(root / "data"),
        "ENTITLE_PORTAL_URL": "http://127.0.0.1:28083",
        "ENTITLE_PRODUCT_RATE": "1000000000",
        # Behind HAProxy every request comes from its address (see docs/operations.md).
        "ENTITLE_PRODUCT_RATE_ADDRESS": "1000000000",
        "ENTITLE_REDEEM_RATE_USER": "1000000000",
        "ENTITLE_REDEEM_RATE_COMPANY": "1000000000",
        "LOG_LEVEL": "WARNING",
    }


def entitle(*args: str) -> list[str]:
    return [sys.executable, "-m", "entitle.cli", *args]


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 — our own server
            return response.status == 200
    except OSError:
        return False


def task_running_under(dsn: str, worker_id: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return bool(
            conn.execute(
                "SELECT 1 FROM django_tasks_database_dbtaskresult "
                "WHERE status = 'RUNNING' AND worker_ids ->> -1 = %s",
                [worker_id],
            ).fetchone()
        )


def tasks_left(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            # Tasks without a time to run after have the largest date (django-tasks-db); those
            # booked for later (tomorrow's sweep) are not due.
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE status IN ('READY', 'RUNNING') AND (run_after <= now() OR run_after > "
            "now() + interval '1000 years')"
        ).fetchone()[0]


def replica_transactions(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'entitle'"
        ).fetchone()[0]


@dataclass
class Mixed:
    validation: load.WrkResult
    journal: load.Journal
    seconds: float
    failover_validation: tuple[int, int]  # failed, total in the 5 s after the kill
    failover_consuming: tuple[int, int]
    lag: load.LagSamples
    replica_transactions_per_second: float

    @property
    def consumptions(self) -> int:
        return sum(a.kind != "redeem" for a in self.journal.acks)


@dataclass
class Figures:
    scaling: dict[int, load.WrkResult]
    consume_rate: float
    consume_p99_ms: float
    consume_lockers: int
    mixed: Mixed
    load_average: tuple[float, float]  # the machine's, when the load started and ended


class Run:
    def __init__(self, seconds: int, progress: Progress):
        self.seconds, self.progress = seconds, progress
        self.root = Path(tempfile.mkdtemp(prefix="entitle-cluster-"))
        self.root.chmod(0o755)
        for name in ("logs", "mail", "data"):
            (self.root / name).mkdir()
        self.stack = infra.Stack(self.root)
        self.secret = secrets.token_urlsafe(50)
        self.primary_dsn = f"postgres://postgres@127.0.0.1:{PG_PRIMARY}/entitle"
        self.replica_dsn = f"postgres://postgres@127.0.0.1:{PG_REPLICA}/entitle"
        self.apps: list[infra.Process] = []
        self.workers: list[infra.Process] = []
        self.worker_ids: dict[str, str] = {}
        self.worker_kills = 0

    def step(self, description: str):
        return self.progress.add_task(description, total=None)

    def done(self, task, description: str) -> None:
        self.progress.update(task, description=f"[green]✓[/] {description}", total=1, completed=1)

    def env(self, *, in_namespace: bool = False) -> dict[str, str]:
        return entitle_env(self.root, in_namespace=in_namespace, secret=self.secret)

    # --- Building the cluster. ---

    def build(self) -> None:
        task = self.step("Network: a bridge and three namespaces")
        self.addresses = self.stack.network(3)
        self.done(task, f"Network: bridge {infra.HOST_IP}, app servers {', '.join(self.addresses)}")

        task = self.step("PostgreSQL: primary, then a streaming replica (pg_basebackup)")
        self.stack.postgres_primary(PG_PRIMARY)
        with psycopg.connect(
            f"postgres://postgres@127.0.0.1:{PG_PRIMARY}/postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE entitle")
        self.stack.postgres_replica(PG_PRIMARY, PG_REPLICA)
        self.done(task, f"PostgreSQL: primary :{PG_PRIMARY}, streaming replica :{PG_REPLICA}")

        task = self.step("The README's production install: migrate, setup")
        redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()
        env = {**self.env(), "ENTITLE_ADMIN_PASSWORD": ADMIN_PASSWORD}
        subprocess.run(entitle("migrate", "-v0"), env=env, check=True, cwd=ROOT)
        subprocess.run(
            entitle(
                "setup", "--vendor", "Cluster Software", "--email", STAFF_EMAIL,
                "--name", "Olive Ops", "--catalog", str(ROOT / "docs/samples/catalog.json"),
            ),
            env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.done(task, "The README's production install: entitle migrate, entitle setup")

        task = self.step("Seeding customers, vouchers, a fleet and due reminders")
        os.environ.update(self.env())
        import django

        django.setup()
        import cluster_world

        self.checks = cluster_world
        self.world = cluster_world.seed(
            dsn=self.primary_dsn,
            staff_email=STAFF_EMAIL,
            customers=CUSTOMERS,
            vouchers_each=VOUCHERS_EACH,
            fleet=FLEET,
            due=DUE,
        )
        from django.db import connections

        connections.close_all()
        self.script = self.root / "validate.lua"
        load.write_wrk_script(self.script, self.world.validation_pairs)
        self.done(
            task,
            f"Seeded {CUSTOMERS} customers, {len(self.world.codes)} vouchers to race for, "
            f"{FLEET:,} licences to validate, {DUE:,} reminders due",
        )

        task = self.step("HAProxy and three app servers")
        config = self.root / "haproxy.cfg"
        config.write_text(haproxy_config(self.root, self.addresses))
        self.stack.start("haproxy", ["haproxy", "-db", "-f", str(config)])
        for n, address in enumerate(self.addresses, start=1):
            self.apps.append(self.start_app(n, address))
        deadline = time.monotonic() + 60
        while not all(ready(f"http://{a}:{APP_PORT}/readyz") for a in self.addresses):
            if time.monotonic() > deadline:
                raise RuntimeError("the app servers did not become ready")
            time.sleep(0.3)
        time.sleep(2.5)  # HAProxy's health checks see them up (rise 2 × 1 s)
        self.done(task, f"HAProxy :{LB[1]}/:{LB[2]}/:{LB[3]} over 1/2/3 app servers, all ready")

    def start_app(self, n: int, address: str) -> infra.Process:
        return self.stack.start(
            f"app{n}",
            entitle(
                "serve", "--host", address, "--port", str(APP_PORT), "--workers", "1",
                "--blocking-threads", "2", "--backpressure", str(BACKPRESSURE),
            ),
            env=self.env(in_namespace=True),
            netns=f"{infra.PREFIX}-app{n}",
        )  # fmt: skip

    def start_worker(self, name: str) -> infra.Process:
        worker_id = f"{name}-{secrets.token_hex(3)}"
        process = self.stack.start(
            name, entitle("worker", "--worker-id", worker_id, "--interval", "0.2"), env=self.env()
        )
        self.worker_ids[name] = worker_id
        return process

    # --- The load. ---

    def scaling(self) -> dict[int, load.WrkResult]:
        task = self.step("Warming up")
        load.wrk(self.script, LB[3], 3, 16)
        self.done(task, "Warmed up")
        results = {}
        for n in (1, 2, 3):
            task = self.step(f"Validation through {n} app server(s), {SCALING_SECONDS} s")
            results[n] = r = load.wrk(self.script, LB[n], SCALING_SECONDS, 32)
            self.done(
                task,
                f"Validation through {n} app server(s): {r.rps:,.0f}/s, p99 {r.p99_ms:.1f} ms",
            )
        return results

    def clients(self, journal: load.Journal) -> list[load.Client]:
        return [load.Client(LB[3], c.token, journal) for c in self.world.customers]

    def consume_only(self) -> tuple[float, float, int]:
        task = self.progress.add_task("Consumption alone, one thread per locker", total=None)
        journal, stop = load.Journal(), threading.Event()
        threads = [
            load.Consumer(client, c.company, c.licences, stop)
            for client, c in zip(self.clients(journal), self.world.customers, strict=True)
        ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        time.sleep(CONSUME_SECONDS)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        self.consumed = journal
        rate = len(journal.acks) / elapsed
        p99 = load.percentile(journal.latencies, 0.99) * 1000
        self.done(
            task,
            f"Consumption alone: {rate:,.0f} consumptions/s across {len(threads)} lockers, "
            f"p99 {p99:.0f} ms",
        )
        return rate, p99, len(threads)

    def mixed(self) -> Mixed:
        seconds = self.seconds
        task = self.progress.add_task("Mixed load", total=seconds)
        journal, stop, lag_stop = load.Journal(), threading.Event(), threading.Event()
        lag = load.LagSamples()
        clients = self.clients(journal)
        customers = self.world.customers
        # Validation is most of the load: the consumers pause between requests.
        consumers = [
            load.Consumer(client, c.company, c.licences, stop, pause=0.2)
            for client, c in zip(clients[2:8], customers[2:8], strict=True)
        ]
        redeemers = [
            load.Redeemer(clients[k], customers[k].company, self.world.codes, stop) for k in (0, 1)
        ]
        wrk_result: dict = {}
        wrk_thread = threading.Thread(
            target=lambda: wrk_result.update(r=load.wrk(self.script, LB[3], seconds, 24))
        )
        lag_thread = threading.Thread(
            target=load.sample_lag, args=(self.primary_dsn, self.replica_dsn, lag_stop, lag)
        )
        replica_before = replica_transactions(self.replica_dsn)
        started = time.monotonic()
        for thread in [wrk_thread, lag_thread, *consumers, *redeemers]:
            thread.start()
        # The workers start a little before the kill, so that they are busy mailing then.
        workers_at = started + seconds * 0.25
        kill_at, restart_at = started + seconds * 0.4, started + seconds * 0.4 + 10
        killed_at = None
        while time.monotonic() - started < seconds:
            now = time.monotonic()
            if not self.workers and now >= workers_at:
                self.workers = [self.start_worker("worker1"), self.start_worker("worker2")]
            if killed_at is None and now >= kill_at:
                self.stack.kill(self.apps[1])
                victim = self.workers[0]
                # Kill the worker in the middle of a task, if it is running one within 5 s.
                until = time.monotonic() + 5
                while time.monotonic() < until and not task_running_under(
                    self.primary_dsn, self.worker_ids[victim.name]
                ):
                    time.sleep(0.02)
                self.stack.kill(victim)
                self.worker_kills += 1
                killed_at = now
            if killed_at is not None and now >= restart_at and len(self.workers) == 2:
                self.workers.append(self.start_worker("worker1-restarted"))
            done = len([a for a in journal.acks if a.kind != "redeem"])
            state = (
                "app2 and worker1 killed" if killed_at and len(self.workers) == 2 else
                "worker1 restarted" if killed_at else "all up"
            )  # fmt: skip
            self.progress.update(
                task,
                completed=min(seconds, now - started),
                description=f"Mixed load ({state}): {done:,} consumptions, "
                f"{sum(a.kind == 'redeem' for a in journal.acks)} redemptions",
            )
            time.sleep(0.25)
        stop.set()
        for thread in [*consumers, *redeemers, wrk_thread]:
            thread.join()
        elapsed = time.monotonic() - started
        lag_stop.set()
        lag_thread.join()
        replica_rate = (replica_transactions(self.replica_dsn) - replica_before) / elapsed
        result = wrk_result["r"]
        window = (killed_at, killed_at + 5)
        wall = time.time() - time.monotonic()  # wrk's buckets are in unix seconds
        seconds_in = range(int(window[0] + wall), int(window[1] + wall) + 1)
        failover_validation = (
            sum(result.per_second.get(s, (0, 0))[1] for s in seconds_in),
            sum(sum(result.per_second.get(s, (0, 0))) for s in seconds_in),
        )
        in_window = [a for a in journal.attempts if window[0] <= a.at <= window[1]]
        failover_consuming = (sum(not a.ok for a in in_window), len(in_window))
        mixed = Mixed(
            result, journal, elapsed, failover_validation, failover_consuming, lag, replica_rate
        )
        self.done(
            task,
            f"Mixed load, {seconds} s: {result.rps:,.0f} validations/s, "
            f"{mixed.consumptions / elapsed:,.0f} consumptions/s; app2 and worker1 killed, "
            "worker1 restarted",
        )
        return mixed

    def execute(self) -> tuple[Figures, list]:
        """Build, load, check; returns the figures and the checks."""
        self.build()
        load_before = os.getloadavg()[0]
        scaling = self.scaling()
        consume_rate, consume_p99, lockers = self.consume_only()
        mixed = self.mixed()
        load_after = os.getloadavg()[0]
        self.drain()
        task = self.step("Checking")
        from django.db import connections

        connections.close_all()
        mails = self.checks.read_mails(self.root / "mail")
        journal = mixed.journal
        checks = [
            *self.checks.check_consumptions(
                self.consumed.acks + journal.acks, self.consumed.gave_up + journal.gave_up
            ),
            *self.checks.check_ledgers(),
            *self.checks.check_vouchers(journal.acks, self.world.codes),
            *self.checks.check_reminders(self.world.due, mails),
            *self.checks.check_tasks(mails, self.worker_kills),
        ]
        connections.close_all()
        self.done(task, "Checked")
        figures = Figures(
            scaling=scaling,
            consume_rate=consume_rate,
            consume_p99_ms=consume_p99,
            consume_lockers=lockers,
            mixed=mixed,
            load_average=(load_before, load_after),
        )
        return figures, checks

    def drain(self) -> None:
        task = self.step("Workers finishing the queue")
        deadline = time.monotonic() + 180
        while tasks_left(self.primary_dsn) and time.monotonic() < deadline:
            time.sleep(0.5)
        for worker in self.workers:
            self.stack.stop(worker)
        self.done(task, f"Queue drained ({tasks_left(self.primary_dsn)} tasks left)")


def report(figures: Figures, checks: list, leftovers: list[str]) -> bool:
    table = Table(title="Entitle on a cluster: what was measured", show_lines=False)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for n, r in figures.scaling.items():
        table.add_row(
            f"validation, {n} app server(s)",
            f"{r.rps:,.0f}/s  p50 {r.p50_ms:.1f} ms  p99 {r.p99_ms:.1f} ms",
        )
    table.add_row(
        f"consumption alone, {figures.consume_lockers} lockers",
        f"{figures.consume_rate:,.0f}/s  p99 {figures.consume_p99_ms:.0f} ms",
    )
    mixed = figures.mixed
    m = mixed.validation
    table.add_row(
        "mixed load: validation (3 → 2 app servers)",
        f"{m.rps:,.0f}/s  p99 {m.p99_ms:.1f} ms  {m.non_2xx} non-2xx",
    )
    table.add_row("mixed load: consumptions", f"{mixed.consumptions / mixed.seconds:,.0f}/s")
    failed, total = mixed.failover_validation
    table.add_row(
        "failover (5 s after the kill): validation errors",
        f"{failed}/{total} = {failed / max(total, 1):.2%}",
    )
    failed, total = mixed.failover_consuming
    table.add_row(
        "failover: consuming attempts answered 502/503 or cut (then retried)",
        f"{failed}/{total} = {failed / max(total, 1):.2%}",
    )
    lag = mixed.lag
    table.add_row(
        "replica: a commit readable on the replica after",
        f"p50 {load.percentile(lag.visible_after, 0.5) * 1000:.1f} ms  "
        f"p99 {load.percentile(lag.visible_after, 0.99) * 1000:.1f} ms  "
        f"max {max(lag.visible_after, default=0) * 1000:.1f} ms",
    )
    table.add_row(
        "replica: replay_lag (pg_stat_replication), max",
        f"{max(lag.replay_lag, default=0) * 1000:.1f} ms",
    )
    table.add_row("replica: transactions served", f"{mixed.replica_transactions_per_second:,.0f}/s")
    table.add_row(
        f"machine load average (1 min, {os.cpu_count()} cores), load start → end",
        " → ".join(f"{value:.1f}" for value in figures.load_average),
    )
    console.print(table)
    checks_table = Table(title="Checks")
    checks_table.add_column("")
    checks_table.add_column("check")
    checks_table.add_column("detail")
    for check in checks:
        checks_table.add_row("[green]✓[/]" if check.ok else "[red]✗[/]", check.name, check.detail)
    checks_table.add_row(
        "[green]✓[/]" if not leftovers else "[red]✗[/]",
        "nothing left behind",
        ", ".join(leftovers) or "no process, namespace, link or directory",
    )
    console.print(checks_table)
    return all(check.ok for check in checks) and not leftovers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of the mixed load")
    parser.add_argument("--clean", action="store_true", help="remove a killed run's leftovers")
    parser.add_argument("--logs", type=Path, help="keep the servers' logs in this directory")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("The cluster run needs root (network namespaces).")
    missing = [b for b in ("haproxy", "wrk", "setpriv", "ip") if not shutil.which(b)]
    if missing or not (infra.PG_BIN / "initdb").exists():
        raise SystemExit(
            f"Missing: {', '.join(missing) or 'PostgreSQL 15'} — apt-get install -y haproxy wrk "
            "postgresql-15"
        )
    left = infra.clean()
    if args.clean:
        print("Nothing left behind." if not left else f"Could not remove: {left}")
        return 0 if not left else 1

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    started = time.monotonic()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        run = Run(args.seconds, progress)
        try:
            figures, checks = run.execute()
        except KeyboardInterrupt:
            console.print("[yellow]Interrupted.[/]")
            figures = None
        finally:
            if args.logs:
                shutil.copytree(run.root / "logs", args.logs, dirs_exist_ok=True)
            task = run.step("Tearing down")
            leftovers = run.stack.teardown()
            redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()
            run.done(task, "Torn down" if not leftovers else f"Left behind: {leftovers}")
    if figures is None:
        return 130
    passed = report(figures, checks, leftovers)
    console.print(
        f"Total {time.monotonic() - started:.0f} s. " + ("PASSED" if passed else "FAILED")
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
