"""Readiness: can this process do its work now? The database, the queue's broker, the converter.

Liveness (`/healthz`) says the process is up and answers; readiness (`/readyz`) says whether what
it depends on answers too, so a load balancer stops sending requests to an instance that could
only fail them. Each check is cheap and bounded by `Settings.readiness_timeout_seconds`: a
`SELECT 1`, a broker PING (Redis) or a look at the queue's file (SQLite), and whether LibreOffice
and the Python that drives it are installed (a warm converter starts on first use and restarts
itself after a crash, so starting one per probe would only cost memory).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from formservice.errors import FormserviceError
from formservice.usecases.services import Services

__all__ = ["Check", "check_readiness"]


@dataclass(frozen=True)
class Check:
    """One dependency: whether it answered, and if not, why (no secrets, no patient data)."""

    name: str
    ok: bool
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "reason": self.reason}


def _database(services: Services) -> Check:
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001  # any failure means not ready; say which
        # The class name and the driver's first line name the cause; never the URL's password.
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[:1]
        return Check("database", False, f"{type(exc).__name__}: {' '.join(first)}"[:300])
    return Check("database", True)


def _queue(services: Services) -> Check:
    try:
        services.jobs.check(services.settings.readiness_timeout_seconds)
    except FormserviceError as exc:
        return Check("queue", False, exc.detail)
    return Check("queue", True)


def _converter(services: Services) -> Check:
    soffice = services.settings.soffice_path or shutil.which("soffice")
    if not soffice or not os.access(soffice, os.X_OK):
        return Check(
            "converter",
            False,
            "LibreOffice (soffice) is not installed or not executable "
            "(apt-get install libreoffice-writer-nogui)",
        )
    uno_python = services.converter.uno_python
    if not os.access(uno_python, os.X_OK):
        return Check(
            "converter", False, f"{uno_python} (the Python with LibreOffice's uno) is missing"
        )
    return Check("converter", True)


def check_readiness(services: Services) -> tuple[bool, dict[str, Any]]:
    """(ready, body): every check with ``ok`` and a ``reason`` when it failed.

    The body: ``{"status": "ready" | "unavailable", "checks": {"database": {"ok", "reason"},
    "queue": {...}, "converter": {...}}}``.
    """
    checks = [_database(services), _queue(services), _converter(services)]
    ready = all(c.ok for c in checks)
    return ready, {
        "status": "ready" if ready else "unavailable",
        "checks": {c.name: c.to_json() for c in checks},
    }
