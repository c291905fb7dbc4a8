"""A letter template version as the renderer takes it (the registry is `store.templates`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TemplateVersion:
    """The bytes of one template version and what identifies it."""

    name: str
    version: int
    sha256: str
    data: bytes
