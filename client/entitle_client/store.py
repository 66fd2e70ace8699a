"""The installed licence file and key set: the product's "Renew License" screen."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from entitle_client import jws
from entitle_client.keys import KeySet, KeySetError
from entitle_client.licence import LicenceCheck, Status, verify_licence

_REFUSED = frozenset({Status.INVALID_SIGNATURE, Status.WRONG_DEVICE, Status.ISSUED_IN_FUTURE})


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


class LicenceStore:
    """A licence file at `path` and, beside it at `path` + ".jwks", the rotated key set.

    `keys` are the product's own keys; once `replace_keys` has stored a key set, that one is
    used (a missing or unreadable stored key set falls back to `keys`).
    """

    def __init__(self, path: str | Path, *, keys: KeySet, host_id: str) -> None:
        self.path = Path(path)
        self.keys_path = self.path.with_name(self.path.name + ".jwks")
        self.host_id = host_id
        try:
            self.keys = KeySet.load(self.keys_path)
        except (OSError, KeySetError):
            self.keys = keys

    def current(
        self, *, today: date | None = None, now: datetime | None = None
    ) -> LicenceCheck | None:
        """The check of the installed file, or None when no file is installed."""
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return None
        return verify_licence(text, keys=self.keys, host_id=self.host_id, today=today, now=now)

    def install(
        self, text: str | bytes, *, today: date | None = None, now: datetime | None = None
    ) -> LicenceCheck:
        """Verify a replacement file and, if acceptable, write it atomically; return its check.

        Accepted when its signature verifies, it is for this host, it is not issued in the
        future and, for the same `activation_id` as the installed file, its `serial` is not
        lower. Expiry does not matter: the newest file is the truth. Raises `LicenceRejected`
        (or its subclass `SupersededLicence`).
        """
        check = verify_licence(text, keys=self.keys, host_id=self.host_id, today=today, now=now)
        if check.status in _REFUSED or check.claims is None:
            raise LicenceRejected(check)
        installed = self.current(today=today, now=now)
        old = installed.claims if installed is not None else None
        new = check.claims
        if (
            old is not None
            and old["activation_id"] == new["activation_id"]
            and new["serial"] < old["serial"]
        ):
            raise SupersededLicence(check, serial=new["serial"], installed_serial=old["serial"])
        token = jws.unarmour(text.decode("ascii") if isinstance(text, bytes) else text)
        _atomic_write(self.path, jws.armour(token))
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


def _atomic_write(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, sync it, then rename it over `path`."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, 0o644)
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
