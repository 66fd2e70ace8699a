"""Fixtures shared by every test: companies and users made through the real services."""

import io
import itertools

import pytest
from django.db import connection
from django.test import Client

from entitle.accounts.models import Company, User
from entitle.accounts.scopes import everything_for
from entitle.accounts.services import api_token_create, company_create, user_create
from entitle.core.actor import Actor

PASSWORD = "a-Long-test-passw0rd"
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache: no test may inherit another's.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- Builders: plain functions, so that a module-scoped world (`module_db`) can use them too. ---


def new_company(name: str | None = None, **fields) -> Company:
    return company_create(actor=None, name=name or f"Company {next(_serial)}", **fields)


def new_user(
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


def new_vendor_staff() -> User:
    vendor = new_company("Vendor Ltd", is_vendor=True)
    return new_user(vendor, role=User.Role.ADMIN, is_staff=True, name="Vera Vendor")


def new_channel(vendor_staff: User):
    """A partner PO's parties: every role held by a different company, plus an unrelated one."""
    from types import SimpleNamespace

    companies = {
        role: new_company(name)
        for role, name in [
            ("purchasing", "Northwind Distribution"),
            ("reseller", "Bluebird IT Resellers"),
            ("owner", "Acme Data Centres"),
            ("installer", "Initech Managed Services"),
            ("unrelated", "Umbrella Unrelated"),
        ]
    }
    users = {
        role: new_user(company, role=User.Role.ADMIN, email=f"{role}@example.com")
        for role, company in companies.items()
    }
    users["vendor"] = vendor_staff
    return SimpleNamespace(companies=companies, users=users, staff=Actor.for_user(vendor_staff))


def new_partner_po(channel, skus: dict, po_number: str = "PO-1001"):
    """The channel's PO, recorded and fulfilled: DCE-1Y × 25 and PCNS-3Y × 10."""
    from entitle.orders.services import LineInput, po_fulfil, po_record

    c = channel.companies
    po = po_record(
        actor=channel.staff,
        po_number=po_number,
        msa_reference="MSA-7",
        po_email="orders@northwind.example",
        channel="partner",
        purchasing_entity=c["purchasing"],
        reseller=c["reseller"],
        owner=c["owner"],
        installer=c["installer"],
        lines=[LineInput(skus["DCE-1Y"], 25, "40.00"), LineInput(skus["PCNS-3Y"], 10)],
    )
    return po_fulfil(actor=channel.staff, public_id=po.public_id)


def redeem_partner_po(partner_po, channel) -> Actor:
    """The owner redeems both vouchers: 25 credits of DCE-1Y and 10 of PCNS-3Y."""
    from entitle.locker.services import voucher_redeem

    owner = Actor.for_user(channel.users["owner"])
    for n, line in enumerate(partner_po.lines.order_by("number")):
        voucher_redeem(actor=owner, code=line.voucher.code, idempotency_key=f"fixture-{n}")
    return owner


def post_wsgi(app, path: str, body: bytes, **environ) -> tuple[int, list, bytes]:
    """POST `body` to the WSGI callable `app` as a WSGI server would (JSON unless CONTENT_TYPE
    says otherwise): the status, the header pairs and the body."""
    started = []
    chunks = app(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
            **environ,
        },
        lambda status, headers: started.append((status, headers)),
    )
    status, headers = started[0]
    return int(status.split()[0]), headers, b"".join(chunks)


@pytest.fixture
def keep_the_test_connection(monkeypatch):
    """For tests that call the WSGI entry (`config.wsgi.application`) inside the test's
    transaction: the fast paths recycle connections themselves, as Django's request signals do;
    as Django's test client does, none of them may close the test's connection."""
    from django.core import signals
    from django.db import close_old_connections

    from entitle.accounts import token_routes
    from entitle.licensing import fastpath

    monkeypatch.setattr(fastpath, "close_old_connections", lambda: None)
    monkeypatch.setattr(token_routes, "close_old_connections", lambda: None)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """One transaction around a whole test module: a module-scoped fixture that depends on
    this builds its data once, and each test (marked `django_db`) rolls back to it."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def make_company(db):
    return new_company


@pytest.fixture
def make_user(db):
    return new_user


@pytest.fixture
def vendor_staff(db) -> User:
    return new_vendor_staff()


@pytest.fixture
def vendor(vendor_staff) -> Company:
    return vendor_staff.company


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
        if user.is_vendor_staff:
            # Staff reach the back office only after a second factor: sign them in with one.
            verify_session(client, user)
        return client

    return make


def verify_session(client: Client, user: User) -> None:
    """Mark a test client's session as signed in with a second factor (a TOTP device)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="tests", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def token_client(db):
    """A client that calls the API with a fresh token of `user`'s company."""

    def make(user: User, scopes: list[str] | None = None) -> Client:
        actor = Actor.for_user(user)
        if scopes is None:
            scopes = everything_for(staff=actor.is_vendor_staff)
        _, secret = api_token_create(actor=actor, name="tests", scopes=scopes)
        return Client(headers={"authorization": f"Bearer {secret}"})

    return make


@pytest.fixture(scope="session")
def oidc_provider():
    """A real OpenID Connect provider (oidc-provider-mock) serving on localhost for the whole
    session: its authorize page takes any subject, with claims set through `PUT /users/<sub>`."""
    import os

    from oidc_provider_mock import run_server_in_thread

    # The provider refuses plain http unless told (its clients here are the tests themselves).
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        with run_server_in_thread() as server:
            yield f"http://localhost:{server.server_port}"
    finally:
        del os.environ["AUTHLIB_INSECURE_TRANSPORT"]


@pytest.fixture
def on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def skus(db) -> dict:
    """The demo catalog: Data Center Expert, Secure NMC and PowerChute, 1/3/5-year SKUs."""
    from entitle.demo import load_catalog

    return load_catalog()


@pytest.fixture
def channel(vendor_staff):
    """A partner PO with every role held by a different company, plus an unrelated one."""
    return new_channel(vendor_staff)


@pytest.fixture
def partner_po(channel, skus, django_capture_on_commit_callbacks):
    """Channel's PO, recorded and fulfilled: DCE-1Y × 25 and PCNS-3Y × 10."""
    with django_capture_on_commit_callbacks(execute=True):
        return new_partner_po(channel, skus)


@pytest.fixture
def owner_credits(partner_po, channel):
    """The owner has redeemed both vouchers: 25 credits of DCE-1Y and 10 of PCNS-3Y."""
    return redeem_partner_po(partner_po, channel)
