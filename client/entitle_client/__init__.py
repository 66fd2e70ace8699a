"""Entitle licence verifier for licensed products: offline licence files and online answers."""

from entitle_client.ids import normalize_activation_id, normalize_host_id
from entitle_client.keys import KeySet, KeySetError
from entitle_client.licence import LicenceCheck, Status, verify_licence
from entitle_client.online import (
    OnlineError,
    UntrustedAnswer,
    ValidationAnswer,
    activate,
    deactivate,
    fetch_keys,
    validate,
)
from entitle_client.store import LicenceRejected, LicenceStore, NoLicence, SupersededLicence

__all__ = [
    "KeySet",
    "KeySetError",
    "LicenceCheck",
    "LicenceRejected",
    "LicenceStore",
    "NoLicence",
    "OnlineError",
    "Status",
    "SupersededLicence",
    "UntrustedAnswer",
    "ValidationAnswer",
    "activate",
    "deactivate",
    "fetch_keys",
    "normalize_activation_id",
    "normalize_host_id",
    "validate",
    "verify_licence",
]
