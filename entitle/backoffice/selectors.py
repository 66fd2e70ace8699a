"""The back office's reads: vendor staff see every company's data, through the same policy
(their rules return everything) and the same selectors as everyone else. Lookups by an
identifier are exact matches on unique columns; names are matched by their beginning."""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from entitle.accounts.models import Company, User
from entitle.accounts.selectors import company_get, company_list
from entitle.core import codes
from entitle.core.actor import Actor
from entitle.core.errors import NotFound
from entitle.core.policy import Action, require_vendor_staff
from entitle.licensing.models import Device, Licence, SigningKey
from entitle.licensing.selectors import device_list, licence_get, licence_list
from entitle.locker.models import Voucher
from entitle.locker.selectors import voucher_list
from entitle.orders.models import PurchaseOrder
from entitle.orders.selectors import po_list

FOUND = 10


@dataclass
class Found:
    query: str
    companies: list[Company] = field(default_factory=list)
    orders: list[PurchaseOrder] = field(default_factory=list)
    vouchers: list[Voucher] = field(default_factory=list)
    licences: list[Licence] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(
            len(rows)
            for rows in (self.companies, self.orders, self.vouchers, self.licences, self.devices)
        )


def find(*, actor: Actor, query: str) -> Found:
    """Any company, PO, voucher, licence or device by what staff have in hand: a name, a PO
    number, a voucher code, an Activation ID, a host id."""
    require_vendor_staff(actor)
    query = (query or "").strip()[:120]
    found = Found(query=query)
    if not query:
        return found
    found.companies = list(company_list(actor=actor).filter(name__istartswith=query)[:FOUND])
    found.orders = list(po_list(actor=actor).filter(po_number=query)[:FOUND])
    try:
        code = codes.normalize(query)
    except codes.CodeTypo:
        code = None
    if code:
        found.vouchers = list(voucher_list(actor=actor).filter(code=code)[:FOUND])
        found.licences = list(licence_list(actor=actor).filter(activation_id=code)[:FOUND])
    devices = device_list(actor=actor)
    found.devices = list(devices.filter(host_id=query)[:FOUND]) or list(
        devices.filter(name__istartswith=query)[:FOUND]
    )
    return found


def company_pick(*, actor: Actor, query: str) -> list[Company]:
    """Companies whose name starts with `query`: the suggestions of the PO form's pickers."""
    require_vendor_staff(actor)
    query = (query or "").strip()
    if not query:
        return []
    return list(
        company_list(actor=actor)
        .filter(is_vendor=False, name__istartswith=query)
        .order_by("name", "pk")[:FOUND]
    )


def company_by_label(*, actor: Actor, label: str) -> Company:
    """The company a picker's text names: "Name (#id)" as suggested, or a name that only one
    company has."""
    require_vendor_staff(actor)
    label = (label or "").strip()
    companies = company_list(actor=actor).filter(is_vendor=False)
    if label.endswith(")") and "(#" in label:
        number = label.rsplit("(#", 1)[1][:-1]
        if number.isdigit():
            try:
                return companies.get(pk=int(number))
            except Company.DoesNotExist as exc:
                raise NotFound(f"No company {label}.") from exc
    named = list(companies.filter(name__iexact=label)[:2])
    if len(named) == 1:
        return named[0]
    if named:
        raise NotFound(f"Several companies are called {label}: pick one from the list.")
    raise NotFound(f"No company is called {label}.")


def company_detail(*, actor: Actor, company_id: int):
    require_vendor_staff(actor)
    company = company_get(actor=actor, company_id=company_id)
    users = User.objects.visible_to(actor, Action.VIEW).filter(company=company)
    return {
        "company": company,
        "users": list(users.order_by("name")[:50]),
        "orders": list(po_list(actor=actor).filter(purchasing_entity=company)[:20]),
        "licences": licence_list(actor=actor).filter(owner=company).count(),
        "devices": device_list(actor=actor).filter(owner=company).count(),
    }


def orders(*, actor: Actor, status: str = "") -> QuerySet[PurchaseOrder]:
    require_vendor_staff(actor)
    rows = po_list(actor=actor)
    if status in PurchaseOrder.Status.values:
        rows = rows.filter(status=status)
    return rows


def vouchers(*, actor: Actor, status: str = "") -> QuerySet[Voucher]:
    require_vendor_staff(actor)
    rows = voucher_list(actor=actor)
    if status in Voucher.Status.values:
        rows = rows.filter(status=status)
    return rows


def voucher_get(*, actor: Actor, voucher_id: int) -> Voucher:
    require_vendor_staff(actor)
    try:
        return voucher_list(actor=actor).get(pk=voucher_id)
    except Voucher.DoesNotExist as exc:
        raise NotFound("No such voucher.") from exc


def licence_for_staff(*, actor: Actor, licence_id: str) -> Licence:
    """A licence by its public id (links) or its Activation ID (staff may see keys)."""
    require_vendor_staff(actor)
    return licence_get(actor=actor, activation_id=licence_id)


def signing_keys(*, actor: Actor) -> QuerySet[SigningKey]:
    require_vendor_staff(actor)
    return SigningKey.objects.visible_to(actor, Action.VIEW).order_by("-created_at")
