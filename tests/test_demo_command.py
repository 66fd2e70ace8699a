"""The README's first command: `entitle demo` serves a portal one can log in to; it, `serve`
and `worker` stop every process they started when they are told to stop."""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import psutil
import pytest
from django.conf import settings

# Every command here runs in a process of its own on a SQLite file of its own: the suite's
# PostgreSQL run would repeat exactly the same thing, so it runs once, in the SQLite run.
pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="independent of the suite's database; runs in the SQLite run",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL"}}
    env.update(ENTITLE_DATA_DIR=str(tmp_path), ENTITLE_TESTING="false")
    return env


def _start(command: list[str], env: dict[str, str], ready: str) -> tuple[subprocess.Popen, str]:
    """Start `entitle …` in a session of its own and read its output until `ready` appears."""
    process = subprocess.Popen(
        [sys.executable, "-m", "entitle.cli", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    for line in process.stdout:
        lines.append(line)
        if ready in line or time.monotonic() > deadline:
            break
    return process, "".join(lines)


def _family(process: subprocess.Popen) -> list[psutil.Process]:
    """The process and everything it started, found both by parentage and by session."""
    root = psutil.Process(process.pid)
    family = {root, *root.children(recursive=True)}
    for other in psutil.process_iter():
        try:
            if os.getsid(other.pid) == process.pid:
                family.add(other)
        except (ProcessLookupError, PermissionError):
            continue
    return sorted(family, key=lambda p: p.pid)


def _stop_and_assert_nothing_left(process: subprocess.Popen, how: signal.Signals) -> None:
    family = _family(process)
    children = [p for p in family if p.pid != process.pid]
    process.send_signal(how)
    process.wait(timeout=20)
    _, alive = psutil.wait_procs(children, timeout=20)
    described = [f"{p.pid} {' '.join(p.cmdline())}" for p in alive]
    for p in alive:
        p.kill()
    assert not described, f"still running after {how.name}: {described}"


@pytest.fixture
def demo_server(tmp_path):
    port = free_port()
    process, output = _start(["demo", "--port", str(port)], _environment(tmp_path), "Listening at")
    try:
        yield f"http://127.0.0.1:{port}", output
        _stop_and_assert_nothing_left(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.stdout.close()


def test_demo_prints_logins_and_lets_one_log_in(demo_server):
    url, output = demo_server
    assert f"Entitle demo: {url}/" in output
    assert "olivia@acme.example" in output and "entitle-demo" in output
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    for _ in range(50):
        try:
            form = opener.open(f"{url}/login/").read().decode()
            break
        except OSError:
            time.sleep(0.2)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf, "username": "olivia@acme.example", "password": "entitle-demo"}
    ).encode()
    request = urllib.request.Request(f"{url}/login/", data=data, headers={"Referer": url})
    home = opener.open(request).read().decode()
    assert "Acme Data Centres" in home
    assert "Log out" in home


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_demo_stops_its_server_and_worker(tmp_path, how):
    # SIGTERM is the fixture's own teardown above; here Ctrl-C, and a parent killed outright
    # (its children are told by the kernel).
    port = free_port()
    process, _ = _start(["demo", "--port", str(port)], _environment(tmp_path), "Listening at")
    try:
        # granian (and its worker process) and the task worker.
        assert len(_family(process)) >= 3
        _stop_and_assert_nothing_left(process, how)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.stdout.close()


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
@pytest.mark.parametrize(
    "command, ready",
    [
        (
            ["serve", "--host", "127.0.0.1", "--workers", "2", "--workers-kill-timeout", "3"],
            "Listening at",
        ),
        (["worker"], "Starting worker"),
    ],
    ids=["serve", "worker"],
)
def test_serve_and_worker_stop_with_their_children(tmp_path, command, ready, how):
    env = _environment(tmp_path)
    subprocess.run([sys.executable, "-m", "entitle.cli", "migrate", "-v0"], env=env, check=True)
    if command[0] == "serve":
        command = [*command, "--port", str(free_port())]
    process, output = _start(command, env, ready)
    try:
        assert ready in output
        _stop_and_assert_nothing_left(process, how)
        assert process.returncode in (0, -how)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.stdout.close()


def test_demo_has_its_integrations_running(demo_server):
    """The distributor's webhook receiver gets signed deliveries, Globex signs in through the
    local identity provider, Sam has a second factor and the ERP a back-office token."""
    url, output = demo_server
    assert "Two-factor sign-in of sam@acme.example: add the key" in output
    assert re.search(r"The ERP's API token .*: ent_\S+", output)
    assert "Single sign-on: log in as anyone@globex.example" in output
    erp = re.search(r"The ERP's API token .*: (ent_\S+)", output).group(1)
    request = urllib.request.Request(
        f"{url}/api/v1/orders", headers={"Authorization": f"Bearer {erp}"}
    )
    for _ in range(50):
        try:
            orders = json.loads(urllib.request.urlopen(request).read())["items"]
            break
        except OSError:
            time.sleep(0.2)
    assert {o["po_number"] for o in orders} >= {"NW-2026-0042", "NW-2026-0057"}
    # The README's example: the ERP records a PO and fulfils it.
    headers = {"Authorization": f"Bearer {erp}", "Content-Type": "application/json"}
    companies = json.loads(
        urllib.request.urlopen(
            urllib.request.Request(f"{url}/api/v1/companies", headers=headers)
        ).read()
    )
    ids = {c["name"]: c["id"] for c in companies["items"]}
    assert (ids["Northwind Distribution"], ids["Acme Data Centres"]) == (2, 4)
    body = {
        "po_number": "ERP-4711",
        "po_email": "orders@northwind.example",
        "channel": "partner",
        "purchasing_entity": 2,
        "owner": 4,
        "lines": [{"sku": "DCE-1Y", "quantity": 25}],
    }
    recorded = urllib.request.urlopen(
        urllib.request.Request(
            f"{url}/api/v1/orders", data=json.dumps(body).encode(), headers=headers
        )
    )
    po = json.loads(recorded.read())
    fulfil = urllib.request.Request(
        f"{url}/api/v1/orders/{po['id']}/fulfil", data=b"", headers=headers, method="POST"
    )
    assert json.loads(urllib.request.urlopen(fulfil).read())["status"] == "fulfilled"
