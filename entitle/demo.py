"""The demo world that `entitle demo` loads: loading it twice changes nothing."""

from dataclasses import dataclass

from django.db import transaction

from entitle.accounts.models import Company, User
from entitle.accounts.services import company_create, user_create

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
        "vendor staff: back office at /admin/",
    ),
    DemoUser(
        "dana@northwind.example",
        "Dana Distributor",
        "Northwind Distribution",
        "admin",
        what="distributor (purchasing entity)",
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
        what="end customer (owner), member",
    ),
    DemoUser(
        "grace@globex.example",
        "Grace Globex",
        "Globex Manufacturing",
        "admin",
        what="second end customer",
    ),
    DemoUser(
        "ian@initech.example",
        "Ian Installer",
        "Initech Managed Services",
        "admin",
        what="installer (managed service provider)",
    ),
]


def load() -> list[DemoUser]:
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
    return USERS
