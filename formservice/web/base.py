"""The staff pages' blueprint and what every page shares: login state, CSRF, headers.

One blueprint, `web`. Every request to it goes through `_before`: the idle timeout (back to the
login page), the CSRF check on every POST (`errors.CsrfError` → a 400 page) and the login check.
Errors are shown as pages with a plain message, never a stack trace. Reads of cases, documents
and denials go through `store.access`, so another facility's id is a 404 here as in the API.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import time
from typing import cast

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup, escape

from formservice.errors import CsrfError
from formservice.model import Principal
from formservice.store.db import reading
from formservice.usecases.accounts import session_principal
from formservice.usecases.services import Services

__all__ = [
    "bp",
    "error_page",
    "csrf_token",
    "current_principal",
    "filesize",
    "highlight",
    "start_session",
    "web_services",
]

log = logging.getLogger(__name__)
bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)
# Pages anyone may open; everything else needs a login.
PUBLIC_ENDPOINTS = frozenset({"web.login", "web.static"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# Content-Security-Policy: only this site's own scripts, styles and images; no framing.
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def _clock() -> float:
    """Seconds since the epoch (a seam: tests move it to expire an idle session)."""
    return time.time()


def web_services() -> Services:
    """The Services of the running app."""
    return cast(Services, current_app.extensions["formservice"])


def current_principal() -> Principal:
    """The logged-in user (the login check ran before every non-public page)."""
    return cast(Principal, g.principal)


def csrf_token() -> str:
    """This session's CSRF token (made on first use); every form posts it back."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def start_session(principal: Principal, nonce: str) -> None:
    """Log a user in: a fresh session (no fixation), a new CSRF token, the idle clock started."""
    session.clear()
    session["uid"] = principal.id
    session["nonce"] = nonce
    session["seen"] = _clock()
    session["csrf"] = secrets.token_urlsafe(32)
    g.principal = principal


def highlight(sentence: str | None, value: object) -> Markup:
    """The sentence, escaped, with the first occurrence of `value` in <mark>.

    OCR often splits a value with a stray space ("TMA8001 12233"): spaces inside the match are
    allowed, so the value is still found in the sentence it came from.
    """
    if not sentence:
        return Markup("")
    text = str(sentence)
    needle = "" if value is None else re.sub(r"\s+", "", str(value))
    found = None
    if needle:
        pattern = r"\s?".join(re.escape(c) for c in needle)
        found = re.search(pattern, text, flags=re.IGNORECASE)
    if found is None:
        return escape(text)
    at, end = found.span()
    return (
        escape(text[:at])
        + Markup("<mark>")
        + escape(text[at:end])
        + Markup("</mark>")
        + escape(text[end:])
    )


def _timed_out() -> bool:
    idle = web_services().settings.session_idle_minutes * 60
    seen = session.get("seen")
    return not isinstance(seen, int | float) or _clock() - seen > idle


def _load_principal() -> None:
    """Set g.principal from the session; end the session when it timed out or was revoked."""
    if "uid" not in session:
        return
    if _timed_out():
        session.clear()
        flash("Your session timed out after a period of inactivity. Please log in again.")
        return
    with reading(web_services().sessions) as db:
        principal = session_principal(db, str(session["uid"]), str(session.get("nonce", "")))
    if principal is None:
        session.clear()
        return
    g.principal = principal
    session["seen"] = _clock()


def _check_csrf() -> None:
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD)
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        raise CsrfError(
            "This form is missing its security token or the token is out of date. "
            "Go back, reload the page and try again."
        )


@bp.before_request
def _before() -> Response | None:
    if request.endpoint == "web.static":
        return None
    _load_principal()
    if request.method == "POST":
        if "uid" not in session and request.endpoint != "web.login":
            # The session ended (timeout, logout elsewhere): log in again, then retry.
            return cast(Response, redirect(url_for("web.login"), code=303))
        _check_csrf()
    if request.endpoint not in PUBLIC_ENDPOINTS and g.get("principal") is None:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return cast(Response, redirect(url_for("web.login", next=target), code=303))
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    # Pages carry patient data: never cached, never framed, no type sniffing.
    if request.endpoint != "web.static":
        response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def filesize(n: int) -> str:
    """A byte count as people read it (12 MB, 512 KB)."""
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    """An error as a page: a heading and a plain message."""
    return render_template("error.html", status=status, title=title, message=message), status
