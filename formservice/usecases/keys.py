"""API keys: made once, shown once, stored as a SHA-256, scoped to a role (and a facility)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from formservice.errors import UnauthorizedError, ValidationProblem
from formservice.model import Principal
from formservice.schemas.common import npi_is_valid
from formservice.store.audit import record_event
from formservice.store.db import reading, transaction
from formservice.store.models import ApiKey
from formservice.store.unit_of_work import on_commit
from formservice.usecases.services import Services

KEY_ROLES = ("hub", "clinic", "ops")
_KEY_PREFIX = "fs"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    session: Session, *, name: str, role: str, facility_npi: str | None = None
) -> tuple[ApiKey, str]:
    """Store a new key and return (row, the key to show once)."""
    errors: dict[str, list[str]] = {}
    if role not in KEY_ROLES:
        errors["role"] = [f"Must be one of: {', '.join(KEY_ROLES)}."]
    if role == "clinic" and not facility_npi:
        errors["facility"] = ["A clinic key needs --facility NPI."]
    if facility_npi and not npi_is_valid(facility_npi):
        errors["facility"] = ["Not a valid NPI (10 digits with a Luhn check digit)."]
    if not name.strip():
        errors["name"] = ["A key needs a name."]
    if errors:
        raise ValidationProblem("cannot create the key", errors=errors)
    prefix = secrets.token_hex(4)
    key = f"{_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        name=name.strip(),
        role=role,
        facility_npi=facility_npi if role == "clinic" else None,
        prefix=prefix,
        secret_sha256=_digest(key),
    )
    session.add(row)
    session.flush()
    return row, key


def authenticate_key(session: Session, authorization: str | None) -> Principal:
    """The principal behind an ``Authorization: Bearer`` header, or UnauthorizedError."""
    if not authorization or not authorization.startswith("Bearer "):
        raise UnauthorizedError("An API key is required: send 'Authorization: Bearer <key>'.")
    key = authorization.removeprefix("Bearer ").strip()
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != _KEY_PREFIX:
        raise UnauthorizedError("The API key is not valid.")
    digest = _digest(key)
    for row in session.scalars(select(ApiKey).where(ApiKey.prefix == parts[1])):
        if hmac.compare_digest(row.secret_sha256, digest) and row.revoked_at is None:
            return Principal("key", row.id, row.name, row.role, row.facility_npi)
    raise UnauthorizedError("The API key is not valid.")


def authenticate(services: Services, authorization: str | None) -> Principal:
    """`authenticate_key`, with the key's principal kept for `cache_seconds` (`Services.api_keys`).

    Only keys that were valid are kept (by their SHA-256, never the key): a new key works at
    once, a revoked one stops within `cache_seconds` in other processes and at once in the
    process that revoked it (`revoke_key`).
    """
    digest = None
    if authorization and authorization.startswith("Bearer "):
        digest = _digest(authorization.removeprefix("Bearer ").strip())
        cached: Principal | None = services.api_keys.get(digest)
        if cached is not None:
            return cached
    with reading(services.sessions) as session:
        principal = authenticate_key(session, authorization)
    if digest is not None:
        services.api_keys.put(digest, principal)
    return principal


def revoke_key(services: Services, key_id: str) -> bool:
    """Revoke a key; this process stops accepting it at once, others within `cache_seconds`."""
    with transaction(services.sessions) as session:
        found = revoke_api_key(session, key_id)
    on_commit(services.sessions, services.api_keys.clear)  # once the revocation is committed
    return found


def revoke_api_key(session: Session, key_id: str) -> bool:
    """Mark a key revoked; False when there is no such key."""
    row = session.get(ApiKey, key_id)
    if row is None:
        return False
    row.revoked_at = datetime.now(UTC)
    return True


def issue_api_key(
    services: Services,
    *,
    name: str,
    role: str,
    facility_npi: str | None,
    actor: str | None = None,
) -> tuple[ApiKey, str]:
    """Create an API key; return its row and the key itself (shown once, stored hashed).

    With `actor`, the audit trail records who created which key (its name, id and role, never
    the key): an `ops` key reads the audit trail itself, so its making must be on it.
    """
    with transaction(services.sessions) as session:
        row, key = create_api_key(session, name=name, role=role, facility_npi=facility_npi)
        if actor is not None:
            record_event(
                session,
                actor=actor,
                action="create_api_key",
                path=f"key:{row.id} role:{role} name:{name}"[:500],
            )
        return row, key
