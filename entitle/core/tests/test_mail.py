"""Mail is queued with the change that caused it: not before it commits, never without it."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from entitle.core.mail import send_after_commit
from entitle.core.tasks import send_email

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queue_invitation(to: str) -> None:
    send_after_commit(
        to=[to],
        template="accounts/email/invitation",
        context={"invitation": {"company": "Acme"}, "link": "https://x.example/join"},
    )


def test_with_the_database_backend_the_task_commits_with_the_change(database_tasks):
    with transaction.atomic():
        queue_invitation("kept@example.com")
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_invitation("rolled-back@example.com")
        raise RuntimeError("the change fails")
    queued = [task.args_kwargs["kwargs"] for task in DBTaskResult.objects.all()]
    assert [kwargs["to"] for kwargs in queued] == [["kept@example.com"]]
    assert queued[0]["message_id"].endswith("@127.0.0.1>")


def test_a_message_keeps_its_message_id_when_sent(mailoutbox):
    send_email.enqueue(subject="Hi", body="Hello", to=["a@example.com"], message_id="<m1@x>")
    assert mailoutbox[0].extra_headers["Message-ID"] == "<m1@x>"
    assert "Message-ID: <m1@x>" in mailoutbox[0].message().as_string()
