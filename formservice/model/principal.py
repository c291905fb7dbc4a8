"""Who is calling: an API key or a logged-in user, and the facility they are limited to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key or a user, with the facility it is limited to (None = all)."""

    kind: str  # "key" | "user"
    id: str
    name: str
    role: str
    facility_npi: str | None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"
