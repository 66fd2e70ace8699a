"""Entitle licence verifier for licensed products: offline licence files and online answers."""

from entitle_client.keys import KeySet, KeySetError
from entitle_client.licence import LicenceCheck, Status, verify_licence
from entitle_client.online import (
    OnlineError,
    UntrustedAnswer,
    ValidationAnswer,
    activate,
    fetch_keys,
    validate,
)
from entitle_client.store import LicenceRejected, LicenceStore, SupersededLicence

__all__ = [
    "KeySet",
    "KeySetError",
    "LicenceCheck",
    "LicenceRejected",
    "LicenceStore",
    "OnlineError",
    "Status",
    "SupersededLicence",
    "UntrustedAnswer",
    "ValidationAnswer",
    "activate",
    "fetch_keys",
    "validate",
    "verify_licence",
]
