"""The portal's navigation, grouped, with only what the actor's company does: a partner sees no
empty Digital Locker, vendor staff see the back office instead of the customer's tabs."""

from dataclasses import dataclass

from django.urls import reverse

from entitle.core.actor import Actor
from entitle.dashboard.selectors import Roles


@dataclass(frozen=True)
class Item:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    items: tuple[Item, ...]


# (label, route, the other routes under which it is the current page)
Entry = tuple[str, str, tuple[str, ...]]


def _group(key: str, label: str, entries: list[Entry | None], current: set[str]) -> Group | None:
    items = tuple(
        Item(label=name, url=reverse(route), current=bool(current & {route, *also}))
        for name, route, also in (e for e in entries if e is not None)
    )
    return Group(key=key, label=label, items=items) if items else None


def groups(actor: Actor, roles: Roles, *, view_name: str) -> list[Group]:
    current = {view_name}
    home = _group("home", "", [("Home", "portal:home", ())], current)
    if roles.staff:
        found = [
            home,
            _group(
                "backoffice",
                "Back office",
                [
                    ("Find", "backoffice:find", ()),
                    (
                        "Purchase orders",
                        "backoffice:orders",
                        (
                            "backoffice:order_new",
                            "backoffice:order",
                            "backoffice:fulfil",
                            "orders:detail",
                        ),
                    ),
                    ("Vouchers", "backoffice:vouchers", ("backoffice:voucher",)),
                    ("Licenses", "backoffice:licences", ("backoffice:licence",)),
                    ("Devices", "backoffice:devices", ()),
                    (
                        "Companies",
                        "backoffice:companies",
                        ("backoffice:company", "backoffice:company_people"),
                    ),
                ],
                current,
            ),
            _group(
                "vendor",
                "Vendor",
                [
                    (
                        "Catalog",
                        "backoffice:catalog",
                        (
                            "backoffice:product",
                            "backoffice:sku",
                            "backoffice:product_new",
                            "backoffice:sku_new",
                        ),
                    ),
                    ("Signing keys", "backoffice:keys", ()),
                    ("Activity", "portal:activity", ()),
                    ("Co-workers", "accounts:coworkers", ("accounts:invitation_list",)),
                    (
                        "Integrations",
                        "accounts:api_tokens",
                        (
                            "accounts:service_accounts",
                            "webhooks:endpoints",
                            "webhooks:endpoint",
                            "accounts:sso_settings",
                        ),
                    ),
                    ("API documentation", "api:openapi-view", ()),
                    # The Django admin stays, for the raw rows.
                    ("Raw data (admin)", "admin:index", ()),
                ],
                current,
            ),
        ]
        return [g for g in found if g]
    customer = roles.customer
    sees_licences = customer or roles.delegate
    found = [
        home,
        _group(
            "licences",
            "Licenses",
            [
                (
                    "Licenses",
                    "licensing:licences",
                    (
                        "licensing:detail",
                        "licensing:create",
                        "licensing:increase",
                        "licensing:renew",
                        "licensing:activity",
                        "sharing:share",
                        "sharing:transfer",
                    ),
                )
                if sees_licences
                else None,
                ("Devices", "licensing:devices", ("licensing:device_activity",))
                if customer or roles.installer
                else None,
                (
                    "Renewals",
                    "renewals:home",
                    ("renewals:licence", "renewals:request", "renewals:listing"),
                )
                if customer or roles.partner
                else None,
                ("Partner directory", "renewals:partners", ()),
            ],
            current,
        ),
        _group(
            "credits",
            "Credits",
            [
                ("Digital Vouchers", "locker:vouchers", ())
                if customer or roles.purchaser
                else None,
                ("Digital Locker", "locker:locker", ()) if customer else None,
                ("Consumption History", "licensing:consumption", ()) if customer else None,
            ],
            current,
        ),
        _group(
            "orders",
            "Orders",
            [
                (
                    "Orders",
                    "orders:list",
                    ("orders:detail", "orders:activity", "locker:po_vouchers"),
                )
                if roles.purchaser
                else None,
                ("Entitlements", "licensing:entitlements", ()),
            ],
            current,
        ),
        _group(
            "company",
            "Company",
            [
                ("Sharing", "sharing:overview", ("sharing:transfers",)) if sees_licences else None,
                ("Co-workers", "accounts:coworkers", ("accounts:invitation_list",)),
                ("Activity", "portal:activity", ()) if actor.is_company_admin else None,
                (
                    "Integrations",
                    "accounts:api_tokens",
                    (
                        "accounts:service_accounts",
                        "webhooks:endpoints",
                        "webhooks:endpoint",
                        "accounts:sso_settings",
                    ),
                )
                if actor.is_company_admin
                else None,
                ("API documentation", "api:openapi-view", ()),
            ],
            current,
        ),
    ]
    return [g for g in found if g]
