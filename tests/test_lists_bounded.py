"""No API list answers with an unbounded result (DOMAIN.md, API conventions): every GET that
answers with several rows answers with a page (`items` and `next_cursor`) and takes `limit`
and `cursor`, read from the OpenAPI schema the API documents — so a new list cannot slip in as
a bare array."""

from config.urls import api

# Lists whose length the data cannot grow: fixed by the code, not by what users create.
FIXED_BY_THE_CODE = {
    "/api/v1/webhooks/event-types": "the event types this version of Entitle sends",
    "/api/v1/keys": "the signing keys' public halves (a JWKS: current and retired keys)",
}


def _resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _get_operations(document: dict):
    for path, methods in document["paths"].items():
        if "get" in methods:
            yield path, methods["get"]


def test_every_api_list_answers_with_a_bounded_page():
    document = api.get_openapi_schema()
    bare, unpaged = [], []
    for path, operation in _get_operations(document):
        responses = operation["responses"]
        answer = (responses.get(200) or responses.get("200") or {}).get("content", {})
        schema = answer.get("application/json", {}).get("schema")
        if not schema or path in FIXED_BY_THE_CODE:
            continue
        schema = _resolve(schema, document)
        if schema.get("type") == "array":
            bare.append(path)
        elif "items" in schema.get("properties", {}):
            names = {parameter["name"] for parameter in operation.get("parameters", [])}
            if not {"limit", "cursor"} <= names:
                unpaged.append(path)
    assert bare == [], "lists without pages"
    assert unpaged == [], "pages without limit and cursor"


def test_the_exceptions_are_still_api_routes():
    """An exception that no longer exists must leave the list above (or it hides nothing)."""
    paths = set(api.get_openapi_schema()["paths"])
    assert set(FIXED_BY_THE_CODE) <= paths
