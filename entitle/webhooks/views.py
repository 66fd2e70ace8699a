"""The portal's Integrations › Webhooks pages: endpoints, their secrets (shown once) and the
delivery log with redelivery."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from entitle.core.errors import DomainError
from entitle.core.forms import show_domain_error
from entitle.core.listing import Column, list_response
from entitle.webhooks import selectors, services, tasks
from entitle.webhooks.forms import EndpointForm

ENDPOINT_COLUMNS = (
    Column("URL", lambda endpoint: endpoint.url),
    Column("Description", lambda endpoint: endpoint.description),
    Column("Events", lambda endpoint: " ".join(endpoint.event_types)),
    Column("Status", lambda endpoint: endpoint.status),
    Column("Created", lambda endpoint: endpoint.created_at),
    Column("Created by", lambda endpoint: endpoint.created_by.name),
)
DELIVERY_COLUMNS = (
    Column("Created", lambda delivery: delivery.created_at),
    Column("Message id", lambda delivery: delivery.message_id),
    Column("Event", lambda delivery: delivery.event_type),
    Column("Status", lambda delivery: delivery.status),
    Column("Attempts", lambda delivery: delivery.attempts),
    Column("Last response", lambda delivery: delivery.last_response_code),
    Column("Delivered", lambda delivery: delivery.delivered_at),
)


@login_required
def endpoints(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    status, secret, created = 200, None, None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.endpoint_create(
                actor=request.actor,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
                description=form.cleaned_data["description"],
            )
        except DomainError as error:
            show_domain_error(form, error)
            status = error.status
        else:
            form = EndpointForm()
    response = list_response(
        request,
        selectors.ENDPOINTS,
        selectors.endpoint_list(actor=request.actor),
        template="webhooks/endpoints.html",
        context={"form": form, "secret": secret, "created": created},
        filename="webhooks.csv",
        columns=ENDPOINT_COLUMNS,
    )
    if status != 200:
        response.status_code = status
    return response


def _endpoint_page(request: HttpRequest, public_id, *, secret: str | None = None) -> HttpResponse:
    """An endpoint and its delivery log, newest first, paged (searched by message id)."""
    endpoint = selectors.endpoint_get(actor=request.actor, public_id=public_id)
    return list_response(
        request,
        selectors.DELIVERIES,
        selectors.delivery_list(actor=request.actor, endpoint=endpoint),
        template="webhooks/endpoint.html",
        context={"endpoint": endpoint, "secret": secret},
        filename="webhook-deliveries.csv",
        columns=DELIVERY_COLUMNS,
    )


@login_required
def endpoint(request: HttpRequest, public_id) -> HttpResponse:
    return _endpoint_page(request, public_id)


def _act(request: HttpRequest, public_id, act, done: str) -> HttpResponse:
    try:
        act()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("webhooks:endpoint", public_id=public_id)


@login_required
@require_POST
def endpoint_enable(request: HttpRequest, public_id) -> HttpResponse:
    return _act(
        request,
        public_id,
        lambda: services.endpoint_update(actor=request.actor, public_id=public_id, enabled=True),
        "The endpoint is enabled: events are sent to it again.",
    )


@login_required
@require_POST
def endpoint_disable(request: HttpRequest, public_id) -> HttpResponse:
    return _act(
        request,
        public_id,
        lambda: services.endpoint_update(actor=request.actor, public_id=public_id, enabled=False),
        "The endpoint is disabled: no events are sent to it.",
    )


@login_required
@require_POST
def endpoint_test(request: HttpRequest, public_id) -> HttpResponse:
    return _act(
        request,
        public_id,
        lambda: services.endpoint_test(
            actor=request.actor, public_id=public_id, queue=tasks.queue_attempt
        ),
        "A test event is on its way: it shows in the delivery log.",
    )


@login_required
@require_POST
def endpoint_rotate_secret(request: HttpRequest, public_id) -> HttpResponse:
    _, secret = services.endpoint_rotate_secret(actor=request.actor, public_id=public_id)
    return _endpoint_page(request, public_id, secret=secret)


@login_required
@require_POST
def delivery_redeliver(request: HttpRequest, public_id, delivery_id) -> HttpResponse:
    endpoint = selectors.endpoint_get(actor=request.actor, public_id=public_id)
    delivery = selectors.delivery_get(actor=request.actor, endpoint=endpoint, public_id=delivery_id)
    return _act(
        request,
        public_id,
        lambda: services.delivery_redeliver(
            actor=request.actor, public_id=delivery.public_id, queue=tasks.queue_attempt
        ),
        "The delivery is being sent again.",
    )
