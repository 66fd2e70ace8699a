"""The hot path's hand-compiled statements (entitle.core.statements)."""

from entitle.accounts.models import Company
from entitle.core import audit
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction
from entitle.core.models import AuditEvent


def test_a_batch_bigger_than_one_statement_may_bind_is_written_whole(db):
    """A bulk change's audit events are one batch; past the database's limit on a statement's
    parameters (65,535 bound on the PostgreSQL server; what Django states for SQLite) they are
    split into several statements, not refused."""
    company = Company.objects.create(name="Many Changes")
    with audit.batch():
        for _ in range(6_000):  # × 12 columns: 72,000 parameters
            audit.record(
                actor=Actor.anonymous(),
                action=AuditAction.SIGNING_KEY_ROTATED,
                obj=company,
                company=company,
            )
    assert AuditEvent.objects.filter(company=company).count() == 6_000
