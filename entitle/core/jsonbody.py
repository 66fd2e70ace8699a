"""How the API reads a JSON body: only when it says it is JSON, and only strict JSON."""

import json

from django.http import HttpRequest
from ninja.parser import Parser

from entitle.core.api_errors import is_json_content_type
from entitle.core.errors import InvalidJson, UnsupportedMediaType


def _no_constant(name: str) -> None:
    # NaN, Infinity and -Infinity are Python's extensions, not JSON.
    raise ValueError(f"{name} is not a JSON value")


def parse_json(raw: bytes) -> object:
    """The JSON value of `raw`, or InvalidJson (UTF-8 only; no NaN or Infinity)."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidJson(f"The body is not valid JSON: {error}.") from error


class StrictJsonParser(Parser):
    """A body is parsed only if its Content-Type is JSON (415 otherwise)."""

    def parse_body(self, request: HttpRequest) -> object:
        if not is_json_content_type(request.content_type):
            raise UnsupportedMediaType()
        return parse_json(request.body)
