"""The service's moving parts, built once from settings, shared by the API, web and CLI."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from formservice.documents.templates import TemplateVersion
from formservice.settings import Settings
from formservice.store.blobs import LocalBlobStore
from formservice.store.db import make_engine, make_sessionmaker


@dataclass
class Services:
    """Database, blob store, clock and (lazily) the PDF converter for one configuration."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: LocalBlobStore
    today: Callable[[], date] = date.today
    _converter: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _templates_synced: bool = field(default=False, repr=False)
    _jobs: Any = field(default=None, repr=False)
    _template_bytes: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def jobs(self) -> Any:
        """The job queue (Huey) with this service's tasks, built on first use."""
        with self._lock:
            if self._jobs is None:
                from formservice.jobs import Jobs

                self._jobs = Jobs(self)
            return self._jobs

    def sync_templates(self) -> None:
        """Record the shipped templates in the registry (once per process)."""
        if self._templates_synced:
            return
        from sqlalchemy.exc import IntegrityError

        from formservice.store.db import transaction
        from formservice.store.templates import sync_shipped

        for attempt in (1, 2):
            try:
                with transaction(self.sessions) as session:
                    sync_shipped(session, self.blobs, self.settings.templates_dir)
                break
            except IntegrityError:
                # Another process recorded the same version at the same moment: read it again.
                if attempt == 2:
                    raise
        self._templates_synced = True

    def active_template(self, name: str) -> TemplateVersion:
        """The active version of a letter template, with its bytes."""
        return self.template(name)

    def template(
        self, name: str, *, version: int | None = None, sha256: str | None = None
    ) -> TemplateVersion:
        """A template version (default: the active one); its bytes are read once per process."""
        from formservice.store.templates import get_version

        self.sync_templates()
        with self.sessions() as session:
            return get_version(
                session, self.blobs, name, version, sha256=sha256, cache=self._template_bytes
            )

    @property
    def converter(self) -> Any:
        """The warm DOCX→PDF converter, started on first use."""
        with self._lock:
            if self._converter is None:
                from formservice.documents.convert import LibreOfficeConverter

                self._converter = LibreOfficeConverter(
                    soffice=self.settings.soffice_path or None,
                    workdir=self.settings.data_dir / "soffice",
                    timeout=self.settings.render_timeout_seconds,
                    pool_size=self.settings.converter_pool_size,
                )
            return self._converter

    def close(self) -> None:
        """Stop the converter and release database connections."""
        if self._converter is not None:
            self._converter.close()
            self._converter = None
        self.engine.dispose()


def build_services(settings: Settings) -> Services:
    """Connect the database and blob store named by the settings."""
    engine = make_engine(settings.resolved_database_url)
    settings.resolved_blob_dir.mkdir(parents=True, exist_ok=True)
    return Services(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        blobs=LocalBlobStore(settings.resolved_blob_dir),
    )
