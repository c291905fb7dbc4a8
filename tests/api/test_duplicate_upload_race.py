"""Two uploads of one denial letter at the same moment: one is stored, the other is told (409).

The early duplicate check runs before the letter is read, so two uploads of the same file can
both pass it; the check is repeated where the row is written, under a lock on the file's hash
(`usecases.denial_checks.refuse_duplicate`). On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from formservice import create_app
from formservice.settings import Settings
from formservice.store.models import DenialRow
from formservice.usecases import Services, build_services
from formservice.usecases import denials as denial_usecases
from tests.conftest import SAMPLES, make_key

LETTER = SAMPLES / "denials" / "01_erisa_medical_necessity.pdf"


@pytest.fixture
def stored(storage_settings: Settings) -> Iterator[Services]:
    services = build_services(storage_settings)
    yield services
    services.close()


def test_two_uploads_of_one_file_at_once_store_one_denial(
    stored: Services, storage_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(storage_settings, services=stored)
    auth = {"Authorization": f"Bearer {make_key(stored)}"}
    early_check = denial_usecases.check_not_uploaded_before
    both_checked = threading.Barrier(2, timeout=30)

    def check_then_wait(*args: Any) -> None:
        early_check(*args)  # the real check: nothing is on record yet, so both pass it
        both_checked.wait()  # neither stores its row before the other has passed it too

    monkeypatch.setattr(denial_usecases, "check_not_uploaded_before", check_then_wait)
    answers: list[Any] = [None, None]

    def upload(i: int) -> None:
        answers[i] = app.test_client().post(
            "/api/v1/denials",
            data={"file": (io.BytesIO(LETTER.read_bytes()), f"copy{i}.pdf")},
            headers=auth,
            content_type="multipart/form-data",
        )

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 409], [a.get_json() for a in answers]
    stored_one = next(a for a in answers if a.status_code == 201).json
    refused = next(a for a in answers if a.status_code == 409).json
    assert refused["existing_denial_id"] == stored_one["id"]
    with stored.sessions() as session:
        rows = list(session.scalars(select(DenialRow)))
        assert session.scalar(select(func.count()).select_from(DenialRow)) == 1
    # The refused upload leaves the stored letter's file in place (it is the same blob).
    assert stored.blobs.exists(rows[0].source_sha256)
