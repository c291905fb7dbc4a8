"""One error handler for the whole app: every failure leaves as application/problem+json."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, json, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from formservice.errors import (
    PROBLEM_MEDIA_TYPE,
    BadInputError,
    FormserviceError,
    HttpProblem,
    PayloadTooLargeError,
    ValidationProblem,
    flatten_messages,
)

log = logging.getLogger(__name__)


class ProblemSchema(Schema):
    """RFC 9457 problem details, with `errors` keyed by field path for validation failures."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "field path (e.g. patient.date_of_birth) → messages"},
    )
    allowed = fields.List(fields.String())
    case_id = fields.String()
    limit = fields.Integer()
    segment = fields.String(metadata={"description": "an X12 file's bad segment (its id)"})
    position = fields.Integer(metadata={"description": "its 1-based place in the file (ISA = 1)"})
    rule = fields.String(metadata={"description": "the applicability rule that refused (422)"})
    overridable = fields.Boolean(metadata={"description": "whether a hub user may override it"})
    reconciliation = fields.Dict(
        metadata={"description": "identity mismatch (409): every fact compared, both sides"}
    )
    existing_denial_id = fields.String(
        metadata={"description": "duplicate upload (409): the earlier upload of the same file"}
    )
    uploaded_at = fields.String(metadata={"description": "when that earlier upload was made"})


def problem_response(error: FormserviceError, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """The HTTP response for a FormserviceError (with extra headers, e.g. a 405's Allow)."""
    response = Response(
        json.dumps(error.to_problem()), status=error.status, mimetype=PROBLEM_MEDIA_TYPE
    )
    for name, value in headers:
        response.headers[name] = value
    return response


def http_exception_headers(exc: HTTPException) -> list[tuple[str, str]]:
    """The headers a werkzeug HTTP error carries besides its body's type (a 405's Allow)."""
    return [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]


def where(exc: BaseException) -> str:
    """Where an exception was raised, frame by frame, without any exception's message.

    Messages can carry patient data or SQL parameters; the type and the frames are enough to
    find the bug.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in frames[::-1])


def problem_from_http_exception(exc: HTTPException) -> FormserviceError:
    """The problem for a werkzeug HTTP error, with webargs' messages as field paths."""
    data: dict[str, Any] = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    status = exc.code or 500
    if messages is not None:
        # webargs/flask-smorest: {"json": {...}, "query": {...}} → flat field paths.
        errors: dict[str, list[str]] = {}
        for msgs in messages.values():
            # Body fields keep their own path; query and path parameters are named by themselves.
            for path, items in flatten_messages(msgs).items():
                errors.setdefault(path, []).extend(items)
        if status == 400:
            return BadInputError("The request body is not valid JSON.", errors=errors)
        return ValidationProblem(
            f"{len(errors)} invalid field(s): {', '.join(sorted(errors))}.", errors=errors
        )
    if status == 413:
        return PayloadTooLargeError(
            f"The request body is larger than the limit of {request.max_content_length} bytes.",
            limit=request.max_content_length,
        )
    return HttpProblem(status, exc.name, exc.description)


def register_error_handlers(app: Flask) -> None:
    """Render FormserviceError, HTTP errors and unexpected exceptions as problem+json."""

    @app.errorhandler(FormserviceError)
    def _formservice_error(error: FormserviceError) -> Response:
        return problem_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return problem_response(problem_from_http_exception(exc), http_exception_headers(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # The type and where, never the message (nor a cause's): messages can carry patient
        # data, and a database error's carries the statement's parameters.
        log.error(
            "unhandled %s at %s %s (%s)",
            type(exc).__name__,
            request.method,
            request.url_rule.rule if request.url_rule else "?",
            where(exc),
        )
        return problem_response(FormserviceError("An unexpected error occurred."))
