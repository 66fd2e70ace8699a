"""A new registration link for a PO email that has no account, asked for from the log-in page
a renewal link led to (the reminder's own link may have expired, or been lost)."""

import uuid

from django.urls import Resolver404, resolve, reverse

from entitle.accounts.models import User, normalize_email
from entitle.core import ratelimit
from entitle.core.mail import send_after_commit
from entitle.licensing.models import ConsumptionRecord, Funding
from entitle.renewals.selectors import registration_link

# Asks per hour, per address asked for and per client.
PER_EMAIL = 3
PER_CLIENT = 20


def renewal_page_licence(path: str) -> str | None:
    """How the renewal page at `path` names its licence (its public id, as reminders link to
    it), if that is what it is."""
    try:
        match = resolve(path or "")
    except Resolver404:
        return None
    if match.view_name != "renewals:licence":
        return None
    return match.kwargs.get("activation_id")


def registration_link_send(*, email: str, next_path: str, client: str) -> None:
    """Mail a registration link to `email` if it is the PO email of a PO that paid for the
    licence of the renewal page `next_path` and has no account yet, exactly as a reminder
    would. Whoever asks gets the same answer whatever happens, so that nobody learns which
    addresses are PO emails or have accounts."""
    email = normalize_email(email or "")
    ratelimit.hit_all(
        {
            f"renewal-register:client:{client}": PER_CLIENT,
            f"renewal-register:email:{email}": PER_EMAIL,
        },
        window_seconds=3600,
        message="Too many requests. Please try again in an hour.",
    )
    try:
        public_id = uuid.UUID(renewal_page_licence(next_path) or "")
    except ValueError:
        return
    if not email or User.objects.filter(email=email).exists():
        return
    paid_by = (
        Funding.objects.filter(
            consumption__licence__public_id=public_id,
            consumption__status=ConsumptionRecord.Status.COMPLETED,
            voucher__line__po__po_email=email,
        )
        .values_list("voucher__line__po__purchasing_entity", "consumption__licence__owner")
        .order_by("voucher__line__po__recorded_at")
        .first()
    )
    if paid_by is None:
        return
    purchaser, owner = paid_by
    # Like the reminders: the owner's contact goes on to the renewal page, a partner's to
    # the expiries of what it sold.
    page = next_path if purchaser == owner else reverse("renewals:home") + "#sold"
    send_after_commit(
        to=[email],
        template="renewals/email/registration",
        context={"link": registration_link(email=email, company_id=purchaser, next_path=page)},
    )
