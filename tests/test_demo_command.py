"""The README's first command: `entitle demo` serves a portal one can log in to."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_server(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL"}}
    env.update(ENTITLE_DATA_DIR=str(tmp_path), ENTITLE_TESTING="false")
    process = subprocess.Popen(
        [sys.executable, "-m", "entitle.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    try:
        for line in process.stdout:
            lines.append(line)
            if "Listening at" in line or time.monotonic() > deadline:
                break
        yield f"http://127.0.0.1:{port}", "".join(lines)
    finally:
        process.terminate()
        process.wait(timeout=20)


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
