"""The catalog's lists page, search, sort and filter (entitle.core.listing): a vendor may have
thousands of SKUs."""

import pytest

from entitle.catalog.models import Sku


@pytest.fixture
def api(skus, acme_admin, token_client):
    return token_client(acme_admin)


def every_page(client, path: str) -> list[dict]:
    rows, cursor = [], ""
    while True:
        answer = client.get(f"{path}&cursor={cursor}")
        assert answer.status_code == 200, answer.content
        page = answer.json()
        assert len(page["items"]) <= 2
        rows += page["items"]
        if not page["next_cursor"]:
            return rows
        cursor = page["next_cursor"]


def test_the_skus_page_through_every_sku_exactly_once(api):
    codes = [row["code"] for row in every_page(api, "/api/v1/catalog/skus?limit=2")]
    assert codes == sorted(Sku.objects.values_list("code", flat=True))
    by_term = every_page(api, "/api/v1/catalog/skus?limit=2&sort=-term")
    assert [row["term_days"] for row in by_term] == sorted(
        (row["term_days"] for row in by_term), reverse=True
    )
    assert len(by_term) == len(codes)


def test_skus_filter_by_product_and_search_codes_and_names(api):
    dce = api.get("/api/v1/catalog/skus?product=dce").json()["items"]
    assert dce and {row["product"] for row in dce} == {"dce"}
    found = api.get("/api/v1/catalog/skus?q=dce-1y").json()["items"]
    assert [row["code"] for row in found] == ["DCE-1Y"]
    by_product_name = api.get("/api/v1/catalog/skus?q=powerchute").json()["items"]
    assert {row["product"] for row in by_product_name} == {"pcns"}


def test_products_page_and_search(api):
    products = every_page(api, "/api/v1/catalog/products?limit=2&sort=code")
    assert [row["code"] for row in products] == ["dce", "pcns", "secure-nmc"]
    found = api.get("/api/v1/catalog/products?q=NMC").json()["items"]
    assert [row["code"] for row in found] == ["secure-nmc"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/catalog/skus?product=no%20such",
        "/api/v1/catalog/skus?sort=partner_price",
        "/api/v1/catalog/skus?limit=201",
        "/api/v1/catalog/products?cursor=WyJ4IiwwXQ==",
    ],
)
def test_bad_catalog_list_parameters_are_refused(api, path):
    answer = api.get(path)
    assert answer.status_code == 422, answer.content


def test_the_catalog_page_pages_filters_searches_and_exports_the_skus(skus, channel, login):
    import csv
    import io
    import re

    staff = login(channel.users["vendor"])
    page = staff.get("/backoffice/catalog/", {"limit": 2}).content.decode()
    assert "Data Center Expert" in page and "Secure NMC" in page  # every product, listed
    assert len(re.findall(r'href="/backoffice/catalog/skus/[A-Z]', page)) == 2
    assert "Next page" in page
    only = staff.get("/backoffice/catalog/", {"product": "pcns"}).content.decode()
    assert "PCNS-1Y" in only and "DCE-1Y" not in only
    found = staff.get("/backoffice/catalog/", {"q": "nothing-like-this"}).content.decode()
    assert "No SKU matches this search." in found
    answer = staff.get("/backoffice/catalog/", {"format": "csv", "limit": 1, "sort": "-code"})
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert [row["SKU"] for row in rows] == sorted(
        Sku.objects.values_list("code", flat=True), reverse=True
    )
    assert staff.get("/backoffice/catalog/", {"sort": "direct_price"}).status_code == 422
