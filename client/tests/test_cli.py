import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from entitle_client.cli import main
from factory import HOST_ID, jwks


@pytest.fixture
def files(tmp_path, signer):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(jwks(signer)))

    def write(**claims) -> str:
        path = tmp_path / "licence.lic"
        path.write_text(signer.licence(**claims))
        return str(path)

    return write, str(keys)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("day", "code", "line"),
    [
        ("2026-06-01", 0, "valid: 214 days left"),
        ("2026-12-31", 0, "expiring: 1 day left"),
        ("2027-01-19", 0, "grace: 12 days left — renew now"),
        ("2027-01-31", 1, "expired: cannot run"),
    ],
)
def test_status_lines_and_exit_codes(capsys, files, day, code, line):
    write, keys = files
    result = run(capsys, write(), "--jwks", keys, "--host-id", HOST_ID, "--date", day)
    assert result[0] == code
    assert result[1].splitlines()[0] == line
    assert result[1].splitlines()[1].startswith("Licence ")


def test_refusals_exit_1(capsys, files, tmp_path):
    write, keys = files
    licence = write()
    args = ["--jwks", keys, "--date", "2026-06-01"]
    code, out, _ = run(capsys, licence, *args, "--host-id", "other")
    assert (code, out.splitlines()) == (
        1,
        [
            "wrong_device: cannot run",
            f"Licence is for another device (host id {HOST_ID}, this device is other).",
        ],
    )
    future = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    assert run(capsys, write(iat=future), *args, "--host-id", HOST_ID)[0] == 1
    (tmp_path / "licence.lic").write_text("garbage")
    code, out, _ = run(capsys, licence, *args, "--host-id", HOST_ID)
    assert (code, out.splitlines()[0]) == (1, "invalid_signature: cannot run")


def test_usage_errors_and_unreadable_files_exit_2(capsys, files, tmp_path):
    write, keys = files
    licence = write()
    assert run(capsys, licence, "--jwks", keys)[0] == 2
    assert run(capsys, licence, "--jwks", keys, "--host-id", HOST_ID, "--date", "1 June")[0] == 2
    assert run(capsys)[0] == 2
    missing = str(tmp_path / "missing")
    code, out, err = run(capsys, missing, "--jwks", keys, "--host-id", HOST_ID)
    assert (code, out) == (2, "") and "entitle-verify:" in err
    assert run(capsys, licence, "--jwks", missing, "--host-id", HOST_ID)[0] == 2
    (tmp_path / "bad.json").write_text("{}")
    assert run(capsys, licence, "--jwks", str(tmp_path / "bad.json"), "--host-id", HOST_ID)[0] == 2
    assert run(capsys, "--help")[0] == 0


def test_console_script(files):
    script = Path(sys.executable).with_name("entitle-verify")
    if not script.exists():
        pytest.skip("entitle-client is not installed beside this interpreter")
    write, keys = files
    done = subprocess.run(  # noqa: S603 (a fixed command)
        [script, write(), "--jwks", keys, "--host-id", HOST_ID, "--date", "2030-01-01"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.splitlines()[0]) == (1, "expired: cannot run")
