"""The Advance Beneficiary Notice of Noncoverage (ABN, form CMS-R-131) for Original Medicare.

A provider gives an Original Medicare (fee-for-service) patient an ABN before a service when it
expects Medicare may deny the service as not reasonable and necessary (Social Security Act
§1862(a)(1)(A)); without one the provider, not the patient, is liable for a denied claim
(limitation on liability, §1879). Routine ABNs, given without a specific reason to expect denial,
are not allowed (CMS Pub. 100-04, Medicare Claims Processing Manual, ch. 30 §40.3.6).

Claim-line modifiers (ch. 30 §50.15 / §90): GA, "waiver of liability statement issued as required
by payer policy" (an ABN is on file); GZ, "item or service expected to be denied as not
reasonable and necessary" (no ABN on file). `AbnAdvice.modifier` gives the one that applies, so
the claim (reimbursement/claim_lines.py) can add it without knowing why.

Coverage of scalp cooling under Original Medicare is by contractor policy, and some contractors
cover only breast, ovarian, fallopian-tube and peritoneal cancers (icd10_labels.yaml): coverage is
doubtful unless the case says the plan covers it AND every diagnosis is one those policies name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from formservice.model import Benefits, Case, CaseFacts
from formservice.reimbursement import codes, payers

__all__ = ["ABN_SOURCE", "AbnAdvice", "abn_advice", "effective_plan_type"]

ABN_SOURCE = (
    "CMS Pub. 100-04, Medicare Claims Processing Manual, ch. 30 §40.3.6 (no routine notices), "
    "§50 (ABN, CMS-R-131); SSA §1862(a)(1)(A), §1879"
)


@dataclass(frozen=True, slots=True)
class AbnAdvice:
    """Whether an ABN is required for the case, whether one was made, and the claim modifier.

    `required` is None when the plan type is not known; `issued` means an `abn` document was
    generated for the case (CaseFacts.documents); `modifier` is "GA" (required and issued), "GZ"
    (required, none issued) or None (not Original Medicare, or coverage expected).
    """

    required: bool | None
    issued: bool
    why: str
    source: str = ABN_SOURCE

    @property
    def modifier(self) -> str | None:
        """The claim-line modifier for 0662T/0663T: GA, GZ or None."""
        if not self.required:
            return None
        return "GA" if self.issued else "GZ"

    def to_json(self) -> dict[str, Any]:
        """The plan's `abn` block."""
        return {
            "required": self.required,
            "issued": self.issued,
            "modifier": self.modifier,
            "why": self.why,
            "source": self.source,
        }


def effective_plan_type(case: Case, benefits: Benefits | None) -> tuple[str | None, str]:
    """The plan type and where it comes from: the case, the benefits investigation, or the
    payer directory when the payer there has exactly one plan type; (None, "unknown") else."""
    payer = case.coverage.payer
    if payer is not None and payer.plan_type:
        return payer.plan_type, "the case"
    if benefits is not None and benefits.plan_type:
        return benefits.plan_type, "benefits investigation"
    entry = payers.find_payer(payer.name, payer.payer_id) if payer is not None else None
    if entry is not None and len(entry.plan_types) == 1:
        return entry.plan_types[0], f"payer directory ({entry.name})"
    return None, "unknown"


def abn_advice(case: Case, facts: CaseFacts) -> AbnAdvice:
    """Whether the case needs an ABN before the first scalp-cooling session, and why."""
    issued = "abn" in facts.documents
    if case.coverage.status != "insured":
        return AbnAdvice(False, issued, "Not insured: no Medicare claim.")
    plan_type, _ = effective_plan_type(case, facts.benefits)
    if plan_type is None:
        return AbnAdvice(None, issued, "Plan type not known: an ABN is for Original Medicare only.")
    if plan_type != "medicare_ffs":
        return AbnAdvice(False, issued, "Not Original Medicare: the ABN does not apply.")
    covered = case.coverage.scalp_cooling_covered
    if covered is None and facts.benefits is not None:
        covered = facts.benefits.scalp_cooling_covered
    labels = {codes.classify_diagnosis(d.code).label for d in case.diagnoses}
    reasons = []
    if covered is not True:
        reasons.append(
            "the contractor's coverage of scalp cooling is not confirmed"
            if covered is None
            else "the benefits investigation found scalp cooling not covered"
        )
    if labels - {"on_label"}:
        reasons.append(
            "the diagnosis is not one that every Medicare contractor policy names "
            "(some cover breast, ovarian, fallopian-tube and peritoneal cancers only)"
        )
    if not reasons:
        return AbnAdvice(
            False,
            issued,
            "Original Medicare, coverage confirmed and an on-label diagnosis: a routine ABN is "
            "not allowed.",
        )
    return AbnAdvice(
        True,
        issued,
        "Original Medicare may deny scalp cooling as not reasonable and necessary: "
        + "; ".join(reasons)
        + ". Give the patient an ABN before the first session.",
    )
