"""The cluster run's machinery: processes, network namespaces, PostgreSQL, HAProxy, teardown.

Everything started here is recorded in a `Stack`, and `Stack.teardown()` undoes all of it —
processes (their whole process group, and anything left in a namespace), namespaces, links,
the temporary directory — whether the run ends, fails or is interrupted. Child processes also
get SIGKILL if the run itself is killed (`setpriv --pdeathsig`). Names start with `ecl-`, so
that `python bench/cluster.py --clean` can remove what a run killed with SIGKILL left behind.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "ecl"
SUBNET = "10.28.0"
HOST_IP = f"{SUBNET}.1"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def run(*command: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=check, capture_output=True, text=True, **kwargs)


def wait_for_port(host: str, port: int, *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answers on {host}:{port} after {seconds} s")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    netns: str | None = None

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Stack:
    root: Path
    processes: list[Process] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    # --- Processes. ---

    def start(
        self,
        name: str,
        command: list[str],
        *,
        env: dict[str, str] | None = None,
        netns: str | None = None,
        user: str | None = None,
    ) -> Process:
        """Start a process in its own session (so its whole group can be killed), logging to
        logs/<name>.log; it gets SIGKILL if this run dies."""
        wrapped = ["setpriv", "--pdeathsig", "KILL"]
        if user:
            wrapped += ["--reuid", user, "--regid", user, "--clear-groups"]
        wrapped += ["--", *command]
        if netns:
            wrapped = ["ip", "netns", "exec", netns, *wrapped]
        log = (self.root / "logs" / f"{name}.log").open("ab")
        popen = subprocess.Popen(
            wrapped, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        process = Process(name, popen, netns)
        self.processes.append(process)
        return process

    def kill(self, process: Process, sig: int = signal.SIGKILL) -> None:
        """Signal the process's whole group (and, for a namespace, every process in it)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, sig)
        if process.netns and sig == signal.SIGKILL:
            self._kill_namespace(process.netns)

    def stop(self, process: Process, *, seconds: float = 15) -> None:
        if process.alive:
            self.kill(process, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=seconds)
        self.kill(process, signal.SIGKILL)
        process.popen.wait()

    @staticmethod
    def _kill_namespace(netns: str) -> None:
        pids = run("ip", "netns", "pids", netns, check=False).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)

    # --- Network: a bridge on the host, one namespace per app server. ---

    def network(self, count: int) -> list[str]:
        """A bridge with HOST_IP and `count` namespaces joined to it by veth pairs; returns
        the namespaces' addresses."""
        bridge = f"{PREFIX}-br"
        run("ip", "link", "add", bridge, "type", "bridge")
        self.links.append(bridge)
        run("ip", "addr", "add", f"{HOST_IP}/24", "dev", bridge)
        run("ip", "link", "set", bridge, "up")
        addresses = []
        for n in range(1, count + 1):
            netns, host_end, ns_end = f"{PREFIX}-app{n}", f"{PREFIX}-h{n}", f"{PREFIX}-n{n}"
            address = f"{SUBNET}.{10 + n}"
            run("ip", "netns", "add", netns)
            self.namespaces.append(netns)
            run("ip", "link", "add", host_end, "type", "veth", "peer", "name", ns_end)
            self.links.append(host_end)
            run("ip", "link", "set", host_end, "master", bridge)
            run("ip", "link", "set", host_end, "up")
            run("ip", "link", "set", ns_end, "netns", netns)
            run("ip", "-n", netns, "addr", "add", f"{address}/24", "dev", ns_end)
            run("ip", "-n", netns, "link", "set", ns_end, "up")
            run("ip", "-n", netns, "link", "set", "lo", "up")
            addresses.append(address)
        return addresses

    # --- PostgreSQL: a primary and a streaming replica. ---

    def postgres_primary(self, port: int) -> Path:
        data = self.root / "pg" / "primary"
        data.parent.mkdir()
        shutil.chown(data.parent, "postgres", "postgres")
        run(
            "setpriv", "--reuid", "postgres", "--regid", "postgres", "--clear-groups", "--",
            str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {port}\n"
                f"listen_addresses = '127.0.0.1,{HOST_IP}'\n"
                f"unix_socket_directories = '{data.parent}'\n"
                "max_connections = 200\nshared_buffers = 256MB\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                "hot_standby_feedback = on\n"
                # What stalls, in logs/postgres-*.log (kept with --logs).
                "log_min_duration_statement = 500\nlog_lock_waits = on\n"
                "log_autovacuum_min_duration = 0\nlog_checkpoints = on\n"
            )
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(
                "host all all 127.0.0.1/32 trust\n"
                f"host all all {SUBNET}.0/24 trust\n"
                "host replication all 127.0.0.1/32 trust\n"
            )
        self.start("postgres-primary", [str(PG_BIN / "postgres"), "-D", str(data)], user="postgres")
        wait_for_port("127.0.0.1", port)
        self._wait_ready(port)
        return data

    def postgres_replica(self, primary_port: int, port: int) -> Path:
        data = self.root / "pg" / "replica"
        run(
            "setpriv", "--reuid", "postgres", "--regid", "postgres", "--clear-groups", "--",
            str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port),
            "-U", "postgres", "-D", str(data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        with (data / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"port = {port}\n")
        self.start("postgres-replica", [str(PG_BIN / "postgres"), "-D", str(data)], user="postgres")
        wait_for_port("127.0.0.1", port)
        self._wait_ready(port)
        return data

    @staticmethod
    def _wait_ready(port: int) -> None:
        for _ in range(100):
            ready = run(str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), check=False)
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL on {port} is not ready")

    # --- Teardown. ---

    def teardown(self) -> list[str]:
        """Undo everything; returns what could not be undone (empty when clean)."""
        for process in reversed(self.processes):
            if process.name.startswith("postgres"):
                # A fast shutdown (SIGINT) so that the data directory can go at once.
                self.kill(process, signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.popen.wait(timeout=15)
            self.stop(process, seconds=5)
        for netns in reversed(self.namespaces):
            self._kill_namespace(netns)
            run("ip", "netns", "delete", netns, check=False)
        for link in reversed(self.links):
            run("ip", "link", "delete", link, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        running = [f"process {p.name} ({p.popen.pid})" for p in self.processes if p.alive]
        return running + leftovers(self.root)


def leftovers(root: Path | None = None) -> list[str]:
    """Anything of a run still there: namespaces, links, processes, the directory."""
    namespaces = run("ip", "netns", "list").stdout.split()
    found = [f"namespace {n}" for n in namespaces if n.startswith(f"{PREFIX}-")]
    found += [
        f"link {line.split(':')[1].strip().split('@')[0]}"
        for line in run("ip", "-o", "link").stdout.splitlines()
        if line.split(":")[1].strip().startswith(f"{PREFIX}-")
    ]
    if root is not None:
        if root.exists():
            found.append(f"directory {root}")
        own = run("pgrep", "-f", str(root), check=False).stdout.split()
        found += [f"process {pid}" for pid in own if int(pid) != os.getpid()]
    return found


def clean() -> list[str]:
    """Remove what a run killed with SIGKILL left behind (names starting with `ecl-`)."""
    for netns in run("ip", "netns", "list").stdout.split():
        if netns.startswith(f"{PREFIX}-"):
            Stack._kill_namespace(netns)
            run("ip", "netns", "delete", netns, check=False)
    for line in run("ip", "-o", "link").stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(f"{PREFIX}-"):
            run("ip", "link", "delete", name, check=False)
    return leftovers()
