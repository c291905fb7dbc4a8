"""Letter templates: the shipped `.docx` files (version 1 of each name)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from formservice.errors import NotFoundError
from formservice.store.blobs import sha256_hex


@dataclass(frozen=True)
class TemplateVersion:
    """The bytes of one template version and what identifies it."""

    name: str
    version: int
    sha256: str
    data: bytes


def shipped_template_path(templates_dir: Path, name: str) -> Path:
    """Where the shipped template called `name` lives."""
    return templates_dir / "docx" / f"{name}.docx"


@lru_cache(maxsize=64)
def _read_shipped(path: Path, mtime_ns: int) -> TemplateVersion:
    data = path.read_bytes()
    return TemplateVersion(name=path.stem, version=1, sha256=sha256_hex(data), data=data)


def load_shipped_template(templates_dir: Path, name: str) -> TemplateVersion:
    """The shipped version of a template (cached by path and modification time)."""
    path = shipped_template_path(templates_dir, name)
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise NotFoundError(f"no template named {name!r}") from None
    return _read_shipped(path, mtime)
