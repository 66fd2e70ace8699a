"""docs/licence-files.md: a file the server issued verifies with standard JOSE libraries — PyJWT
in Python and `jose` in JavaScript (Node), exactly as the documentation shows."""

import json
import shutil
import subprocess
from pathlib import Path

import jwt
import pytest
from django.test import Client

from entitle.licensing.services.devices import device_register, licence_assign
from entitle.licensing.services.licences import licence_create

JS = Path(__file__).parent / "js"


@pytest.fixture(scope="session")
def node_with_jose() -> str:
    """Node, with `jose` installed from the npm registry as tests/js/package-lock.json pins."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are needed: apt-get install -y nodejs npm")
    if not (JS / "node_modules" / "jose").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return node


@pytest.fixture
def issued(owner_credits, skus, tmp_path):
    licence = licence_create(
        actor=owner_credits, sku=skus["PCNS-3Y"], quantity=4, terms=1, idempotency_key="jose"
    ).licence
    device = device_register(
        actor=owner_credits, product=skus["PCNS-3Y"].product, name="node", host_id="NODE-1A"
    )
    file = licence_assign(
        actor=owner_credits, activation_id=licence.activation_id, device_public_id=device.public_id
    )
    (tmp_path / "licence.lic").write_text(file.text)
    (tmp_path / "keys.json").write_text(json.dumps(Client().get("/api/v1/keys").json()))
    return licence, tmp_path


def test_javascript_jose_verifies_a_server_issued_file(node_with_jose, issued):
    licence, folder = issued
    out = subprocess.run(
        [node_with_jose, str(JS / "verify-licence.mjs"), "licence.lic", "keys.json"],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    claims = json.loads(out)
    assert (claims["activation_id"], claims["host_id"]) == (licence.activation_id, "NODE-1A")
    assert (claims["end"], claims["quantity"]) == (licence.end_date.isoformat(), 4)
    assert claims["lease_until"] is not None


def test_javascript_jose_refuses_a_tampered_file(node_with_jose, issued):
    _, folder = issued
    text = (folder / "licence.lic").read_text()
    lines = text.splitlines()
    middle = lines[2]
    lines[2] = middle[:10] + ("A" if middle[10] != "A" else "B") + middle[11:]
    (folder / "licence.lic").write_text("\n".join(lines))
    done = subprocess.run(
        [node_with_jose, str(JS / "verify-licence.mjs"), "licence.lic", "keys.json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0


def test_python_pyjwt_verifies_a_server_issued_file(issued):
    licence, folder = issued
    text = (folder / "licence.lic").read_text()
    token = "".join(line.strip() for line in text.splitlines() if not line.startswith("-----"))
    jwks = jwt.PyJWKSet.from_dict(json.loads((folder / "keys.json").read_text()))
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    claims = jwt.decode(token, key, algorithms=["EdDSA"], options={"verify_iat": False})
    assert claims["activation_id"] == licence.activation_id and claims["host_id"] == "NODE-1A"
