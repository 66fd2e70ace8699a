import pgtrigger
from django.conf import settings
from django.db import models

from entitle.core.policy import PolicyManager

# Enforced by PostgreSQL itself, whatever code runs against it (SQLite, the embedded mode,
# relies on the code: nothing has an update or delete path for these rows).
APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


class AuditEvent(models.Model):
    """One change anyone made: who, for which company, what, when, before and after.

    Append-only: written by `entitle.core.audit.record` and never updated or deleted.
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_company = models.ForeignKey(
        "accounts.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The API token the change came through, if it did not come from a portal session.
    via_token = models.ForeignKey(
        "accounts.ApiToken", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The company whose object changed: the events its users may see.
    company = models.ForeignKey(
        "accounts.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    objects = PolicyManager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class IdempotencyRecord(models.Model):
    """A consuming or redeeming request already carried out for a company under a key.

    The same request sent again gets the first answer; another request under the same key is
    refused, so a retried call never acts twice."""

    company = models.ForeignKey("accounts.Company", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=100)
    operation = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=64)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    objects = PolicyManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"
