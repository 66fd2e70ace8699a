from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from entitle_client import airgap

from entitle.catalog.selectors import product_get_by_code, product_list, sku_get_by_code, sku_list
from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.policy import Action
from entitle.core.routing import reads_from_replica
from entitle.core.views import activity_response
from entitle.licensing import selectors
from entitle.licensing.forms import (
    AirGapForm,
    AssignForm,
    CreateLicenceForm,
    DeviceForm,
    IncreaseForm,
    RehostForm,
    RenewForm,
)
from entitle.licensing.models import ConsumptionRecord
from entitle.licensing.services import devices, licences, product
from entitle.locker.selectors import locker_balances


def _outcome(request: HttpRequest, record: ConsumptionRecord, done: str) -> None:
    if record.status == ConsumptionRecord.Status.FAILED:
        messages.error(request, f"{record.failure_reason} Your credits were returned.")
    else:
        messages.success(request, done)


@login_required
@reads_from_replica
def licence_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "licensing/licences.html",
        {"licences": selectors.licence_list(actor=request.actor)},
    )


def _consuming_page(request, form, template, context, *, quote, apply, done):
    """Quote first (nothing changes), then apply with the same form: the quote is shown next
    to the button that spends the credits."""
    quoted = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["action"] == "apply":
                record = apply(form.cleaned_data)
                _outcome(request, record, done(record))
                return redirect("licensing:detail", licence_id=record.licence.public_id)
            quoted = quote(form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
    elif request.method == "POST":
        status = 422
    return render(request, template, {**context, "form": form, "quote": quoted}, status=status)


@login_required
def licence_create(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    balances = [b for b in locker_balances(actor=actor) if b.balance > 0]
    form = CreateLicenceForm(request.POST or None, balances=balances)

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
        done=lambda record: f"Licence {record.licence.activation_id} created.",
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
        done=lambda record: (
            f"Quantity increased to {record.details['to']}. On the Devices tab, "
            "confirm Add License to apply it to the device."
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
        done=lambda record: (
            f"Licence renewed to {record.details['new_end']}. Download the new "
            "licence file from the Devices tab."
        ),
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
    owned = selectors.device_list(actor=actor)
    usable = selectors.licence_list(actor=actor, action=Action.CHANGE)
    rows = [
        (
            device,
            AssignForm(licences=[lic for lic in usable if lic.product_id == device.product_id]),
        )
        for device in owned
    ]
    return render(
        request,
        "licensing/devices.html",
        {"rows": rows, "form": form, "air_gapped": AirGapForm()},
        status=status,
    )


@login_required
@require_POST
def device_assign(request: HttpRequest, device_id) -> HttpResponse:
    """ "Add License": assign a licence to the device, or apply its new quantity."""
    licence_id = request.POST.get("licence", "")
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
            f"Licence {file.licence.activation_id} added with quantity {file.licence.quantity}: "
            f"licence file #{file.serial} is ready to download.",
        )
    return redirect("licensing:devices")


@login_required
def licence_file(request: HttpRequest, device_id, licence_id: str) -> HttpResponse:
    file = selectors.licence_file_latest(
        actor=request.actor, activation_id=licence_id, device_public_id=device_id
    )
    response = HttpResponse(file.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


@login_required
@reads_from_replica
def consumption_list(request: HttpRequest) -> HttpResponse:
    records = selectors.consumption_list(actor=request.actor)[:200]
    return render(request, "licensing/consumption.html", {"records": records})


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
    return redirect("licensing:devices")


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
            f"License {file.licence.activation_id} moved to host {file.device.host_id} "
            f"({file.device.name}): licence file #{file.serial} is ready to download.",
        )
    return redirect("licensing:devices")


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
    "SUSPENDED": "This licence is suspended by the vendor.",
    "EXPIRED": "This licence has expired.",
    "NOT_YET_VALID": "This licence is not valid yet.",
}


@login_required
@reads_from_replica
def entitlement_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.entitlement_rows(actor=request.actor)
    return render(request, "licensing/entitlements.html", {"entitlements": rows})
