"""The application layer: one function per user action, called by every face alike.

The API, the staff pages, the CLI and the queue worker translate their input into one of these
calls and its result back; none of them reaches the store or the renderers on its own.

Actions and their functions:

* store, read, list cases: `cases.create_case`, `cases.read_case`, `cases.list_cases`;
* make a document for a stored case: `documents.make_document`; render one for a posted case:
  `documents.render_for_case`;
* record a PA step: `pa.record_pa_step`; record the benefits investigation:
  `benefits.record_benefits`; decide PAP eligibility: `pap.check_pap`;
* upload, read, correct, attach a denial: `denials.submit_denial`, `denials.read_denial_row`,
  `denials.correct_denial`, `denials.attach_denial`; build the appeal packet:
  `packets.build_packet`;
* publish, activate, preview a template: `templates.publish_template`,
  `templates.activate_template`, `templates.preview_template`;
* start a regeneration: `regeneration.start_run` then `regeneration.enqueue_run` (sent once
  committed); the worker: `tasks.run_worker`;
* API keys and staff accounts: `keys.issue_api_key`, `accounts.add_user`, `accounts.log_in`.
"""

from __future__ import annotations

import os

from formservice.documents.convert import LibreOfficeConverter
from formservice.settings import Settings
from formservice.store.blobs import BlobStore, LocalBlobStore
from formservice.store.db import make_engine, make_sessionmaker, prepare_schema
from formservice.store.s3 import S3BlobStore
from formservice.usecases.services import Services
from formservice.usecases.tasks import register_tasks

__all__ = ["Services", "build_services", "make_blob_store"]


def build_services(
    settings: Settings, *, converter: LibreOfficeConverter | None = None
) -> Services:
    """Connect the database and blob store named by the settings; the queue knows its tasks.

    The database schema is made current first (`prepare_schema`: an embedded SQLite database is
    migrated on first use; an unmigrated PostgreSQL one raises `DatabaseNotReadyError`).

    `converter`: a warm DOCX→PDF converter to use instead of starting one (the test suite shares
    one LibreOffice across every app it builds). Its owner closes it: `Services.close` does not.
    """
    engine = make_engine(settings.resolved_database_url)
    try:
        prepare_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return Services(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        blobs=make_blob_store(settings),
        register_tasks=register_tasks,
        _converter=converter,
        _converter_pid=os.getpid() if converter is not None else 0,
        _converter_shared=converter is not None,
    )


def make_blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings name: a local folder, or an S3 bucket (reached on first use)."""
    if settings.blob_store == "s3":
        return S3BlobStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
        )
    settings.resolved_blob_dir.mkdir(parents=True, exist_ok=True)
    return LocalBlobStore(settings.resolved_blob_dir)
