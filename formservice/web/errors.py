"""Errors on the staff pages: every failure is a page with a plain message, never a trace."""

from __future__ import annotations

import logging

from flask import g, request
from werkzeug.exceptions import HTTPException

from formservice.errors import FormserviceError, NotFoundError
from formservice.web.base import bp, error_page, filesize, web_services
from formservice.web.denials import upload_page

__all__ = ["error_page"]

log = logging.getLogger(__name__)


@bp.errorhandler(FormserviceError)
def _formservice_error(error: FormserviceError) -> tuple[str, int]:
    if isinstance(error, NotFoundError):
        return error_page(404, "Not found", "There is no such page, or you may not see it.")
    return error_page(error.status, error.title, error.detail)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    if status == 413:
        limit = web_services().settings.max_upload_bytes
        message = f"The file is too large: the limit is {filesize(limit)}."
        if request.endpoint == "web.denial_upload" and g.get("principal") is not None:
            # Refused before the form was read: show it on the upload page all the same.
            return upload_page(message, 413)
        return error_page(413, "File too large", message)
    if status == 404:
        return error_page(404, "Not found", "There is no such page, or you may not see it.")
    return error_page(status, error.name, error.description or error.name)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> tuple[str, int]:
    # The type and the path only: messages can carry patient data.
    log.error("unhandled %s at %s %s", type(error).__name__, request.method, request.path)
    return error_page(
        500, "Something went wrong", "The page could not be shown. Please try again later."
    )
