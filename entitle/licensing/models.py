import uuid
from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from entitle.accounts.models import Company
from entitle.catalog.models import Product, Sku
from entitle.core import units
from entitle.core.policy import PolicyManager
from entitle.locker.models import CREDITS, Voucher


class Licence(models.Model):
    """A licence. Its Activation ID is the licence key: a secret of the owner's, never the
    entitlement's Subscription ID; `public_id` names it in links and API paths.

    It covers every day from `start_date` up to, not including, `end_date`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    activation_id = models.CharField("Activation ID", max_length=32, unique=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="licences")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    owner = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="licences")
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=200, blank=True)
    # The serial of the newest licence file issued for this licence.
    file_serial = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PolicyManager()

    class Meta:
        ordering = ["end_date", "activation_id"]
        indexes = [
            models.Index(fields=["owner", "end_date"]),
            # The list's sorts over every licence (vendor staff): (value, pk) in the keyset
            # order, so that a page reads its rows from the index instead of sorting them all.
            models.Index(fields=["end_date", "id"], name="licence_end_keyset"),
            models.Index(fields=["start_date", "id"], name="licence_start_keyset"),
            models.Index(fields=["created_at", "id"], name="licence_created_keyset"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="licence_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gt=models.F("start_date")),
                name="licence_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.activation_id

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    def suspend(self, at: datetime, reason: str) -> None:
        self.suspended_at = at
        self.suspension_reason = reason

    def reinstate(self) -> None:
        self.suspended_at = None
        self.suspension_reason = ""

    @property
    def valid_through(self) -> date:
        return units.valid_through(self.end_date)

    def next_file_serial(self) -> int:
        self.file_serial += 1
        return self.file_serial


class Device(models.Model):
    """An installed product instance. Its host id and location are the owner's private data."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="devices")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    host_id = models.CharField("host id", max_length=128)
    location = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PolicyManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "product", "host_id"], name="device_host_unique_per_owner"
            )
        ]
        # The Devices page's default order, for a company (100,000 devices) and for staff:
        # a page read from the index instead of sorting every device.
        indexes = [
            models.Index(fields=["owner", "name", "id"], name="device_owner_name_keyset"),
            models.Index(fields=["name", "id"], name="device_name_keyset"),
        ]

    def __str__(self) -> str:
        return self.name


class Binding(models.Model):
    """A licence assigned to a device ("Add License", or the product's activation), with the
    quantity applied to it. A live binding holds a seat; an ended one (deactivated, rehosted
    elsewhere, transferred away) is kept as history and gets no new file or lease."""

    class EndReason(models.TextChoices):
        DEACTIVATED = "deactivated", "Deactivated"
        REHOSTED = "rehosted", "Rehosted"
        TRANSFERRED = "transferred", "Transferred away"

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="bindings")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="bindings")
    applied_quantity = models.PositiveIntegerField()
    bound_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)
    # The first day the newest file's lease no longer covers (None: no lease).
    lease_until = models.DateField(null=True, blank=True)
    # The serial of the newest licence file issued to this binding.
    file_serial = models.PositiveIntegerField(default=0)
    # The installation's Ed25519 public key (base64url), when the product sent one: only that
    # installation can prove its own deactivation. `request_nonce`: the air-gapped request the
    # newest file answers.
    installation_key = models.CharField(max_length=64, blank=True)
    request_nonce = models.CharField(max_length=64, blank=True)

    objects = PolicyManager()

    class Meta:
        ordering = ["bound_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "device"],
                condition=models.Q(ended_at__isnull=True),
                name="binding_live_unique",
            ),
        ]
        indexes = [models.Index(fields=["licence", "device"], name="binding_licence_device")]

    def __str__(self) -> str:
        return f"{self.licence} on {self.device}"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None

    def end(self, at: datetime, reason: "Binding.EndReason") -> None:
        self.ended_at = at
        self.end_reason = reason


class ConsumptionRecord(models.Model):
    """One use of locker credits (the Consumption History tab)."""

    class Kind(models.TextChoices):
        CREATE = "create", "Create licence"
        INCREASE = "increase", "Increase quantity"
        RENEW = "renew", "Renew / extend"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="consumptions")
    licence = models.ForeignKey(
        Licence, null=True, blank=True, on_delete=models.PROTECT, related_name="consumptions"
    )
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    credits = models.DecimalField(**CREDITS)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_reason = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PolicyManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "idempotency_key"], name="consumption_idempotency_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.credits} {self.sku.code}"

    def complete(self, at: datetime) -> None:
        self.status = self.Status.COMPLETED
        self.completed_at = at

    def fail(self, at: datetime, reason: str) -> None:
        self.status = self.Status.FAILED
        self.failure_reason = reason[:200]
        self.completed_at = at


class Funding(models.Model):
    """Which voucher's credits paid for a consumption: the order lines behind a licence."""

    consumption = models.ForeignKey(
        ConsumptionRecord, on_delete=models.PROTECT, related_name="fundings"
    )
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="fundings")
    credits = models.DecimalField(**CREDITS)

    objects = PolicyManager()

    def __str__(self) -> str:
        return f"{self.voucher} → {self.credits}"


class LicenceFile(models.Model):
    """One issued offline licence file: a signed compact JWS in its text armour."""

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="files")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="files")
    serial = models.PositiveIntegerField()
    kid = models.CharField(max_length=40)
    text = models.TextField()
    issued_at = models.DateTimeField()

    objects = PolicyManager()

    class Meta:
        ordering = ["-serial"]
        constraints = [
            models.UniqueConstraint(fields=["licence", "serial"], name="licence_file_serial_unique")
        ]

    def __str__(self) -> str:
        return f"{self.licence} #{self.serial}"

    @property
    def filename(self) -> str:
        return f"{self.licence.activation_id}-{self.serial}.lic"


class SigningKey(models.Model):
    """An Ed25519 key of the vendor's. The private half is stored encrypted; public halves stay
    published after rotation so that older licence files keep verifying."""

    kid = models.CharField(max_length=40, unique=True)
    public_key = models.CharField(max_length=64, help_text="Raw public key, base64url.")
    private_key_encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    is_current = models.BooleanField(default=False)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = PolicyManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=models.Q(is_current=True), name="one_current_key"
            )
        ]

    def __str__(self) -> str:
        return self.kid
