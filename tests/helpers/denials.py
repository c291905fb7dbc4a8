"""What the denial parser's result holds (docs/CONTRACT.md), and a case with a denial attached."""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import SAMPLES

CONTRACT_KEYS = {
    "text_source", "pages", "payer_name", "member_id", "claim_number", "authorization_number",
    "patient_name", "letter_date", "date_of_service", "procedure_codes", "diagnosis_codes",
    "carc_codes", "rarc_codes", "categories", "reasons", "appeal_deadline", "appeal_days",
    "appeal_deadline_basis", "plan_type", "needs_review", "review_fields", "service_lines",
    "adjustments", "appeal_to",
}  # fmt: skip

DENIAL = SAMPLES / "denials" / "01_erisa_medical_necessity.pdf"


def case_with_denial(
    client: FlaskClient, auth: dict[str, str], payload: dict[str, Any]
) -> tuple[str, str]:
    """Store `payload` as a case and attach the first sample denial letter to it: both ids.

    The letter names its own sample patient, so attaching it to another case is the hub's
    audited override (a 409 otherwise); `auth` must be a hub key. The same file uploaded again
    is refused (409 duplicate-upload): the earlier upload is then moved to this case.
    """
    case_id = client.post("/api/v1/cases", json=payload, headers=auth).json["id"]
    denial = client.post(
        "/api/v1/denials",
        data={"file": (io.BytesIO(DENIAL.read_bytes()), DENIAL.name)},
        headers=auth,
        content_type="multipart/form-data",
    )
    if denial.status_code == 409:  # uploaded before in this database: move that one here
        denial_id = denial.json["existing_denial_id"]
    else:
        assert denial.status_code == 201, denial.json
        denial_id = denial.json["id"]
    attached = client.post(
        f"/api/v1/cases/{case_id}/denials",
        json={
            "denial_id": denial_id,
            "override_reason": "test: every sample case answers the same sample letter",
        },
        headers=auth,
    )
    assert attached.status_code in (200, 201), attached.json
    return case_id, denial_id
