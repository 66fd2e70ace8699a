import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from entitle.accounts.models import Company
from entitle.core.policy import PolicyManager, PolicyQuerySet
from entitle.licensing.models import Licence
from entitle.orders.models import PurchaseOrder


class DelegationQuerySet(PolicyQuerySet):
    def active(self, at: datetime | None = None) -> "DelegationQuerySet":
        """Delegations in force: accepted (a delegate company), not revoked, not expired."""
        return self.filter(in_force(at))


def in_force(at: datetime | None = None) -> models.Q:
    """The condition of a delegation in force at `at` (now)."""
    return models.Q(delegate__isnull=False, revoked_at__isnull=True) & (
        models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=at or timezone.now())
    )


class Delegation(models.Model):
    """The owner gives another company access to one licence, the licences of one PO, or all
    its licences. `view` sees entitlement information and status; `manage` may also renew,
    increase, assign devices and download licence files, and sees the installation."""

    class Role(models.TextChoices):
        VIEW = "view", "View"
        MANAGE = "manage", "Manage"

    class Scope(models.TextChoices):
        LICENCE = "licence", "One licence"
        PO = "po", "The licences of one PO"
        ALL = "all", "All licences"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="delegations_given")
    # Empty while the person it was shared with has not registered yet.
    delegate = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="delegations_held"
    )
    invited_email = models.EmailField(blank=True)
    role = models.CharField(max_length=6, choices=Role.choices)
    scope = models.CharField(max_length=7, choices=Scope.choices)
    licence = models.ForeignKey(
        Licence, null=True, blank=True, on_delete=models.PROTECT, related_name="delegations"
    )
    po = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="delegations"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager.from_queryset(DelegationQuerySet)()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="licence", licence__isnull=False, po__isnull=True)
                    | models.Q(scope="po", po__isnull=False, licence__isnull=True)
                    | models.Q(scope="all", po__isnull=True, licence__isnull=True)
                ),
                name="delegation_scope_target",
            ),
            models.CheckConstraint(
                condition=models.Q(delegate__isnull=False) | ~models.Q(invited_email=""),
                name="delegation_has_delegate_or_invitee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} of {self.get_scope_display().lower()}"

    def revoke(self, at: datetime) -> None:
        self.revoked_at = at


class Transfer(models.Model):
    """The owner proposes to hand a licence to another company; that company accepts or
    declines. Credits never move: only the licence, its devices and its history."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="transfers")
    from_company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    to_company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = PolicyManager()

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            # One open proposal per licence at a time.
            models.UniqueConstraint(
                fields=["licence"],
                condition=models.Q(status="proposed"),
                name="one_open_transfer_per_licence",
            )
        ]

    def __str__(self) -> str:
        return f"Transfer of {self.licence} to {self.to_company}"

    def decide(self, status: str, user, at: datetime) -> None:
        self.status = status
        self.decided_by = user
        self.decided_at = at
