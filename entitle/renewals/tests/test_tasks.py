"""The daily sweep as the task worker runs it: booked a day ahead, once per day, surviving
restarts; and `entitle reminders run` by hand."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from entitle.renewals import tasks
from entitle.renewals.models import Reminder, ReminderSweep
from entitle.renewals.tests.conftest import on

SWEEP_TASK = "entitle.renewals.tasks.reminder_sweep_scheduled"


@pytest.fixture
def database_tasks(settings):
    """The production task backend: tasks wait in the database for `entitle worker`."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)


def booked() -> list[tuple]:
    return sorted(
        (task.run_after, task.status) for task in DBTaskResult.objects.filter(task_path=SWEEP_TASK)
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_books_today_then_each_run_books_the_next_day(database_tasks, licence):
    start = licence.end_date - timedelta(days=31)
    with on(start, hour=9):
        assert tasks.book_today() is not None
        # A second worker starting, or a restart, books nothing more.
        assert tasks.book_today() is None
        run_worker()
        # 31 days before the end, the 60-day step is the latest due.
        assert list(Reminder.objects.values_list("step", flat=True)) == ["days-60"]
        tomorrow_six = datetime.combine(start + timedelta(days=1), datetime.min.time(), UTC)
        tomorrow_six = tomorrow_six.replace(hour=6)
        assert [run_after for run_after, status in booked() if status == "READY"] == [tomorrow_six]
    with on(start + timedelta(days=1), hour=7):
        # The worker was restarted meanwhile: today is booked already, by yesterday's run.
        assert tasks.book_today() is None
        run_worker()
    assert sorted(Reminder.objects.values_list("step", "status")) == [
        ("days-30", "mailed"),
        ("days-60", "mailed"),
    ]
    assert sorted(m.to[0] for m in mail.outbox if "ends in 30 days" in m.subject) == [
        "orders@northwind.example",
        "owner@example.com",
    ]
    assert ReminderSweep.objects.filter(scheduled=True).count() == 3
    assert [status for _, status in booked()] == ["SUCCESSFUL", "SUCCESSFUL", "READY"]


@pytest.mark.django_db(transaction=True)
def test_a_worker_down_for_days_catches_up_once(database_tasks, licence):
    start = licence.end_date - timedelta(days=33)
    with on(start, hour=9):
        tasks.book_today()
        run_worker()
    with on(start + timedelta(days=4), hour=9):
        run_worker()
    assert sorted(Reminder.objects.values_list("step", "status")) == [
        ("days-30", "mailed"),
        ("days-60", "mailed"),
    ]
    ready = [run_after for run_after, status in booked() if status == "READY"]
    assert [r.date() for r in ready] == [start + timedelta(days=5)]


def test_reminders_run_by_hand(licence, django_capture_on_commit_callbacks):
    out = StringIO()
    with on(licence.end_date - timedelta(days=60)):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("reminders", "run", stdout=out)
        call_command("reminders", "run", stdout=out)
    assert out.getvalue().splitlines() == [
        f"Reminder sweep of {licence.end_date - timedelta(days=60)}: 1 reminder claimed; "
        "the task worker mails them.",
        f"Reminder sweep of {licence.end_date - timedelta(days=60)}: 0 reminders claimed; "
        "the task worker mails them.",
    ]
