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


def test_an_insert_stores_each_value_as_the_orm_would(skus, settings):
    """Values of the column's own type go to the database as they are; the rest through
    Django's preparation — a choices member as its value, a naive datetime in the default
    time zone, a number given as text — so a row inserted by `statements.insert` reads back
    exactly as one saved by the ORM."""
    import warnings
    from datetime import datetime
    from decimal import Decimal

    from entitle.core import statements
    from entitle.locker.models import LedgerEntry, Locker

    settings.TIME_ZONE = "Pacific/Auckland"
    locker = Locker.objects.create(
        company=Company.objects.create(name="Prepared"),
        sku=next(iter(skus.values())),
    )
    naive = datetime(2026, 7, 1, 12, 0)
    given = LedgerEntry(
        locker=locker,
        kind=LedgerEntry.Kind.CONSUMPTION,  # an enum member: stored as its value
        amount="-2.50",  # text: prepared by Django
        reason="Prepared",
        idempotency_key="prepared-1",
        created_at=naive,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # Django warns of the naive datetime
        statements.insert([given])
    stored = LedgerEntry.objects.get(pk=given.pk)
    assert stored.kind == "consumption"
    assert stored.amount == Decimal("-2.50")
    assert stored.created_at.isoformat() == "2026-07-01T00:00:00+00:00"  # noon in Auckland
    assert stored.voucher_id is None


def test_a_select_under_a_condition_finds_what_the_orm_finds(db):
    """Select.all(allowed=Q): the rows the ORM's filter(Q) finds, for the plain conditions it
    writes out itself and for those it leaves to the ORM (a join, a subquery, NOT)."""
    from datetime import timedelta

    from django.db.models import Exists, OuterRef, Q
    from django.utils import timezone

    from entitle.accounts.models import User
    from entitle.core import statements

    a = Company.objects.create(name="A", is_partner=True)
    b = Company.objects.create(name="B")
    c = Company.objects.create(name="C", is_partner=True)
    User.objects.create(email="someone@c.example", company=c)
    everyone = statements.Select(Company, where="1 = 1")
    conditions = [
        Q(),
        Q(name="A"),
        Q(pk=b.pk),
        Q(pk__in=[a.pk, c.pk]),
        Q(pk__in=frozenset()),
        Q(is_partner=True) | Q(name="B"),
        Q(is_partner=True) & Q(name__in=("B", "C")),
        Q(created_at__gt=timezone.now() - timedelta(days=1)),
        Q(created_at__lte=timezone.now() - timedelta(days=1)),
        Q(pk__isnull=False),
        ~Q(name="A"),  # left to the ORM
        Q(pk__in=Company.objects.filter(name="C").values("pk")),  # a subquery
        Q(users__email__endswith="@c.example"),  # a join
        Q(Exists(User.objects.filter(company=OuterRef("pk")))),  # an expression
    ]
    for condition in conditions:
        found = {company.name for company in everyone.all([], allowed=condition)}
        assert found == set(Company.objects.filter(condition).values_list("name", flat=True)), (
            condition
        )


def test_an_update_writes_what_save_with_update_fields_writes(skus):
    """statements.update: the named columns, prepared as the ORM prepares them; nothing else."""
    from datetime import date

    from entitle.core import statements
    from entitle.licensing.models import Licence

    sku = skus["DCE-1Y"]
    owner = Company.objects.create(name="Updated")
    licence = Licence.objects.create(
        activation_id="22222-22222-22222-22222",
        product=sku.product,
        sku=sku,
        quantity=1,
        start_date=date(2026, 1, 1),
        end_date=date(2027, 1, 1),
        owner=owner,
    )
    licence.quantity, licence.end_date = 7, date(2028, 1, 1)
    licence.start_date = date(2025, 1, 1)  # changed, not named: stays as stored
    statements.update(licence, ("quantity", "end_date"))
    stored = Licence.objects.get(pk=licence.pk)
    assert (stored.quantity, stored.end_date, stored.start_date) == (
        7,
        date(2028, 1, 1),
        date(2026, 1, 1),
    )
