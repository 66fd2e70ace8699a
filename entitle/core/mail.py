from django.db import transaction
from django.template.loader import render_to_string

from entitle.core.tasks import send_email


def send_after_commit(*, to: list[str], template: str, context: dict) -> None:
    """Queue a templated mail once the surrounding transaction commits.

    `template` names a pair: `<template>_subject.txt` and `<template>.txt`. Nothing is sent
    for a change that rolls back, and the task worker retries a failed send.
    """
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}.txt", context)
    transaction.on_commit(lambda: send_email.enqueue(subject=subject, body=body, to=to))
