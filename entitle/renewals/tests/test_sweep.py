"""The reminder sweep across the life of licences: each step sent exactly once, ever."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail

from entitle.core.models import AuditEvent
from entitle.licensing.services.licences import licence_renew, licence_suspend
from entitle.renewals import tasks
from entitle.renewals.models import Reminder
from entitle.renewals.services import reminders
from entitle.renewals.tests.conftest import on, subscription

DEFAULT_STEPS = ["days-180", "days-90", "days-60", "days-30", "days-7", "expiry"]


def days(first, last):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def claimed(licence) -> list[tuple]:
    return list(
        Reminder.objects.filter(licence=licence)
        .order_by("claimed_at", "pk")
        .values_list("end_date", "step", "status")
    )


def reminder_mails() -> list:
    # The fixtures' PO was fulfilled: its voucher mail went out first.
    return [m for m in mail.outbox if "digital vouchers" not in m.subject]


def subjects_about(licence) -> list[str]:
    names = (licence.activation_id, subscription(licence))
    return [m.subject for m in reminder_mails() if any(name in m.body for name in names)]


def test_every_step_is_sent_once_on_its_day_even_when_the_sweep_runs_twice_a_day(
    licence, pcns_licence, sweep
):
    for day in days(licence.end_date - timedelta(days=200), licence.end_date + timedelta(days=70)):
        with on(day, hour=6):
            sweep()
        with on(day, hour=18):
            sweep()
    assert [(step, status) for _, step, status in claimed(licence)] == [
        (step, "mailed") for step in DEFAULT_STEPS
    ]
    due = {r.step: r.claimed_at.date() for r in Reminder.objects.filter(licence=licence)}
    assert due == {
        "days-180": licence.end_date - timedelta(days=180),
        "days-90": licence.end_date - timedelta(days=90),
        "days-60": licence.end_date - timedelta(days=60),
        "days-30": licence.end_date - timedelta(days=30),
        "days-7": licence.end_date - timedelta(days=7),
        "expiry": licence.end_date,
    }
    # Two recipients each: the PO email (the distributor's) and the owner's administrator.
    assert len(subjects_about(licence)) == 2 * len(DEFAULT_STEPS)
    # PowerChute's 3-year licence is not due yet in this window.
    assert claimed(pcns_licence) == []


def test_grace_products_are_reminded_when_grace_starts_and_a_week_before_it_ends(
    pcns_licence, sweep
):
    end = pcns_licence.end_date
    for day in [end - timedelta(days=1), end, end + timedelta(days=1), end + timedelta(days=53)]:
        with on(day):
            sweep()
            sweep()
    assert [step for _, step, _ in claimed(pcns_licence)] == ["days-7", "expiry", "grace-ending"]
    owner_mails = [m for m in reminder_mails() if m.to == ["owner@example.com"]]
    assert "3 days of grace left" not in owner_mails[-1].subject
    assert "7 days of grace left" in owner_mails[-1].subject


def test_a_licence_renewed_after_a_reminder_gets_the_schedule_of_its_new_end_date(
    licence, owner_credits, sweep
):
    old_end = licence.end_date
    with on(old_end - timedelta(days=30)):
        sweep()
        licence_renew(
            actor=owner_credits, activation_id=licence.activation_id, terms=1, idempotency_key="x"
        )
        sweep()
    licence.refresh_from_db()
    new_end = licence.end_date
    assert new_end == old_end + timedelta(days=365)
    for day in [old_end - timedelta(days=7), old_end, new_end - timedelta(days=180)]:
        with on(day):
            sweep()
    assert claimed(licence) == [
        (old_end, "days-30", "mailed"),
        (new_end, "days-180", "mailed"),
    ]


def test_a_sweep_killed_half_way_is_finished_by_the_next_run(
    owner_credits, skus, sweep, monkeypatch
):
    from entitle.licensing.services.licences import licence_create

    made = [
        licence_create(
            actor=owner_credits, sku=skus["DCE-1Y"], quantity=1, terms=1, idempotency_key=f"k{n}"
        ).licence
        for n in range(4)
    ]
    monkeypatch.setattr(reminders, "CHUNK", 1)
    real_record = reminders.record
    ranges = Counter()

    def dies_in_the_third_range(**event):
        if event["action"] == "reminders.claimed":
            ranges["claimed"] += 1
            if ranges["claimed"] == 3:
                # Killed after its INSERT, before its transaction commits.
                raise KeyboardInterrupt
        return real_record(**event)

    monkeypatch.setattr(reminders, "record", dies_in_the_third_range)
    with on(made[0].end_date - timedelta(days=30)):
        with pytest.raises(KeyboardInterrupt):
            sweep()
        assert Reminder.objects.count() == 2
        assert len(reminder_mails()) == 2 * 2
        monkeypatch.setattr(reminders, "record", real_record)
        sweep()
        sweep()
    assert sorted(Reminder.objects.values_list("licence", "status")) == [
        (licence.pk, "mailed") for licence in made
    ]
    assert Counter(m.to[0] for m in reminder_mails()) == {
        "orders@northwind.example": 4,
        "owner@example.com": 4,
    }


def test_a_claimed_reminder_whose_mail_task_was_lost_is_mailed_by_a_later_sweep(
    licence, monkeypatch, sweep
):
    monkeypatch.setattr(tasks, "queue_mails", lambda ids: None)
    day = licence.end_date - timedelta(days=30)
    with on(day, hour=6):
        sweep()
    assert claimed(licence) == [(licence.end_date, "days-30", "claimed")]
    monkeypatch.undo()
    with on(day, hour=6):
        # Within the hour it may still be on its way: not queued again.
        sweep()
    assert reminder_mails() == []
    with on(day, hour=8):
        sweep()
    assert claimed(licence) == [(licence.end_date, "days-30", "mailed")]
    assert len(reminder_mails()) == 2


def test_mailing_twice_mails_once(licence, monkeypatch, sweep):
    queued = []
    monkeypatch.setattr(tasks, "queue_mails", queued.extend)
    with on(licence.end_date - timedelta(days=30)):
        sweep()
        assert reminders.reminders_mail(reminder_ids=queued) == 1
        assert reminders.reminders_mail(reminder_ids=queued) == 0


def test_suspended_licences_get_no_reminder_and_renewed_ones_are_not_mailed_late(
    licence, pcns_licence, owner_credits, channel, monkeypatch, sweep
):
    queued = []
    monkeypatch.setattr(tasks, "queue_mails", queued.extend)
    licence_suspend(actor=channel.staff, activation_id=licence.activation_id, reason="Audit")
    with on(pcns_licence.end_date - timedelta(days=7)):
        sweep()
        assert claimed(licence) == []
        licence_renew(
            actor=owner_credits,
            activation_id=pcns_licence.activation_id,
            terms=1,
            idempotency_key="late",
        )
        reminders.reminders_mail(reminder_ids=queued)
    [reminder] = Reminder.objects.filter(licence=pcns_licence)
    assert (reminder.status, reminder.skip_reason) == (
        "skipped",
        "The license was renewed before the reminder went out.",
    )
    assert reminder_mails() == []


def test_every_sweep_and_every_reminder_is_audited(licence, sweep):
    with on(licence.end_date - timedelta(days=30)):
        sweep()
    actions = Counter(AuditEvent.objects.values_list("action", flat=True))
    assert actions["reminder_sweep.started"] == actions["reminder_sweep.finished"] == 1
    assert actions["reminders.claimed"] == 1
    assert actions["reminder.mailed"] == 1
    mailed = AuditEvent.objects.get(action="reminder.mailed")
    assert mailed.company == licence.owner
    assert mailed.after["recipients"] == 2
