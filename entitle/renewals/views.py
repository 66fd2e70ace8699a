from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from entitle.accounts.errors import AccountExists
from entitle.accounts.forms import JoinForm
from entitle.catalog.selectors import product_list, sku_get_by_code, sku_list
from entitle.core import units
from entitle.core.errors import DomainError, NotFound
from entitle.core.forms import show_domain_error
from entitle.core.listing import Column, Listing, Page, list_response
from entitle.core.policy import Action
from entitle.core.routing import reads_from_replica
from entitle.licensing.forms import RenewForm
from entitle.licensing.models import ConsumptionRecord
from entitle.licensing.selectors import LICENCES, licence_get, licence_status
from entitle.licensing.services import licences
from entitle.renewals import selectors
from entitle.renewals.forms import (
    AnswerForm,
    DirectorySearchForm,
    ListingForm,
    PartnerMailForm,
    RegistrationLinkForm,
    RenewalRequestForm,
    ShopOrderForm,
)
from entitle.renewals.models import RenewalKind
from entitle.renewals.services import partners as partner_services
from entitle.renewals.services import registration, reminders, shop

PAGE = "renewals/licence.html"
DIRECTORY = "renewals/partners.html"


# Rows of each short list on the Renewals tab; each links to its own paged list.
HOME_ROWS = 5


def _first(listing: Listing, rows) -> Page:
    return listing.page(rows, listing.Params(limit=HOME_ROWS))


@login_required
@reads_from_replica
def home(request: HttpRequest) -> HttpResponse:
    """The Renewals tab: the actor's licences due for renewal (paged), and the first few of
    the shop orders and requests it sent; for a partner, of the requests sent to it and the
    expiries of what it sold — each linking to its own paged list."""
    actor = request.actor
    context = {
        "sent": _first(selectors.RENEWAL_REQUESTS, selectors.renewal_requests_sent(actor=actor)),
        "orders": _first(selectors.SHOP_ORDERS, selectors.shop_orders(actor=actor)),
        "received": _first(
            selectors.RENEWAL_REQUESTS, selectors.renewal_requests_received(actor=actor)
        ),
        "sold": _first(selectors.SOLD_EXPIRIES, selectors.sold_expiry_rows(actor=actor)),
        "lists_itself": actor.company.is_partner and actor.is_company_admin,
    }
    return list_response(
        request,
        LICENCES,
        selectors.licences_due(actor=actor),
        template="renewals/home.html",
        context=context,
        filename="licenses-due-for-renewal.csv",
        columns=DUE_COLUMNS,
    )


# The CSV of the licences due: what the tab shows (the key only to those who may see it).
DUE_COLUMNS = (
    Column("Activation ID", lambda row: row.activation_id if row.key_visible else None),
    Column("Subscription ID", lambda row: row.subscription),
    Column("Product", lambda row: row.product.name),
    Column("SKU", lambda row: row.sku.code),
    Column("Quantity", lambda row: row.quantity),
    Column("Valid through", lambda row: row.valid_through),
    Column("Status", lambda row: str(licence_status(row).status)),
)


def _list_page(request, listing, rows, *, table, title, filename, columns, **texts):
    return list_response(
        request,
        listing,
        rows,
        template="renewals/list.html",
        context={"table": table, "title": title, **texts},
        filename=filename,
        columns=columns,
    )


@login_required
@reads_from_replica
def requests_sent(request: HttpRequest) -> HttpResponse:
    return _list_page(
        request,
        selectors.RENEWAL_REQUESTS,
        selectors.renewal_requests_sent(actor=request.actor),
        table="renewals/_sent.html",
        title="Renewal requests you sent",
        filename="renewal-requests-sent.csv",
        columns=SENT_COLUMNS,
        no_match="No request you sent matches this search.",
        nothing_yet="You have sent no renewal requests. Ask a partner from a license's "
        "renewal options.",
    )


@login_required
@reads_from_replica
def requests_received(request: HttpRequest) -> HttpResponse:
    return _list_page(
        request,
        selectors.RENEWAL_REQUESTS,
        selectors.renewal_requests_received(actor=request.actor),
        table="renewals/_received.html",
        title=f"Renewal requests to {request.actor.company.name}",
        filename="renewal-requests-received.csv",
        columns=RECEIVED_COLUMNS,
        no_match="No request matches this search.",
        nothing_yet="No renewal requests yet.",
    )


@login_required
@reads_from_replica
def shop_orders(request: HttpRequest) -> HttpResponse:
    return _list_page(
        request,
        selectors.SHOP_ORDERS,
        selectors.shop_orders(actor=request.actor),
        table="renewals/_orders.html",
        title="Your orders from the shop",
        filename="shop-orders.csv",
        columns=ORDER_COLUMNS,
        no_match="No order matches this search.",
        nothing_yet="No orders from the shop yet.",
    )


@login_required
@reads_from_replica
def sold_expiries(request: HttpRequest) -> HttpResponse:
    company = request.actor.company.name
    return _list_page(
        request,
        selectors.SOLD_EXPIRIES,
        selectors.sold_expiry_rows(actor=request.actor),
        table="renewals/_sold.html",
        title=f"Upcoming expiries of what {company} sold",
        intro=f"Entitlements on purchase orders where {company} is the purchasing entity or "
        "the reseller, whose licenses end within six months, are in grace, or expired "
        "recently.",
        filename="sold-expiries.csv",
        columns=SOLD_COLUMNS,
        no_match="Nothing you sold ends within these days.",
        nothing_yet="Nothing you sold ends within the next six months.",
    )


def _contact(asked) -> str | None:
    if not asked.includes_contact:
        return None
    return f"{asked.contact_name} <{asked.contact_email}>, {asked.contact_company}"


SENT_COLUMNS = (
    Column("Subscription ID", lambda r: r.subscription_id),
    Column("SKU", lambda r: r.sku.code),
    Column("Quantity", lambda r: r.quantity),
    Column("To", lambda r: r.partner.name),
    Column("Sent", lambda r: r.created_at.date()),
    Column("Status", lambda r: r.get_status_display()),
)
RECEIVED_COLUMNS = (
    Column("Subscription ID", lambda r: r.subscription_id),
    Column("Product", lambda r: r.sku.product.name),
    Column("SKU", lambda r: r.sku.code),
    Column("Quantity", lambda r: r.quantity),
    Column("End date", lambda r: r.end_date),
    Column("Asked", lambda r: r.created_at.date()),
    Column("Contact", _contact),
    Column("Status", lambda r: r.get_status_display()),
)
ORDER_COLUMNS = (
    Column("Order (PO)", lambda o: o.po.po_number),
    Column("Placed", lambda o: o.placed_at.date()),
    Column("Status", lambda o: o.get_status_display()),
    Column("Outcome", lambda o: o.outcome),
)
SOLD_COLUMNS = (
    Column("Subscription ID", lambda lic: selectors.sold_expiry(lic).subscription_id),
    Column("Product", lambda lic: lic.product.name),
    Column("SKU", lambda lic: lic.sku.code),
    Column("Quantity", lambda lic: lic.quantity),
    Column("Start date", lambda lic: lic.start_date),
    Column("Valid through", lambda lic: selectors.sold_expiry(lic).valid_through),
    Column("PO number", lambda lic: selectors.po_numbers(lic)),
    Column("Status", lambda lic: str(selectors.sold_status(lic).status)),
)


def _page(
    request: HttpRequest,
    activation_id: str,
    *,
    renew: RenewForm | None = None,
    quote: licences.Quote | None = None,
    ask: RenewalRequestForm | None = None,
    write: PartnerMailForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    options = selectors.renewal_options(actor=actor, activation_id=activation_id)
    licence = options.licence
    chosen = {"partner": request.GET["partner"]} if request.GET.get("partner") else {}
    if renew is None:
        skus = sku_list(actor=actor).filter(product=licence.product)
        renew = RenewForm(skus=skus, initial={"sku": licence.sku.code, "terms": 1})
        # The page shows the price of one term already: that is what its button confirms.
        renew.initial["quoted"] = renew.fingerprint(renew.initial)
    context = {
        "options": options,
        "licence": licence,
        "form": renew,
        "quote": quote or options.credits_quote,
        "ask": ask or RenewalRequestForm(partners=options.partners, initial=chosen),
        "write": write or PartnerMailForm(partners=options.partners, initial=chosen),
    }
    return render(request, PAGE, context, status=status)


@login_required
def licence(request: HttpRequest, activation_id: str) -> HttpResponse:
    """The renewal page of a licence and its four options. The page's own form renews with
    locker credits — the price first, then the renewal; the other options post elsewhere."""
    actor = request.actor
    licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
    if request.method != "POST":
        return _page(request, licence.activation_id)
    skus = sku_list(actor=actor).filter(product=licence.product)
    form = RenewForm(request.POST, skus=skus, initial={"sku": licence.sku.code})
    if not form.is_valid():
        return _page(request, licence.activation_id, renew=form, status=422)
    data = form.cleaned_data
    arguments = {
        "actor": actor,
        "activation_id": licence.activation_id,
        "terms": data["terms"],
        "sku": sku_get_by_code(actor=actor, code=data["sku"]),
    }
    try:
        if data["action"] == "apply" and form.confirms_quote():
            record = licences.licence_renew(**arguments, idempotency_key=data["idempotency_key"])
        else:
            if data["action"] == "apply":
                messages.info(
                    request,
                    "The request changed since its price was shown: check the new price, "
                    "then confirm.",
                )
            quote = licences.quote_renew(**arguments)
            form.remember_quote()
            return _page(request, licence.activation_id, renew=form, quote=quote)
    except DomainError as error:
        show_domain_error(form, error)
        return _page(request, licence.activation_id, renew=form, status=error.status)
    if record.status == ConsumptionRecord.Status.FAILED:
        messages.error(request, f"{record.failure_reason} Your credits were returned.")
    else:
        messages.success(
            request,
            f"License renewed: valid through "
            f"{units.valid_through_text(record.details['new_end'])}. Download the new "
            "license file from the Devices tab.",
        )
    return redirect("renewals:licence", activation_id=licence.public_id)


@login_required
def order_online(request: HttpRequest, activation_id: str) -> HttpResponse:
    """Order online from the shop, in two steps: what will be ordered and at what price, then
    the button that places the order (its idempotency key makes a double submit order once)."""
    actor = request.actor
    licence = licence_get(actor=actor, activation_id=activation_id, action=Action.CHANGE)
    if request.method != "POST":
        context = {
            "licence": licence,
            "prices": selectors.Prices(
                licence.quantity, licence.sku.partner_price, licence.sku.direct_price
            ),
            "renewal": selectors.renewal_kind(licence) == RenewalKind.RENEWAL,
            "form": ShopOrderForm(),
        }
        return render(request, "renewals/order_confirm.html", context)
    form = ShopOrderForm(request.POST)
    key = form.cleaned_data["idempotency_key"] if form.is_valid() else ""
    try:
        order = shop.shop_order_place(
            actor=actor, activation_id=licence.activation_id, idempotency_key=key
        )
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        messages.error(request, error.message)
        return redirect("renewals:licence", activation_id=licence.public_id)
    then = "license is renewed" if order.kind == RenewalKind.RENEWAL else "new subscription made"
    messages.success(
        request,
        f"Order {order.po.po_number} placed in the shop. Once it is fulfilled, its voucher "
        f"comes by e-mail: redeem it in the Digital Vouchers tab and the {then}.",
    )
    return redirect("renewals:licence", activation_id=order.licence.public_id)


def _to_partner(
    request: HttpRequest, activation_id: str, form_class, slot: str, send
) -> HttpResponse:
    """Options 3 and 4: a form naming a partner of the directory, sent by a service."""
    licence_get(actor=request.actor, activation_id=activation_id, action=Action.CHANGE)
    form = form_class(request.POST, partners=selectors.partner_directory(actor=request.actor))
    if form.is_valid():
        try:
            done = send(form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
            return _page(request, activation_id, **{slot: form}, status=error.status)
        messages.success(request, done)
        return redirect("renewals:licence", activation_id=activation_id)
    return _page(request, activation_id, **{slot: form}, status=422)


@login_required
@require_POST
def request_renewal(request: HttpRequest, activation_id: str) -> HttpResponse:
    def send(data: dict) -> str:
        sent = partner_services.renewal_request_create(
            actor=request.actor,
            activation_id=activation_id,
            partner_id=data["partner"],
            message=data["message"],
            include_contact=data["include_contact"],
        )
        return f"Your request was sent to {sent.partner.name}."

    return _to_partner(request, activation_id, RenewalRequestForm, "ask", send)


@login_required
@require_POST
def email_partner(request: HttpRequest, activation_id: str) -> HttpResponse:
    def send(data: dict) -> str:
        name = partner_services.partner_mail_send(
            actor=request.actor,
            activation_id=activation_id,
            partner_id=data["partner"],
            message=data["message"],
        )
        return f"Your e-mail was sent to {name}."

    return _to_partner(request, activation_id, PartnerMailForm, "write", send)


@login_required
@reads_from_replica
def partners(request: HttpRequest) -> HttpResponse:
    """The partner directory, paged; with ?licence=…, each partner links back to that renewal
    page. Its search form is the directory's own: its country and product choices are the
    reader's (the listed countries, the catalog)."""
    actor = request.actor
    form = DirectorySearchForm(
        request.GET or None,
        countries=selectors.partner_countries(actor=actor),
        products=product_list(actor=actor).prefetch_related(None),
    )
    form.is_valid()
    context = {
        "form": form,
        "for_licence": request.GET.get("licence", ""),
        "lists_itself": actor.company.is_partner and actor.is_company_admin,
    }
    return list_response(
        request,
        selectors.PARTNERS,
        selectors.partner_rows(actor=actor),
        template=f"{DIRECTORY}#results" if request.htmx else DIRECTORY,
        context=context,
        filename="partners.csv",
        columns=PARTNER_COLUMNS,
    )


PARTNER_COLUMNS = (
    Column("Partner", lambda listing: listing.company.name),
    Column("Country", lambda listing: listing.company.country),
    Column("Summary", lambda listing: listing.summary),
    Column("Sells", lambda listing: ", ".join(p.name for p in listing.listed_products)),
)


@login_required
@reads_from_replica
def listing(request: HttpRequest) -> HttpResponse:
    """A partner's administrator edits the partner's directory listing."""
    actor = request.actor
    if not (actor.company.is_partner and actor.is_company_admin):
        raise NotFound()
    current = selectors.partner_listings(actor=actor).filter(company=actor.company).first()
    initial = (
        {"products": [p.code for p in current.listed_products], "summary": current.summary}
        if current
        else {}
    )
    products = product_list(actor=actor).prefetch_related(None)
    form = ListingForm(request.POST or None, products=products, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            partner_services.partner_listing_save(
                actor=actor,
                product_codes=form.cleaned_data["products"],
                summary=form.cleaned_data["summary"],
            )
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, "Your listing in the partner directory was saved.")
            return redirect("renewals:partners")
    return render(request, "renewals/listing.html", {"form": form}, status=status)


@login_required
def renewal_request(request: HttpRequest, public_id) -> HttpResponse:
    """A renewal request: the partner it was sent to sees and answers it; the requester sees
    the answer."""
    actor = request.actor
    asked = selectors.renewal_request_get(actor=actor, public_id=public_id)
    form = AnswerForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            partner_services.renewal_request_answer(
                actor=actor, public_id=asked.public_id, answer=form.cleaned_data["answer"]
            )
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, "Your answer was sent.")
            return redirect("renewals:request", public_id=asked.public_id)
    context = {"asked": asked, "form": form, "to_us": asked.partner_id == actor.company.pk}
    return render(request, "renewals/request.html", context, status=status)


def register(request: HttpRequest, token: str) -> HttpResponse:
    """Registration from a reminder's link, for a PO email that had no account; then on to
    the page the reminder was about."""
    try:
        registration = selectors.registration_from_token(token)
    except DomainError as error:
        context = {"error": error}
        return render(request, "renewals/register_closed.html", context, status=error.status)
    login_then = f"{reverse('accounts:login')}?{urlencode({'next': registration.next_path})}"
    if request.user.is_authenticated:
        return redirect(registration.next_path)
    form = JoinForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user, next_path = reminders.registration_accept(
                    token=token,
                    name=form.cleaned_data["name"],
                    password=form.cleaned_data["password"],
                )
            except AccountExists as error:
                messages.info(request, error.message)
                return redirect(login_then)
            except DomainError as error:
                show_domain_error(form, error)
                status = error.status
            else:
                login(request, user, backend="entitle.accounts.backends.EmailBackend")
                messages.success(request, f"Welcome to the portal, {user.name}.")
                return redirect(next_path)
        else:
            status = 422
    context = {"form": form, "registration": registration, "login_then": login_then}
    return render(request, "renewals/register.html", context, status=status)


def register_request(request: HttpRequest) -> HttpResponse:
    """ "Register" from the log-in page a renewal link led to: a new registration link goes to
    the PO email, if it may register (the answer is the same for any address)."""
    form = RegistrationLinkForm(request.POST or None, initial={"next": request.GET.get("next")})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            registration.registration_link_send(
                email=form.cleaned_data["email"],
                next_path=form.cleaned_data["next"],
                client=request.META.get("REMOTE_ADDR", ""),
            )
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            return render(
                request, "renewals/register_request.html", {"sent": form.cleaned_data["email"]}
            )
    elif request.method == "POST":
        status = 422
    return render(request, "renewals/register_request.html", {"form": form}, status=status)
