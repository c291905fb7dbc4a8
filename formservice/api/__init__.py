"""The JSON API under /api/v1: flask-smorest blueprints, API-key auth, problem+json errors."""

from __future__ import annotations

import http
import json
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
    claims_837p,
    denials,
    documents,
    forms,
    pa,
    pap,
    regenerations,
    remittances,
    render,
    templates,
)
from formservice.api.docs import register_docs
from formservice.api.problems import (
    ProblemSchema,
    http_exception_headers,
    problem_from_http_exception,
    problem_response,
)
from formservice.api.roles import allowed_roles
from formservice.errors import (
    PROBLEM_MEDIA_TYPE,
    BadInputError,
    ForbiddenError,
    PayloadTooLargeError,
    UnsupportedMediaError,
)
from formservice.schemas.common import MAX_NESTING, nesting_depth
from formservice.schemas.paths import PARAMETER_SCHEMAS, register_converters
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
    remittances,
    claims_837p,
    forms,
    audit,
)


class FormserviceApi(Api):
    """flask-smorest's Api, documenting every error response as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        """Render HTTP errors (webargs' 400/422 included) as problem+json; a 405 keeps `Allow`."""
        return problem_response(
            problem_from_http_exception(error), headers=http_exception_headers(error)
        )

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


def _is_api(path: str) -> bool:
    return path.startswith(API_PREFIX + "/")


def _authenticate(services: Services) -> None:
    """Every API request names its key first: no key, no other answer than 401."""
    if not _is_api(request.path):
        return
    g.principal = authenticate(services, request.headers.get("Authorization"))


def _authorize() -> None:
    """The key's role must be one `roles.ROLES` lists for the operation (403 before the body)."""
    if not _is_api(request.path) or request.endpoint is None or request.method == "OPTIONS":
        return  # no such route or method: the router answers 404 or 405
    roles = allowed_roles(request.endpoint, request.method)
    if g.principal.role not in roles:
        raise ForbiddenError(
            f"a {g.principal.role} key may not do this; it needs one of the roles: "
            f"{', '.join(sorted(roles)) or 'none'}"
        )


def _check_body(services: Services) -> None:
    """JSON bodies have their own limit, smaller than uploads, and a nesting limit; a body must
    be JSON or multipart. Runs after the key and role checks."""
    if request.method not in {"POST", "PUT", "PATCH"} or not _is_api(request.path):
        return
    if request.mimetype == "multipart/form-data":
        return
    limit = services.settings.max_body_bytes
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLargeError(
            f"The request body is {length} bytes; the limit is {limit}.", limit=limit
        )
    if request.mimetype != "application/json":
        if length:
            raise UnsupportedMediaError(
                f"Send the body as application/json, not {request.mimetype or 'no content type'}."
            )
        return
    data = request.get_data(cache=True)  # the arguments parser reads the same cached bytes
    if len(data) > limit:
        raise PayloadTooLargeError(
            f"The request body is {len(data)} bytes; the limit is {limit}.", limit=limit
        )
    try:
        body = json.loads(data) if data else None
    except RecursionError:
        raise BadInputError(
            f"The JSON body nests deeper than {MAX_NESTING} levels.", limit=MAX_NESTING
        ) from None
    except ValueError:
        return  # not JSON: the arguments parser answers 400 naming it
    if nesting_depth(body) > MAX_NESTING:
        raise BadInputError(
            f"The JSON body nests deeper than {MAX_NESTING} levels.", limit=MAX_NESTING
        )


def _no_store(response: Response) -> Response:
    """API answers carry patient data (or say whether it exists): never kept by a cache."""
    if _is_api(request.path):
        response.headers["Cache-Control"] = "no-store"
    return response


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
    register_converters(app.url_map)
    api = FormserviceApi(app)
    register_docs(app)
    for converter, schema in PARAMETER_SCHEMAS.items():
        api.register_converter(converter, lambda _converter, schema=schema: dict(schema))
    # In this order: who is calling, may they, then what they sent.
    app.before_request(lambda: _authenticate(services))
    app.before_request(_authorize)
    app.before_request(lambda: _check_body(services))
    app.after_request(_no_store)
    for module in BLUEPRINT_MODULES:
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + module.blp.url_prefix)
    return api
