"""The JSON API under /api/v1: flask-smorest blueprints, API-key auth, problem+json errors."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask, Response, g, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from formservice.api import (
    audit,
    benefits,
    case_denials,
    cases,
    denials,
    documents,
    forms,
    pa,
    pap,
    regenerations,
    render,
    templates,
)
from formservice.api.docs import register_docs
from formservice.api.problems import ProblemSchema, problem_from_http_exception, problem_response
from formservice.errors import PROBLEM_MEDIA_TYPE, PayloadTooLargeError, UnsupportedMediaError
from formservice.usecases import Services
from formservice.usecases.keys import authenticate

API_PREFIX = "/api/v1"
# One blueprint module per resource, each exposing `blp`; add a module here to mount it.
BLUEPRINT_MODULES = (
    cases,
    documents,
    render,
    templates,
    regenerations,
    pap,
    benefits,
    pa,
    denials,
    case_denials,
    forms,
    audit,
)


class FormserviceApi(Api):
    """flask-smorest's Api, documenting every error response as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        """Render HTTP errors (webargs' 400/422 included) as problem+json."""
        return problem_response(problem_from_http_exception(error))

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = ProblemSchema
                prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": ProblemSchema}
        prepare_response(default, self.spec, PROBLEM_MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)


def _authenticate(services: Services) -> None:
    if not request.path.startswith(API_PREFIX + "/"):
        return
    g.principal = authenticate(services, request.headers.get("Authorization"))


def _check_body(services: Services) -> None:
    """JSON bodies have their own limit, smaller than uploads; a body must be JSON or a form."""
    if request.method not in {"POST", "PUT", "PATCH"} or not request.path.startswith(API_PREFIX):
        return
    length = request.content_length or 0
    if request.mimetype == "multipart/form-data":
        return
    if length > services.settings.max_body_bytes:
        raise PayloadTooLargeError(
            f"The request body is {length} bytes; the limit is {services.settings.max_body_bytes}.",
            limit=services.settings.max_body_bytes,
        )
    if length and request.mimetype != "application/json":
        raise UnsupportedMediaError(
            f"Send the body as application/json, not {request.mimetype or 'no content type'}."
        )


def register_api(app: Flask, services: Services) -> Api:
    """Mount the API blueprints, their auth and the OpenAPI document."""
    app.config.update(
        API_TITLE="formservice",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        # /docs is ours (formservice.api.docs): Swagger UI from an installed package, no CDN.
        API_SPEC_OPTIONS={
            "info": {
                "description": "Letters, payer forms, denials and PAP decisions for a "
                "scalp-cooling reimbursement hub. Errors are RFC 9457 problem+json."
            },
            "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}}},
        },
    )
    api = FormserviceApi(app)
    register_docs(app)
    app.before_request(lambda: _check_body(services))
    app.before_request(lambda: _authenticate(services))
    for module in BLUEPRINT_MODULES:
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + module.blp.url_prefix)
    return api
