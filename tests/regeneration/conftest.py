"""Fixtures for regeneration: many stored letters and a changed template."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable

import pytest
from docx import Document

from formservice.model import DocumentRequest, Principal
from formservice.schemas.case import load_case
from formservice.store.cases import save_case
from formservice.store.db import transaction
from formservice.store.documents import save_document
from formservice.usecases.documents import render_for_case as render_document
from formservice.usecases.services import Services
from tests.conftest import REPO, load_sample

LMN = "letter_of_medical_necessity"
MARKER = "Updated 2026 evidence summary (template v2)"
HUB = Principal("key", "k", "test", "hub", None)


def changed_lmn(extra_paragraph: str = MARKER) -> bytes:
    """The shipped LMN with one more paragraph: a realistic small template edit."""
    doc = Document(io.BytesIO((REPO / "templates" / "docx" / f"{LMN}.docx").read_bytes()))
    doc.add_paragraph(extra_paragraph)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def seed_letters(services: Services, count: int, *, last_name: str | None = None) -> list[str]:
    """Store `count` cases, each with an LMN; return the document ids."""
    base = load_sample()
    ids = []
    for i in range(count):
        payload = copy.deepcopy(base)
        payload["external_id"] = f"REGEN-{i:05d}-{last_name or 'x'}"
        if last_name:
            payload["patient"]["last_name"] = last_name
        case = load_case(payload)
        with transaction(services.sessions) as session:
            row, _ = save_case(session, HUB, case)
        ids.append(
            save_document(
                services.sessions,
                services.blobs,
                row.id,
                render_document(services, case, DocumentRequest("lmn")),
            ).id
        )
    return ids


@pytest.fixture
def seeded(services: Services) -> Callable[..., list[str]]:
    return lambda count, **kw: seed_letters(services, count, **kw)
