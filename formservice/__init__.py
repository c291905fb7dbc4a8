"""formservice: letters, payer forms, denials and PAP decisions for a scalp-cooling hub.

`create_app(settings=None)` builds the Flask app in named steps; nothing happens at import.
"""

from __future__ import annotations

import atexit
import logging

from flask import Flask, Response, jsonify, request

from formservice.api import register_api as mount_api
from formservice.api.problems import register_error_handlers as mount_error_handlers
from formservice.audit import register_audit as mount_audit
from formservice.audit import register_request_transaction as mount_request_transaction
from formservice.settings import Settings, load_settings
from formservice.usecases import Services, build_services
from formservice.usecases.readiness import check_readiness
from formservice.web import register_web as mount_web

__all__ = ["Settings", "create_app", "load_settings"]


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """The WSGI app for the given settings (default: from FORMSERVICE_* environment variables)."""
    settings = (settings or load_settings()).validated()
    app = Flask(__name__)
    services = services or build_services(settings)
    register_config(app, settings)
    register_services(app, services)
    register_request_transaction(app, services)
    register_logging(app)
    register_error_handlers(app)
    register_health(app, services)
    register_headers(app, settings)
    register_api(app, services)
    register_web(app, services)
    register_audit(app, services)
    return app


def register_config(app: Flask, settings: Settings) -> None:
    """Flask's own settings derived from ours."""
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # The larger of the two limits; JSON bodies get their own check in the API.
        MAX_CONTENT_LENGTH=max(settings.max_body_bytes, settings.max_upload_bytes),
        JSON_SORT_KEYS=False,
        TESTING=settings.env == "test",
        # The staff pages' session cookie: not readable by scripts, not sent on cross-site
        # requests (with the CSRF token this stops cross-site form posts), HTTPS-only in production.
        SESSION_COOKIE_NAME="formservice_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
    )
    app.extensions["formservice.settings"] = settings


def register_services(app: Flask, services: Services) -> None:
    """Database, blobs, converter: shared by every request."""
    app.extensions["formservice"] = services
    atexit.register(services.close)


def register_request_transaction(app: Flask, services: Services) -> None:
    """One database transaction per request, committed with its audit row (`register_audit`)."""
    mount_request_transaction(app, services)


def register_logging(app: Flask) -> None:
    """Plain log lines; nothing logged carries patient data (only ids, kinds and statuses)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    # pdfminer (under pdfplumber) logs every token of a PDF at DEBUG, so a denial letter's
    # patient names and member ids would reach the logs whenever DEBUG is on: never below INFO.
    logging.getLogger("pdfminer").setLevel(logging.INFO)


def register_error_handlers(app: Flask) -> None:
    """Every error as application/problem+json."""
    mount_error_handlers(app)


def register_headers(app: Flask, settings: Settings) -> None:
    """HSTS on every answer served over HTTPS, when FORMSERVICE_HSTS_SECONDS is set.

    Behind a proxy that ends TLS, the WSGI server must report the scheme (gunicorn's
    forwarded_allow_ips with X-Forwarded-Proto) for `request.is_secure` to be true.
    """
    if settings.hsts_seconds <= 0:
        return

    @app.after_request
    def _hsts(response: Response) -> Response:
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = f"max-age={settings.hsts_seconds}"
        return response


def register_health(app: Flask, services: Services) -> None:
    """GET /healthz: liveness (the process answers); GET /readyz: readiness (database, queue
    broker, converter; 503 naming what is down). Neither needs a key, neither shows data."""

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        ready, body = check_readiness(services)
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        return response, 200 if ready else 503


def register_api(app: Flask, services: Services) -> None:
    """The JSON API under /api/v1 and its OpenAPI document."""
    mount_api(app, services)


def register_web(app: Flask, services: Services) -> None:
    """The staff pages at / (session login, CSRF-protected forms)."""
    mount_web(app, services)


def register_audit(app: Flask, services: Services) -> None:
    """The audit trail: one after-request hook records every access to patient data."""
    mount_audit(app, services)
