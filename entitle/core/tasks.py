import logging
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


@task()
def send_email(
    *,
    subject: str,
    body: str,
    to: list[str],
    html: str | None = None,
    message_id: str | None = None,
    attempt: int = 1,
) -> None:
    """Send one message; on failure try again later, with a growing pause, a few times."""
    headers = {"Message-ID": message_id} if message_id else None
    message = EmailMultiAlternatives(subject=subject, body=body, to=to, headers=headers)
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        if attempt >= MAX_ATTEMPTS:
            logger.exception("Giving up sending %r to %s", subject, to)
            raise
        delay = timedelta(minutes=2**attempt)
        logger.warning("Sending %r to %s failed; retrying in %s", subject, to, delay)
        send_email.using(run_after=timezone.now() + delay).enqueue(
            subject=subject,
            body=body,
            to=to,
            html=html,
            message_id=message_id,
            attempt=attempt + 1,
        )
        raise
