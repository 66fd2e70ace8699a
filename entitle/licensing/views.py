from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from entitle.catalog.selectors import product_get_by_code, product_list, sku_get_by_code, sku_list
from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.policy import Action
from entitle.core.views import activity_response
from entitle.licensing import selectors
from entitle.licensing.forms import (
    AssignForm,
    CreateLicenceForm,
    DeviceForm,
    IncreaseForm,
    RenewForm,
)
from entitle.licensing.models import ConsumptionRecord
from entitle.licensing.services import devices, licences
from entitle.locker.selectors import locker_balances


def _outcome(request: HttpRequest, record: ConsumptionRecord, done: str) -> None:
    if record.status == ConsumptionRecord.Status.FAILED:
        messages.error(request, f"{record.failure_reason} Your credits were returned.")
    else:
        messages.success(request, done)


@login_required
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
                return redirect("licensing:detail", activation_id=record.licence.activation_id)
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
def licence_detail(request: HttpRequest, activation_id: str) -> HttpResponse:
    licence = selectors.licence_get(actor=request.actor, activation_id=activation_id)
    return render(request, "licensing/licence.html", {"licence": licence})


@login_required
def licence_increase(request: HttpRequest, activation_id: str) -> HttpResponse:
    licence = selectors.licence_get(
        actor=request.actor, activation_id=activation_id, action=Action.CHANGE
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
def licence_renew(request: HttpRequest, activation_id: str) -> HttpResponse:
    licence = selectors.licence_get(
        actor=request.actor, activation_id=activation_id, action=Action.CHANGE
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
    return render(request, "licensing/devices.html", {"rows": rows, "form": form}, status=status)


@login_required
@require_POST
def device_assign(request: HttpRequest, device_id) -> HttpResponse:
    """ "Add License": assign a licence to the device, or apply its new quantity."""
    activation_id = request.POST.get("activation_id", "")
    try:
        file = devices.licence_assign(
            actor=request.actor, activation_id=activation_id, device_public_id=device_id
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
def licence_file(request: HttpRequest, device_id, activation_id: str) -> HttpResponse:
    file = selectors.licence_file_latest(
        actor=request.actor, activation_id=activation_id, device_public_id=device_id
    )
    response = HttpResponse(file.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


@login_required
def consumption_list(request: HttpRequest) -> HttpResponse:
    records = selectors.consumption_list(actor=request.actor)[:200]
    return render(request, "licensing/consumption.html", {"records": records})


@login_required
def licence_activity(request: HttpRequest, activation_id: str) -> HttpResponse:
    licence, events = selectors.licence_activity(actor=request.actor, activation_id=activation_id)
    return activity_response(
        request,
        events,
        title=f"Activity of license {licence.activation_id}",
        back=reverse("licensing:detail", args=[licence.activation_id]),
    )


@login_required
def device_activity(request: HttpRequest, device_id) -> HttpResponse:
    device, events = selectors.device_activity(actor=request.actor, public_id=device_id)
    return activity_response(
        request,
        events,
        title=f"Activity of device {device.name}",
        back=reverse("licensing:devices"),
    )
