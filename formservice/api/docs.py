"""GET /docs: Swagger UI for /openapi.json, every byte of it served by this server.

The Swagger UI assets come from the installed ``flask-swagger-ui`` package (its ``dist/`` folder:
Swagger UI 5, pinned by that package's version), never from a CDN: staff networks often cannot
reach one, and a third-party script on the staff pages' origin would run with their privileges.
(``swagger-ui-bundle`` on PyPI was the other candidate; it still ships Swagger UI 4.15.5 of 2022.)
The page has no inline script, so a strict Content-Security-Policy holds: scripts only from this
origin, requests ("Try it out") only to this origin, and no validator badge fetched from outside.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from flask import Blueprint, Flask, Response, send_from_directory

__all__ = ["register_docs"]

SWAGGER_UI_DIR = Path(str(files("flask_swagger_ui") / "dist"))
_ASSETS = "/docs/swagger-ui"

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>formservice API</title>
<link rel="icon" href="{_ASSETS}/favicon-32x32.png">
<link rel="stylesheet" href="{_ASSETS}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-spec-url="/openapi.json"></div>
<script src="{_ASSETS}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""

# validatorUrl null: Swagger UI would otherwise load a badge from validator.swagger.io.
_INIT = """window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
"""

# Swagger UI sets style attributes from script (hence 'unsafe-inline' for styles only) and
# shows its icons as data: images.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'; form-action 'self'"
)

bp = Blueprint("docs", __name__)


@bp.get("/docs")
def docs_page() -> Response:
    """The interactive API documentation."""
    return Response(_PAGE, mimetype="text/html")


@bp.get("/docs/init.js")
def docs_init() -> Response:
    """Starts Swagger UI on /openapi.json."""
    return Response(_INIT, mimetype="text/javascript")


@bp.get(f"{_ASSETS}/<path:name>")
def docs_asset(name: str) -> Response:
    """Swagger UI's own files, from the installed package."""
    return send_from_directory(SWAGGER_UI_DIR, name, max_age=24 * 3600)


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def register_docs(app: Flask) -> None:
    """Mount /docs and its assets."""
    app.register_blueprint(bp)
