"""The reminder sweep, the reminder mails, and registering from a reminder.

The sweep is set-based. For the day it runs, every product's schedule becomes a few end-date
windows (`schedule.windows`), and one INSERT … SELECT per range of licence ids claims the
due (licence, end date, step) rows, with ON CONFLICT DO NOTHING on their unique key and
RETURNING the ids it inserted. So each reminder is claimed by exactly one sweep, however many
run at once; a range whose transaction did not commit (a sweep killed half-way) claimed
nothing, and the next run claims it. The mails of exactly the rows a range claimed are queued
when its transaction commits, a batch per task (`reminders_mail`), which renders and queues
them later in the worker: the sweep itself touches no licence in Python.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from entitle.accounts.models import User
from entitle.accounts.services import user_register
from entitle.catalog.models import Product
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.mail import send_after_commit
from entitle.licensing.models import ConsumptionRecord, Funding, Licence
from entitle.licensing.selectors import licence_status
from entitle.orders.models import Entitlement
from entitle.renewals import schedule
from entitle.renewals.models import Reminder, ReminderSweep
from entitle.renewals.selectors import registration_from_token, registration_link

# The sweep and the mails are the system acting on its own, for every company: they cannot
# start from an actor's `visible_to`, and they read only what a reminder needs.
SYSTEM = Actor.anonymous()

# Licence ids per INSERT … SELECT (one transaction each): bounds the ids held in memory.
CHUNK = 100_000
# Reminders per mail task.
MAIL_BATCH = 200

QueueMails = Callable[[list[int]], None]
# A claimed reminder not mailed after this long lost its task (a crash between the commit and
# the enqueue, or a failed task): the next sweep queues it again.
STALE_AFTER = timedelta(hours=1)
# When the worker runs the scheduled sweep each day (the portal's time zone).
SWEEP_TIME = time(6, 0)


# --- Booking the daily sweep (its task is queued by `entitle.renewals.tasks.book`). ---


def sweep_time(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, SWEEP_TIME))


def reminder_sweep_book(*, day: date, run_after: datetime) -> ReminderSweep | None:
    """Book the scheduled sweep of `day`, unless the day is booked already (by this worker or
    another one). Returns the new booking, or None."""
    try:
        with transaction.atomic():
            sweep = ReminderSweep.objects.create(day=day, scheduled=True)
            record(
                actor=SYSTEM,
                action=AuditAction.REMINDER_SWEEP_BOOKED,
                obj=sweep,
                company=None,
                after={"day": day.isoformat(), "run_after": run_after.isoformat()},
            )
    except IntegrityError:
        return None
    return sweep


# --- The sweep. ---


def _windows(on: date) -> list[tuple[int, str, date, date]]:
    rows = []
    for product in Product.objects.only("pk", "reminder_days", "grace_days"):
        steps = schedule.steps(reminder_days=product.reminder_days, grace_days=product.grace_days)
        for window in schedule.windows(steps, on):
            rows.append((product.pk, window.step.key, window.after, window.up_to))
    return rows


def _claim_sql(windows: int) -> str:
    values = ", ".join(["(%s, %s, %s, %s)"] * windows)
    # VALUES columns are named column1… on both PostgreSQL and SQLite: (product, step, after,
    # up_to). The WHERE before ON CONFLICT also keeps SQLite's parser from reading the
    # conflict clause as the join's.
    return (
        f"INSERT INTO {Reminder._meta.db_table} (licence_id, end_date, step, sweep_id, claimed_at) "  # noqa: S608
        f"SELECT l.id, l.end_date, w.column2, %s, %s FROM {Licence._meta.db_table} l "
        f"JOIN (VALUES {values}) w ON w.column1 = l.product_id "
        "WHERE l.id > %s AND l.id <= %s AND l.suspended_at IS NULL "
        "AND l.end_date > w.column3 AND l.end_date <= w.column4 "
        "ON CONFLICT (licence_id, end_date, step) DO NOTHING RETURNING id"
    )


def _claim_range(
    sweep: ReminderSweep,
    windows: list,
    after_id: int,
    up_to_id: int,
    now: datetime,
    queue_mails: QueueMails,
) -> int:
    ops = connection.ops
    params: list = [sweep.pk, ops.adapt_datetimefield_value(now)]
    for product_id, step, after, up_to in windows:
        params += [
            product_id,
            step,
            ops.adapt_datefield_value(after),
            ops.adapt_datefield_value(up_to),
        ]
    params += [after_id, up_to_id]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_claim_sql(len(windows)), params)
            claimed = [row[0] for row in cursor.fetchall()]
        if claimed:
            record(
                actor=SYSTEM,
                action=AuditAction.REMINDERS_CLAIMED,
                obj=sweep,
                company=None,
                after={"reminders": len(claimed), "licence_ids": f"{after_id + 1}–{up_to_id}"},
            )
            transaction.on_commit(partial(queue_mails, claimed))
    return len(claimed)


def _queue_stale(before: datetime, queue_mails: QueueMails) -> int:
    """Queue again the claimed reminders whose mail task was lost, streaming their ids."""
    waiting = Reminder.objects.filter(
        status=Reminder.Status.CLAIMED, claimed_at__lt=before
    ).values_list("pk", flat=True)
    batch: list[int] = []
    queued = 0
    for pk in waiting.iterator(chunk_size=10 * MAIL_BATCH):
        batch.append(pk)
        if len(batch) == MAIL_BATCH:
            queue_mails(batch)
            queued, batch = queued + len(batch), []
    if batch:
        queue_mails(batch)
    return queued + len(batch)


def reminders_sweep(
    *, queue_mails: QueueMails, sweep: ReminderSweep | None = None
) -> ReminderSweep:
    """Claim every reminder due today and hand their ids to `queue_mails` (in batches of at
    most MAIL_BATCH, once each range's claim committed): each is sent once, ever. Safe to run
    again, or by several workers at once. The task worker's `queue_mails` queues mail tasks
    (`entitle.renewals.tasks`)."""
    on = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        if sweep is None:
            sweep = ReminderSweep.objects.create(day=on)
        sweep.start(now)
        sweep.save(update_fields=["started_at"])
        record(
            actor=SYSTEM,
            action=AuditAction.REMINDER_SWEEP_STARTED,
            obj=sweep,
            company=None,
            after={"day": sweep.day.isoformat(), "on": on.isoformat()},
        )
    _queue_stale(now - STALE_AFTER, queue_mails)
    claimed = 0
    windows = _windows(on)
    if windows:
        last_id = Licence.objects.aggregate(last=Max("pk"))["last"] or 0
        for after_id in range(0, last_id, CHUNK):
            claimed += _claim_range(sweep, windows, after_id, after_id + CHUNK, now, queue_mails)
    with transaction.atomic():
        sweep.finish(timezone.now(), claimed)
        sweep.save(update_fields=["finished_at", "reminders"])
        record(
            actor=SYSTEM,
            action=AuditAction.REMINDER_SWEEP_FINISHED,
            obj=sweep,
            company=None,
            after={"on": on.isoformat(), "reminders": claimed},
        )
    return sweep


# --- The mails. ---


@dataclass(frozen=True)
class Letter:
    """One reminder mail: to the owner's side (the licence and its renewal page) or to the
    partner side (entitlement information only)."""

    email: str
    to_owner: bool
    link: str
    registers: bool = False
    po_numbers: tuple[str, ...] = ()


@dataclass(frozen=True)
class _FundingPo:
    email: str
    po_number: str
    purchaser: int
    owner: int


@dataclass
class _Audience:
    admins: dict[int, list[str]]
    pos: dict[int, list[_FundingPo]]
    accounts: dict[str, tuple[int, bool]]

    def letters(self, licence: Licence) -> list[Letter]:
        """The owner's administrators, and the PO emails of the POs that paid for the licence
        and still concern its owner: the owner's own POs (owner letter) and those a partner
        placed for it (partner letter). A PO placed for an earlier owner — the licence was
        transferred — tells its parties nothing more, and an address that belongs to another
        company than the PO's purchasing entity is never written to."""
        owner = licence.owner_id
        renewal_page = reverse("renewals:licence", args=[licence.public_id])
        sold_page = reverse("renewals:home") + "#sold"
        letters = {
            email: Letter(email, True, settings.PORTAL_URL + renewal_page)
            for email in self.admins.get(licence.pk, [])
        }
        for po in self.pos.get(licence.pk, []):
            if po.owner != owner and po.purchaser != owner:
                continue
            to_owner = po.purchaser == owner
            page = renewal_page if to_owner else sold_page
            account = self.accounts.get(po.email)
            if account is None:
                # No account yet: the link registers the address into the company whose
                # contact the PO names, then goes on to that company's page.
                letter = Letter(
                    po.email,
                    to_owner,
                    registration_link(email=po.email, company_id=po.purchaser, next_path=page),
                    registers=True,
                )
            else:
                company, active = account
                if not active or company != po.purchaser:
                    continue
                letter = Letter(po.email, to_owner, settings.PORTAL_URL + page)
            earlier = letters.get(po.email, letter)
            letters[po.email] = replace(earlier, po_numbers=(*earlier.po_numbers, po.po_number))
        return list(letters.values())


def _audience(licences: list[Licence]) -> _Audience:
    """Who each licence's reminder may go to: the PO email of every PO whose vouchers paid for
    it (Funding → voucher → line → PO) and the owner's administrators."""
    by_owner: dict[int, list[int]] = {}
    for licence in licences:
        by_owner.setdefault(licence.owner_id, []).append(licence.pk)
    admins: dict[int, list[str]] = {}
    for company_id, email in User.objects.filter(
        company__in=by_owner, role=User.Role.ADMIN, is_active=True
    ).values_list("company", "email"):
        for licence_id in by_owner[company_id]:
            admins.setdefault(licence_id, []).append(email)
    pos: dict[int, list[_FundingPo]] = {}
    for licence_id, email, po_number, purchaser, po_owner in (
        Funding.objects.filter(
            consumption__licence__in=[licence.pk for licence in licences],
            consumption__status=ConsumptionRecord.Status.COMPLETED,
        )
        .values_list(
            "consumption__licence",
            "voucher__line__po__po_email",
            "voucher__line__po__po_number",
            "voucher__line__po__purchasing_entity",
            "voucher__line__po__owner",
        )
        .distinct()
        .order_by("voucher__line__po__recorded_at")
    ):
        pos.setdefault(licence_id, []).append(_FundingPo(email, po_number, purchaser, po_owner))
    emails = {po.email for rows in pos.values() for po in rows}
    accounts = {
        email: (company, active)
        for email, company, active in User.objects.filter(email__in=emails).values_list(
            "email", "company", "is_active"
        )
    }
    return _Audience(admins, pos, accounts)


def _send(letter: Letter, reminder: Reminder, step: schedule.Step | None) -> None:
    licence = reminder.licence
    context = {
        "step": step,
        "status": licence_status(licence),
        "link": letter.link,
        "registers": letter.registers,
        "po_numbers": letter.po_numbers,
        "product": licence.product,
        "expired": timezone.localdate() >= licence.end_date,
        "renewable": licence.product.renewable_after_expiry,
    }
    if letter.to_owner:
        context["licence"] = licence
        template = "renewals/email/reminder_owner"
    else:
        # The partner side is told the entitlement information and nothing else about the
        # licence: its owner and installation are never in reach of the template.
        context["entitlement"] = {
            # The Subscription ID, never the Activation ID (the owner's secret).
            "subscription_id": Entitlement.objects.filter(licence=licence)
            .order_by("pk")
            .values_list("subscription_id", flat=True)
            .first()
            or "",
            "sku": licence.sku.code,
            "quantity": licence.quantity,
            "start_date": licence.start_date,
            "end_date": licence.end_date,
            "valid_through": licence.valid_through,
        }
        template = "renewals/email/reminder_partner"
    send_after_commit(to=[letter.email], template=template, context=context)


def reminders_mail(*, reminder_ids: list[int]) -> int:
    """Mail claimed reminders. One already mailed, or being mailed by another task, is left
    alone, so the task is safe to run twice. Returns the number mailed."""
    now = timezone.now()
    with transaction.atomic():
        reminders = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=reminder_ids, status=Reminder.Status.CLAIMED)
            .select_related("licence__product", "licence__sku", "licence__owner")
            .order_by("pk")
        )
        audience = _audience([reminder.licence for reminder in reminders])
        today = timezone.localdate()
        for reminder in reminders:
            licence = reminder.licence
            steps = schedule.steps(
                reminder_days=licence.product.reminder_days, grace_days=licence.product.grace_days
            )
            current = schedule.current_step(steps, end=licence.end_date, on=today)
            if licence.end_date != reminder.end_date:
                reminder.mark_skipped(now, "The license was renewed before the reminder went out.")
            elif licence.is_suspended:
                reminder.mark_skipped(now, "The licence is suspended.")
            elif current is None or current.key != reminder.step:
                # Mailed late (the worker was down, or several sweeps' claims queued up): only
                # the most recent due reminder goes out, never a "before expiry" one after the
                # end date.
                reminder.mark_skipped(now, "A later reminder is due instead.")
            else:
                letters = audience.letters(licence)
                for letter in letters:
                    _send(letter, reminder, current)
                reminder.mark_mailed(now, len(letters))
            record(
                actor=SYSTEM,
                action=AuditAction(f"reminder.{reminder.status}"),
                obj=reminder,
                company=licence.owner,
                after={
                    "licence": str(licence.public_id),
                    "end": reminder.end_date.isoformat(),
                    "step": reminder.step,
                    "recipients": reminder.recipients,
                    **({"reason": reminder.skip_reason} if reminder.skip_reason else {}),
                },
            )
        Reminder.objects.bulk_update(
            reminders, ["status", "mailed_at", "recipients", "skip_reason"]
        )
    return sum(r.status == Reminder.Status.MAILED for r in reminders)


# --- Registering from a reminder's link. ---


def registration_accept(*, token: str, name: str, password: str) -> tuple[User, str]:
    """Register the address a reminder was mailed to (it had no account) into the company
    whose contact the PO names. Returns the new user and the page to go on to."""
    registration = registration_from_token(token)
    user = user_register(
        company=registration.company,
        email=registration.email,
        name=name,
        password=password,
        through="renewal reminder",
    )
    return user, registration.next_path
