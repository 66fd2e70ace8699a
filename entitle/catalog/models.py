from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from entitle.core.policy import PolicyManager
from entitle.core.units import cents


def default_reminder_days() -> list[int]:
    """Days before the end date a renewal reminder goes out (0 = the day of expiry)."""
    return [180, 90, 60, 30, 7, 0]


class Product(models.Model):
    """A licensed product and its licence policy."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    quantity_unit = models.CharField(
        max_length=120, default="devices", help_text="What one unit of quantity licenses."
    )
    renewable_after_expiry = models.BooleanField(
        default=True,
        help_text="If not, an expired licence cannot be renewed: a new subscription is needed.",
    )
    grace_days = models.PositiveIntegerField(
        default=0, help_text="Days after the end date during which the product keeps working."
    )
    warn_days = models.PositiveIntegerField(
        default=30, help_text="The licence shows amber when this many days or fewer remain."
    )
    one_licence_per_device = models.BooleanField(default=False)
    quantity_counts_devices = models.BooleanField(
        default=False,
        help_text="Quantity is a number of devices (a subscription per card): a licence may be "
        "assigned to that many devices. Otherwise a licence belongs to one device.",
    )
    lease_days = models.PositiveIntegerField(
        default=0,
        help_text="Days a licence file's lease runs; validating renews it. 0: an offline product, "
        "whose files have no lease and are good to their end date.",
    )
    rehosts_per_term = models.PositiveIntegerField(
        default=2,
        help_text="How many times a licence may be moved to another host id in one term.",
    )
    reminder_days = models.JSONField(
        default=default_reminder_days,
        help_text="Days before the end date on which renewal reminders are sent; 0 is the day "
        "of expiry.",
    )

    objects = PolicyManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def max_devices(self, quantity: int) -> int:
        return quantity if self.quantity_counts_devices else 1


class Sku(models.Model):
    """A sellable unit: a product for a term, at a partner price."""

    code = models.CharField(max_length=40, unique=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus")
    name = models.CharField(max_length=160)
    term_days = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    partner_price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    is_active = models.BooleanField(default=True)

    objects = PolicyManager()

    class Meta:
        verbose_name = "SKU"
        ordering = ["product__name", "term_days"]
        constraints = [
            models.CheckConstraint(condition=models.Q(term_days__gte=1), name="sku_term_positive"),
            models.CheckConstraint(
                condition=models.Q(partner_price__gte=0), name="sku_partner_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def direct_price(self) -> Decimal:
        """The price when buying direct: the partner price with the direct-channel premium."""
        premium = Decimal(str(settings.ENTITLE["DIRECT_PREMIUM"]))
        return cents(self.partner_price * premium, rounding=ROUND_HALF_UP)

    @property
    def term_years(self) -> str:
        years = self.term_days / 365
        return f"{years:g} year" + ("" if years == 1 else "s")
