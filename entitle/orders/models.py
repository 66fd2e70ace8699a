import uuid
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from entitle.accounts.models import Company
from entitle.catalog.models import Sku
from entitle.core import units
from entitle.core.policy import PolicyManager


class PurchaseOrder(models.Model):
    """A PO placed with the vendor. Its parties hold the roles; the PO itself (lines, prices,
    MSA) is order detail, for the purchasing entity and the vendor only."""

    class Channel(models.TextChoices):
        PARTNER = "partner", "Partner"
        DIRECT = "direct", "Direct"

    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded"
        FULFILLED = "fulfilled", "Fulfilled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    po_number = models.CharField("PO number", max_length=64)
    msa_reference = models.CharField("MSA reference", max_length=64, blank=True)
    po_email = models.EmailField(
        "PO email", help_text="The purchasing entity's contact: vouchers and reminders go here."
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purchasing_entity = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="pos_purchased"
    )
    reseller = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="pos_resold"
    )
    owner = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="pos_owned")
    installer = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="pos_installed"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECORDED)
    ordered_on = models.DateField(default=timezone.localdate)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    objects = PolicyManager()

    class Meta:
        verbose_name = "purchase order"
        ordering = ["-recorded_at", "-id"]
        constraints = [
            # PO-1001 and po-1001 are the same PO number.
            models.UniqueConstraint(
                "purchasing_entity",
                Upper("po_number"),
                name="po_number_unique_per_purchaser_ci",
            )
        ]

    def __str__(self) -> str:
        return f"PO {self.po_number}"

    @property
    def is_fulfilled(self) -> bool:
        return self.status == self.Status.FULFILLED

    def mark_fulfilled(self, at: datetime) -> None:
        self.status = self.Status.FULFILLED
        self.fulfilled_at = at

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines.all()), Decimal("0.00"))

    @property
    def line_count(self) -> int:
        # Counted from the prefetched lines (po_list prefetches them): no query a row.
        return len(self.lines.all())


class OrderLine(models.Model):
    po = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    number = models.PositiveIntegerField()
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    objects = PolicyManager()

    class Meta:
        ordering = ["po", "number"]
        constraints = [
            models.UniqueConstraint(fields=["po", "number"], name="order_line_number_unique"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="line_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.po} line {self.number}"

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


class Entitlement(models.Model):
    """What a fulfilled order line entitles to: the information every role on the PO may see.

    Subscription ID, SKU, quantity, start and end date, and the PO number — nothing else.
    """

    subscription_id = models.CharField("Subscription ID", max_length=32, unique=True)
    po = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="entitlements")
    line = models.OneToOneField(OrderLine, on_delete=models.PROTECT, related_name="entitlement")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    start_date = models.DateField()
    end_date = models.DateField(help_text="The first day not covered.")
    # The licence this entitlement's credits created or first went into, once they did.
    licence = models.ForeignKey(
        "licensing.Licence", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PolicyManager()

    class Meta:
        ordering = ["end_date", "subscription_id"]

    def __str__(self) -> str:
        return self.subscription_id

    @property
    def po_number(self) -> str:
        return self.po.po_number

    @property
    def valid_through(self) -> date:
        return units.valid_through(self.end_date)


class EntitlementListRow(models.Model):
    """A row of the Entitlements list, stored: an entitlement and the licence its credits went
    into (none before they did), with what the row shows — once funded, that licence's product,
    SKU, quantity and dates; before, what was fulfilled. A list over a partner's or the
    vendor's 200,000 entitlements pages from an index on what it sorts by, instead of joining
    and sorting every row (bench/portal.py). Written by the services that change what a row
    shows: fulfilment, a consumption that funds a licence, a licence's renewal or increase
    (`entitle.licensing.services.licences`). Readable as its entitlement is."""

    # Looked up through the unique (entitlement, licence_key) index: no index of its own.
    entitlement = models.ForeignKey(
        Entitlement, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    licence = models.ForeignKey(
        "licensing.Licence", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The licence's id, 0 for none: one row per entitlement and licence.
    licence_key = models.BigIntegerField(default=0)
    subscription_id = models.CharField("Subscription ID", max_length=32)
    # Joined for its code and days, never searched by: no index of its own.
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    product_name = models.CharField(max_length=120)
    sku_code = models.CharField(max_length=40)
    quantity = models.PositiveIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    po_number = models.CharField("PO number", max_length=64)

    objects = PolicyManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entitlement", "licence_key"], name="one_list_row_per_licence"
            )
        ]
        # The list's sorts, each with the row id for keyset paging.
        indexes = [
            models.Index(fields=[field, "id"], name=f"entitlement_row_{name}")
            for field, name in (
                ("end_date", "end"),
                ("start_date", "start"),
                ("subscription_id", "subscription"),
                ("product_name", "product"),
                ("quantity", "quantity"),
                ("po_number", "po"),
            )
        ]

    def __str__(self) -> str:
        return self.subscription_id
