"""The product endpoints' HTTP handling, written once: the input schema, the error renderer
and the answer. The ninja routes (`api.py`) and the WSGI fast path (`fastpath.py`) both call
`respond`, so they cannot answer differently (tests/test_product_parity.py proves it through
the real WSGI entry)."""

import json
import re
from collections.abc import Callable
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from entitle.core import counters
from entitle.core.errors import (
    DomainError,
    RateLimited,
    RequestInvalid,
    RequestTooLarge,
    UnsupportedMediaType,
)
from entitle.core.fields import INT32_MAX
from entitle.licensing.services.product import (
    RATE_WINDOW_SECONDS,
    Answer,
    ProductRequest,
    airgap_activate,
    airgap_deactivate,
    product_activate,
    product_deactivate,
    product_validate,
)

MAX_BODY = 8 * 1024
# Validations answered, per day (Home shows them to vendor staff): counted in memory, sent to
# the cache every few seconds, so the hot path gains no round trip.
VALIDATIONS = "validations"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_FILE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# The API's own errors (entitle.core.errors), with the product endpoints' messages.


class ProductRequestInvalid(RequestInvalid):
    pass


class PayloadTooLarge(RequestTooLarge):
    default_message = f"The body is larger than {MAX_BODY} bytes."


class _Strict(BaseModel):
    # Plain pydantic (not a ninja Schema, which wraps every input for ORM objects): this is the
    # hot path, and the input is JSON.
    model_config = ConfigDict(strict=True, extra="ignore")

    # Files (armoured: several lines) may have line breaks; nothing else a control character.
    _multiline: ClassVar[frozenset[str]] = frozenset({"proof", "request"})

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value, info: ValidationInfo):
        control = _CONTROL_IN_FILE if info.field_name in cls._multiline else _CONTROL
        if isinstance(value, str) and control.search(value):
            raise ValueError("control characters (such as NUL) are not allowed")
        return value


class ProductIn(_Strict):
    """activate, validate and deactivate: the product's identifiers and a nonce."""

    activation_id: str = Field(..., max_length=64, description="The Activation ID (licence key).")
    host_id: str = Field(..., min_length=1, max_length=128, description="This device's host id.")
    nonce: str | None = Field(None, max_length=64, description="Echoed in the signed answer.")
    device_name: str = Field("", max_length=120, description="activate: the device's name.")
    installation_key: str | None = Field(
        None, max_length=64, description="activate: the installation's Ed25519 public key."
    )
    serial: int | None = Field(
        None, ge=0, le=INT32_MAX, description="The serial of the file the product has."
    )
    proof: str | None = Field(
        None, max_length=4096, description="deactivate: the installation's signed proof."
    )

    @field_validator("host_id", mode="after")
    @classmethod
    def _host_id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("host_id is blank")
        return value


class AirGapRequestIn(_Strict):
    request: str = Field(..., max_length=4096, description="The activation request file.")


class AirGapProofIn(_Strict):
    proof: str = Field(..., max_length=4096, description="The deactivation proof file.")


def _message(error: ValidationError) -> str:
    first = error.errors()[0]
    if first["type"] == "json_invalid":
        return "The body is not valid JSON."
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else f"The body: {first['msg']}"


def _parse(schema: type[BaseModel], body: bytes, content_type: str):
    if len(body) > MAX_BODY:
        raise PayloadTooLarge()
    if not body:
        raise ProductRequestInvalid("Send a JSON object in the body.")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType()
    try:
        return schema.model_validate_json(body)
    except ValidationError as error:
        raise ProductRequestInvalid(_message(error)) from None


def _request(data: ProductIn, address: str) -> ProductRequest:
    return ProductRequest.of(
        activation_id=data.activation_id,
        host_id=data.host_id,
        nonce=data.nonce,
        address=address,
        device_name=data.device_name,
        installation_key=data.installation_key or "",
        serial=data.serial,
        proof=data.proof or "",
    )


def _validate(body: bytes, content_type: str, address: str) -> Answer:
    return product_validate(_request(_parse(ProductIn, body, content_type), address))


def _activate(body: bytes, content_type: str, address: str) -> Answer:
    return product_activate(_request(_parse(ProductIn, body, content_type), address))


def _deactivate(body: bytes, content_type: str, address: str) -> Answer:
    return product_deactivate(_request(_parse(ProductIn, body, content_type), address))


def _airgap_activate(body: bytes, content_type: str, address: str) -> Answer:
    data = _parse(AirGapRequestIn, body, content_type)
    return airgap_activate(request_text=data.request, address=address)


def _airgap_deactivate(body: bytes, content_type: str, address: str) -> Answer:
    data = _parse(AirGapProofIn, body, content_type)
    return airgap_deactivate(proof_text=data.proof, address=address)


HANDLERS: dict[str, Callable[[bytes, str, str], Answer]] = {
    "validate": _validate,
    "activate": _activate,
    "deactivate": _deactivate,
    "airgap/activate": _airgap_activate,
    "airgap/deactivate": _airgap_deactivate,
}
SCHEMAS: dict[str, type[BaseModel]] = {
    "validate": ProductIn,
    "activate": ProductIn,
    "deactivate": ProductIn,
    "airgap/activate": AirGapRequestIn,
    "airgap/deactivate": AirGapProofIn,
}

Response = tuple[int, list[tuple[str, str]], bytes]


def render_error(error: DomainError) -> Response:
    """The one rendering of a product endpoint's error: `{"code", "message"}`, its status, and
    `Retry-After` on a rate limit."""
    headers = [("Content-Type", "application/json")]
    if isinstance(error, RateLimited):
        headers.append(("Retry-After", str(RATE_WINDOW_SECONDS)))
    return error.status, headers, json.dumps(error.as_dict()).encode()


def respond(action: str, body: bytes, content_type: str, address: str) -> Response:
    """Status, headers and body of the answer to `POST /api/v1/product/<action>`."""
    try:
        answer = HANDLERS[action](body, content_type, address)
    except DomainError as error:
        return render_error(error)
    if action == "validate":
        counters.bump(VALIDATIONS)
    payload = {"token": answer.token, "licence": answer.licence}
    return 200, [("Content-Type", "application/json")], json.dumps(payload).encode()


def openapi_body(action: str) -> dict:
    """The request body of a product route, for the OpenAPI schema (from the one schema)."""
    schema = SCHEMAS[action].model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    }
