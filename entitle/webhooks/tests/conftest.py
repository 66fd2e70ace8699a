"""Webhook fixtures: the production task backend run by the real worker, and real HTTP
receivers on 127.0.0.1 (which the tests allow as targets)."""

import pytest
from django.core.management import call_command
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from conftest import actor_of
from entitle.webhooks.receiver import Receiver
from entitle.webhooks.services import endpoint_create


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.ENTITLE = {
        **settings.ENTITLE,
        "ALLOW_PRIVATE_TARGETS": True,
        "WEBHOOK_TIMEOUT": 0.5,
        "WEBHOOK_RETRY_BASE": 60,
        "WEBHOOK_MAX_ATTEMPTS": 5,
        "WEBHOOK_DISABLE_AFTER": 20,
    }
    return settings


@pytest.fixture
def drain():
    """Run every task that is due, as `entitle worker` does, until nothing due is left (the
    tests commit for real: the worker closes its database connection when it stops)."""

    def run() -> None:
        call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
        failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
        assert not failed.exists(), [task.traceback for task in failed]

    return run


@pytest.fixture
def listen():
    """Register an endpoint for `user`'s company at a fresh receiver that knows its secret."""
    receivers = []

    def make(user, event_types):
        receiver = Receiver().start()
        receivers.append(receiver)
        endpoint, secret = endpoint_create(
            actor=actor_of(user), url=receiver.url, event_types=event_types
        )
        receiver.secret = secret
        return endpoint, receiver

    yield make
    for receiver in receivers:
        receiver.stop()
