"""The renewal reminders' tasks, and what the worker queues.

django-tasks has no cron. The daily sweep is a chain of tasks kept in the task table itself:
each day's run is *booked* ahead — a `ReminderSweep` row, unique per day, written in the same
transaction as its task with `run_after` that day at 06:00 — and each run first books the
next day's. Because the booking lives in the database, the chain survives restarts: a worker
that was down picks the overdue run up when it starts again, and `entitle worker` books the
current day on start, which restarts a chain that was never begun or was lost. Because a day
can be booked only once, several workers never run the same day twice, and the sweep itself
is idempotent anyway. `entitle reminders run` runs a sweep by hand.
"""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from entitle.renewals.models import ReminderSweep
from entitle.renewals.services import reminders


@task()
def reminders_mail(*, reminder_ids: list[int]) -> int:
    """Mail a batch of claimed reminders (safe to run twice: each is mailed once)."""
    return reminders.reminders_mail(reminder_ids=reminder_ids)


def queue_mails(reminder_ids: list[int]) -> None:
    """One mail task per batch of claimed reminders (the sweep calls this once a claim
    committed)."""
    for start in range(0, len(reminder_ids), reminders.MAIL_BATCH):
        reminders_mail.enqueue(reminder_ids=reminder_ids[start : start + reminders.MAIL_BATCH])


@task()
def reminder_sweep_scheduled(*, sweep_id: int) -> int:
    """The booked daily sweep: book tomorrow's first, so that a failing sweep cannot break
    the chain, then sweep."""
    sweep = ReminderSweep.objects.get(pk=sweep_id)
    if sweep.finished_at is not None:
        return sweep.reminders
    # A run overdue by days (the worker was down) books the day after today, not after its own.
    following = max(sweep.day, timezone.localdate()) + timedelta(days=1)
    book(day=following, run_after=reminders.sweep_time(following))
    return reminders.reminders_sweep(sweep=sweep, queue_mails=queue_mails).reminders


def book(*, day: date, run_after: datetime) -> ReminderSweep | None:
    """Book the scheduled sweep of `day` and its task, unless the day is booked already."""
    with transaction.atomic():
        sweep = reminders.reminder_sweep_book(day=day, run_after=run_after)
        if sweep is not None:
            # Enqueued inside the transaction, not after it: with the database task backend
            # the booking and its task commit together, so no day is ever booked without a
            # task to run it.
            reminder_sweep_scheduled.using(run_after=run_after).enqueue(sweep_id=sweep.pk)
    return sweep


def book_today() -> ReminderSweep | None:
    """Called when `entitle worker` starts: run today's sweep now unless it is booked already."""
    return book(day=timezone.localdate(), run_after=timezone.now())


def sweep_now() -> ReminderSweep:
    """A sweep run by hand (`entitle reminders run`, the demo), its mails queued as usual."""
    return reminders.reminders_sweep(queue_mails=queue_mails)
