import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from entitle.accounts.models import Company
from entitle.catalog.models import Product, Sku
from entitle.core.policy import PolicyManager
from entitle.licensing.models import Licence
from entitle.orders.models import PurchaseOrder


class ReminderSweep(models.Model):
    """One run of the reminder sweep: booked a day ahead by the scheduler, or run by hand."""

    day = models.DateField(help_text="The day whose reminders the run sends.")
    # Scheduled runs are booked one per day; the unique index is what keeps several workers
    # from booking the same day twice.
    scheduled = models.BooleanField(default=False)
    booked_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reminders = models.PositiveIntegerField(
        default=0, help_text="Reminders this run claimed (each is mailed once, ever)."
    )

    objects = PolicyManager()

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["day"], condition=models.Q(scheduled=True), name="one_scheduled_sweep_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"Reminder sweep of {self.day}"

    def start(self, at: datetime) -> None:
        self.started_at = at

    def finish(self, at: datetime, reminders: int) -> None:
        self.finished_at = at
        self.reminders = reminders


class Reminder(models.Model):
    """One renewal reminder of a licence: a step of its product's schedule for one end date.

    The row is claimed (inserted) by exactly one sweep — the unique key (licence, end date,
    step) makes a second insert a no-op — and is mailed from there. A renewed licence has a
    new end date, and so a fresh schedule."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Due to be mailed"
        MAILED = "mailed", "Mailed"
        SKIPPED = "skipped", "Not mailed"

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="+")
    end_date = models.DateField(help_text="The end date the reminder was scheduled from.")
    step = models.CharField(max_length=20)
    sweep = models.ForeignKey(ReminderSweep, on_delete=models.PROTECT, related_name="+")
    claimed_at = models.DateTimeField()
    # Database defaults: the sweep inserts these rows with one INSERT … SELECT.
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.CLAIMED, db_default=Status.CLAIMED
    )
    mailed_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0, db_default=0)
    skip_reason = models.CharField(max_length=120, blank=True, default="", db_default="")

    objects = PolicyManager()

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "end_date", "step"], name="one_reminder_per_step"
            )
        ]
        indexes = [
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="claimed"),
                name="reminder_waiting_to_be_mailed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence_id} {self.end_date} {self.step}"

    def mark_mailed(self, at: datetime, recipients: int) -> None:
        self.status = self.Status.MAILED
        self.mailed_at = at
        self.recipients = recipients

    def mark_skipped(self, at: datetime, reason: str) -> None:
        self.status = self.Status.SKIPPED
        self.mailed_at = at
        self.skip_reason = reason[:120]


class PartnerListing(models.Model):
    """A partner's entry in the partner directory: the products it sells.

    Only companies marked as partners are listed."""

    company = models.OneToOneField(
        Company, on_delete=models.PROTECT, related_name="partner_listing"
    )
    products = models.ManyToManyField(Product, related_name="+", blank=True)
    summary = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PolicyManager()

    class Meta:
        ordering = ["company__name"]

    def __str__(self) -> str:
        return f"Partner listing of {self.company}"


class RenewalKind(models.TextChoices):
    RENEWAL = "renewal", "Renewal"
    NEW_SUBSCRIPTION = "new_subscription", "New subscription"


class RenewalRequest(models.Model):
    """An owner's (or managing delegate's) request to a partner to renew a licence.

    The partner sees the entitlement information copied here when it was asked, and the
    requester's contact only if the requester chose to include it: never the licence's owner,
    its devices or their location."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the partner"
        ANSWERED = "answered", "Answered"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="renewal_requests_received"
    )
    requester = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=RenewalKind.choices)
    subscription_id = models.CharField("Subscription ID", max_length=32)
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    start_date = models.DateField()
    end_date = models.DateField(help_text="The first day not covered.")
    message = models.TextField(blank=True)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_company = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = PolicyManager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Renewal request for {self.subscription_id}"

    @property
    def includes_contact(self) -> bool:
        return bool(self.contact_email)

    def mark_answered(self, *, by, text: str, at: datetime) -> None:
        self.status = self.Status.ANSWERED
        self.answer = text
        self.answered_by = by
        self.answered_at = at


class ShopOrder(models.Model):
    """An order placed online in the vendor's shop from a licence's renewal page: a direct PO
    for the licence's SKU and quantity at the direct price. Vendor staff fulfil the PO as any
    other; when the buyer redeems its voucher, the licence is renewed (or, for a subscription
    that can no longer be renewed, a new one is created)."""

    class Status(models.TextChoices):
        PLACED = "placed", "Placed: waiting for its voucher"
        APPLIED = "applied", "Applied"
        NOT_APPLIED = "not_applied", "Not applied: the credits are in your Digital Locker"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    po = models.OneToOneField(PurchaseOrder, on_delete=models.PROTECT, related_name="shop_order")
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=RenewalKind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLACED)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    # The new licence, when the order was for a new subscription.
    new_licence = models.ForeignKey(
        Licence, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PolicyManager()

    class Meta:
        ordering = ["-placed_at", "-id"]

    def __str__(self) -> str:
        return f"Shop order {self.po.po_number}"

    def mark_applied(self, at: datetime, outcome: str, new_licence: Licence | None = None) -> None:
        self.status = self.Status.APPLIED
        self.applied_at = at
        self.outcome = outcome[:200]
        self.new_licence = new_licence

    def mark_not_applied(self, at: datetime, reason: str) -> None:
        self.status = self.Status.NOT_APPLIED
        self.applied_at = at
        self.outcome = reason[:200]
