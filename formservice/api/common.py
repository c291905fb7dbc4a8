"""Small helpers the API views share."""

from __future__ import annotations

from typing import cast

from flask import current_app, g

from formservice.errors import ForbiddenError
from formservice.model import Principal
from formservice.usecases.services import Services

AUTH: list[dict[str, list[str]]] = [{"apiKey": []}]


def services() -> Services:
    """The Services of the running app."""
    return cast(Services, current_app.extensions["formservice"])


def principal() -> Principal:
    """Who is calling (set by the API-key check)."""
    return cast(Principal, g.principal)


def require_role(*roles: str) -> Principal:
    """The caller, if their role is one of `roles`; else a 403 problem."""
    who = principal()
    if who.role not in roles:
        raise ForbiddenError(f"this needs one of the roles: {', '.join(roles)}")
    return who
