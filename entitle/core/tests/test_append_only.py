import pytest
from django.db import DatabaseError, transaction

from entitle.core.models import AuditEvent
from entitle.locker.models import LedgerEntry


@pytest.mark.parametrize("model", [AuditEvent, LedgerEntry])
def test_postgresql_refuses_to_change_or_delete_history(on_postgres, owner_credits, model):
    row = model.objects.first()
    assert row is not None
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        model.objects.filter(pk=row.pk).update(
            **{AuditEvent: {"action": "tampered"}, LedgerEntry: {"reason": "tampered"}}[model]
        )
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        model.objects.filter(pk=row.pk).delete()
    assert model.objects.filter(pk=row.pk).exists()
