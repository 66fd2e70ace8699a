"""The installed licence file, key set and installation state: the product's "Renew License"
screen, online renewal of its lease, air-gapped activation and deactivation."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from entitle_client import airgap, jws, online
from entitle_client.ids import normalize_host_id
from entitle_client.keys import KeySet, KeySetError
from entitle_client.licence import CLOCK_SKEW_SECONDS, LicenceCheck, Status, verify_licence

_REFUSED = frozenset({Status.INVALID_SIGNATURE, Status.WRONG_DEVICE, Status.CLOCK_TAMPERED})
# Requests written and not yet answered; older ones are forgotten (their responses refused).
MAX_PENDING_REQUESTS = 8


class LicenceRejected(Exception):
    """The file was not installed; `check` says why. The stored file is untouched."""

    def __init__(self, check: LicenceCheck, reason: str | None = None) -> None:
        super().__init__(reason or check.message)
        self.check = check


class SupersededLicence(LicenceRejected):
    """The file is older (lower `serial`) than the installed file of the same activation."""

    def __init__(self, check: LicenceCheck, *, serial: int, installed_serial: int) -> None:
        super().__init__(
            check,
            f"Licence serial {serial} is older than the installed serial "
            f"{installed_serial}: an older file never replaces a newer one.",
        )
        self.serial = serial
        self.installed_serial = installed_serial


class NoLicence(Exception):
    """The operation needs an installed licence file, and there is none."""


class LicenceStore:
    """A licence file at `path`, and beside it: `.jwks` (the rotated key set), `.state` (the
    latest trusted time seen and the pending air-gapped requests) and `.key` (this
    installation's private key, made on first use, readable by the owner only).

    `keys` are the product's own keys; once `replace_keys` has stored a key set, that one is
    used (a missing or unreadable stored key set falls back to `keys`).
    """

    def __init__(self, path: str | Path, *, keys: KeySet, host_id: str) -> None:
        self.path = Path(path)
        self.keys_path = self._beside(".jwks")
        self.state_path = self._beside(".state")
        self.key_path = self._beside(".key")
        self.host_id = normalize_host_id(host_id)
        try:
            self.keys = KeySet.load(self.keys_path)
        except (OSError, KeySetError):
            self.keys = keys

    def _beside(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    # --- State: the latest trusted time, pending requests. ---

    def _state(self) -> dict[str, Any]:
        try:
            state = json.loads(self.state_path.read_bytes())
        except (OSError, ValueError):
            return {"trusted_time": 0, "pending": []}
        trusted = state.get("trusted_time") if isinstance(state, dict) else None
        pending = state.get("pending") if isinstance(state, dict) else None
        return {
            "trusted_time": trusted if type(trusted) is int else 0,
            "pending": [n for n in pending if isinstance(n, str)]
            if isinstance(pending, list)
            else [],
        }

    def _save_state(self, state: dict[str, Any]) -> None:
        _atomic_write(self.state_path, json.dumps(state) + "\n")

    @property
    def trusted_time(self) -> int:
        """The latest signed time (Unix seconds) of a file or answer this store accepted."""
        return self._state()["trusted_time"]

    def observe(self, signed_time: int) -> None:
        """Remember a signed time (a file's or answer's `iat`) if it is the latest seen. A time
        from beyond this device's clock marks the clock as tampered until it catches up."""
        state = self._state()
        if signed_time > state["trusted_time"]:
            state["trusted_time"] = signed_time
            self._save_state(state)

    def clock_tampered(self, now: datetime | None = None) -> bool:
        """Is this device's clock behind the latest trusted time (beyond the tolerance)?"""
        timestamp = time.time() if now is None else now.timestamp()
        return self.trusted_time > timestamp + CLOCK_SKEW_SECONDS

    # --- The licence file. ---

    def current(
        self, *, today: date | None = None, now: datetime | None = None
    ) -> LicenceCheck | None:
        """The check of the installed file, or None when no file is installed."""
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return None
        return self._verify(text, today=today, now=now)

    def _verify(
        self, text: str | bytes, *, today: date | None, now: datetime | None
    ) -> LicenceCheck:
        return verify_licence(
            text,
            keys=self.keys,
            host_id=self.host_id,
            today=today,
            now=now,
            trusted_time=self.trusted_time,
        )

    def install(
        self, text: str | bytes, *, today: date | None = None, now: datetime | None = None
    ) -> LicenceCheck:
        """Verify a replacement file and, if acceptable, write it atomically; return its check.

        Accepted when its signature verifies, it is for this host, the clock is not behind it
        (a file from the future marks the clock as tampered), it answers one of this
        installation's pending air-gapped requests if it is a response, and, for the same
        `activation_id` as the installed file, its `serial` is not lower. Expiry does not
        matter: the newest file is the truth. Raises `LicenceRejected` (or its subclass
        `SupersededLicence`).
        """
        check = self._verify(text, today=today, now=now)
        if check.status is Status.CLOCK_TAMPERED and check.claims is not None:
            self.observe(check.claims["iat"])
        if check.status in _REFUSED or check.claims is None:
            raise LicenceRejected(check)
        new = check.claims
        state = self._state()
        nonce = new.get("request_nonce")
        if nonce is not None and (
            nonce not in state["pending"] or new.get("installation_key") != self.installation_id()
        ):
            raise LicenceRejected(
                check,
                "This response file does not answer a pending activation request of this "
                "installation (it was made for another one, or it was installed already).",
            )
        installed = self.current(today=today, now=now)
        old = installed.claims if installed is not None else None
        if (
            old is not None
            and old["activation_id"] == new["activation_id"]
            and new["serial"] < old["serial"]
        ):
            raise SupersededLicence(check, serial=new["serial"], installed_serial=old["serial"])
        token = jws.unarmour(text.decode("ascii") if isinstance(text, bytes) else text)
        _atomic_write(self.path, jws.armour(token))
        state["trusted_time"] = max(state["trusted_time"], new["iat"])
        state["pending"] = [n for n in state["pending"] if n != nonce]
        self._save_state(state)
        return check

    def replace_keys(self, jwks: str | bytes | dict[str, Any]) -> KeySet:
        """Store a new key set (rotation) and use it from now on.

        Raises `KeySetError` if it has no Ed25519 key or gives a known `kid` another key.
        """
        new = KeySet.from_jwks(jwks)
        if not new:
            raise KeySetError("the key set has no Ed25519 key")
        for kid, key in new.items():
            if kid in self.keys and self.keys[kid].public_bytes_raw() != key.public_bytes_raw():
                raise KeySetError(f"kid {kid!r} already names another key")
        _atomic_write(self.keys_path, json.dumps(new.to_jwks(), indent=2) + "\n")
        self.keys = new
        return new

    def _installed_claims(self) -> dict[str, Any]:
        check = self.current()
        if check is None or check.claims is None:
            raise NoLicence("No licence file is installed.")
        return check.claims

    # --- The installation key. ---

    def installation_key(self) -> Ed25519PrivateKey:
        """This installation's Ed25519 key, made and stored (mode 0600) on first use."""
        try:
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        except FileNotFoundError:
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            _atomic_write(self.key_path, pem.decode("ascii"), mode=0o600)
            return key
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{self.key_path} is not an Ed25519 private key")
        return key

    def installation_id(self) -> str:
        """The public half of the installation key, as it appears in files (base64url)."""
        return airgap.public_key_id(self.installation_key())

    # --- Air-gapped. ---

    def request_activation(
        self, activation_id: str, *, product_version: str, device_name: str = ""
    ) -> str:
        """An activation request file for the owner to upload; its response is installed with
        `install` (only the latest few requests stay pending)."""
        text, nonce = airgap.activation_request(
            self.installation_key(),
            activation_id=activation_id,
            host_id=self.host_id,
            product_version=product_version,
            device_name=device_name,
        )
        state = self._state()
        state["pending"] = [*state["pending"], nonce][-MAX_PENDING_REQUESTS:]
        self._save_state(state)
        return text

    def deactivate_offline(self) -> str:
        """Remove the installed licence file and return the proof of it for the owner to
        upload; the server then frees the seat. The product stops running at once."""
        claims = self._installed_claims()
        proof = airgap.deactivation_proof(
            self.installation_key(),
            activation_id=claims["activation_id"],
            host_id=self.host_id,
            serial=claims["serial"],
        )
        self.path.unlink()
        return proof

    # --- Online. ---

    def activate(
        self, base_url: str, activation_id: str, *, device_name: str = "", timeout: float = 10
    ) -> online.ValidationAnswer:
        """Activate online and install the licence file the server hands out."""
        answer = online.activate(
            base_url,
            activation_id=activation_id,
            host_id=self.host_id,
            keys=self.keys,
            device_name=device_name,
            installation_key=self.installation_id(),
            timeout=timeout,
        )
        return self._apply(answer)

    def refresh(self, base_url: str, *, timeout: float = 10) -> online.ValidationAnswer:
        """Validate the installed licence online: renews its lease, and installs the fresh file
        the server returns (a renewed lease, a renewal, a new quantity)."""
        claims = self._installed_claims()
        answer = online.validate(
            base_url,
            activation_id=claims["activation_id"],
            host_id=self.host_id,
            keys=self.keys,
            serial=claims["serial"],
            timeout=timeout,
        )
        return self._apply(answer)

    def deactivate(self, base_url: str, *, timeout: float = 10) -> online.ValidationAnswer:
        """Deactivate this device online, with this installation's signed proof; the licence
        file is removed once the server confirms (`DEACTIVATED`)."""
        claims = self._installed_claims()
        proof = airgap.deactivation_proof(
            self.installation_key(),
            activation_id=claims["activation_id"],
            host_id=self.host_id,
            serial=claims["serial"],
        )
        answer = online.deactivate(
            base_url,
            activation_id=claims["activation_id"],
            host_id=self.host_id,
            keys=self.keys,
            proof=proof,
            timeout=timeout,
        )
        self.observe(answer.iat)
        if answer.code == "DEACTIVATED":
            self.path.unlink(missing_ok=True)
        return answer

    def _apply(self, answer: online.ValidationAnswer) -> online.ValidationAnswer:
        self.observe(answer.iat)
        if answer.licence is not None:
            self.install(answer.licence)
        return answer


def _atomic_write(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Write `text` to a temporary file beside `path`, sync it, then rename it over `path`."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    if os.name == "posix":
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
