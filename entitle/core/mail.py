from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django_tasks_db.backend import DatabaseBackend

from entitle.core.tasks import send_email


def send_after_commit(*, to: list[str], template: str, context: dict) -> None:
    """Queue a templated mail that goes out once the surrounding transaction commits.

    `template` names a pair: `<template>_subject.txt` and `<template>.txt`. Nothing is sent
    for a change that rolls back, and the task worker retries a failed send. With the database
    task backend (production) the task is written inside the transaction: it commits with the
    change or not at all (an outbox), so a server killed just after the commit loses no mail;
    with another backend it is queued on commit. The Message-ID is fixed here, so that a send
    repeated after a worker died is recognisably the same message.
    """
    message = {
        "subject": " ".join(render_to_string(f"{template}_subject.txt", context).split()),
        "body": render_to_string(f"{template}.txt", context),
        "to": to,
        "message_id": make_msgid(domain=urlsplit(settings.PORTAL_URL).hostname),
    }
    if isinstance(send_email.get_backend(), DatabaseBackend):
        send_email.enqueue(**message)
    else:
        transaction.on_commit(lambda: send_email.enqueue(**message))
