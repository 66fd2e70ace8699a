"""A catalog from a file (`entitle setup --catalog FILE`): products and their SKUs.

JSON — an object with a list of products, each with its SKUs::

    {"products": [{"code": "pcns", "name": "PowerChute Network Shutdown", "grace_days": 60,
                   "skus": [{"code": "PCNS-1Y", "name": "PowerChute, 1 year",
                             "term_days": 365, "partner_price": "18.00"}]}]}

CSV — one row per SKU; the product's columns are repeated on each of its SKUs' rows::

    product_code,product_name,grace_days,sku_code,sku_name,term_days,partner_price
    pcns,PowerChute Network Shutdown,60,PCNS-1Y,"PowerChute, 1 year",365,18.00

A product takes the keyword arguments of `product_create` (code, name, description,
quantity_unit, renewable_after_expiry, grace_days, warn_days, …; in CSV prefixed `product_`
for code and name, `reminder_days` as numbers separated by spaces), a SKU those of `sku_create`
(code, name, term_days, partner_price). Loading is idempotent: a product or SKU whose code
exists already is left as it is. `docs/samples/catalog.json` and `catalog.csv` are examples.
"""

import csv
import inspect
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from entitle.catalog.errors import CatalogInvalid
from entitle.catalog.selectors import product_list, sku_list
from entitle.catalog.services import product_create, sku_create
from entitle.core.actor import Actor


def _fields(service: typing.Callable, *, skip: set[str]) -> dict[str, inspect.Parameter]:
    return {
        name: parameter
        for name, parameter in inspect.signature(service).parameters.items()
        if name not in skip
    }


PRODUCT_FIELDS = _fields(product_create, skip={"actor"})
SKU_FIELDS = _fields(sku_create, skip={"actor", "product"})
TRUE, FALSE = {"true", "yes", "1"}, {"false", "no", "0", ""}


@dataclass
class SkuSpec:
    fields: dict


@dataclass
class ProductSpec:
    fields: dict
    skus: list[SkuSpec] = field(default_factory=list)


@dataclass(frozen=True)
class Loaded:
    created: list[str]
    existing: list[str]


def _base_type(parameter: inspect.Parameter) -> type:
    annotation = parameter.annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return typing.get_origin(annotation) or annotation


def _from_text(name: str, parameter: inspect.Parameter, text: str, where: str):
    """A CSV cell as the type the service takes."""
    kind = _base_type(parameter)
    text = text.strip()
    try:
        if kind is bool:
            if text.lower() not in TRUE | FALSE:
                raise ValueError(text)
            return text.lower() in TRUE
        if kind is int:
            return int(text)
        if kind is list:
            return [int(day) for day in text.replace(";", " ").replace(",", " ").split()]
    except ValueError:
        raise CatalogInvalid(f"{where}: {name} cannot be {text!r}.") from None
    return text


def _checked(data: object, allowed: dict, where: str) -> dict:
    if not isinstance(data, dict):
        raise CatalogInvalid(f"{where}: expected an object with the fields of a {where}.")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise CatalogInvalid(f"{where}: unknown field(s) {', '.join(unknown)}.")
    missing = sorted(
        name
        for name, parameter in allowed.items()
        if parameter.default is inspect.Parameter.empty and name not in data
    )
    if missing:
        raise CatalogInvalid(f"{where}: missing field(s) {', '.join(missing)}.")
    return data


def _from_json(text: str) -> list[ProductSpec]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise CatalogInvalid(f"The catalog is not valid JSON: {exc}.") from None
    if not isinstance(document, dict) or not isinstance(document.get("products"), list):
        raise CatalogInvalid('The catalog must be an object with a list of "products".')
    specs = []
    for n, product in enumerate(document["products"], start=1):
        where = f"product {n}"
        skus = product.pop("skus", []) if isinstance(product, dict) else []
        spec = ProductSpec(_checked(product, PRODUCT_FIELDS, where))
        for m, sku in enumerate(skus, start=1):
            spec.skus.append(SkuSpec(_checked(sku, SKU_FIELDS, f"{where}, SKU {m}")))
        specs.append(spec)
    return specs


def _from_csv(text: str) -> list[ProductSpec]:
    columns = {f"product_{name}" if name in ("code", "name") else name for name in PRODUCT_FIELDS}
    columns |= {f"sku_{name}" if name in ("code", "name") else name for name in SKU_FIELDS}
    reader = csv.DictReader(text.splitlines())
    unknown = sorted(set(reader.fieldnames or []) - columns)
    if unknown:
        raise CatalogInvalid(f"Unknown CSV column(s): {', '.join(unknown)}.")
    specs: dict[str, ProductSpec] = {}
    for line, row in enumerate(reader, start=2):
        where = f"line {line}"
        product, sku = {}, {}
        for column, value in row.items():
            if not (value or "").strip():
                continue
            name = column.removeprefix("product_").removeprefix("sku_")
            if column.startswith("sku_") or column in SKU_FIELDS:
                sku[name] = _from_text(name, SKU_FIELDS[name], value, where)
            else:
                product[name] = _from_text(name, PRODUCT_FIELDS[name], value, where)
        spec = specs.get(product.get("code", ""))
        if spec is None:
            spec = specs[product.get("code", "")] = ProductSpec(
                _checked(product, PRODUCT_FIELDS, f"{where}, product")
            )
        elif product != spec.fields:
            raise CatalogInvalid(f"{where}: product {spec.fields['code']} differs from above.")
        spec.skus.append(SkuSpec(_checked(sku, SKU_FIELDS, f"{where}, SKU")))
    return list(specs.values())


def catalog_read(path: Path) -> list[ProductSpec]:
    """The products and SKUs a JSON or CSV file describes (by its extension)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CatalogInvalid(f"Cannot read {path}: {exc.strerror}.") from None
    if path.suffix.lower() == ".json":
        return _from_json(text)
    if path.suffix.lower() == ".csv":
        return _from_csv(text)
    raise CatalogInvalid(f"{path.name}: a catalog is a .json or a .csv file.")


def catalog_load(*, actor: Actor, specs: list[ProductSpec]) -> Loaded:
    """Create the products and SKUs that do not exist yet, through the catalog's services
    (vendor staff only, audited), in one transaction: a file with an error changes nothing."""
    created, existing = [], []
    with transaction.atomic():
        for spec in specs:
            code = spec.fields["code"]
            product = product_list(actor=actor).filter(code=code).first()
            if product is None:
                product = product_create(actor=actor, **spec.fields)
                created.append(f"product {code}")
            else:
                existing.append(f"product {code}")
            for sku in spec.skus:
                if sku_list(actor=actor).filter(code=sku.fields["code"]).exists():
                    existing.append(f"SKU {sku.fields['code']}")
                else:
                    sku_create(actor=actor, product=product, **sku.fields)
                    created.append(f"SKU {sku.fields['code']}")
    return Loaded(created, existing)
