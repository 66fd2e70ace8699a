from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from entitle_client import airgap

from entitle.catalog.selectors import product_get_by_code, product_list, sku_get_by_code, sku_list
from entitle.core import units
from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.listing import Column, list_response
from entitle.core.policy import Action
from entitle.core.routing import reads_from_replica
from entitle.core.views import activity_response
from entitle.licensing import selectors
from entitle.licensing.errors import LicenceNotFound
from entitle.licensing.forms import (
    AirGapForm,
    AssignForm,
    CreateLicenceForm,
    DeviceForm,
    IncreaseForm,
    RehostForm,
    RenewForm,
    RenewWithCreditsForm,
)
from entitle.licensing.models import ConsumptionRecord
from entitle.licensing.selectors import licence_permits
from entitle.licensing.services import devices, licences, product
from entitle.locker.selectors import credits_of, locker_balances


def _outcome(request: HttpRequest, record: ConsumptionRecord, done: str) -> None:
    if record.status == ConsumptionRecord.Status.FAILED:
        messages.error(request, f"{record.failure_reason} Your credits were returned.")
    else:
        messages.success(request, done)


@login_required
@reads_from_replica
def licence_list(request: HttpRequest) -> HttpResponse:
    return list_response(
        request,
        selectors.LICENCES,
        selectors.licence_list(actor=request.actor),
        template="licensing/licences.html",
        filename="licenses.csv",
        columns=LICENCE_COLUMNS,
    )


# The CSV of the Licenses page: what the page shows, the Activation ID only to those who may
# see the key (others get the Subscription ID, as on the page).
LICENCE_COLUMNS = (
    Column("Activation ID", lambda row: row.activation_id if row.key_visible else None),
    Column("Subscription ID", lambda row: row.subscription),
    Column("Product", lambda row: row.product.name),
    Column("SKU", lambda row: row.sku.code),
    Column("Quantity", lambda row: row.quantity),
    Column("Start", lambda row: row.start_date),
    Column("Valid through", lambda row: row.valid_through),
    Column("Status", lambda row: str(selectors.licence_status(row).status)),
)


def _consuming_page(request, form, template, context, *, quote, apply, done, then=None):
    """Quote first (nothing changes), then confirm with the same form: the price is shown next
    to the button that spends the credits, and spending applies only to the request that was
    priced (a quantity or term changed since gets a new price to confirm)."""
    quoted = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["action"] == "apply" and form.confirms_quote():
                record = apply(form.cleaned_data)
                _outcome(request, record, done(record))
                if then is not None:
                    return redirect(then(record))
                return redirect("licensing:detail", licence_id=record.licence.public_id)
            changed = form.cleaned_data["action"] == "apply"
            quoted = quote(form.cleaned_data)
            form.remember_quote()
            if changed:
                messages.info(
                    request,
                    "The request changed since its price was shown: check "
                    "the new price, then confirm.",
                )
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
    elif request.method == "POST":
        status = 422
    return render(request, template, {**context, "form": form, "quote": quoted}, status=status)


def _next_step(text: str, url: str, link: str):
    """A confirmation that links to the flow's next step."""
    return format_html('{} <a href="{}">{}</a>', text, url, link)


def _renewed(record: ConsumptionRecord):
    return _next_step(
        f"License renewed for {record.credits} credits: valid through "
        f"{units.valid_through_text(record.details['new_end'])}.",
        reverse("licensing:consumption"),
        "Next: Consumption History, then download the new license file.",
    )


@login_required
def licence_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    balances = [b for b in locker_balances(actor=actor) if b.balance > 0]
    form = CreateLicenceForm(
        request.POST or None, balances=balances, initial={"sku": request.GET.get("sku")}
    )

    def args(data):
        sku = sku_get_by_code(actor=actor, code=data["sku"])
        return {"actor": actor, "sku": sku, "quantity": data["quantity"], "terms": data["terms"]}

    return _consuming_page(
        request,
        form,
        "licensing/create.html",
        {"balances": balances},
        quote=lambda data: licences.quote_create(**args(data)),
        apply=lambda data: licences.licence_create(
            **args(data), idempotency_key=data["idempotency_key"]
        ),
        done=lambda record: f"License {record.licence.activation_id} created.",
    )


@login_required
def licence_detail(request: HttpRequest, licence_id: str) -> HttpResponse:
    licence = selectors.licence_get(actor=request.actor, activation_id=licence_id)
    history = selectors.activation_history(actor=request.actor, licence=licence)
    return render(request, "licensing/licence.html", {"licence": licence, "history": history})


@login_required
def licence_increase(request: HttpRequest, licence_id: str) -> HttpResponse:
    licence = selectors.licence_get(
        actor=request.actor, activation_id=licence_id, action=Action.CHANGE
    )
    form = IncreaseForm(request.POST or None, initial={"quantity": licence.quantity + 1})
    return _consuming_page(
        request,
        form,
        "licensing/increase.html",
        {"licence": licence},
        quote=lambda data: licences.quote_increase(
            actor=request.actor, activation_id=licence.activation_id, quantity=data["quantity"]
        ),
        apply=lambda data: licences.licence_increase(
            actor=request.actor,
            activation_id=licence.activation_id,
            quantity=data["quantity"],
            idempotency_key=data["idempotency_key"],
        ),
        done=lambda record: _next_step(
            f"Quantity increased to {record.details['to']}.",
            reverse("licensing:devices") + f"?licence={record.licence.public_id}",
            "Next: on the Devices tab, expand the device and click Increase License Quantity.",
        ),
    )


@login_required
def licence_renew(request: HttpRequest, licence_id: str) -> HttpResponse:
    licence = selectors.licence_get(
        actor=request.actor, activation_id=licence_id, action=Action.CHANGE
    )
    skus = sku_list(actor=request.actor).filter(product=licence.product)
    form = RenewForm(request.POST or None, skus=skus, initial={"sku": licence.sku.code})

    def args(data):
        return {
            "actor": request.actor,
            "activation_id": licence.activation_id,
            "terms": data["terms"],
            "sku": sku_get_by_code(actor=request.actor, code=data["sku"]),
        }

    return _consuming_page(
        request,
        form,
        "licensing/renew.html",
        {"licence": licence},
        quote=lambda data: licences.quote_renew(**args(data)),
        apply=lambda data: licences.licence_renew(
            **args(data), idempotency_key=data["idempotency_key"]
        ),
        done=lambda record: _renewed(record),
    )


@login_required
@reads_from_replica
def device_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    form = DeviceForm(request.POST or None, products=product_list(actor=actor))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = devices.device_register(
                actor=actor,
                product=product_get_by_code(actor=actor, code=form.cleaned_data["product"]),
                name=form.cleaned_data["name"],
                host_id=form.cleaned_data["host_id"],
                location=form.cleaned_data["location"],
            )
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            messages.success(request, f"Device {device.name} registered.")
            return redirect("licensing:devices")
    wanted = request.GET.get("licence", "")
    opened = request.GET.get("device", "")

    def rows(devices: list) -> list:
        # Only the licences that could go on a device of this page: its products'.
        # Those with the most cover left first, and the licence the person came to add.
        usable = [
            licence
            for licence in selectors.licence_choices(
                actor=actor,
                products={device.product_id for device in devices},
                order="-end_date",
                wanted=wanted,
            )
            if licence_permits(licence, actor=actor, acts=True).assign
        ]
        shown = []
        for device in devices:
            on_device = {str(binding.licence.public_id) for binding in device.visible_bindings}
            candidates = [lic for lic in usable if can_go_on(lic, device, on_device)]
            preselect = wanted if any(str(lic.public_id) == wanted for lic in candidates) else ""
            # Collapsed, but for the device asked for, or those carrying the licence or that
            # could take it. Only an open device gets its "Add License" choice: fifty selects
            # of fifty licences each made the page for a large fleet slow to draw; the others
            # link to the same page with theirs open.
            is_open = str(device.public_id) == opened or wanted in on_device or bool(preselect)
            assign = (
                AssignForm(licences=candidates, initial={"licence": preselect}) if is_open else None
            )
            expand = request.GET.copy()
            expand["device"] = str(device.public_id)
            shown.append(
                (device, assign, is_open, f"?{expand.urlencode()}#device-{device.public_id}")
            )
        return shown

    response = list_response(
        request,
        selectors.DEVICES,
        selectors.device_list(actor=actor),
        template="licensing/devices.html",
        context={"form": form, "air_gapped": AirGapForm()},
        filename="devices.csv",
        columns=DEVICE_COLUMNS,
        present=rows,
    )
    response.status_code = status
    return response


# The CSV of the Devices page: what a device's row shows, with the licences on it.
DEVICE_COLUMNS = (
    Column("Name", lambda device: device.name),
    Column("Product", lambda device: device.product.name),
    Column("Host id", lambda device: device.host_id),
    Column("Location", lambda device: device.location),
    Column(
        "Licenses",
        lambda device: " ".join(b.licence.activation_id for b in device.visible_bindings),
    ),
)


def can_go_on(licence, device, on_device: set[str]) -> bool:
    """Whether "Add License" may offer `licence` for `device`: the same product, not already
    there, a free seat on the licence, and a free device for one-licence-per-device products.
    It only keeps the choice to what `licence_assign` (which decides) would accept, from the
    bindings already read."""
    if licence.product_id != device.product_id or str(licence.public_id) in on_device:
        return False
    if licence.product.one_licence_per_device and on_device:
        return False
    return len(licence.visible_bindings) < licence.product.max_devices(licence.quantity)


@login_required
@reads_from_replica
def device_increase(request: HttpRequest, device_id, licence_id: str) -> HttpResponse:
    """Devices → expand the device → Increase License Quantity: the new quantity available
    on this device, and Add License; or, with none yet, the way to buy more."""
    device = selectors.device_get(actor=request.actor, public_id=device_id, action=Action.CHANGE)
    binding = next(
        (
            b
            for b in device.visible_bindings
            if str(b.licence.public_id) == licence_id or b.licence.activation_id == licence_id
        ),
        None,
    )
    if binding is None:
        raise LicenceNotFound()
    licence = selectors.licence_get(
        actor=request.actor, activation_id=str(binding.licence.public_id), action=Action.CHANGE
    )
    context = {"device": device, "binding": binding, "licence": licence}
    return render(request, "licensing/device_increase.html", context)


@login_required
@require_POST
def device_assign(request: HttpRequest, device_id) -> HttpResponse:
    """ "Add License": assign a licence to the device, or apply its new quantity."""
    licence_id = request.POST.get("licence", "")
    if not licence_id:
        messages.error(request, "Choose the license to add to the device.")
        return redirect(f"{reverse('licensing:devices')}?device={device_id}")
    try:
        file = devices.licence_assign(
            actor=request.actor, activation_id=licence_id, device_public_id=device_id
        )
    except DomainError as error:
        if error.status == 404:
            raise
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _next_step(
                f"License {file.licence.activation_id} added with quantity "
                f"{file.licence.quantity}: license file #{file.serial} is ready.",
                reverse("licensing:file", args=[device_id, file.licence.public_id]),
                "Download it",
            ),
        )
    return redirect(f"{reverse('licensing:devices')}?device={device_id}")


@login_required
def licence_file(request: HttpRequest, device_id, licence_id: str) -> HttpResponse:
    file = selectors.licence_file_latest(
        actor=request.actor, activation_id=licence_id, device_public_id=device_id
    )
    response = HttpResponse(file.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


@login_required
def renew_with_credits(request: HttpRequest) -> HttpResponse:
    """Digital Vouchers → select the credits → Renew/Extend License: choose the Activation ID,
    see what it costs (the licence's quantity in credits per term), Renew License."""
    actor = request.actor
    sku = sku_get_by_code(actor=actor, code=request.GET.get("sku", ""))
    # Those ending first (the ones that need renewing), and the licence asked for by its id.
    renewable = [
        licence
        for licence in selectors.licence_choices(
            actor=actor,
            products={sku.product_id},
            order="end_date",
            wanted=request.GET.get("licence", ""),
        )
        if licence_permits(licence, actor=actor, acts=True).renew
    ]
    form = RenewWithCreditsForm(
        request.POST or None, licences=renewable, sku=sku, initial={"licence": ""}
    )

    keys = {str(licence.public_id): licence.activation_id for licence in renewable}

    def args(data):
        return {
            "actor": actor,
            "activation_id": keys[data["licence"]],
            "terms": data["terms"],
            "sku": sku,
        }

    return _consuming_page(
        request,
        form,
        "licensing/renew_with_credits.html",
        {"sku": sku, "balance": credits_of(actor=actor, sku=sku), "renewable": renewable},
        quote=lambda data: licences.quote_renew(**args(data)),
        apply=lambda data: licences.licence_renew(
            **args(data), idempotency_key=data["idempotency_key"]
        ),
        done=_renewed,
        then=lambda record: reverse("locker:vouchers"),
    )


@login_required
@reads_from_replica
def consumption_list(request: HttpRequest) -> HttpResponse:
    return list_response(
        request,
        selectors.CONSUMPTION,
        selectors.consumption_list(actor=request.actor),
        template="licensing/consumption.html",
        filename="consumption.csv",
        columns=CONSUMPTION_COLUMNS,
    )


def _consumed_licence(record: ConsumptionRecord) -> str | None:
    return (
        record.licence.activation_id if record.licence_id and record.licence_key_visible else None
    )


# The CSV of the Consumption History page: the Activation ID only while the reader may see it.
CONSUMPTION_COLUMNS = (
    Column("When", lambda record: record.created_at),
    Column("What", lambda record: record.get_kind_display()),
    Column("Summary", lambda record: record.details.get("summary", "")),
    Column("Activation ID", _consumed_licence),
    Column("SKU", lambda record: record.sku.code),
    Column("Credits", lambda record: record.credits),
    Column("By", lambda record: record.created_by.name if record.created_by else None),
    Column("Status", lambda record: record.get_status_display()),
    Column("Failure", lambda record: record.failure_reason),
)


@login_required
@reads_from_replica
def licence_activity(request: HttpRequest, licence_id: str) -> HttpResponse:
    licence, events = selectors.licence_activity(actor=request.actor, activation_id=licence_id)
    return activity_response(
        request,
        events,
        title=f"Activity of license {licence.activation_id}",
        back=reverse("licensing:detail", args=[licence.public_id]),
    )


@login_required
@reads_from_replica
def device_activity(request: HttpRequest, device_id) -> HttpResponse:
    device, events = selectors.device_activity(actor=request.actor, public_id=device_id)
    return activity_response(
        request,
        events,
        title=f"Activity of device {device.name}",
        back=reverse("licensing:devices"),
    )


def _address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@login_required
@require_POST
def device_deactivate(request: HttpRequest, device_id, licence_id: str) -> HttpResponse:
    """Devices tab, Action menu: free the licence's seat on this device."""
    binding = devices.binding_deactivate(
        actor=request.actor,
        activation_id=licence_id,
        device_public_id=device_id,
        address=_address(request),
    )
    messages.success(
        request,
        f"License {binding.licence.activation_id} deactivated on {binding.device.name}: its "
        "seat is free, and the device gets no new license file.",
    )
    return redirect(f"{reverse('licensing:devices')}?device={device_id}")


@login_required
@require_POST
def licence_rehost(request: HttpRequest, device_id, licence_id: str) -> HttpResponse:
    """Devices tab, Action menu: move the licence from this device to another host id."""
    form = RehostForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the new host id (up to 128 characters).")
        return redirect("licensing:devices")
    try:
        file = devices.licence_rehost(
            actor=request.actor,
            activation_id=licence_id,
            device_public_id=device_id,
            host_id=form.cleaned_data["host_id"],
            name=form.cleaned_data["name"],
            address=_address(request),
        )
    except DomainError as error:
        if error.status == 404:
            raise
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _next_step(
                f"License {file.licence.activation_id} moved to host {file.device.host_id} "
                f"({file.device.name}): license file #{file.serial} is ready.",
                reverse("licensing:file", args=[file.device.public_id, file.licence.public_id]),
                "Download it",
            ),
        )
        return redirect(f"{reverse('licensing:devices')}?device={file.device.public_id}")
    return redirect(f"{reverse('licensing:devices')}?device={device_id}")


@login_required
@require_POST
def air_gapped(request: HttpRequest) -> HttpResponse:
    """Devices tab: upload an air-gapped product's activation request (the response file is
    downloaded at once) or its deactivation proof (the seat is freed)."""
    form = AirGapForm(request.POST, request.FILES)
    text = form.content() if form.is_valid() else ""
    is_proof = airgap.PROOF_LABEL in text
    try:
        if is_proof:
            answer = product.airgap_deactivate(
                proof_text=text, address=_address(request), actor=request.actor
            )
        else:
            answer = product.airgap_activate(
                request_text=text, address=_address(request), actor=request.actor
            )
    except DomainError as error:
        if error.status == 404:
            raise
        messages.error(request, error.message)
        return redirect("licensing:devices")
    if answer.licence is not None:
        response = HttpResponse(answer.licence, content_type="text/plain; charset=utf-8")
        name = f"{answer.claims['host_id']}-response.lic"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    if answer.code == "DEACTIVATED":
        messages.success(request, f"Host {answer.claims['host_id']} deactivated: its seat is free.")
    else:
        messages.error(request, AIRGAP_REFUSALS.get(answer.code, f"Refused: {answer.code}."))
    return redirect("licensing:devices")


AIRGAP_REFUSALS = {
    "TOO_MANY_DEVICES": "This licence is already active on as many devices as it allows: "
    "deactivate one first.",
    "PROOF_REQUIRED": "This deactivation proof was not made by the installation the licence "
    "is active on.",
    "HOST_MISMATCH": "The licence is not active on this host.",
    "SUSPENDED": "This license is suspended by the vendor.",
    "EXPIRED": "This licence has expired.",
    "NOT_YET_VALID": "This licence is not valid yet.",
}


@login_required
@reads_from_replica
def entitlement_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return list_response(
        request,
        selectors.ENTITLEMENTS,
        selectors.entitlement_list(actor=request.actor),
        template="licensing/entitlements.html",
        filename="entitlements.csv",
        columns=ENTITLEMENT_COLUMNS,
        present=lambda rows: [selectors.entitlement_row(row, on=today) for row in rows],
    )


def _entitlement_status(row: selectors.EntitlementRow) -> str:
    return "unused" if row.status is None else str(row.status.status)


def _entitlement_column(header: str, read) -> Column:
    def cell(entitlement):
        # The row as shown, made once however many columns read it.
        if "_row" not in entitlement.__dict__:
            entitlement._row = selectors.entitlement_row(entitlement)
        return read(entitlement._row)

    return Column(header, cell)


# The CSV of the Entitlements page: exactly its columns.
ENTITLEMENT_COLUMNS = (
    _entitlement_column("Subscription ID", lambda row: row.subscription_id),
    _entitlement_column("Product", lambda row: row.product),
    _entitlement_column("SKU", lambda row: row.sku),
    _entitlement_column("Quantity", lambda row: row.quantity),
    _entitlement_column("Start date", lambda row: row.start_date),
    _entitlement_column("Valid through", lambda row: row.valid_through),
    _entitlement_column("Status", _entitlement_status),
    _entitlement_column("PO number", lambda row: row.po_number),
)
