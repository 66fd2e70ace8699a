"""Benchmark: online validation (POST /api/v1/product/validate) against a raw baseline.

    .venv/bin/python bench/validate.py [--licences 1000000] [--seconds 15] [--rounds 3]

Sets up a PostgreSQL database (`entitle_bench`, or $BENCH_DB) with N licences, each bound to a
device on a 30-day lease (PowerChute's `lease_days`) renewed some days ago, then runs wrk (32
connections) against `entitle serve` and against bench/raw_validate.py — a bare WSGI callable
doing the minimum by hand — under the same server (granian, WSGI, 2 workers, 2 blocking
threads), in alternating rounds, and prints requests/s, p50/p99 and the ratio of the median
round. Entitle's answer
does more than the baseline's: the lease and binding state, the current signing key read in the
same query (a rotation is seen at once), and a rate limit per key and per client address.
Needs: PostgreSQL and Redis on localhost, Debian's wrk (apt-get install wrk). $BENCH_PG,
$BENCH_DB, $BENCH_REDIS and $BENCH_PORT (two ports from it) choose where it runs.
"""

import argparse
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("BENCH_DB", "entitle_bench")
DSN = f"{PG}/{DATABASE}"
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/2")
PORT = int(os.environ.get("BENCH_PORT", "8101"))
CONNECTIONS = 32
# Blocking threads per granian worker (workers × threads = PostgreSQL connections used).
THREADS = os.environ.get("BENCH_THREADS", "2")


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": DSN,
        "CACHE_URL": REDIS,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ENTITLE_PRODUCT_RATE": "100000000",
        "ENTITLE_PRODUCT_RATE_ADDRESS": "100000000",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "BENCH_DSN": DSN,
        "BENCH_REDIS": REDIS,
        "PYTHONPATH": str(ROOT),
    }


def ensure_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
        if not exists.fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    subprocess.run([sys.executable, "-m", "entitle.cli", "migrate", "-v0"], env=env(), check=True)


def seed(count: int) -> None:
    """Bulk-load licences with COPY: benchmark data, not a path users take."""
    os.environ.update(env())
    import django

    django.setup()
    from rich.progress import Progress

    from entitle.accounts.models import Company
    from entitle.accounts.services import company_create
    from entitle.core import codes
    from entitle.demo import load_catalog

    with psycopg.connect(DSN) as conn:
        have = conn.execute("SELECT count(*) FROM licensing_licence").fetchone()[0]
    if have >= count:
        print(f"{have:,} licences already loaded")
        return
    skus = load_catalog()
    owner = Company.objects.filter(name="Bench Owner").first() or company_create(
        actor=None, name="Bench Owner"
    )
    sku = skus["PCNS-1Y"]
    today = date.today()
    alphabet = codes.ALPHABET
    with psycopg.connect(DSN) as conn, Progress() as progress:
        task = progress.add_task("Loading licences", total=count - have)
        with conn.cursor() as cur:
            base = cur.execute("SELECT coalesce(max(id), 0) FROM licensing_licence").fetchone()[0]
            dbase = cur.execute("SELECT coalesce(max(id), 0) FROM licensing_device").fetchone()[0]
            batch = 50_000
            for start in range(have, count, batch):
                n = min(batch, count - start)
                licences, devices, bindings = [], [], []
                for i in range(n):
                    lid, did = base + start - have + i + 1, dbase + start - have + i + 1
                    body = "".join(alphabet[b & 31] for b in secrets.token_bytes(19))
                    end = today + timedelta(days=random.randint(-90, 700))
                    licences.append(
                        (
                            lid,
                            uuid.uuid4(),
                            codes.with_check(body),
                            sku.product_id,
                            sku.pk,
                            10,
                            end - timedelta(days=365),
                            end,
                            owner.pk,
                            "",
                            1,
                        )
                    )
                    devices.append(
                        (
                            did,
                            uuid.uuid4(),
                            owner.pk,
                            sku.product_id,
                            f"node-{lid}",
                            f"HOST-{lid}",
                            "",
                        )
                    )
                    # Renewed at most 14 days ago: more than half of the lease is left.
                    lease_until = today + timedelta(days=random.randint(16, 30))
                    bindings.append((lid, did, 10, lease_until, 1))
                with cur.copy(
                    "COPY licensing_licence (id, public_id, activation_id, product_id, sku_id, "
                    "quantity, start_date, end_date, owner_id, suspension_reason, file_serial, "
                    "created_at) FROM STDIN"
                ) as copy:
                    for row in licences:
                        copy.write_row((*row, "2026-01-01T00:00:00Z"))
                with cur.copy(
                    "COPY licensing_device (id, public_id, owner_id, product_id, name, host_id, "
                    "location, created_at) FROM STDIN"
                ) as copy:
                    for row in devices:
                        copy.write_row((*row, "2026-01-01T00:00:00Z"))
                with cur.copy(
                    "COPY licensing_binding (licence_id, device_id, applied_quantity, lease_until, "
                    "file_serial, bound_at, end_reason, installation_key, request_nonce) "
                    "FROM STDIN"
                ) as copy:
                    for row in bindings:
                        copy.write_row((*row, "2026-01-01T00:00:00Z", "", "", ""))
                conn.commit()
                progress.advance(task, n)
            for table in ("licensing_licence", "licensing_device", "licensing_binding"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            conn.commit()
        conn.execute("ANALYZE")


def wrk_script(path: Path) -> None:
    with psycopg.connect(DSN) as conn:
        rows = conn.execute(
            "SELECT l.activation_id, d.host_id FROM licensing_licence l "
            "JOIN licensing_binding b ON b.licence_id = l.id "
            "JOIN licensing_device d ON d.id = b.device_id "
            "ORDER BY random() LIMIT 5000"
        ).fetchall()
    pairs = ",\n".join(f'{{"{a}","{h}"}}' for a, h in rows)
    path.write_text(
        f"local pairs = {{\n{pairs}\n}}\n"
        "request = function()\n"
        "  local p = pairs[math.random(#pairs)]\n"
        '  local body = \'{"activation_id":"\' .. p[1] .. \'","host_id":"\' .. p[2] .. '
        '\'","nonce":"bench"}\'\n'
        "  return wrk.format('POST', '/api/v1/product/validate', "
        "{['Content-Type']='application/json'}, body)\n"
        "end\n"
    )


def wait_for(port: int, process: subprocess.Popen) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def run_wrk(port: int, script: Path, seconds: int) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}"
    # Warm up: connections, caches, the signing key.
    subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", "-d3s", "-s", str(script), url],
        capture_output=True,
        check=True,
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50%"),
        "p99": latency("99%"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def serve(command: list[str], port: int, seconds: int, script: Path) -> dict[str, float]:
    process = subprocess.Popen(
        command, env=env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(port, process)
        return run_wrk(port, script, seconds)
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--licences", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    ensure_database()
    seed(args.licences)
    script = ROOT / ".entitle" / "bench-validate.lua"
    script.parent.mkdir(exist_ok=True)
    wrk_script(script)
    granian = [
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--workers",
        "2",
        "--blocking-threads",
        THREADS,
        "--backpressure",
        "64",
        "--no-log",
    ]
    raw_command = [
        sys.executable,
        "-m",
        "granian",
        *granian,
        "--port",
        str(PORT + 1),
        "bench.raw_validate:application",
    ]
    entitle_command = [
        sys.executable,
        "-m",
        "entitle.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(PORT),
        "--workers",
        "2",
        "--blocking-threads",
        THREADS,
        "--backpressure",
        "64",
    ]
    # Rounds alternate baseline and Entitle, so that a slow spell of the machine (this is a
    # two-core box shared with PostgreSQL, Redis and wrk) weighs on both; each round's ratio
    # compares neighbours, and the median round is the figure.
    rounds = []
    for n in range(args.rounds):
        raw = serve(raw_command, PORT + 1, args.seconds, script)
        entitle = serve(entitle_command, PORT, args.seconds, script)
        rounds.append((raw, entitle))
        print(
            f"round {n + 1}: raw {raw['rps']:.0f} req/s, entitle {entitle['rps']:.0f} req/s, "
            f"ratio {entitle['rps'] / raw['rps']:.2f}"
        )
    raw, entitle = sorted(rounds, key=lambda pair: pair[1]["rps"] / pair[0]["rps"])[
        len(rounds) // 2
    ]
    print(
        f"\nvalidate, {args.licences:,} licences, {CONNECTIONS} connections, {args.seconds} s "
        f"each, median of {args.rounds} rounds"
    )
    print(f"{'':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, r in [("raw baseline", raw), ("entitle serve", entitle)]:
        print(f"{name:<22}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['errors']:>10}")
    print(f"ratio entitle / raw: {entitle['rps'] / raw['rps']:.2f}  (target ≥ 0.75, p99 < 25 ms)")


if __name__ == "__main__":
    main()
