"""The service's moving parts, built once from settings, shared by every face and use case.

`Services` holds the database sessions, the blob store, the clock, the template registry's bytes,
and (started on first use) the PDF converter and the job queue. It is built by
`formservice.usecases.build_services`, which also registers the queue's tasks.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from formservice.documents import RenderTools
from formservice.documents.convert import LibreOfficeConverter
from formservice.documents.docx import TemplateLimits
from formservice.jobs import Jobs, make_huey
from formservice.model import TemplateVersion
from formservice.settings import Settings
from formservice.store.blobs import BlobStore
from formservice.store.db import reading, transaction
from formservice.store.templates import get_version, shipped_recorded, sync_shipped
from formservice.store.unit_of_work import on_commit

__all__ = ["Services", "TtlCache"]

V = TypeVar("V")


class TtlCache(Generic[V]):
    """Values kept for `seconds` after they were read (0: never kept); `clear()` forgets all.

    Why a time limit rather than a version counter in the database: checking a counter is a
    database round trip on every request, the very cost this cache removes, and SQLite has no way
    to push a change to other processes. So another process sees a publish, activation or
    revocation at most `seconds` late; the process that made the change clears its own cache at
    once. Entries are few (templates by name, keys in use), so there is no size bound.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._entries: dict[Hashable, tuple[float, V]] = {}

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    def put(self, key: Hashable, value: V) -> V:
        if self.seconds > 0:
            self._entries[key] = (self.clock() + self.seconds, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


def template_limits(settings: Settings) -> TemplateLimits:
    """The budget of one letter render, from FORMSERVICE_TEMPLATE_* (README, Security)."""
    return TemplateLimits(
        max_string_chars=settings.template_max_string_chars,
        max_loop_iterations=settings.template_max_loop_iterations,
        render_seconds=settings.template_render_seconds,
        max_output_bytes=settings.template_max_output_bytes,
    )


@dataclass
class Services:
    """Database, blob store, clock, templates, and (lazily) the converter and the job queue."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    today: Callable[[], date] = date.today
    # Registers the queue's task handlers when the queue is first built (usecases.tasks).
    register_tasks: Callable[[Services, Jobs], None] | None = field(default=None, repr=False)
    _converter: Any = field(default=None, repr=False)
    _converter_pid: int = field(default=0, repr=False)
    # Given to `build_services` by its owner, who closes it (see `close`).
    _converter_shared: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _templates_synced: bool = field(default=False, repr=False)
    _jobs: Jobs | None = field(default=None, repr=False)
    _template_bytes: dict[str, bytes] = field(default_factory=dict, repr=False)
    # Versions pinned by content hash never change: kept for the life of the process.
    _pinned: dict[tuple[str, str], TemplateVersion] = field(default_factory=dict, repr=False)
    _active: TtlCache[TemplateVersion] | None = field(default=None, repr=False)
    _keys: TtlCache[Any] | None = field(default=None, repr=False)

    @property
    def active_templates(self) -> TtlCache[TemplateVersion]:
        """The active version of each template, as read at most `cache_seconds` ago."""
        if self._active is None:
            self._active = TtlCache(self.settings.cache_seconds)
        return self._active

    @property
    def api_keys(self) -> TtlCache[Any]:
        """Principals of API keys (by the key's SHA-256) as read at most `cache_seconds` ago."""
        if self._keys is None:
            self._keys = TtlCache(self.settings.cache_seconds)
        return self._keys

    @property
    def jobs(self) -> Jobs:
        """The job queue with this service's tasks, built on first use."""
        with self._lock:
            if self._jobs is None:
                self._jobs = Jobs(make_huey(self.settings))
                if self.register_tasks is not None:
                    self.register_tasks(self, self._jobs)
            return self._jobs

    def sync_templates(self) -> None:
        """Record the shipped templates in the registry (once per process)."""
        if self._templates_synced:
            return
        # Read first: a write would hold SQLite's write lock for the rest of a request
        # (`store.unit_of_work`), and the templates are recorded already on every start but the
        # first.
        with reading(self.sessions) as session:
            if shipped_recorded(session, self.settings.templates_dir):
                self._templates_synced = True
                return
        for attempt in (1, 2):
            try:
                with transaction(self.sessions) as session:
                    sync_shipped(session, self.blobs, self.settings.templates_dir)
                break
            except IntegrityError:
                # Another process recorded the same version at the same moment: read it again.
                if attempt == 2:
                    raise
        on_commit(self.sessions, self._mark_templates_synced)  # not before the rows are kept

    def _mark_templates_synced(self) -> None:
        self._templates_synced = True

    def active_template(self, name: str) -> TemplateVersion:
        """The active version of a letter template, with its bytes (cached: `active_templates`)."""
        cached = self.active_templates.get(name)
        if cached is not None:
            return cached
        return self.active_templates.put(name, self.template(name))

    def template(
        self, name: str, *, version: int | None = None, sha256: str | None = None
    ) -> TemplateVersion:
        """A template version (default: the active one); its bytes are read once per process."""
        if sha256 is not None and (name, sha256) in self._pinned:
            return self._pinned[(name, sha256)]
        self.sync_templates()
        with reading(self.sessions) as session:
            found = get_version(
                session, self.blobs, name, version, sha256=sha256, cache=self._template_bytes
            )
        if sha256 is not None:
            self._pinned[(name, sha256)] = found
        return found

    @property
    def converter(self) -> LibreOfficeConverter:
        """The warm DOCX→PDF converter, started on first use, one per process.

        A process forked after its parent started LibreOffice (a server worker) never uses the
        parent's: it would share its pipes and its profile. It starts its own instead, and leaves
        the parent's alone (closing it here would kill the parent's LibreOffice).
        """
        with self._lock:
            if self._converter is not None and self._converter_pid != os.getpid():
                self._converter = None
            if self._converter is None:
                self._converter_pid = os.getpid()
                self._converter_shared = False  # this one is ours to close
                self._converter = LibreOfficeConverter(
                    soffice=self.settings.soffice_path or None,
                    workdir=self.settings.data_dir / "soffice",
                    timeout=self.settings.render_timeout_seconds,
                    pool_size=self.settings.converter_pool_size,
                )
            converter: LibreOfficeConverter = self._converter
            return converter

    def render_tools(self) -> RenderTools:
        """What the pure renderers take from this service: templates, converter, forms."""
        return RenderTools(
            templates=self.active_template,
            converter=lambda: self.converter,
            forms_dir=self.settings.templates_dir / "pdf",
            charge_master=self.settings.charge_master,
            template_limits=template_limits(self.settings),
            product_price=self.product_price(),
        )

    def product_price(self) -> tuple[float, str] | None:
        """The hub's product price and its source (PAP hardship test), or None when not set."""
        price = self.settings.pap_product_price
        return (price, self.settings.pap_product_price_source) if price > 0 else None

    def close(self) -> None:
        """Stop the converter (unless it was given, see `build_services`); release the database."""
        if self._converter is not None:
            # Never a parent's (see `converter`), nor one its owner shares with other services.
            if self._converter_pid == os.getpid() and not self._converter_shared:
                self._converter.close()
            self._converter = None
        self.engine.dispose()
