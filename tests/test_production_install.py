"""The README's production section, run as a new operator would, on an empty PostgreSQL database.

The commands and the exported variables are read from the README itself, so that what it tells
an operator is what this test runs; the test only supplies its own values for the variables.
"""

import base64
import http.cookiejar
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest
import redis
from django.db import connection
from django_otp.oath import TOTP

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a-Long-operator-passw0rd"


def production_section() -> tuple[dict[str, str], list[list[str]]]:
    """The variables the README's production section exports, and its commands in order."""
    section = (ROOT / "README.md").read_text().split("## Running it in production", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    exported: dict[str, str] = {}
    commands = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "export":
            exported.update(word.split("=", 1) for word in words[1:])
        elif words:
            commands.append(words)
    return exported, commands


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def empty_database(on_postgres):
    """A database of this test's own on the test run's PostgreSQL server, dropped afterwards."""
    settings = connection.settings_dict
    server = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}"
    name = f"entitle_install_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def operator_env(empty_database, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cache = "redis://127.0.0.1:6379/12"
    redis.Redis.from_url(cache).flushdb()  # no rate-limit counter of an earlier run
    ours = {
        "DATABASE_URL": empty_database,
        "CACHE_URL": cache,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "ENTITLE_PORTAL_URL": url,
        "CSRF_TRUSTED_ORIGINS": url,
        "EMAIL_URL": f"filemail:///{tmp_path / 'mail'}",  # django-environ: four slashes
        "SECURE_COOKIES": "false",  # this test speaks plain HTTP
    }
    exported, _ = production_section()
    # Every variable the README asks for is one this test provides (or keeps as written).
    assert set(exported) - set(ours) == {"DEFAULT_FROM_EMAIL"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CACHE_"))}
    env.update(
        exported,
        **ours,
        ENTITLE_ADMIN_PASSWORD=PASSWORD,
        ENTITLE_DATA_DIR=str(tmp_path / "data"),
        ENTITLE_HOST="127.0.0.1",
        PORT=str(port),
        ENTITLE_TESTING="false",
    )
    return env, url


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        assert process.poll() is None, "entitle serve exited"
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("entitle serve did not answer")


def log_in(url: str, email: str, password: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    form = opener.open(f"{url}/login/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf, "username": email, "password": password}
    ).encode()
    opener.open(urllib.request.Request(f"{url}/login/", data=data, headers={"Referer": url}))
    return opener


def test_the_readme_takes_an_empty_database_to_a_portal_one_can_log_in_to(operator_env):
    env, url = operator_env
    _, commands = production_section()
    assert all(command[0] == "entitle" for command in commands)
    background = []
    try:
        for command in commands:
            cli = [sys.executable, "-m", "entitle.cli", *command[1:]]
            if command[1] in ("serve", "worker"):
                background.append(subprocess.Popen(cli, env=env, cwd=ROOT))
                continue
            done = subprocess.run(cli, env=env, cwd=ROOT, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        server = background[0]
        wait_until_up(url, server)
        with urllib.request.urlopen(f"{url}/readyz") as ready:
            assert json.load(ready)["status"] == "ready"

        setup = next(c for c in commands if c[1] == "setup")
        email = setup[setup.index("--email") + 1]
        vendor = setup[setup.index("--vendor") + 1]
        portal = log_in(url, email, PASSWORD)
        assert vendor in portal.open(f"{url}/").read().decode()
        # The back office asks staff for a second factor first: set up an authenticator app.
        assert portal.open(f"{url}/admin/").geturl() == f"{url}/settings/security/"
        enrol = portal.open(f"{url}/settings/security/enrol/").read().decode()
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', enrol).group(1)
        code = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8))).token()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', enrol).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "code": f"{code:06d}"})
        portal.open(
            urllib.request.Request(
                f"{url}/settings/security/enrol/", data=data.encode(), headers={"Referer": url}
            )
        )
        back_office = portal.open(f"{url}/admin/")
        assert back_office.geturl() == f"{url}/admin/"  # not sent to a log-in page
        assert "Entitle back office" in back_office.read().decode()
        products = json.load(portal.open(f"{url}/api/v1/catalog/products"))["items"]
        assert {p["code"] for p in products} == {"dce", "secure-nmc", "pcns"}

        # Each release runs the same steps again: nothing changes, nothing fails.
        again = subprocess.run(
            [sys.executable, "-m", "entitle.cli", *setup[1:]],
            env={k: v for k, v in env.items() if k != "ENTITLE_ADMIN_PASSWORD"},
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert again.returncode == 0, again.stderr
        assert f"The vendor-staff account {email} is there already." in again.stdout
    finally:
        for process in background:
            process.terminate()
        for process in background:
            process.wait(timeout=20)
