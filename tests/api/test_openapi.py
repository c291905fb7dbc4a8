"""The OpenAPI document describes the API and its problem+json errors."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def test_openapi_lists_the_contract_routes(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in (
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/documents",
        "/api/v1/documents/{document_id}/content",
        "/api/v1/render/{kind}",
    ):
        assert path in paths, path


def test_errors_are_documented_as_problem_json(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    responses = spec["components"]["responses"]
    for name in ("UNPROCESSABLE_ENTITY", "NOT_FOUND", "UNAUTHORIZED", "CONFLICT"):
        assert "application/problem+json" in responses[name]["content"], name
    post = spec["paths"]["/api/v1/cases"]["post"]
    assert "422" in post["responses"]
    assert "401" in post["responses"]


def test_swagger_ui_is_served_from_this_server(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert b"swagger" in response.data.lower()
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(assets) >= 4
    for url in assets:  # every script, style and icon comes from here, none from a CDN
        assert url.startswith("/"), url
        with client.get(url) as asset:
            assert asset.status_code == 200, url
            assert len(asset.data) > 100, url
    assert "<script>" not in page  # no inline script: the CSP needs none
