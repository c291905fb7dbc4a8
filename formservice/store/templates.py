"""The template registry: immutable, content-hashed versions of each letter template.

Templates shipped in ``templates/docx/`` are version 1 of their name. A published file becomes
the next version and the active one; activating an older version is a rollback. Version bytes
live in the blob store, so every version stays renderable (and every letter reproducible).
If the shipped file itself changes (a new release of this repository), it is recorded as a new
version and made active only while no published version is active: an ops decision is never
overridden by a deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from formservice.errors import NotFoundError, ValidationProblem
from formservice.model import TemplateVersion
from formservice.store.blobs import BlobStore, sha256_hex
from formservice.store.models import TemplateVersionRow


@dataclass(frozen=True)
class TemplateInfo:
    """A template name, its versions and which one is active."""

    name: str
    active_version: int
    versions: list[TemplateVersionRow]


def shipped_names(templates_dir: Path) -> list[str]:
    """Names of the templates shipped with this release."""
    return sorted(p.stem for p in (templates_dir / "docx").glob("*.docx"))


def sync_shipped(session: Session, blobs: BlobStore, templates_dir: Path) -> None:
    """Record each shipped template file as a version of its name (idempotent)."""
    for name in shipped_names(templates_dir):
        data = (templates_dir / "docx" / f"{name}.docx").read_bytes()
        _record(session, blobs, name, data, source="shipped")


def shipped_recorded(session: Session, templates_dir: Path) -> bool:
    """Whether every shipped template file is already a recorded version (reads only)."""
    for name in shipped_names(templates_dir):
        digest = sha256_hex((templates_dir / "docx" / f"{name}.docx").read_bytes())
        found = session.scalar(
            select(TemplateVersionRow.id).where(
                TemplateVersionRow.name == name, TemplateVersionRow.sha256 == digest
            )
        )
        if found is None:
            return False
    return True


def _record(
    session: Session, blobs: BlobStore, name: str, data: bytes, *, source: str
) -> TemplateVersionRow:
    digest = sha256_hex(data)
    existing = session.scalars(
        select(TemplateVersionRow).where(
            TemplateVersionRow.name == name, TemplateVersionRow.sha256 == digest
        )
    ).first()
    if existing is not None:
        return existing
    blobs.put(data)
    latest = session.scalar(
        select(func.max(TemplateVersionRow.version)).where(TemplateVersionRow.name == name)
    )
    active = session.scalars(
        select(TemplateVersionRow).where(
            TemplateVersionRow.name == name, TemplateVersionRow.active.is_(True)
        )
    ).first()
    row = TemplateVersionRow(
        name=name, version=(latest or 0) + 1, sha256=digest, source=source, active=False
    )
    session.add(row)
    session.flush()
    if source == "published" or active is None or active.source == "shipped":
        _make_active(session, name, row.version)
    return row


def _make_active(session: Session, name: str, version: int) -> None:
    session.execute(
        update(TemplateVersionRow)
        .where(TemplateVersionRow.name == name)
        .values(active=TemplateVersionRow.version == version)
    )


def known_names(session: Session) -> set[str]:
    """Every template name the registry holds."""
    return set(session.scalars(select(TemplateVersionRow.name).distinct()))


def publish(session: Session, blobs: BlobStore, name: str, data: bytes) -> TemplateVersionRow:
    """Store `data` as the newest version of `name` and make it active (already checked)."""
    if name not in known_names(session):
        raise NotFoundError(f"no template named {name!r}")
    row = _record(session, blobs, name, data, source="published")
    _make_active(session, name, row.version)
    return row


def activate(session: Session, name: str, version: int) -> TemplateVersionRow:
    """Make an existing version the active one (a rollback when it is older)."""
    row = session.scalars(
        select(TemplateVersionRow).where(
            TemplateVersionRow.name == name, TemplateVersionRow.version == version
        )
    ).first()
    if row is None:
        if name not in known_names(session):
            raise NotFoundError(f"no template named {name!r}")
        raise ValidationProblem(
            f"template {name!r} has no version {version}", errors={"version": ["No such version."]}
        )
    _make_active(session, name, version)
    session.flush()
    session.refresh(row)
    return row


def list_templates(session: Session) -> list[TemplateInfo]:
    """Every template with its versions, oldest first."""
    rows = session.scalars(
        select(TemplateVersionRow).order_by(TemplateVersionRow.name, TemplateVersionRow.version)
    ).all()
    by_name: dict[str, list[TemplateVersionRow]] = {}
    for row in rows:
        by_name.setdefault(row.name, []).append(row)
    return [
        TemplateInfo(name, next((r.version for r in versions if r.active), 0), versions)
        for name, versions in by_name.items()
    ]


def get_version(
    session: Session,
    blobs: BlobStore,
    name: str,
    version: int | None = None,
    *,
    sha256: str | None = None,
    cache: dict[str, bytes] | None = None,
) -> TemplateVersion:
    """A version of a template with its bytes: by number, by content hash, or the active one.

    Versions are immutable, so `cache` (sha256 → bytes) can spare the blob read on every render.
    """
    query = select(TemplateVersionRow).where(TemplateVersionRow.name == name)
    if sha256 is not None:
        query = query.where(TemplateVersionRow.sha256 == sha256)
    elif version is not None:
        query = query.where(TemplateVersionRow.version == version)
    else:
        query = query.where(TemplateVersionRow.active.is_(True))
    row = session.scalars(query).first()
    if row is None:
        raise NotFoundError(
            f"no template named {name!r}" + (f" with version {version}" if version else "")
        )
    data = cache.get(row.sha256) if cache is not None else None
    if data is None:
        data = blobs.get(row.sha256)
        if cache is not None:
            cache[row.sha256] = data
    return TemplateVersion(name=name, version=row.version, sha256=row.sha256, data=data)
