"""Staff pages: server-rendered HTML at /, behind a session login.

One blueprint, `web` (`base`). Every request to it goes through `base._before`: the idle timeout
(back to the login page), the CSRF check on every POST (`errors.CsrfError` → a 400 page) and the
login check. Errors are shown as pages with a plain message, never a stack trace (`errors`).
Pages call the application layer (`formservice.usecases`); reads go through `store.access`, so
another facility's id is a 404 here as in the API.
"""

from __future__ import annotations

from flask import Flask

from formservice.schemas.paths import register_converters
from formservice.usecases.services import Services
from formservice.web import denials, errors, remittances, views
from formservice.web.base import (
    CSRF_FIELD,
    bp,
    csrf_token,
    current_principal,
    filesize,
    highlight,
    web_services,
)

__all__ = ["bp", "current_principal", "highlight", "register_web", "web_services"]

# The view modules add their routes and handlers to `bp` when imported (above).
_PAGES = (denials, errors, remittances, views)


def register_web(app: Flask, services: Services) -> None:
    """Mount the staff pages and their template helpers."""
    register_converters(app.url_map)  # <id:...> in the pages' routes
    app.register_blueprint(bp)
    app.jinja_env.globals.update(csrf_token=csrf_token, CSRF_FIELD=CSRF_FIELD)
    app.jinja_env.filters.update(highlight=highlight, filesize=filesize)
    app.jinja_env.globals.update(deadline_state=denials.deadline_state)
