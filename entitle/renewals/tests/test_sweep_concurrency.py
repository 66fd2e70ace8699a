"""Sweeps running at once on PostgreSQL: real transactions, one connection per thread."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections

from entitle.licensing.services.licences import licence_create
from entitle.renewals import tasks
from entitle.renewals.models import Reminder
from entitle.renewals.services import reminders
from entitle.renewals.tests.conftest import on

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LICENCES = 12


@pytest.fixture
def due(on_postgres, owner_credits, skus):
    """Licences all due their 30-day reminder on the same day."""
    return [
        licence_create(
            actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key=f"c{n}"
        ).licence
        for n in range(LICENCES)
    ]


def in_thread(results: dict, name: str, start: threading.Barrier | None = None):
    def run():
        try:
            if start:
                start.wait()
            results[name] = tasks.sweep_now().reminders
        except Exception as exc:  # reported by the test, not lost in the thread
            results[name] = exc
        finally:
            connections.close_all()

    return threading.Thread(target=run, name=name)


def reminder_mails() -> Counter:
    return Counter(m.to[0] for m in mail.outbox if "digital vouchers" not in m.subject)


def test_sweeps_started_together_send_no_duplicate(due, monkeypatch):
    # Small ranges, so that the two sweeps interleave range by range.
    monkeypatch.setattr(reminders, "CHUNK", 2)
    for _ in range(3):
        results: dict = {}
        start = threading.Barrier(2)
        with on(due[0].end_date - timedelta(days=30)):
            threads = [in_thread(results, name, start) for name in ("a", "b")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        assert all(isinstance(n, int) for n in results.values()), results
    assert Reminder.objects.count() == LICENCES
    assert set(Reminder.objects.values_list("status", flat=True)) == {"mailed"}
    assert reminder_mails() == {
        "orders@northwind.example": LICENCES,
        "owner@example.com": LICENCES,
    }


def test_a_sweep_that_meets_another_ones_uncommitted_claims_waits_then_skips_them(due, monkeypatch):
    """Sweep A has inserted its claims but not committed; sweep B, inserting the same keys,
    waits on the unique index, and once A commits inserts (and mails) none of them."""
    hold = threading.Event()
    real_record = reminders.record

    def slow_in_a(**event):
        if event["action"] == "reminders.claimed" and threading.current_thread().name == "a":
            assert hold.wait(timeout=30)
        return real_record(**event)

    monkeypatch.setattr(reminders, "record", slow_in_a)
    results: dict = {}
    with on(due[0].end_date - timedelta(days=30)):
        a = in_thread(results, "a")
        a.start()
        while not Reminder.objects.exists() and not _inserting(connection):
            time.sleep(0.02)
        b = in_thread(results, "b")
        b.start()
        _wait_until_blocked(connection)
        hold.set()
        a.join(timeout=60)
        b.join(timeout=60)
    assert results == {"a": LICENCES, "b": 0}
    assert sum(reminder_mails().values()) == 2 * LICENCES


def _inserting(conn) -> bool:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
            "AND query LIKE 'INSERT INTO renewals_reminder%%'"
        )
        return cursor.fetchone()[0] > 0


def _wait_until_blocked(conn) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'INSERT INTO renewals_reminder%%'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("the second sweep never waited for the first one's claims")
