"""What an API token may do: a scope per area of the API and access (`orders:read`,
`orders:write`), and the back office's scopes, which only vendor staff can give a token.

A GET needs the area's `read` scope, any other method its `write` scope; the back office's
routes need their own scope (`backoffice:po.record`…). `entitle.accounts.auth` checks them, and
the OpenAPI schema lists the scope of every route.
"""

from entitle.core.actor import BACK_OFFICE_PREFIX

READ = "read"
WRITE = "write"

AREAS: dict[str, str] = {
    "accounts": "Co-workers, invitations and companies",
    "catalog": "Products and SKUs",
    "orders": "Purchase orders and entitlements",
    "locker": "Vouchers, the Digital Locker and its ledger",
    "licences": "Licences, their renewals, increases and consumption",
    "devices": "Devices, licence assignments and licence files",
    "sharing": "Delegations and transfers",
    "renewals": "Renewal options and requests, partners, the online shop",
    "activity": "Activity: the audit events you may see",
    "webhooks": "Webhook endpoints and their deliveries",
}

PO_RECORD = f"{BACK_OFFICE_PREFIX}po.record"
PO_FULFIL = f"{BACK_OFFICE_PREFIX}po.fulfil"
LICENCE_SUSPEND = f"{BACK_OFFICE_PREFIX}licences.suspend"
VOUCHER_VOID = f"{BACK_OFFICE_PREFIX}vouchers.void"
CATALOG_EDIT = f"{BACK_OFFICE_PREFIX}catalog"

BACK_OFFICE: dict[str, str] = {
    PO_RECORD: "Record purchase orders",
    PO_FULFIL: "Fulfil purchase orders (issue and mail the vouchers)",
    LICENCE_SUSPEND: "Suspend and reinstate licences",
    VOUCHER_VOID: "Void vouchers",
    CATALOG_EDIT: "Add products and SKUs",
}


def scope(area: str, access: str) -> str:
    if area not in AREAS or access not in (READ, WRITE):
        raise ValueError(f"no scope {area}:{access}")
    return f"{area}:{access}"


AREA_SCOPES: dict[str, str] = {
    scope(area, access): f"{'Read' if access == READ else 'Change'}: {label[0].lower()}{label[1:]}"
    for area, label in AREAS.items()
    for access in (READ, WRITE)
}
ALL: dict[str, str] = {**AREA_SCOPES, **BACK_OFFICE}


def is_back_office(name: str) -> bool:
    return name.startswith(BACK_OFFICE_PREFIX)


def everything_for(*, staff: bool) -> list[str]:
    """Every scope a token of such a user can have."""
    return [name for name in ALL if staff or not is_back_office(name)]
