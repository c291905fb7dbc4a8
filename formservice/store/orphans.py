"""Blobs no committed row points to: found and removed after a grace period.

A blob is written before the row that names it (the row must never point to missing bytes), so a
process killed between the two leaves a blob nobody points to. The sweep removes blobs older than
a grace period that no row names. Younger blobs are left alone: their row may be about to be
committed, and putting existing bytes again counts as writing them (`LocalBlobStore.put`).

Which columns name a blob: every column whose name ends in ``sha256``, in every table. That is
wider than needed (a template's or an input's hash names no blob of its own), and deliberately
so: a table added later that keeps a blob under a ``*_sha256`` column is covered without anyone
remembering this module, and a digest that merely looks like a blob's only keeps a blob longer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Column, select
from sqlalchemy.orm import Session, sessionmaker

from formservice.store.blobs import BlobStore
from formservice.store.db import reading
from formservice.store.models import Base

__all__ = ["blob_columns", "referenced_digests", "sweep_orphan_blobs"]

log = logging.getLogger(__name__)
_BATCH = 500
# Where blobs are named by design: a document's file, a letter's upload, a template's .docx.
_MAIN_BLOB_COLUMNS = (
    ("documents", "blob_sha256"),
    ("denials", "source_sha256"),
    ("template_versions", "sha256"),
)


def blob_columns() -> list[Column[Any]]:
    """Every column that may name a blob (a ``*sha256`` string column)."""
    return [
        column
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("sha256")
    ]


def referenced_digests(session: Session, digests: Iterable[str]) -> set[str]:
    """The digests among `digests` that some row names.

    The columns that hold blobs by design come first, on their indexes (migration 0008); the
    others are asked only about what is left, which is nearly always nothing.
    """
    wanted = list(digests)
    found: set[str] = set()
    columns = sorted(
        blob_columns(),
        key=lambda c: (c.table.name, c.name) not in _MAIN_BLOB_COLUMNS,  # main ones first
    )
    for column in columns:
        left = [d for d in wanted if d not in found]
        if not left:
            break
        found.update(session.scalars(select(column).where(column.in_(left)).distinct()))
    return found


def _batches(items: Iterator[str], size: int) -> Iterator[list[str]]:
    while batch := list(islice(items, size)):
        yield batch


def sweep_orphan_blobs(
    sessions: sessionmaker[Session], blobs: BlobStore, *, grace_seconds: float
) -> int:
    """Remove blobs older than `grace_seconds` that no row names; how many were removed."""
    removed = 0
    for batch in _batches(blobs.older_than(grace_seconds), _BATCH):
        with reading(sessions) as session:
            used = referenced_digests(session, batch)
        for digest in batch:
            if digest not in used and blobs.delete_if_older(digest, grace_seconds):
                removed += 1
    if removed:
        log.info("removed %d blob(s) no row points to", removed)
    return removed
