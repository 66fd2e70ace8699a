"""The back office's reads: vendor staff see every company's data, through the same policy
(their rules return everything) and the same selectors as everyone else. Lookups by an
identifier are exact matches on unique columns; names are matched by their beginning.

Its indexes page, search, sort, filter and export through `entitle.core.listing`: the
companies with the accounts app's `COMPANIES`, the licences with the licensing app's
`LICENCES` (plus an owner filter); POs, vouchers, devices and a company's people with the
listings below, which filter by company so that a company's page links to its full lists."""

from dataclasses import dataclass, field, replace
from typing import Annotated, Literal

from django.db.models import Q, QuerySet
from pydantic import Field

from entitle.accounts.models import Company, User
from entitle.accounts.selectors import company_get, company_list
from entitle.core import codes
from entitle.core.actor import Actor
from entitle.core.errors import NotFound
from entitle.core.listing import Filter, Listing, Sort, choice_filter
from entitle.core.policy import Action, require_vendor_staff
from entitle.licensing.models import Device, Licence, SigningKey
from entitle.licensing.selectors import LICENCES, device_list, licence_get, licence_list
from entitle.locker.models import Voucher
from entitle.locker.selectors import voucher_list
from entitle.orders.models import PurchaseOrder
from entitle.orders.selectors import po_list

FOUND = 10
# A company's page shows the first rows of its people and POs, and links to the rest.
SHORT = 10


@dataclass
class Found:
    query: str
    companies: list[Company] = field(default_factory=list)
    orders: list[PurchaseOrder] = field(default_factory=list)
    vouchers: list[Voucher] = field(default_factory=list)
    licences: list[Licence] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)

    @property
    def limit(self) -> int:
        """Each kind shows at most this many: its index, searched, shows the rest."""
        return FOUND

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
    """A company, the first of its people and of the POs it placed (each `Page` says whether
    there are more: the page links to the full list), and how many licences and devices it
    owns."""
    require_vendor_staff(actor)
    company = company_get(actor=actor, company_id=company_id)
    first = {"limit": SHORT}
    return {
        "company": company,
        "users": PEOPLE.page(people(actor=actor, company=company), PEOPLE.Params(**first)),
        "orders": ORDERS.page(orders(actor=actor), ORDERS.Params(purchaser=company.pk, **first)),
        "licences": licence_list(actor=actor).filter(owner=company).count(),
        "devices": device_list(actor=actor).filter(owner=company).count(),
    }


def companies(*, actor: Actor) -> QuerySet[Company]:
    require_vendor_staff(actor)
    return company_list(actor=actor)


def people(*, actor: Actor, company: Company) -> QuerySet[User]:
    """Everyone of a company: its people, former people and service accounts."""
    require_vendor_staff(actor)
    return User.objects.visible_to(actor, Action.VIEW).filter(company=company)


def orders(*, actor: Actor) -> QuerySet[PurchaseOrder]:
    require_vendor_staff(actor)
    return po_list(actor=actor)


def vouchers(*, actor: Actor) -> QuerySet[Voucher]:
    require_vendor_staff(actor)
    return voucher_list(actor=actor)


def licences(*, actor: Actor) -> QuerySet[Licence]:
    require_vendor_staff(actor)
    return licence_list(actor=actor)


def devices(*, actor: Actor) -> QuerySet[Device]:
    require_vendor_staff(actor)
    return device_list(actor=actor)


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


# --- The indexes' listings. Staff see every field of every row (the field policy gives them
# everything), so each searches every identifier its page shows.

CompanyNumber = Annotated[int, Field(ge=1, le=2**63 - 1)]
CatalogCode = Annotated[str, Field(max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")]


def _of_company(path: str, label: str) -> Filter:
    """Rows of one company (the number a company's page links with)."""
    return Filter(label, CompanyNumber, lambda rows, pk: rows.filter(**{path: pk}))


def _code(text: str) -> str | None:
    try:
        return codes.normalize(text)
    except codes.CodeTypo:
        return None


def _po_search(text: str) -> Q:
    return (
        Q(po_number__istartswith=text.strip())
        | Q(purchasing_entity__name__icontains=text)
        | Q(owner__name__icontains=text)
    )


def _voucher_search(text: str) -> Q:
    found = Q(line__po__po_number__istartswith=text.strip()) | Q(sku__code__iexact=text.strip())
    code = _code(text)
    return found | Q(code=code) if code else found


def _licence_search(text: str) -> Q:
    # The licensing app's search (Activation ID, Subscription ID, product, SKU), and the owner.
    return LICENCES.search(text) | Q(owner__name__icontains=text)


def _device_search(text: str) -> Q:
    return (
        Q(host_id__iexact=text.strip()) | Q(name__icontains=text) | Q(owner__name__icontains=text)
    )


PEOPLE = Listing(
    search=lambda text: Q(name__icontains=text) | Q(email__icontains=text),
    search_hint="Name or e-mail",
    sorts={
        "name": Sort("Name", "name"),
        "email": Sort("Email", "email"),
        "joined": Sort("Joined", "date_joined"),
    },
    default="name",
    filters={
        "role": choice_filter("Role", User.Role, "role"),
        "active": Filter(
            "Active",
            Literal["yes", "no"],
            lambda rows, answer: rows.filter(is_active=answer == "yes"),
        ),
        "kind": Filter(
            "Kind",
            Literal["person", "service account"],
            lambda rows, kind: rows.filter(is_service_account=kind == "service account"),
        ),
    },
)

ORDERS = Listing(
    search=_po_search,
    search_hint="PO number or company",
    sorts={
        "recorded": Sort("Recorded", "recorded_at"),
        "ordered": Sort("Ordered on", "ordered_on"),
        "po": Sort("PO number", "po_number"),
    },
    default="-recorded",
    filters={
        "status": choice_filter(
            "Status",
            PurchaseOrder.Status,
            "status",
            labels=[("recorded", "Awaiting fulfilment"), ("fulfilled", "Fulfilled")],
        ),
        "channel": choice_filter("Channel", PurchaseOrder.Channel, "channel"),
        "purchaser": _of_company("purchasing_entity", "Purchasing entity (company #)"),
        "owner": _of_company("owner", "Owner (company #)"),
    },
)

VOUCHERS = Listing(
    search=_voucher_search,
    search_hint="Code, PO number or SKU",
    sorts={
        "issued": Sort("Issued", "issued_at"),
        "credits": Sort("Credits", "credits"),
        "code": Sort("Code", "code"),
    },
    default="-issued",
    filters={
        "status": choice_filter("Status", Voucher.Status, "status"),
        "sku": Filter("SKU", CatalogCode, lambda rows, code: rows.filter(sku__code=code)),
        "purchaser": _of_company("line__po__purchasing_entity", "Purchasing entity (company #)"),
    },
)

BACKOFFICE_LICENCES = replace(
    LICENCES,
    search=_licence_search,
    search_hint="Activation ID, Subscription ID, product, SKU or owner",
    default="-created",
    filters={**LICENCES.filters, "owner": _of_company("owner", "Owner (company #)")},
)

DEVICES = Listing(
    search=_device_search,
    search_hint="Host id, device name or owner",
    sorts={
        "created": Sort("Registered", "created_at"),
        "name": Sort("Name", "name"),
        "host": Sort("Host id", "host_id"),
    },
    default="-created",
    filters={
        "product": Filter(
            "Product", CatalogCode, lambda rows, code: rows.filter(product__code=code)
        ),
        "owner": _of_company("owner", "Owner (company #)"),
    },
)
