"""The API's documentation page works without the internet: its assets come from the portal."""

import re


def test_the_api_docs_load_their_assets_from_the_portal_itself(client, db):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets, html
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
        assert client.get(asset).status_code == 200, asset
