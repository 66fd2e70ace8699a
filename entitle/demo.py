"""The demo world that `entitle demo` loads: loading it twice changes nothing."""

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from entitle_client import airgap

from entitle.accounts import scopes
from entitle.accounts.models import Company, User
from entitle.accounts.selectors import identity_provider_of
from entitle.accounts.services import (
    api_token_create,
    api_token_revoke,
    company_create,
    mfa,
    service_account_create,
    user_create,
)
from entitle.accounts.services.sso import provider_save
from entitle.catalog.models import Product, Sku
from entitle.catalog.services import product_create, sku_create
from entitle.core import counters
from entitle.core.actor import Actor
from entitle.licensing import product_http
from entitle.licensing.models import Device, Licence
from entitle.licensing.services.devices import device_register, licence_assign, licence_rehost
from entitle.licensing.services.licences import licence_create, licence_renew
from entitle.licensing.services.product import (
    ProductRequest,
    airgap_activate,
    product_activate,
    product_validate,
)
from entitle.locker.models import Voucher
from entitle.locker.services import voucher_redeem
from entitle.orders.models import PurchaseOrder
from entitle.orders.services import LineInput, po_fulfil, po_record
from entitle.renewals.models import PartnerListing
from entitle.renewals.schedule import steps
from entitle.renewals.services.partners import partner_listing_save, renewal_request_create
from entitle.renewals.tasks import sweep_now
from entitle.sharing.models import Delegation
from entitle.sharing.services import delegation_grant, transfer_propose
from entitle.webhooks import selectors as webhook_selectors
from entitle.webhooks import services as webhook_services
from entitle.webhooks.models import Endpoint

DEMO_PASSWORD = "entitle-demo"  # noqa: S105 — printed for the demo's users on purpose


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    company: str
    role: str
    is_staff: bool = False
    what: str = ""


COMPANIES = [
    # name, is_vendor, is_partner, country
    ("Entitle Software", True, False, "GB"),
    ("Northwind Distribution", False, True, "DE"),
    ("Bluebird IT Resellers", False, True, "GB"),
    ("Acme Data Centres", False, False, "GB"),
    ("Globex Manufacturing", False, False, "FR"),
    ("Initech Managed Services", False, True, "NL"),
]

USERS = [
    DemoUser(
        "staff@entitle.example",
        "Vera Vendor",
        "Entitle Software",
        "admin",
        True,
        "vendor staff: the back office at /backoffice/",
    ),
    DemoUser(
        "dana@northwind.example",
        "Dana Distributor",
        "Northwind Distribution",
        "admin",
        what="distributor (purchasing entity); its webhook: Integrations › Webhooks",
    ),
    DemoUser(
        "rory@bluebird.example", "Rory Reseller", "Bluebird IT Resellers", "admin", what="reseller"
    ),
    DemoUser(
        "olivia@acme.example",
        "Olivia Owner",
        "Acme Data Centres",
        "admin",
        what="end customer (owner), administrator",
    ),
    DemoUser(
        "sam@acme.example",
        "Sam Sysadmin",
        "Acme Data Centres",
        "member",
        what="end customer (owner), member; signs in with a second factor (below)",
    ),
    DemoUser(
        "grace@globex.example",
        "Grace Globex",
        "Globex Manufacturing",
        "admin",
        what="second end customer; single sign-on when the local provider runs",
    ),
    DemoUser(
        "ian@initech.example",
        "Ian Installer",
        "Initech Managed Services",
        "admin",
        what="installer (managed service provider)",
    ),
]


# The three products of the seeds, each sold for one, three and five years.
PRODUCTS = [
    dict(
        code="dce",
        name="Data Center Expert",
        quantity_unit="discoverable devices and surveillance cameras",
        one_licence_per_device=True,
        lease_days=30,
        description="Monitors the data centre's power, cooling and environment.",
    ),
    dict(
        code="secure-nmc",
        name="Secure NMC",
        quantity_unit="network management cards",
        renewable_after_expiry=False,
        quantity_counts_devices=True,
        description="Security subscription for one network management card each.",
    ),
    dict(
        code="pcns",
        name="PowerChute Network Shutdown",
        quantity_unit="protected nodes",
        grace_days=60,
        lease_days=30,
        description="Shuts protected servers down gracefully when the UPS runs low.",
    ),
]
# Partner price of one unit for one year; longer terms are a little cheaper per year.
YEARLY_PRICE = {"dce": Decimal("40.00"), "secure-nmc": Decimal("25.00"), "pcns": Decimal("18.00")}
TERMS = [(1, 365, Decimal("1")), (3, 1095, Decimal("2.7")), (5, 1825, Decimal("4.2"))]


def load_catalog() -> dict[str, Sku]:
    """The demo catalog (also used by the tests): SKUs by code, e.g. ``DCE-1Y``."""
    for fields in PRODUCTS:
        if not Product.objects.filter(code=fields["code"]).exists():
            product = product_create(actor=None, **fields)
            for years, days, factor in TERMS:
                sku_create(
                    actor=None,
                    product=product,
                    code=f"{product.code.upper()}-{years}Y",
                    name=f"{product.name}, {years} year{'s' if years > 1 else ''}",
                    term_days=days,
                    partner_price=YEARLY_PRICE[product.code] * factor,
                )
    return {sku.code: sku for sku in Sku.objects.select_related("product")}


def _load_orders(companies: dict[str, Company], skus: dict[str, Sku]) -> None:
    staff = Actor.for_user(User.objects.get(email="staff@entitle.example"))
    orders = [
        # A partner sale: the distributor buys, the reseller sells on, Acme owns, Initech installs.
        dict(
            po_number="NW-2026-0042",
            msa_reference="MSA-NW-2024",
            po_email="orders@northwind.example",
            channel="partner",
            purchasing_entity=companies["Northwind Distribution"],
            reseller=companies["Bluebird IT Resellers"],
            owner=companies["Acme Data Centres"],
            installer=companies["Initech Managed Services"],
            lines=[LineInput(skus["DCE-1Y"], 25), LineInput(skus["PCNS-3Y"], 10)],
        ),
        # A direct sale: Globex buys for itself.
        dict(
            po_number="GLX-7781",
            po_email="grace@globex.example",
            channel="direct",
            purchasing_entity=companies["Globex Manufacturing"],
            owner=companies["Globex Manufacturing"],
            lines=[LineInput(skus["SECURE-NMC-1Y"], 4)],
        ),
        # Recorded but not yet fulfilled: vendor staff can fulfil it from the Orders tab.
        dict(
            po_number="NW-2026-0057",
            po_email="orders@northwind.example",
            channel="partner",
            purchasing_entity=companies["Northwind Distribution"],
            owner=companies["Globex Manufacturing"],
            lines=[LineInput(skus["PCNS-1Y"], 50)],
        ),
    ]
    for order in orders:
        if PurchaseOrder.objects.filter(po_number=order["po_number"]).exists():
            continue
        po = po_record(actor=staff, **order)
        if po.po_number != "NW-2026-0057":
            po_fulfil(actor=staff, public_id=po.public_id)
    # Acme has already redeemed its Data Center Expert voucher; the rest wait to be redeemed.
    dce = Voucher.objects.get(line__po__po_number="NW-2026-0042", sku__code="DCE-1Y")
    if dce.status == Voucher.Status.UNREDEEMED:
        olivia = Actor.for_user(User.objects.get(email="olivia@acme.example"))
        voucher_redeem(actor=olivia, code=dce.code, idempotency_key="demo-redeem-dce")


def _at(days_ago: int):
    """Run the real services as if it were `days_ago` days ago, so that the demo has licences
    that are expiring, in grace and expired today."""
    moment = timezone.now() - timedelta(days=days_ago)
    return time_machine.travel(moment.replace(hour=10, minute=0, second=0, microsecond=0))


def _load_history(companies: dict[str, Company], skus: dict[str, Sku]) -> None:
    if PurchaseOrder.objects.filter(po_number="NW-2025-0917").exists():
        return
    staff = Actor.for_user(User.objects.get(email="staff@entitle.example"))
    olivia = Actor.for_user(User.objects.get(email="olivia@acme.example"))
    grace = Actor.for_user(User.objects.get(email="grace@globex.example"))
    with _at(380):
        po = po_record(
            actor=staff,
            po_number="NW-2025-0917",
            msa_reference="MSA-NW-2024",
            po_email="olivia@acme.example",
            channel="partner",
            purchasing_entity=companies["Northwind Distribution"],
            reseller=companies["Bluebird IT Resellers"],
            owner=companies["Acme Data Centres"],
            installer=companies["Initech Managed Services"],
            lines=[LineInput(skus["PCNS-1Y"], 25), LineInput(skus["DCE-1Y"], 40)],
        )
        po_fulfil(actor=staff, public_id=po.public_id)
        for line in po.lines.all():
            voucher_redeem(actor=olivia, code=line.voucher.code, idempotency_key=f"demo-{line.pk}")
        # Ended 15 days ago: PowerChute keeps working for 60 days of grace.
        in_grace = licence_create(
            actor=olivia,
            sku=skus["PCNS-1Y"],
            quantity=5,
            terms=1,
            idempotency_key="demo-pcns-grace",
        ).licence
        node = device_register(
            actor=olivia,
            product=skus["PCNS-1Y"].product,
            name="pcns-node-02",
            host_id="PCNS-7F3A-0002",
            location="Leeds, server room B",
        )
        licence_assign(
            actor=olivia, activation_id=in_grace.activation_id, device_public_id=node.public_id
        )
        nmc = po_record(
            actor=staff,
            po_number="GLX-2025-0333",
            po_email="grace@globex.example",
            channel="direct",
            purchasing_entity=companies["Globex Manufacturing"],
            owner=companies["Globex Manufacturing"],
            lines=[LineInput(skus["SECURE-NMC-1Y"], 4)],
        )
        po_fulfil(actor=staff, public_id=nmc.public_id)
        voucher_redeem(actor=grace, code=nmc.lines.get().voucher.code, idempotency_key="demo-nmc")
        # Ended 15 days ago, and Secure NMC cannot be renewed after expiry.
        licence_create(
            actor=grace,
            sku=skus["SECURE-NMC-1Y"],
            quantity=4,
            terms=1,
            idempotency_key="demo-nmc-expired",
        )
    with _at(347):
        # Both end in 18 days: amber.
        for sku, quantity, name, host, where in [
            ("PCNS-1Y", 20, "pcns-node-01", "PCNS-7F3A-0001", "London, rack 12"),
            ("DCE-1Y", 40, "dce-london-01", "00:C0:B7:4E:19:2A", "London, NOC"),
        ]:
            licence = licence_create(
                actor=olivia,
                sku=skus[sku],
                quantity=quantity,
                terms=1,
                idempotency_key=f"demo-{sku}",
            ).licence
            device = device_register(
                actor=olivia, product=skus[sku].product, name=name, host_id=host, location=where
            )
            licence_assign(
                actor=olivia, activation_id=licence.activation_id, device_public_id=device.public_id
            )


def _load_year(companies: dict[str, Company], skus: dict[str, Sku]) -> None:
    """A year of business for Home's charts: PowerChute bought through Northwind and Bluebird,
    one licence renewed five months ago, another ending in five months."""
    if PurchaseOrder.objects.filter(po_number="NW-2025-0601").exists():
        return
    staff = Actor.for_user(User.objects.get(email="staff@entitle.example"))
    olivia = Actor.for_user(User.objects.get(email="olivia@acme.example"))
    with _at(520):
        po = po_record(
            actor=staff,
            po_number="NW-2025-0601",
            msa_reference="MSA-NW-2024",
            po_email="orders@northwind.example",
            channel="partner",
            purchasing_entity=companies["Northwind Distribution"],
            reseller=companies["Bluebird IT Resellers"],
            owner=companies["Acme Data Centres"],
            installer=companies["Initech Managed Services"],
            lines=[LineInput(skus["PCNS-1Y"], 30)],
        )
        po_fulfil(actor=staff, public_id=po.public_id)
        voucher_redeem(
            actor=olivia, code=po.lines.get().voucher.code, idempotency_key="demo-year-redeem"
        )
    with _at(500):
        renewed = licence_create(
            actor=olivia, sku=skus["PCNS-1Y"], quantity=10, terms=1, idempotency_key="demo-y1"
        ).licence
    with _at(200):
        # Ends in about five months: in the partners' renewal pipeline.
        licence_create(
            actor=olivia, sku=skus["PCNS-1Y"], quantity=5, terms=1, idempotency_key="demo-y2"
        )
    with _at(150):
        # Renewed early, a month before its end: no day lost.
        licence_renew(
            actor=olivia, activation_id=renewed.activation_id, terms=1, idempotency_key="demo-y3"
        )


def _load_sharing() -> None:
    """Acme lets its installer manage the PowerChute licence of pcns-node-01, and its reseller
    view it; and offers its grace-period licence to Globex."""
    if Delegation.objects.exists():
        return
    olivia = Actor.for_user(User.objects.get(email="olivia@acme.example"))
    pcns = Licence.objects.get(bindings__device__name="pcns-node-01")
    delegation_grant(
        actor=olivia, email="ian@initech.example", role="manage", activation_id=pcns.activation_id
    )
    delegation_grant(
        actor=olivia, email="rory@bluebird.example", role="view", activation_id=pcns.activation_id
    )
    in_grace = Licence.objects.get(bindings__device__name="pcns-node-02")
    transfer_propose(
        actor=olivia, activation_id=in_grace.activation_id, to_email="grace@globex.example"
    )


def _load_renewals(companies: dict[str, Company]) -> None:
    """The partners list what they sell; the reminders the daily sweep sent over the past
    weeks; and Acme asks Bluebird to renew its Data Center Expert licence."""

    if PartnerListing.objects.exists():
        return
    for name, products, summary in [
        ("Northwind Distribution", ["dce", "secure-nmc", "pcns"], "Distributor: every product."),
        ("Bluebird IT Resellers", ["dce", "pcns"], "Data centre monitoring and power protection."),
        ("Initech Managed Services", ["pcns", "secure-nmc"], "Managed power and NMC security."),
    ]:
        admin = User.objects.filter(company=companies[name], role=User.Role.ADMIN).first()
        partner_listing_save(actor=Actor.for_user(admin), product_codes=products, summary=summary)
    # The sweeps the scheduler ran on each day a reminder came due in the past six weeks.
    today = timezone.localdate()
    due_days = {
        step.due(licence.end_date)
        for licence in Licence.objects.select_related("product")
        for step in steps(
            reminder_days=licence.product.reminder_days, grace_days=licence.product.grace_days
        )
        if today - timedelta(days=42) <= step.due(licence.end_date) < today
    }
    for day in sorted(due_days):
        with _at((today - day).days):
            sweep_now()
    dce = Licence.objects.get(owner=companies["Acme Data Centres"], sku__code="DCE-1Y")
    renewal_request_create(
        actor=Actor.for_user(User.objects.get(email="olivia@acme.example")),
        activation_id=dce.activation_id,
        partner_id=companies["Bluebird IT Resellers"].pk,
        message="Please quote a one-year renewal.",
    )


def _load_devices(skus: dict[str, Sku]) -> None:
    """Acme's Leeds site: a Data Center Expert that activated online 20 days ago, was moved
    to a new host 12 days ago (a 30-day lease, renewed as it validates), and one in the vault
    without network access, activated with a request file: the activation history of both."""
    if Device.objects.filter(name="dce-vault").exists():
        return
    olivia = Actor.for_user(User.objects.get(email="olivia@acme.example"))

    def new_licence(key: str) -> Licence:
        return licence_create(
            actor=olivia, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key=key
        ).licence

    with _at(20):
        online = new_licence("demo-dce-online")
        product_activate(
            ProductRequest.of(
                activation_id=online.activation_id,
                host_id="00:C0:B7:5A:02:11",
                device_name="dce-leeds-01",
                address="203.0.113.24",
            )
        )
    with _at(12):
        licence_rehost(
            actor=olivia,
            activation_id=online.activation_id,
            device_public_id=Device.objects.get(name="dce-leeds-01").public_id,
            host_id="00:C0:B7:5A:02:12",
            name="dce-leeds-02",
            address="198.51.100.3",
        )
    product_validate(
        ProductRequest.of(
            activation_id=online.activation_id,
            host_id="00:C0:B7:5A:02:12",
            address="203.0.113.25",
        )
    )
    vaulted = new_licence("demo-dce-vault")
    request_file, _ = airgap.activation_request(
        Ed25519PrivateKey.generate(),
        activation_id=vaulted.activation_id,
        host_id="VAULT-DCE-7",
        product_version="7.1",
        device_name="dce-vault",
    )
    airgap_activate(request_text=request_file, actor=olivia, address="198.51.100.3")


# --- Integrations: the distributor's webhook, Globex's single sign-on, Sam's second factor,
# and the vendor's ERP. ---

WEBHOOK_EVENTS = ["po.recorded", "po.fulfilled", "voucher.redeemed", "renewal_request.sent"]
ERP = "ERP (service account)"


def _load_webhook(url: str) -> Endpoint:
    """Northwind's system listens for the events of its orders (the demo runs the receiver)."""
    dana = Actor.for_user(User.objects.get(email="dana@northwind.example"))
    endpoint = webhook_selectors.endpoint_list(actor=dana).first()
    if endpoint is None:
        endpoint, _ = webhook_services.endpoint_create(
            actor=dana,
            url=url,
            event_types=WEBHOOK_EVENTS,
            description="Northwind's order system",
        )
    elif endpoint.url != url:
        endpoint = webhook_services.endpoint_update(
            actor=dana, public_id=endpoint.public_id, url=url
        )
    return endpoint


def _load_sso(issuer: str) -> None:
    """Globex signs in through its identity provider (the demo runs a local one)."""
    grace = Actor.for_user(User.objects.get(email="grace@globex.example"))
    saved = identity_provider_of(actor=grace)
    if saved is None or saved.issuer != issuer:
        provider_save(
            actor=grace,
            company=grace.company,
            issuer=issuer,
            client_id="entitle-demo",
            client_secret="entitle-demo-client-secret",  # noqa: S106 — the local provider's
            domains="globex.example",
        )


def _load_second_factor() -> None:
    """Sam signs in with an authenticator app (the demo prints its key and a recovery code)."""
    sam = User.objects.get(email="sam@acme.example")
    if mfa.has_second_factor(sam):
        return
    enrolment = mfa.enrolment_begin(user=sam)
    device = enrolment.device
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    mfa.enrolment_confirm(user=sam, device_id=device.pk, code=f"{code:06d}", client="demo")


def _load_erp() -> User:
    """The vendor's ERP: a service account with the back office's rights."""
    account = User.objects.filter(name=ERP, is_service_account=True).first()
    if account is None:
        vera = Actor.for_user(User.objects.get(email="staff@entitle.example"))
        account = service_account_create(actor=vera, name=ERP, back_office=True)
    return account


def erp_token() -> str:
    """A fresh token for the ERP (shown once, so each demo run makes one and revokes the
    last): enough to look companies up, and to record and fulfil POs."""
    vera = Actor.for_user(User.objects.get(email="staff@entitle.example"))
    account = _load_erp()
    for token in account.api_tokens.filter(revoked_at__isnull=True):
        api_token_revoke(actor=vera, token_id=token.pk)
    _, secret = api_token_create(
        actor=vera,
        name="ERP (demo)",
        service_account_id=account.pk,
        scopes=["accounts:read", "orders:read", scopes.PO_RECORD, scopes.PO_FULFIL],
    )
    return secret


def webhook_secret() -> str | None:
    endpoint = webhook_selectors.endpoint_list(
        actor=Actor.for_user(User.objects.get(email="dana@northwind.example"))
    ).first()
    return webhook_services.endpoint_secret(endpoint) if endpoint else None


@dataclass(frozen=True)
class SecondFactor:
    email: str
    key: str
    recovery_code: str


def second_factor() -> SecondFactor:
    sam = User.objects.get(email="sam@acme.example")
    device = TOTPDevice.objects.get(user=sam, confirmed=True)
    key = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    code = StaticToken.objects.filter(device__user=sam).values_list("token", flat=True).first()
    return SecondFactor(sam.email, key, code or "none left")


def _load_validations() -> None:
    """The Leeds Data Center Expert has asked the server every few hours since it moved:
    Home charts the validations per day for vendor staff."""
    today = timezone.localdate()
    if counters.daily(product_http.VALIDATIONS, days=[today])[today]:
        return
    licence = Licence.objects.get(bindings__device__name="dce-leeds-02", bindings__ended_at=None)
    body = json.dumps({"activation_id": licence.activation_id, "host_id": "00:C0:B7:5A:02:12"})
    for days_ago in range(11, -1, -1):
        for hour in (2, 8, 14, 20)[: 2 + days_ago % 3]:
            moment = (timezone.now() - timedelta(days=days_ago)).replace(hour=hour, minute=5)
            if moment > timezone.now():
                continue
            with time_machine.travel(moment):
                product_http.respond("validate", body.encode(), "application/json", "203.0.113.25")
    counters.flush()


def unredeemed_vouchers() -> list[Voucher]:
    return list(
        Voucher.objects.filter(status=Voucher.Status.UNREDEEMED)
        .select_related("sku", "line__po")
        .order_by("id")
    )


def load(*, webhook_url: str | None = None, issuer: str | None = None) -> list[DemoUser]:
    """The demo world. With `webhook_url`, Northwind listens there for its orders' events (the
    changes below are then delivered to it); with `issuer`, Globex signs in through it."""
    with transaction.atomic():
        companies = {}
        for name, is_vendor, is_partner, country in COMPANIES:
            companies[name] = Company.objects.filter(name=name).first() or company_create(
                actor=None,
                name=name,
                is_vendor=is_vendor,
                is_partner=is_partner,
                country=country,
            )
        for demo_user in USERS:
            if not User.objects.filter(email=demo_user.email).exists():
                user_create(
                    actor=None,
                    company=companies[demo_user.company],
                    email=demo_user.email,
                    name=demo_user.name,
                    password=DEMO_PASSWORD,
                    role=demo_user.role,
                    is_staff=demo_user.is_staff,
                )
        skus = load_catalog()
        if webhook_url:
            _load_webhook(webhook_url)
        if issuer:
            _load_sso(issuer)
        _load_second_factor()
        _load_erp()
        _load_history(companies, skus)
        _load_year(companies, skus)
        _load_orders(companies, skus)
        _load_sharing()
        _load_renewals(companies)
        _load_devices(skus)
        _load_validations()
    return USERS
