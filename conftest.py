"""Fixtures shared by every test: companies and users made through the real services."""

import itertools

import pytest
from django.db import connection
from django.test import Client

from entitle.access.actor import Actor
from entitle.accounts.models import Company, User
from entitle.accounts.services import api_token_create, company_create, user_create

PASSWORD = "a-Long-test-passw0rd"
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache: no test may inherit another's.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_company(db):
    def make(name: str | None = None, **fields) -> Company:
        return company_create(actor=None, name=name or f"Company {next(_serial)}", **fields)

    return make


@pytest.fixture
def make_user(db):
    def make(
        company: Company,
        *,
        role: str = User.Role.MEMBER,
        email: str | None = None,
        name: str | None = None,
        is_staff: bool = False,
    ) -> User:
        n = next(_serial)
        return user_create(
            actor=None,
            company=company,
            email=email or f"user{n}@example.com",
            name=name or f"User {n}",
            password=PASSWORD,
            role=role,
            is_staff=is_staff,
        )

    return make


@pytest.fixture
def vendor(make_company) -> Company:
    return make_company("Vendor Ltd", is_vendor=True)


@pytest.fixture
def vendor_staff(vendor, make_user) -> User:
    return make_user(vendor, role=User.Role.ADMIN, is_staff=True, name="Vera Vendor")


@pytest.fixture
def acme(make_company) -> Company:
    return make_company("Acme Data Centres")


@pytest.fixture
def acme_admin(acme, make_user) -> User:
    return make_user(acme, role=User.Role.ADMIN, email="olivia@acme.example", name="Olivia Owner")


@pytest.fixture
def acme_member(acme, make_user) -> User:
    return make_user(acme, email="sam@acme.example", name="Sam Sysadmin")


@pytest.fixture
def globex(make_company) -> Company:
    return make_company("Globex Manufacturing")


@pytest.fixture
def globex_admin(globex, make_user) -> User:
    return make_user(globex, role=User.Role.ADMIN, email="grace@globex.example", name="Grace")


def actor_of(user: User) -> Actor:
    return Actor.for_user(user)


@pytest.fixture
def login():
    """A Django test client logged in as `user`."""

    def make(user: User, *, enforce_csrf: bool = False) -> Client:
        client = Client(enforce_csrf_checks=enforce_csrf)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def token_client(db):
    """A client that calls the API with a fresh token of `user`'s company."""

    def make(user: User) -> Client:
        _, secret = api_token_create(actor=Actor.for_user(user), name="tests")
        return Client(headers={"authorization": f"Bearer {secret}"})

    return make


@pytest.fixture
def on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
