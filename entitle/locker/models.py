from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from entitle.accounts.models import Company
from entitle.catalog.models import Sku
from entitle.core.models import APPEND_ONLY
from entitle.core.policy import PolicyManager
from entitle.core.units import from_cents, in_cents
from entitle.orders.models import Entitlement, OrderLine

CREDITS = {"max_digits": 14, "decimal_places": 2}


class Voucher(models.Model):
    """A digital voucher issued for one fulfilled order line; redeemed once, ever."""

    class Status(models.TextChoices):
        UNREDEEMED = "unredeemed", "Unredeemed"
        REDEEMED = "redeemed", "Redeemed"
        VOID = "void", "Void"

    code = models.CharField(max_length=32, unique=True)
    line = models.OneToOneField(OrderLine, on_delete=models.PROTECT, related_name="voucher")
    entitlement = models.OneToOneField(
        Entitlement, on_delete=models.PROTECT, related_name="voucher"
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    credits = models.DecimalField(**CREDITS)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNREDEEMED)
    issued_at = models.DateTimeField(default=timezone.now)
    redeemed_by_company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    redeemed_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    # Where this voucher's credits start in everything redeemed into the redeeming company's
    # locker (in cents): credits are spent in the order they came in, so a consumption is
    # paid by the vouchers whose range it overlaps (see `vouchers_paying`).
    locker_offset_cents = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = PolicyManager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(
                fields=["redeemed_by_company", "sku", "locker_offset_cents"],
                name="voucher_locker_offset",
            ),
            # The Digital Vouchers page's default order: its first page read from the index
            # (248 → 21 ms for a company with 20,000 vouchers among 200,000).
            models.Index(fields=["issued_at", "id"], name="voucher_issued_keyset"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credits__gt=0), name="voucher_credits_positive"
            ),
            # A redeemed voucher always says who redeemed it and when.
            models.CheckConstraint(
                condition=~models.Q(status="redeemed")
                | models.Q(redeemed_by_company__isnull=False, redeemed_at__isnull=False),
                name="voucher_redeemed_has_redeemer",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def mark_redeemed(
        self, *, company: Company, user, at: datetime, locker_offset: Decimal
    ) -> None:
        self.status = self.Status.REDEEMED
        self.redeemed_by_company = company
        self.redeemed_by = user
        self.redeemed_at = at
        self.locker_offset_cents = in_cents(locker_offset)

    def mark_void(self, at: datetime) -> None:
        self.status = self.Status.VOID
        self.voided_at = at


class Locker(models.Model):
    """A company's credits of one SKU. The row is what concurrent changes lock.

    Its balance is the sum of the ledger's entries; it is also kept here, moved by the same
    statement that locks the row and checks that a debit fits (`ledger_append`, the one writer
    of entries), so that spending does not re-add the whole ledger. Whole cents, so that SQLite
    compares them exactly too. `intake_cents` is everything ever redeemed into the locker."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="lockers")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    balance_cents = models.BigIntegerField(default=0, editable=False)
    intake_cents = models.BigIntegerField(default=0, editable=False)

    objects = PolicyManager()

    class Meta:
        ordering = ["company", "sku__code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "sku"], name="one_locker_per_company_sku"),
            models.CheckConstraint(
                condition=models.Q(balance_cents__gte=0), name="locker_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(intake_cents__gte=models.F("balance_cents")),
                name="locker_balance_within_intake",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.sku.code}"

    @property
    def balance(self) -> Decimal:
        return from_cents(self.balance_cents)


class LedgerEntry(models.Model):
    """One change of a locker's credits. Append-only: a correction is a reversing entry."""

    class Kind(models.TextChoices):
        REDEMPTION = "redemption", "Voucher redeemed"
        CONSUMPTION = "consumption", "Credits consumed"
        RETURN = "return", "Credits returned"

    locker = models.ForeignKey(Locker, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(**CREDITS)
    voucher = models.ForeignKey(
        Voucher, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    reason = models.CharField(max_length=200)
    idempotency_key = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PolicyManager()

    class Meta:
        verbose_name_plural = "ledger entries"
        # A correction is a reversing entry, never an edit.
        triggers = [APPEND_ONLY]
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["locker", "idempotency_key"], name="ledger_idempotency_key_unique"
            ),
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_amount_not_zero"),
            # A voucher's credits enter a locker once, ever.
            models.UniqueConstraint(
                fields=["voucher"],
                condition=models.Q(kind="redemption"),
                name="one_redemption_per_voucher",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+}"


ZERO = Decimal("0.00")
