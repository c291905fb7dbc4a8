"""The typed facts every layer shares: frozen dataclasses, no I/O, no framework.

Raw input (JSON payloads, stored rows, parsed letters) is turned into these once, at the boundary
(`formservice.schemas` for payloads, `Denial.from_json`/`Benefits.from_json` for stored JSON);
everything below the faces reads attributes, never dict keys.

* `case`: the hub portal's case (CONTRACT.md §1).
* `denial`: a parsed denial letter or remittance (CONTRACT.md §4).
* `benefits`: a benefits investigation, the input of the Summary of Benefits.
* `documents`: what a document request asks for, what the store knows about a case
  (`CaseFacts`), and a template version.
* `principal`: who is calling.
"""

from formservice.model.benefits import Benefits, Submission
from formservice.model.case import (
    PA_STATUSES,
    PLAN_TYPES,
    SITES_OF_CARE,
    Abn,
    Address,
    AlopeciaRisk,
    Case,
    Coverage,
    CoverageStatus,
    Diagnosis,
    Facility,
    Household,
    Patient,
    Payer,
    PlanType,
    Prescriber,
    Prescription,
    PriorAuthorization,
    Sex,
    SiteOfCare,
    Treatment,
    to_plain,
)
from formservice.model.denial import CATEGORIES, DENIAL_FACT_KEYS, Denial, DenialReason
from formservice.model.documents import (
    CaseFacts,
    DocumentRequest,
    PacketContents,
    RenderedDocument,
    TemplateVersion,
)
from formservice.model.principal import Principal

__all__ = [
    "Abn",
    "CATEGORIES",
    "DENIAL_FACT_KEYS",
    "PA_STATUSES",
    "PLAN_TYPES",
    "SITES_OF_CARE",
    "Address",
    "AlopeciaRisk",
    "Benefits",
    "Case",
    "CaseFacts",
    "Coverage",
    "CoverageStatus",
    "Denial",
    "DenialReason",
    "Diagnosis",
    "DocumentRequest",
    "Facility",
    "Household",
    "PacketContents",
    "Patient",
    "Payer",
    "PlanType",
    "Prescriber",
    "Prescription",
    "Principal",
    "RenderedDocument",
    "PriorAuthorization",
    "Sex",
    "SiteOfCare",
    "Submission",
    "TemplateVersion",
    "Treatment",
    "to_plain",
]
