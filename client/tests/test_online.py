import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from entitle_client import (
    KeySet,
    LicenceStore,
    OnlineError,
    Status,
    UntrustedAnswer,
    ValidationAnswer,
    activate,
    fetch_keys,
    validate,
)
from entitle_client.airgap import read_deactivation_proof
from factory import ACTIVATION_ID, HOST_ID, VALIDATION_TYP, Signer, jwks

Responder = Callable[[str, dict[str, Any]], tuple[int, bytes]]


class Server:
    """A vendor server on 127.0.0.1; `respond(path, request)` makes each answer."""

    def __init__(self) -> None:
        self.respond: Responder
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer({})

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                self._answer(json.loads(self.rfile.read(length)))

            def _answer(self, request: dict[str, Any]) -> None:
                owner.requests.append((self.command, self.path, request))
                status, body = owner.respond(self.path, request)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"


@pytest.fixture(scope="module")
def running_server() -> Iterator[Server]:
    server = Server()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    thread.join()


@pytest.fixture
def server(running_server: Server) -> Server:
    running_server.respond = lambda path, request: (404, b"{}")
    running_server.requests.clear()
    return running_server


def answer_claims(request: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": "entitle",
        "activation_id": request["activation_id"],
        "host_id": request["host_id"],
        "valid": True,
        "code": "VALID",
        "status": "valid",
        "days_left": 200,
        "end": "2027-01-01",
        "grace_days": 30,
        "serial": 3,
        "iat": 1795000000,
        "nonce": request["nonce"],
    }
    claims.update(overrides)
    return claims


def signed(signer: Signer, http_status: int = 200, **overrides: Any) -> Responder:
    def respond(path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        token = signer.token(answer_claims(request, **overrides), typ=VALIDATION_TYP)
        return http_status, json.dumps({"token": token}).encode()

    return respond


def ask(server: Server, keys: KeySet, call=validate) -> ValidationAnswer:
    return call(server.base_url, activation_id=ACTIVATION_ID, host_id=HOST_ID, keys=keys)


def test_validate(server, signer, keys):
    server.respond = signed(signer)
    answer = ask(server, keys)
    assert (answer.valid, answer.code, answer.status, answer.days_left) == (
        True,
        "VALID",
        "valid",
        200,
    )
    assert (answer.end, answer.serial, answer.licence) == (date(2027, 1, 1), 3, None)
    assert answer.claims["grace_days"] == 30
    ((method, path, request),) = server.requests
    assert (method, path) == ("POST", "/api/v1/product/validate")
    assert set(request) == {"activation_id", "host_id", "nonce"}
    assert (request["activation_id"], request["host_id"]) == (ACTIVATION_ID, HOST_ID.upper())
    assert len(request["nonce"]) >= 16


def test_each_request_has_a_fresh_nonce(server, signer, keys):
    server.respond = signed(signer)
    ask(server, keys)
    ask(server, keys)
    assert server.requests[0][2]["nonce"] != server.requests[1][2]["nonce"]


def test_a_signed_refusal_on_an_error_status(server, signer, keys):
    server.respond = signed(
        signer, 404, valid=False, code="NOT_FOUND", status=None, days_left=None, end=None
    )
    answer = ask(server, keys)
    assert (answer.valid, answer.code, answer.end, answer.days_left) == (
        False,
        "NOT_FOUND",
        None,
        None,
    )


def test_activate_returns_the_verified_licence(server, signer, keys):
    licence = signer.licence(serial=3)

    def respond(path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        token = signer.token(answer_claims(request), typ=VALIDATION_TYP)
        return 200, json.dumps({"token": token, "licence": licence}).encode()

    server.respond = respond
    answer = ask(server, keys, activate)
    assert answer.licence == licence and answer.valid
    assert server.requests[0][1] == "/api/v1/product/activate"


@pytest.mark.parametrize(
    "licence",
    [
        lambda s: Signer(s.kid).licence(),
        lambda s: s.licence(host_id="another-host"),
        lambda s: s.licence(activation_id="OTHER-ACTIV-ATION-00000"),
        lambda s: 42,
    ],
    ids=["forged", "other-host", "other-activation", "not-text"],
)
def test_activate_refuses_a_bad_licence(server, signer, keys, licence):
    def respond(path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        token = signer.token(answer_claims(request), typ=VALIDATION_TYP)
        return 200, json.dumps({"token": token, "licence": licence(signer)}).encode()

    server.respond = respond
    with pytest.raises(UntrustedAnswer):
        ask(server, keys, activate)


def test_a_tampered_token_is_refused(server, signer, keys):
    def respond(path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        header, _, signature = signer.token(
            answer_claims(request, valid=False, code="EXPIRED"), typ=VALIDATION_TYP
        ).split(".")
        forged = signer.token(answer_claims(request), typ=VALIDATION_TYP).split(".")[1]
        return 200, json.dumps({"token": f"{header}.{forged}.{signature}"}).encode()

    server.respond = respond
    with pytest.raises(UntrustedAnswer, match="does not verify"):
        ask(server, keys)


def test_unsigned_fields_are_never_trusted(server, signer, keys):
    def respond(path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        token = signer.token(
            answer_claims(request, valid=False, code="EXPIRED"), typ=VALIDATION_TYP
        )
        return 200, json.dumps({"token": token, "valid": True, "code": "VALID"}).encode()

    server.respond = respond
    answer = ask(server, keys)
    assert (answer.valid, answer.code) == (False, "EXPIRED")


@pytest.mark.parametrize(
    "overrides",
    [
        {"nonce": "replayed-nonce-0000000"},
        {"activation_id": "OTHER-ACTIV-ATION-00000"},
        {"host_id": "another-host"},
    ],
    ids=["nonce", "activation", "host"],
)
def test_an_answer_for_another_request_is_refused(server, signer, keys, overrides):
    server.respond = signed(signer, **overrides)
    with pytest.raises(UntrustedAnswer, match="not this request's"):
        ask(server, keys)


def test_a_replayed_answer_is_refused(server, signer, keys):
    first: list[bytes] = []

    def respond(path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        if not first:
            first.append(signed(signer)(path, request)[1])
        return 200, first[0]

    server.respond = respond
    ask(server, keys)
    with pytest.raises(UntrustedAnswer):
        ask(server, keys)


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "someone"},
        {"valid": "yes"},
        {"valid": None},
        {"code": None},
        {"days_left": "200"},
        {"serial": True},
        {"end": "soon"},
        {"end": 20270101},
        {"status": 1},
    ],
    ids=repr,
)
def test_ill_typed_answers_are_refused(server, signer, keys, overrides):
    server.respond = signed(signer, **overrides)
    with pytest.raises(UntrustedAnswer):
        ask(server, keys)


def test_a_licence_token_is_not_an_answer(server, signer, keys):
    def respond(path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        return 200, json.dumps({"token": signer.token(answer_claims(request))}).encode()

    server.respond = respond
    with pytest.raises(UntrustedAnswer):
        ask(server, keys)


def test_a_key_outside_the_key_set_is_refused(server, keys):
    server.respond = signed(Signer("2026-11-23-7f4a"))
    with pytest.raises(UntrustedAnswer):
        ask(server, keys)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b"Internal Server Error"),
        (200, b"not json"),
        (200, b"[]"),
        (200, b"{}"),
        (200, b'{"token": 42}'),
        (200, b"{" * 100_000),
        (200, b" " * (1024 * 1024 + 1)),
    ],
    ids=["500", "not-json", "array", "no-token", "token-not-text", "deep", "huge"],
)
def test_protocol_errors(server, keys, status, body):
    server.respond = lambda path, request: (status, body)
    with pytest.raises(OnlineError) as error:
        ask(server, keys)
    assert not isinstance(error.value, UntrustedAnswer)


def test_unreachable_and_bad_addresses(keys):
    with pytest.raises(OnlineError, match="cannot reach"):
        validate("http://127.0.0.1:9", activation_id="a", host_id="h", keys=keys, timeout=2)
    with pytest.raises(OnlineError, match="not an http"):
        validate("file:///etc/passwd", activation_id="a", host_id="h", keys=keys)


def test_fetch_keys(server, signer):
    other = Signer("2027")
    server.respond = lambda path, request: (200, json.dumps(jwks(signer, other)).encode())
    keys = fetch_keys(server.base_url)
    assert sorted(keys) == sorted([signer.kid, other.kid])
    assert server.requests == [("GET", "/api/v1/keys", {})]


@pytest.mark.parametrize(
    ("status", "body"), [(503, b'{"keys": []}'), (200, b'{"keys": {}}'), (200, b"oops")]
)
def test_fetch_keys_errors(server, status, body):
    server.respond = lambda path, request: (status, body)
    with pytest.raises(OnlineError):
        fetch_keys(server.base_url)


# --- Normalised identifiers, NOT_FOUND, leases, deactivation (device trust). ---


def test_a_lower_case_key_and_host_are_sent_normalised_and_the_answer_trusted(server, signer, keys):
    server.respond = signed(signer)
    answer = validate(
        server.base_url,
        activation_id=" 7kq2m xh4pa 9rtcw en3bz",
        host_id="Host-4F1C9E2A7B ",
        keys=keys,
    )
    assert (answer.valid, answer.code) == (True, "VALID")
    request = server.requests[0][2]
    assert (request["activation_id"], request["host_id"]) == (ACTIVATION_ID, "HOST-4F1C9E2A7B")


def test_a_mistyped_key_is_reported_as_not_found(server, signer, keys):
    server.respond = signed(
        signer, valid=False, code="NOT_FOUND", status=None, days_left=None, end=None
    )
    answer = validate(
        server.base_url, activation_id="7kq2m-xh4pa-9rtcw-en3by", host_id="h", keys=keys
    )
    assert (answer.valid, answer.code) == (False, "NOT_FOUND")
    assert answer.claims["activation_id"] == "7KQ2M-XH4PA-9RTCW-EN3BY"


@pytest.fixture
def store(tmp_path, keys):
    return LicenceStore(tmp_path / "licence.lic", keys=keys, host_id=HOST_ID)


def with_licence(signer: Signer, licence: str | None, **overrides: Any) -> Responder:
    def respond(path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        token = signer.token(answer_claims(request, **overrides), typ=VALIDATION_TYP)
        return 200, json.dumps({"token": token, "licence": licence}).encode()

    return respond


def test_the_store_activates_with_its_installation_key(server, signer, store):
    server.respond = with_licence(signer, signer.licence(host_id=HOST_ID.upper(), serial=1))
    answer = store.activate(server.base_url, ACTIVATION_ID.lower(), device_name="rack 3")
    assert answer.code == "VALID"
    request = server.requests[0][2]
    assert request["installation_key"] == store.installation_id()
    assert request["device_name"] == "rack 3"
    assert store.current().claims["serial"] == 1


def test_refresh_sends_the_serial_and_installs_the_renewed_lease(server, signer, store):
    store.install(signer.licence(serial=1, lease_until="2026-01-10"))
    renewed = signer.licence(serial=2, lease_until="2036-01-10", end="2036-06-01")
    server.respond = with_licence(signer, renewed, lease_until="2036-01-10")
    answer = store.refresh(server.base_url)
    assert answer.lease_until == date(2036, 1, 10)
    assert server.requests[0][1] == "/api/v1/product/validate"
    assert server.requests[0][2]["serial"] == 1
    assert store.current().claims["serial"] == 2
    assert store.trusted_time == answer.iat


def test_a_foreign_licence_in_a_validation_answer_is_untrusted(server, signer, store):
    store.install(signer.licence(serial=1))
    server.respond = with_licence(signer, signer.licence(host_id="another", serial=2))
    with pytest.raises(UntrustedAnswer):
        store.refresh(server.base_url)
    assert store.current().claims["serial"] == 1


def test_online_deactivation_sends_a_proof_and_removes_the_file(server, signer, store):
    store.install(signer.licence(serial=3))
    server.respond = signed(signer, valid=False, code="DEACTIVATED")
    answer = store.deactivate(server.base_url)
    assert answer.code == "DEACTIVATED"
    _, path, request = server.requests[0]
    assert path == "/api/v1/product/deactivate"
    assert read_deactivation_proof(request["proof"])["serial"] == 3
    assert not store.path.exists()


def test_a_refused_deactivation_keeps_the_file(server, signer, store):
    store.install(signer.licence(serial=3))
    server.respond = signed(signer, valid=False, code="PROOF_REQUIRED")
    assert store.deactivate(server.base_url).code == "PROOF_REQUIRED"
    assert store.path.exists()


def test_an_answer_from_the_future_marks_the_clock(server, signer, store):
    store.install(signer.licence(serial=1))
    future = int(datetime.now(UTC).timestamp()) + 3600
    server.respond = signed(signer, iat=future)
    store.refresh(server.base_url)
    assert store.clock_tampered()
    assert store.current().status is Status.CLOCK_TAMPERED
