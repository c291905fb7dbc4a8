"""The audit trail: who saw or changed which patient data, when, and from where.

Rows are only ever added (the database refuses UPDATE, DELETE, TRUNCATE and REPLACE; each row is
chained to the one before by hash: `store.audit`). HTTP requests are recorded in ONE place,
`register_audit`'s after-request hook: the endpoint and method name the action (the `ACTIONS`
table), the ids come from the URL, from the JSON body of a creating response, or from the page a
form redirects to; a stateless render names the case by the payload's `external_id`. Views carry
no audit code.

The status recorded is the one the client got. A file is streamed after the hook has run, and
the server can still fail sending it (it then answers 500 or cuts the connection): the row of a
streamed response is written once its body has gone out whole (with the response's status) or
has stopped short (with 500).
"""

from __future__ import annotations

import getpass
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, session
from markupsafe import escape
from sqlalchemy import Connection
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from formservice.errors import FormserviceError
from formservice.model import Principal
from formservice.schemas.common import is_id, scrub
from formservice.store.audit import case_of, record_event
from formservice.store.unit_of_work import close_unit_of_work, current_unit, open_unit_of_work
from formservice.usecases.services import Services

__all__ = [
    "ACTIONS",
    "ID_FIELDS",
    "Action",
    "cli_actor",
    "register_audit",
    "register_request_transaction",
]

log = logging.getLogger(__name__)
ID_FIELDS = ("case_id", "document_id", "denial_id")


@dataclass(frozen=True)
class Action:
    """What a request did; `created` names the id column the response's own id fills."""

    name: str
    created: str | None = None
    failed: str | None = None  # the action to record instead when the status is 4xx/5xx


# (endpoint, method) → action. API endpoints are flask-smorest's "<blueprint>.<MethodView>".
ACTIONS: Mapping[tuple[str, str], Action] = {
    ("cases.Cases", "GET"): Action("list_cases"),
    ("cases.Cases", "POST"): Action("create_case", created="case_id"),
    ("cases.CaseItem", "GET"): Action("view_case"),
    ("cases.CaseDocuments", "POST"): Action("generate_document", created="document_id"),
    ("cases.CasePlan", "GET"): Action("view_plan"),
    ("documents.DocumentContent", "GET"): Action("download_document"),
    ("render.Render", "POST"): Action("render_document"),
    ("templates.TemplateVersions", "POST"): Action("publish_template"),
    ("templates.TemplateActivate", "POST"): Action("activate_template"),
    ("regenerations.Regenerations", "POST"): Action("start_regeneration"),
    ("pap.Eligibility", "POST"): Action("check_pap"),
    ("benefits.Benefits", "GET"): Action("view_benefits"),
    ("benefits.Benefits", "PUT"): Action("record_benefits"),
    ("prior_authorization.PriorAuthorization", "GET"): Action("view_prior_authorization"),
    ("prior_authorization.PriorAuthorization", "POST"): Action("update_prior_authorization"),
    ("denials.Denials", "POST"): Action("upload_denial", created="denial_id"),
    ("denials.DenialItem", "GET"): Action("view_denial"),
    ("denials.DenialItem", "PATCH"): Action("correct_denial"),
    ("case_denials.CaseDenials", "POST"): Action("attach_denial", created="denial_id"),
    ("remittances.Remittances", "POST"): Action("upload_remittance"),
    ("claims_837p.Case837P", "GET"): Action("download_claim"),
    ("audit.AuditEvents", "GET"): Action("view_audit"),
    ("audit.AuditVerify", "GET"): Action("verify_audit"),
    # Staff pages.
    ("web.login", "POST"): Action("login", failed="failed_login"),
    ("web.logout", "POST"): Action("logout"),
    ("web.cases", "GET"): Action("list_cases"),
    ("web.case", "GET"): Action("view_case"),
    ("web.document", "GET"): Action("view_document"),
    ("web.download", "GET"): Action("download_document"),
    ("web.denial_upload", "POST"): Action("upload_denial"),
    ("web.denial", "GET"): Action("view_denial"),
    ("web.denial", "POST"): Action("correct_denial"),
    ("web.denial_page", "GET"): Action("view_denial_page"),
    ("web.denial_attach", "POST"): Action("attach_denial"),
    ("web.denial_packet", "POST"): Action("generate_document"),
    ("web.remittance_upload", "POST"): Action("upload_remittance"),
    ("web.remittance", "GET"): Action("view_remittance"),
    ("web.case_837p", "GET"): Action("download_claim"),
    ("web.audit", "GET"): Action("view_audit"),
}


def cli_actor() -> str:
    """The actor label of a command-line user (the operating-system account)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "cli:unknown"


def _actor(action: Action) -> tuple[str, Principal | None] | None:
    principal: Principal | None = g.get("principal")
    if principal is not None:
        return principal.label, principal
    if action.failed and request.endpoint == "web.login":
        # A failed login has no principal: record the account name that was tried.
        return f"user:{scrub(request.form.get('email', '').strip().lower()[:254])}", None
    return None  # not authenticated: nothing was seen, nothing to record


def _ids_from_location(location: str | None) -> dict[str, str]:
    # A form that creates something redirects to its page: its URL names the new id.
    if not location:
        return {}
    path = urlsplit(location).path
    try:
        _, args = current_app.url_map.bind("localhost").match(path, method="GET")
    except (HTTPException, RequestRedirect):
        return {}
    return {k: str(v) for k, v in args.items() if k in ID_FIELDS}


def _ids(action: Action, response: Response, status: int) -> dict[str, str | None]:
    ids: dict[str, str | None] = dict.fromkeys(ID_FIELDS)
    for key, value in (request.view_args or {}).items():
        if key in ID_FIELDS:
            ids[key] = str(value)
    if status in (301, 302, 303):
        for key, value in _ids_from_location(response.headers.get("Location")).items():
            ids[key] = ids[key] or value
    elif action.created and status < 300 and response.is_json:
        body = response.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            ids[action.created] = body["id"]
    # A document made for a denial (an appeal, a packet) names it in the request's JSON body:
    # read only from a body the schema accepted (parsed already), never from one refused (too
    # large, too deep: parsing it here would raise what the request was refused for).
    if ids["denial_id"] is None and status < 400 and request.is_json:
        sent = request.get_json(silent=True)
        if isinstance(sent, dict) and is_id(sent.get("denial_id")):
            ids["denial_id"] = sent["denial_id"]
    return ids


def _external_id(action: Action, status: int) -> str | None:
    # A stateless render stores no case: the payload's own id is what names the patient's case.
    # Read only from a body the schema accepted (already parsed, so no second parse), never
    # from one refused (too deep, not JSON).
    if action.name != "render_document" or status >= 400:
        return None
    body = request.get_json(silent=True)
    value = body.get("external_id") if isinstance(body, dict) else None
    return scrub(value)[:80] or None if isinstance(value, str) else None


class _AfterBody(Iterator[Any]):
    """A response body that calls `done(status)` once, when it has been sent or has stopped.

    Sent whole (iterated to its end): the response's status. Stopped short (the server closed
    it early, or reading it failed): 500, what a WSGI server answers when it fails before the
    headers are out (after them, it cuts the connection and the file is incomplete anyway).
    """

    def __init__(self, body: Iterable[Any], status: int, done: Callable[[int], None]) -> None:
        self._body = body
        self._iter: Iterator[Any] = iter(body)
        self._status = status
        self._done: Callable[[int], None] | None = done

    def __iter__(self) -> _AfterBody:
        return self

    def __next__(self) -> Any:
        try:
            return next(self._iter)
        except StopIteration:
            self._finish(self._status)
            raise
        except BaseException:
            self._finish(500)
            raise

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._finish(500)

    def _finish(self, status: int) -> None:
        done, self._done = self._done, None
        if done is not None:
            done(status)


def _write(services: Services, values: dict[str, Any], status: int) -> None:
    # Its own short transaction on a plain connection (no ORM session): the lookup and the row.
    with services.engine.begin() as conn:
        _append(conn, dict(values), status)


def _append(conn: Connection, values: dict[str, Any], status: int) -> None:
    if values["case_id"] is None:
        values["case_id"] = case_of(conn, values["document_id"], values["denial_id"])
    record_event(conn, status=status, **values)


def _write_after_body(services: Services, values: dict[str, Any]) -> Callable[[int], None]:
    def done(status: int) -> None:
        try:
            _write(services, values, status)
        except Exception as exc:  # the file is already out: nothing to answer, so say it loudly
            # The type only, as for every unexpected error: a message may quote patient data.
            log.error(
                "could not record %s in the audit trail: %s", values["action"], type(exc).__name__
            )

    return done


def _values(response: Response, status: int) -> dict[str, Any] | None:
    """The audit row's fields for this request answered `status`, or None when it records
    nothing. A status other than the response's (500: its changes were not kept) takes no id
    from the response: what it created does not exist."""
    if request.endpoint is None:
        return None
    action = ACTIONS.get((request.endpoint, request.method))
    if action is None:
        return None
    failed = status >= 400
    who = _actor(action)
    if who is None:
        return None
    name = action.failed if failed and action.failed else action.name
    return {
        "actor": who[0],
        "principal": who[1],
        "action": name,
        "method": request.method,
        "path": scrub(request.path)[:500],
        "remote_addr": request.remote_addr,
        "external_id": _external_id(action, status),
        **_ids(action, response, status),
    }


_NOT_SAVED = "The changes could not be saved, so nothing was changed. Try again."


def _not_saved() -> Response:
    """The answer when the request's transaction could not commit (500): nothing was kept."""
    if request.path.startswith("/api/"):
        problem = FormserviceError(_NOT_SAVED).to_problem()
        return Response(json.dumps(problem), status=500, mimetype="application/problem+json")
    page = f"<!doctype html><title>Not saved</title><p>{escape(_NOT_SAVED)}</p>"
    return Response(page, status=500, mimetype="text/html")


def _finish_request(services: Services, response: Response) -> Response:
    """Add the request's audit row to its transaction, then commit both (or neither).

    A streamed file commits first and records its row once the body is out (`_AfterBody`): a
    download changes nothing, and its row must carry the status the client really got. If the
    COMMIT fails, nothing the request did is kept: its row is recorded alone with status 500
    and the client gets a 500 saying nothing was changed.
    """
    unit = current_unit(services.sessions)
    values = _values(response, response.status_code)
    streamed = response.is_streamed and response.response is not None
    try:
        if unit is not None:
            if values is not None and not streamed:
                row, status = dict(values), response.status_code
                # After the rows the request's steps recorded (they are added before commit).
                unit.before_commit(lambda session: _append(session.connection(), row, status))
            unit.commit()
        elif values is not None and not streamed:
            _write(services, values, response.status_code)
    except Exception as exc:
        if unit is not None:
            unit.rollback()
        log.error(
            "%s %s: the request's transaction could not commit (%s); nothing was kept",
            request.method,
            request.url_rule.rule if request.url_rule else "?",
            type(exc).__name__,
        )
        refused = _values(response, 500)
        if refused is not None:
            _write_after_body(services, refused)(500)
        _undo_session_changes()
        return _not_saved()
    if values is not None and streamed:
        # A file (send_file's wrapper) goes out after this hook: record what was really sent.
        response.response = _AfterBody(
            response.response, response.status_code, _write_after_body(services, values)
        )
    return response


def _undo_session_changes() -> None:
    """Put back the session cookie the request came with: a request whose changes were not
    kept must not keep a login (or a logout) it made either."""
    original = current_app.session_interface.open_session(current_app, request)
    session.clear()
    if original is not None:
        session.update(original)


def register_request_transaction(app: Flask, services: Services) -> None:
    """One database transaction per request (`store.unit_of_work`), opened before anything else
    runs and always ended; `register_audit`'s hook commits it with the request's audit row."""

    @app.before_request
    def _open() -> None:
        g.unit_of_work = open_unit_of_work(services.sessions)

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        token = g.pop("unit_of_work", None)
        if token is not None:
            close_unit_of_work(token)


def register_audit(app: Flask, services: Services) -> None:
    """Record every request that reads or changes patient data, and every login, in the
    request's own transaction (registered last, so this hook runs first after the request)."""
    app.after_request(lambda response: _finish_request(services, response))
