import pytest
from entitle_client import KeySet
from factory import Signer, jwks


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer("2026-11-23-7f4a")


@pytest.fixture(scope="session")
def keys(signer: Signer) -> KeySet:
    return KeySet.from_jwks(jwks(signer))
