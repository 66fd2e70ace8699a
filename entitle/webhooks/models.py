import uuid
from datetime import datetime

from django.db import models
from django.utils import timezone

from entitle.accounts.models import Company, User
from entitle.core.models import AuditEvent
from entitle.core.policy import PolicyManager


class Endpoint(models.Model):
    """A URL a company's system listens on for the events it chose.

    It receives the events of the objects its company may see, with the fields its company may
    see, judged as its creator (a company administrator, or a service account): an endpoint made
    with the back office's rights receives every company's events."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    # The Standard Webhooks signing secret ("whsec_…"), encrypted (`entitle.core.sealed`).
    secret_sealed = models.TextField()
    staff_view = models.BooleanField(
        default=False, help_text="Made with the back office's rights: every company's events."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    # Failed attempts in a row, across deliveries: enough of them disable the endpoint.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PolicyManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def wants(self, event_type: str) -> bool:
        return event_type in self.event_types

    def mark_disabled(self, at: datetime, reason: str) -> None:
        self.status = self.Status.DISABLED
        self.disabled_at = at
        self.disabled_reason = reason[:200]

    def mark_enabled(self) -> None:
        self.status = self.Status.ACTIVE
        self.disabled_at = None
        self.disabled_reason = ""
        self.consecutive_failures = 0


class Delivery(models.Model):
    """One event for one endpoint: its payload (as that endpoint's company may see it), signed
    anew at each attempt, retried with exponential backoff until it succeeds or gives up."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.PROTECT, related_name="+")
    # The change it tells of (none for a test event).
    audit_event = models.ForeignKey(
        AuditEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the attempt under way was claimed (a worker that died mid-attempt is noticed).
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = PolicyManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Fanning an event out twice (a task run twice) delivers it once.
            models.UniqueConstraint(
                fields=["endpoint", "audit_event"], name="one_delivery_per_event_and_endpoint"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id}"

    @property
    def message_id(self) -> str:
        """The `webhook-id` header: the same for every attempt, so receivers can deduplicate."""
        return f"msg_{self.public_id.hex}"


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery: the delivery log."""

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    manual = models.BooleanField(default=False, help_text="Asked for on the portal or the API.")
    succeeded = models.BooleanField(default=False)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    objects = PolicyManager()

    class Meta:
        ordering = ["delivery", "number", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
