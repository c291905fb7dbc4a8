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
    """Store `payload` as a case and upload the first sample denial letter for it: both ids."""
    case_id = client.post("/api/v1/cases", json=payload, headers=auth).json["id"]
    denial = client.post(
        "/api/v1/denials",
        data={"file": (io.BytesIO(DENIAL.read_bytes()), DENIAL.name), "case_id": case_id},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert denial.status_code == 201, denial.json
    return case_id, denial.json["id"]
