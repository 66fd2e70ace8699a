"""A task worker that dies does not take its task with it.

django-tasks' database worker marks a task RUNNING when it claims it, and a worker killed in
the middle (SIGKILL, out of memory, a lost machine) leaves it RUNNING for ever: the task is
never run again (django-tasks issue #46). So each `entitle worker` runs a watchman thread:

- On PostgreSQL the thread holds a session advisory lock named after its worker id for as long
  as the process lives; the server frees it the moment the process or its machine goes. Every
  few seconds each worker looks at the RUNNING tasks, tries the lock of the worker that claimed
  each one, and when it gets it (that worker is gone) puts its tasks back in the queue.
- On SQLite (the embedded mode, one machine) a task RUNNING for longer than `STALE_AFTER` is
  put back instead.

A worker that starts also puts back the tasks left RUNNING under its own id (a restart that
reuses the id). Tasks are written to be safe to run twice, so at-least-once is enough; a task
that was put back `MAX_CLAIMS` times (it kills its worker) is marked failed instead.
"""

import hashlib
import logging
import threading
import time
from datetime import timedelta

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

LOCK_NAMESPACE = 0x456E74  # the advisory locks' first key: "Ent"
CHECK_EVERY = 2.0  # seconds between looks at the RUNNING tasks
STALE_AFTER = timedelta(minutes=15)  # SQLite: no lock to ask, a running task this old is lost
MAX_CLAIMS = 5


def _lock_key(worker_id: str) -> int:
    return int.from_bytes(hashlib.sha256(worker_id.encode()).digest()[:4], "big", signed=True)


def _requeue(task_ids: list, claimed_by: str, reason: str) -> int:
    """Put these tasks back in the queue if `claimed_by` is still running them (not another
    worker since), or fail those claimed too often."""
    requeued = 0
    with transaction.atomic():
        tasks = DBTaskResult.objects.select_for_update().filter(
            pk__in=task_ids, status=TaskResultStatus.RUNNING
        )
        for task in tasks:
            if task.worker_ids[-1:] != [claimed_by]:
                continue  # put back and claimed again meanwhile: someone else's now
            if len(task.worker_ids) >= MAX_CLAIMS:
                task.set_failed(RuntimeError(f"Its worker died {len(task.worker_ids)} times."))
                continue
            task.status = TaskResultStatus.READY
            task.started_at = None
            task.save(update_fields=["status", "started_at"])
            requeued += 1
    if requeued:
        logger.warning("Queued %d task(s) again: %s", requeued, reason)
    return requeued


def _running_by_worker() -> dict[str, list]:
    tasks: dict[str, list] = {}
    for pk, worker_ids in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list(
        "pk", "worker_ids"
    ):
        tasks.setdefault(worker_ids[-1] if worker_ids else "", []).append(pk)
    return tasks


def requeue_orphans(*, own_id: str, starting: bool = False) -> int:
    """Put back the tasks of workers that are gone; returns how many."""
    requeued = 0
    for worker_id, task_ids in _running_by_worker().items():
        if worker_id == own_id:
            if starting:  # this id's previous process died with these tasks
                requeued += _requeue(task_ids, worker_id, f"worker {worker_id} restarted")
            continue
        if connection.vendor != "postgresql":
            stale = DBTaskResult.objects.filter(
                pk__in=task_ids, started_at__lt=timezone.now() - STALE_AFTER
            ).values_list("pk", flat=True)
            if stale:
                requeued += _requeue(list(stale), worker_id, f"running for over {STALE_AFTER}")
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, _lock_key(worker_id)]
            )
            if not cursor.fetchone()[0]:
                continue  # its worker holds the lock: it is alive
            try:
                requeued += _requeue(task_ids, worker_id, f"worker {worker_id} is gone")
            finally:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, _lock_key(worker_id)]
                )
    return requeued


def _hold_liveness_lock(worker_id: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, _lock_key(worker_id)]
            )


def _watch(worker_id: str, started: threading.Event) -> None:
    holding = False
    while True:
        try:
            if not holding:  # first, or after the connection (and so the lock) was lost
                _hold_liveness_lock(worker_id)
                holding = True
                requeue_orphans(own_id=worker_id, starting=not started.is_set())
                started.set()
            else:
                requeue_orphans(own_id=worker_id)
        except DatabaseError:
            logger.exception("Could not look for the tasks of dead workers")
            connection.close()
            holding = False
        time.sleep(CHECK_EVERY)


def start_watchman(worker_id: str) -> None:
    """Start the thread that keeps this worker's liveness lock and requeues the tasks of dead
    workers; returns once its first look is done (so this worker starts on a clean queue)."""
    started = threading.Event()
    threading.Thread(
        target=_watch, args=(worker_id, started), name="entitle-watchman", daemon=True
    ).start()
    started.wait(timeout=30)
