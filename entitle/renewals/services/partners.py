"""Partners: their directory listing, renewal requests to them, and e-mails to them.

What reaches a partner about a licence is its entitlement information (Subscription ID, SKU,
quantity, dates), never its owner or installation; the requester's own contact only when they
choose to include it.
"""

from django.db import transaction
from django.utils import timezone

from entitle.accounts.models import Company, User
from entitle.catalog.models import Product
from entitle.core import links, ratelimit
from entitle.core.actor import Actor
from entitle.core.audit import AuditAction, record
from entitle.core.errors import NotFound
from entitle.core.mail import send_after_commit
from entitle.core.policy import Action
from entitle.licensing.selectors import licence_get, subscription_id_of
from entitle.renewals.errors import (
    ListingInvalid,
    RenewalRequestAnswered,
    RenewalRequestInvalid,
)
from entitle.renewals.models import PartnerListing, RenewalRequest
from entitle.renewals.selectors import partner_get, renewal_kind, renewal_request_get

MAX_MESSAGE = 4000
# Requests and e-mails to partners one user may send per hour.
PARTNER_MAIL_RATE = 20


def _clean_message(text: str | None, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise RenewalRequestInvalid("Please write your message.", field="message")
    if len(text) > MAX_MESSAGE:
        raise RenewalRequestInvalid(
            f"Please keep the message under {MAX_MESSAGE} characters.", field="message"
        )
    return text


def _count_partner_mail(actor: Actor) -> None:
    ratelimit.hit(
        f"partner-mail:user:{actor.user.pk}",
        limit=PARTNER_MAIL_RATE,
        window_seconds=3600,
        message="You have written to partners a lot in the last hour. Please try again later.",
    )


def _mail_partner(partner: Company, *, template: str, context: dict) -> None:
    # Delivery, not disclosure: the sender never sees these addresses. A partner with no
    # users yet still finds a request in the portal once it has some.
    addresses = list(
        User.objects.filter(company=partner, is_active=True)
        .order_by("email")
        .values_list("email", flat=True)
    )
    if addresses:
        send_after_commit(to=addresses, template=template, context=context)


def renewal_request_create(
    *,
    actor: Actor,
    activation_id: str,
    partner_id: int,
    message: str = "",
    include_contact: bool = False,
) -> RenewalRequest:
    """Ask a partner of the directory to renew a licence (or to sell its replacement). The
    partner's users see the request in the portal and get it by mail."""
    licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
    partner = partner_get(actor=actor, company_id=partner_id)
    message = _clean_message(message, required=False)
    _count_partner_mail(actor)
    with transaction.atomic():
        request = RenewalRequest.objects.create(
            partner=partner,
            requester=actor.company,
            requested_by=actor.user,
            licence=licence,
            kind=renewal_kind(licence),
            subscription_id=subscription_id_of(licence, actor=actor),
            sku=licence.sku,
            quantity=licence.quantity,
            start_date=licence.start_date,
            end_date=licence.end_date,
            message=message,
            contact_name=actor.user.name if include_contact else "",
            contact_email=actor.user.email if include_contact else "",
            contact_company=actor.company.name if include_contact else "",
        )
        record(
            actor=actor,
            action=AuditAction.RENEWAL_REQUEST_CREATED,
            obj=request,
            company=actor.company,
            after={
                "partner": partner.name,
                "subscription_id": request.subscription_id,
                "kind": request.kind,
                "contact_included": include_contact,
            },
        )
        link = links.portal_url("renewals:request", request.public_id)
        _mail_partner(
            partner,
            template="renewals/email/request",
            context={"request": request, "product": licence.product, "link": link},
        )
    return request


def renewal_request_answer(*, actor: Actor, public_id, answer: str) -> RenewalRequest:
    """The partner answers a request (its quote, or a question). The answer is mailed to the
    requester through the portal: the partner does not learn their address."""
    answer = _clean_message(answer, required=True)
    with transaction.atomic():
        request = renewal_request_get(actor=actor, public_id=public_id, action=Action.CHANGE)
        request = RenewalRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == RenewalRequest.Status.ANSWERED:
            raise RenewalRequestAnswered()
        request.mark_answered(by=actor.user, text=answer, at=timezone.now())
        request.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        record(
            actor=actor,
            action=AuditAction.RENEWAL_REQUEST_ANSWERED,
            obj=request,
            company=request.requester,
            before={"status": RenewalRequest.Status.OPEN},
            after={"status": request.status, "partner": actor.company.name},
        )
        link = links.portal_url("renewals:licence", request.subscription_id)
        send_after_commit(
            to=[request.requested_by.email],
            template="renewals/email/request_answer",
            context={"request": request, "partner": actor.company, "link": link},
        )
    return request


def partner_mail_send(*, actor: Actor, activation_id: str, partner_id: int, message: str) -> str:
    """The owner writes to a partner of the directory about renewing a licence. The mail
    carries the SKU, quantity and Subscription ID, and — since the owner writes it — their
    name and address to answer to. Returns the partner's name."""
    licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
    partner = partner_get(actor=actor, company_id=partner_id)
    message = _clean_message(message, required=True)
    _count_partner_mail(actor)
    with transaction.atomic():
        record(
            actor=actor,
            action=AuditAction.RENEWAL_PARTNER_EMAILED,
            obj=licence,
            company=actor.company,
            after={
                "partner": partner.name,
                "subscription_id": subscription_id_of(licence, actor=actor),
            },
        )
        _mail_partner(
            partner,
            template="renewals/email/partner_message",
            context={
                "sender": actor.user,
                "sender_company": actor.company,
                "partner": partner,
                "message": message,
                "subscription_id": subscription_id_of(licence, actor=actor),
                "sku": licence.sku,
                "quantity": licence.quantity,
                "valid_through": licence.valid_through,
                "kind": renewal_kind(licence),
            },
        )
    return partner.name


def partner_listing_save(
    *, actor: Actor, product_codes: list[str], summary: str = ""
) -> PartnerListing:
    """A partner's administrator lists what the partner sells in the partner directory."""
    company = actor.company
    if not (actor.is_company_admin and company is not None and company.is_partner):
        raise NotFound()
    summary = (summary or "").strip()
    if len(summary) > 200:
        raise ListingInvalid("Please keep the summary under 200 characters.", field="summary")
    products = list(Product.objects.visible_to(actor, Action.VIEW).filter(code__in=product_codes))
    if len(products) != len(set(product_codes)):
        raise ListingInvalid("Choose products of the catalog.", field="products")
    with transaction.atomic():
        listing = (
            PartnerListing.objects.visible_to(actor, Action.CHANGE)
            .select_for_update()
            .filter(company=company)
            .first()
        )
        created = listing is None
        before = None if created else _listing_state(listing)
        if created:
            listing = PartnerListing.objects.create(company=company, summary=summary)
        else:
            listing.summary = summary
            listing.updated_at = timezone.now()
            listing.save(update_fields=["summary", "updated_at"])
        listing.products.set(products)
        record(
            actor=actor,
            action=AuditAction.PARTNER_LISTING_CREATED if created else "partner_listing.changed",
            obj=listing,
            company=company,
            before=before,
            after=_listing_state(listing),
        )
    return listing


def _listing_state(listing: PartnerListing) -> dict:
    return {
        "summary": listing.summary,
        "products": sorted(listing.products.values_list("code", flat=True)),
    }
