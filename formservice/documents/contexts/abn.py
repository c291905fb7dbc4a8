"""Context of the Advance Beneficiary Notice of Noncoverage (ABN, form CMS-R-131).

The notice's blanks (CMS-R-131 instructions, "Sections and Blanks"): (A) notifier, (B) patient
name, (C) identification number (optional; never the Medicare number), (D) the items or
services, repeated in the option box, (E) why Medicare may not pay, (F) a good-faith estimated
cost, (H) additional information. The patient completes (G) the option, (I) the signature and
(J) the date. Why an ABN is due, and the claim modifier that follows, are
`reimbursement.abn.abn_advice`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from formservice.documents.contexts.common import build_context
from formservice.model import Case, CaseFacts
from formservice.reimbursement import codes
from formservice.reimbursement.abn import abn_advice

__all__ = ["abn_context"]

_SERVICE = "Scalp cooling during chemotherapy"


def _reason(case: Case, facts: CaseFacts) -> str:
    labels = {codes.classify_diagnosis(d.code).label for d in case.diagnoses}
    if labels - {"on_label"}:
        return (
            "Medicare may not pay for scalp cooling for your type of cancer. Some Medicare "
            "contractors cover it only for breast, ovarian, fallopian tube and peritoneal "
            "cancers, and may find it not medically necessary for other cancers."
        )
    return (
        "Medicare may not pay for scalp cooling because your Medicare contractor may find it "
        "not medically necessary. It has not confirmed that it covers this service."
    )


def abn_context(case: Case, facts: CaseFacts, today: date) -> dict[str, Any]:
    """Context of the ABN: the notice's blanks from the case (the patient fills G, I and J)."""
    advice = abn_advice(case, facts)
    sessions = case.treatment.sessions
    lines = [
        "CPT 0662T: fitting and setting up the cooling cap (once)",
        "CPT 0663T: scalp cooling at each chemotherapy session"
        + (f" ({sessions} planned)" if sessions else ""),
    ]
    abn = {
        "service": _SERVICE,
        "lines": lines,
        "reason": _reason(case, facts),
        "estimated_cost": "",  # a good-faith estimate the notifier writes in (no price on file)
        "identification": case.external_id,
        "additional": (
            "Your doctor has ordered scalp cooling with your chemotherapy to reduce hair loss. "
            "Medicare decides whether it pays when the claim is filed."
        ),
        "required": bool(advice.required),
    }
    return build_context(case, today=today, kind="abn", extra={"abn": abn})
