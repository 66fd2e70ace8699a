"""The cluster run's load: product validation through wrk, consuming requests from Python.

Each consuming request carries an idempotency key and is sent again, with the same key, when
the connection fails or the load balancer answers 502/503/504 (an app server died under it):
what the client was told (`Ack`) is what the checks hold the ledger to.
"""

import http.client
import json
import random
import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

RETRYABLE = {502, 503, 504}


@dataclass(frozen=True)
class Ack:
    """A consuming request the server acknowledged (2xx)."""

    kind: str  # create, renew, increase, redeem
    company: int
    key: str
    answer: dict
    at: float


@dataclass
class Attempt:
    at: float
    ok: bool


@dataclass
class Journal:
    """Everything the clients saw, shared by their threads."""

    acks: list[Ack] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # kind, status, code
    attempts: list[Attempt] = field(default_factory=list)  # first tries and retries
    gave_up: list[tuple[str, str]] = field(default_factory=list)  # kind, key
    latencies: list[float] = field(default_factory=list)  # acknowledged requests, seconds
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One keep-alive connection to the load balancer, for one company's API token."""

    def __init__(self, port: int, token: str, journal: Journal):
        self.port, self.token, self.journal = port, token, journal
        self.connection: http.client.HTTPConnection | None = None

    def _send(self, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        self.connection.request(method, path, json.dumps(body) if body else None, headers)
        response = self.connection.getresponse()
        data = response.read()
        try:
            return response.status, json.loads(data or b"{}")
        except ValueError:
            return response.status, {}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """Send until answered by an app server (same body, so same idempotency key)."""
        started = time.perf_counter()
        for _ in range(100):
            try:
                status, answer = self._send(method, path, body)
            except (OSError, http.client.HTTPException):
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
                status, answer = 0, {}
            with self.journal.lock:
                self.journal.attempts.append(
                    Attempt(time.monotonic(), status not in RETRYABLE | {0})
                )
            if status not in RETRYABLE | {0}:
                if 200 <= status < 300:
                    with self.journal.lock:
                        self.journal.latencies.append(time.perf_counter() - started)
                return status, answer
            time.sleep(0.05)
        return 0, {}


class Consumer(threading.Thread):
    """One company (one locker) creating, renewing and increasing its licences."""

    def __init__(
        self,
        client: Client,
        company: int,
        licences: dict[str, int],
        stop: threading.Event,
        pause: float = 0,
    ):
        super().__init__(daemon=True)
        self.client, self.company, self.licences, self.stop = client, company, licences, stop
        self.pause = pause  # seconds between two requests

    def _consume(self, kind: str, path: str, body: dict) -> dict | None:
        key = str(uuid.uuid4())
        status, answer = self.client.call("POST", path, {**body, "idempotency_key": key})
        journal = self.client.journal
        with journal.lock:
            if 200 <= status < 300:
                journal.acks.append(Ack(kind, self.company, key, answer, time.monotonic()))
            elif status == 0:
                journal.gave_up.append((kind, key))
            else:
                journal.refused.append((kind, status, answer.get("code", "")))
        return answer if 200 <= status < 300 else None

    def run(self) -> None:
        while not self.stop.wait(self.pause):
            kind = random.choices(["create", "renew", "increase"], weights=[4, 3, 3])[0]
            if kind == "create" or not self.licences:
                answer = self._consume(
                    "create", "/api/v1/licences", {"sku": "PCNS-1Y", "quantity": 1, "terms": 1}
                )
                if answer:
                    self.licences[answer["activation_id"]] = 1
                continue
            activation_id = random.choice(list(self.licences))
            if kind == "renew":
                self._consume("renew", f"/api/v1/licences/{activation_id}/renew", {"terms": 1})
            else:
                quantity = self.licences[activation_id] + 1
                if self._consume(
                    "increase",
                    f"/api/v1/licences/{activation_id}/increase",
                    {"quantity": quantity},
                ):
                    self.licences[activation_id] = quantity


class Redeemer(threading.Thread):
    """Redeems every code of a shared list in order; two of them race for each code."""

    def __init__(self, client: Client, company: int, codes: list[str], stop: threading.Event):
        super().__init__(daemon=True)
        self.client, self.company, self.codes, self.stop = client, company, codes, stop

    def run(self) -> None:
        journal = self.client.journal
        for code in self.codes:
            if self.stop.is_set():
                return
            key = str(uuid.uuid4())
            status, answer = self.client.call(
                "POST", "/api/v1/vouchers/redeem", {"code": code, "idempotency_key": key}
            )
            with journal.lock:
                if 200 <= status < 300:
                    journal.acks.append(
                        Ack("redeem", self.company, key, {**answer, "code": code}, time.monotonic())
                    )
                elif status == 0:
                    journal.gave_up.append(("redeem", key))
                else:
                    journal.refused.append(("redeem", status, answer.get("code", "")))
            time.sleep(0.05)


# --- wrk: product validation. ---

WRK_SCRIPT = """
local pairs_list = {
%(pairs)s
}
local threads = {}
function setup(thread) table.insert(threads, thread) end
-- Answers per second, kept as a string: wrk cannot copy a thread's nested tables.
function init(args) log = ""; second = 0; ok = 0; failed = 0 end
function request()
  local p = pairs_list[math.random(#pairs_list)]
  local body = '{"activation_id":"' .. p[1] .. '","host_id":"' .. p[2] .. '"}'
  return wrk.format("POST", "/api/v1/product/validate", {["Content-Type"]="application/json"}, body)
end
function response(status, headers, body)
  local now = os.time()
  if now ~= second then
    if second ~= 0 then log = log .. second .. " " .. ok .. " " .. failed .. "\\n" end
    second = now; ok = 0; failed = 0
  end
  if status == 200 then ok = ok + 1 else failed = failed + 1 end
end
function done(summary, latency, requests)
  local out = io.open(os.getenv("WRK_BUCKETS"), "w")
  for _, thread in ipairs(threads) do
    out:write(thread:get("log"))
    local last = thread:get("second") .. " " .. thread:get("ok") .. " " .. thread:get("failed")
    out:write(last .. "\\n")
  end
  out:close()
end
"""


def write_wrk_script(path: Path, pairs: list[tuple[str, str]]) -> None:
    rows = ",\n".join(f'{{"{a}","{h}"}}' for a, h in pairs)
    path.write_text(WRK_SCRIPT % {"pairs": rows})


@dataclass
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    per_second: dict[int, tuple[int, int]]  # unix second → (ok, failed)


def wrk(script: Path, port: int, seconds: int, connections: int) -> WrkResult:
    buckets = script.with_suffix(f".{port}.{seconds}.buckets")
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["--latency", "-s", str(script), f"http://127.0.0.1:{port}"]
    environment = {"WRK_BUCKETS": str(buckets), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, env=environment
    ).stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    per_second: dict[int, tuple[int, int]] = {}
    for line in buckets.read_text().splitlines():
        second, ok, failed = map(int, line.split())
        previous = per_second.get(second, (0, 0))
        per_second[second] = (previous[0] + ok, previous[1] + failed)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=latency("50%"),
        p99_ms=latency("99%"),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(map(int, socket.groups())) if socket else 0,
        per_second=per_second,
    )


# --- Replica lag. ---


@dataclass
class LagSamples:
    visible_after: list[float] = field(default_factory=list)  # seconds until replayed
    replay_lag: list[float] = field(default_factory=list)  # pg_stat_replication.replay_lag


def sample_lag(primary_dsn: str, replica_dsn: str, stop: threading.Event, into: LagSamples):
    """Twice a second: how long until what the primary has written now is readable on the
    replica (its replay position passes the primary's current WAL position)."""
    with (
        psycopg.connect(primary_dsn, autocommit=True) as primary,
        psycopg.connect(replica_dsn, autocommit=True) as replica,
    ):
        while not stop.is_set():
            lsn = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
            started = time.perf_counter()
            while not replica.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]
            ).fetchone()[0]:
                if time.perf_counter() - started > 30:
                    break
                time.sleep(0.001)
            into.visible_after.append(time.perf_counter() - started)
            lag = primary.execute(
                "SELECT EXTRACT(EPOCH FROM replay_lag) FROM pg_stat_replication"
            ).fetchone()
            if lag and lag[0] is not None:
                into.replay_lag.append(float(lag[0]))
            stop.wait(0.5)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
