"""Render every sample case × every document kind with a pinned letter date; print SHA-256s.

A restructuring must not change a single output byte. Run this before and after, on the same
machine, and diff the two JSON files:

    .venv/bin/python scripts/render_matrix.py > before.json
    # ... change the code ...
    .venv/bin/python scripts/render_matrix.py > after.json && diff before.json after.json

Letters are hashed as DOCX (byte-identical by design); forms, claims and the appeal packet as
PDF. The packet needs LibreOffice (it converts its letters); `--no-packet` leaves it out.
A document a case cannot have is recorded as its error (status and detail).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

from formservice.errors import FormserviceError
from formservice.model import Benefits, CaseFacts, Denial, DocumentRequest
from formservice.schemas.benefits import load_benefits
from formservice.schemas.case import load_case
from formservice.settings import Settings
from formservice.store.db import upgrade_database
from formservice.usecases import build_services
from formservice.usecases.documents import render_for_case

REPO = Path(__file__).resolve().parent.parent
LETTER_DATE = date(2026, 3, 20)
LETTERS = ("lmn", "pap_letter", "sob", "pa_checklist", "claim_checklist")
DENIAL_KINDS = ("appeal", "appeal_checklist")
DENIALS = (
    "01_erisa_medical_necessity",
    "08_mac_lcd_medical_necessity",
    "19_medicaid_three_reasons_scan",
)
FORMS = ("tx_nofr001", "nwhp_scalp_cooling_precert", "cms1500")
PACKET_DENIAL = "01_erisa_medical_necessity"


def _jobs(with_packet: bool) -> list[tuple[str, str | None, str | None, CaseFacts]]:
    raw = json.loads((REPO / "samples/benefits/01_northwind_in_network.json").read_text())
    benefits = Benefits.from_json(load_benefits(raw))
    denials = {
        n: Denial.from_json(json.loads((REPO / f"samples/denials/{n}.json").read_text()))
        for n in DENIALS
    }
    jobs: list[tuple[str, str | None, str | None, CaseFacts]] = [
        (k, None, None, CaseFacts(benefits=benefits if k == "sob" else None)) for k in LETTERS
    ]
    jobs += [(k, None, n, CaseFacts(denial=d)) for n, d in denials.items() for k in DENIAL_KINDS]
    jobs += [("pa_form", form, None, CaseFacts()) for form in FORMS]
    jobs.append(("cms1500", None, None, CaseFacts()))
    if with_packet:
        pdf = (REPO / f"samples/denials/{PACKET_DENIAL}.pdf").read_bytes()
        facts = CaseFacts(
            denial=denials[PACKET_DENIAL],
            denial_source_sha256=hashlib.sha256(pdf).hexdigest(),
            denial_pdf=pdf,
            forms=("tx_nofr001",),
        )
        jobs.append(("appeal_packet", None, PACKET_DENIAL, facts))
    return jobs


def main() -> None:
    """Print {"case|kind|form|denial": sha256 or error} as sorted JSON."""
    data_dir = Path(tempfile.mkdtemp())
    upgrade_database(f"sqlite:///{data_dir / 'formservice.sqlite3'}")
    services = build_services(Settings(env="test", secret_key="t" * 32, data_dir=data_dir))
    out: dict[str, str] = {}
    try:
        for path in sorted((REPO / "samples/cases").glob("*.json")):
            case = load_case(json.loads(path.read_text()))
            for kind, form, denial, facts in _jobs("--no-packet" not in sys.argv):
                key = f"{path.stem}|{kind}|{form or ''}|{denial or ''}"
                ask = DocumentRequest(kind=kind, form=form, denial_id="d" if denial else None)
                try:
                    made = render_for_case(services, case, ask, facts, letter_date=LETTER_DATE)
                    out[key] = hashlib.sha256(made.data).hexdigest()
                except FormserviceError as error:
                    out[key] = f"error {error.status}: {error.detail}"
    finally:
        services.close()
    print(json.dumps(out, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
