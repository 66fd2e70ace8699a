"""A worker killed in the middle of a task does not lose it: another worker runs it again."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from entitle.core import workers

pytestmark = pytest.mark.django_db(transaction=True)


def running(claimed_by: list[str], *, started_ago: timedelta = timedelta(seconds=5)):
    return DBTaskResult.objects.create(
        args_kwargs={
            "args": [],
            "kwargs": {"subject": "Hi", "body": "Hello", "to": ["a@x.example"]},
        },
        task_path="entitle.core.tasks.send_email",
        backend_name="default",
        run_after=get_date_max(),
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - started_ago,
        worker_ids=claimed_by,
    )


def status(task) -> str:
    task.refresh_from_db()
    return task.status


@pytest.fixture
def live_worker(on_postgres):
    """A worker that is alive: another session holds its liveness lock."""
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "prepare_threshold"}) as other:
        other.execute(
            "SELECT pg_advisory_lock(%s, %s)", [workers.LOCK_NAMESPACE, workers._lock_key("alive")]
        )
        yield "alive"


def test_the_tasks_of_a_dead_worker_are_queued_again_not_those_of_a_live_one(live_worker):
    lost = running(["gone"])
    busy = running(["alive"])
    mine = running(["me"])
    assert workers.requeue_orphans(own_id="me") == 1
    assert status(lost) == TaskResultStatus.READY
    assert status(busy) == TaskResultStatus.RUNNING
    assert status(mine) == TaskResultStatus.RUNNING  # this worker is running it
    # A worker that (re)starts with an id finds what its previous life left running.
    assert workers.requeue_orphans(own_id="me", starting=True) == 1
    assert status(mine) == TaskResultStatus.READY
    assert DBTaskResult.objects.ready().count() == 2


def test_a_task_that_keeps_killing_its_worker_is_failed_not_run_again(on_postgres):
    poison = running(["w1", "w2", "w3", "w4", "w5"])
    assert workers.requeue_orphans(own_id="me") == 0
    assert status(poison) == TaskResultStatus.FAILED
    assert "Its worker died 5 times" in poison.traceback


def test_on_sqlite_a_task_running_for_too_long_is_queued_again():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL asks the workers' locks instead")
    recent = running(["other"], started_ago=timedelta(minutes=1))
    lost = running(["other"], started_ago=workers.STALE_AFTER + timedelta(minutes=1))
    assert workers.requeue_orphans(own_id="me") == 1
    assert status(lost) == TaskResultStatus.READY
    assert status(recent) == TaskResultStatus.RUNNING


def test_entitle_worker_runs_the_task_a_killed_worker_left_running(tmp_path):
    """The real command: a task RUNNING under a worker that no longer exists gets mailed."""
    lost = running(["killed-worker"], started_ago=workers.STALE_AFTER + timedelta(minutes=1))
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{settings_dict['NAME']}"
    else:
        url = (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        # django-environ drops one slash: four make an absolute path.
        "EMAIL_URL": f"filemail:///{tmp_path / 'mail'}",
        "ENTITLE_DATA_DIR": str(tmp_path),
        "ENTITLE_TESTING": "false",
    }
    env.pop("CACHE_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "entitle.cli", "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while status(lost) != TaskResultStatus.SUCCESSFUL and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    assert status(lost) == TaskResultStatus.SUCCESSFUL
    assert lost.worker_ids[0] == "killed-worker" and len(lost.worker_ids) == 2
    mails = "".join(path.read_text() for path in (tmp_path / "mail").iterdir())
    assert mails.count("Subject: Hi") == 1


def test_a_task_claimed_again_meanwhile_is_left_to_its_new_worker():
    """Two workers noticed the same dead one: the second must not take the task back from the
    worker that claimed it after the first put it back."""
    task = running(["gone", "new-owner"])
    assert workers._requeue([task.pk], "gone", "worker gone is gone") == 0
    assert status(task) == TaskResultStatus.RUNNING
    assert workers._requeue([task.pk], "new-owner", "worker new-owner is gone") == 1
    assert status(task) == TaskResultStatus.READY
