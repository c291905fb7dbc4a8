"""The case as the rest of the program sees it: frozen dataclasses, loaded by `schemas.case`.

Field names follow CONTRACT.md §1 exactly, so a path such as ``patient.date_of_birth`` means the
same thing in the JSON payload, in a problem's ``errors`` and in a PDF field map.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Sex = Literal["F", "M", "X", "U"]
CoverageStatus = Literal["insured", "uninsured"]
PlanType = Literal[
    "commercial",
    "erisa",
    "medicare_ffs",
    "medicare_advantage",
    "medicaid",
    "aca_individual",
    "other",
]
SiteOfCare = Literal["physician_office", "hospital_outpatient"]
AlopeciaRisk = Literal["high", "moderate", "low"]

PLAN_TYPES: tuple[str, ...] = PlanType.__args__  # type: ignore[attr-defined]  # Literal exposes its members here
SITES_OF_CARE: tuple[str, ...] = SiteOfCare.__args__  # type: ignore[attr-defined]  # as above
PA_STATUSES: tuple[str, ...] = (
    "not_submitted",
    "not_required",
    "required",
    "submitted",
    "pending",
    "approved",
    "denied",
    "appeal_submitted",
    "appeal_approved",
    "appeal_denied",
)


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    state: str
    zip: str
    line2: str | None = None


@dataclass(frozen=True, slots=True)
class Facility:
    name: str
    npi: str
    tax_id: str | None = None
    address: Address | None = None
    phone: str | None = None
    fax: str | None = None
    buy_and_bill: bool | None = None


@dataclass(frozen=True, slots=True)
class Household:
    size: int | None = None
    annual_income: float | None = None
    adjusted_gross_income: float | None = None


@dataclass(frozen=True, slots=True)
class Patient:
    first_name: str
    last_name: str
    date_of_birth: date
    sex: Sex | None = None
    address: Address | None = None
    phone: str | None = None
    email: str | None = None
    household: Household | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class Prescriber:
    first_name: str
    last_name: str
    npi: str
    credentials: str | None = None
    specialty: str | None = None
    phone: str | None = None
    fax: str | None = None

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.last_name}"
        return f"{name}, {self.credentials}" if self.credentials else name


@dataclass(frozen=True, slots=True)
class Payer:
    name: str
    payer_id: str | None = None
    phone: str | None = None
    fax: str | None = None
    plan_type: PlanType | None = None


@dataclass(frozen=True, slots=True)
class Coverage:
    status: CoverageStatus
    payer: Payer | None = None
    member_id: str | None = None
    group_number: str | None = None
    scalp_cooling_covered: bool | None = None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    code: str
    description: str | None = None
    primary: bool = False


@dataclass(frozen=True, slots=True)
class Treatment:
    regimen: str | None = None
    agents: tuple[str, ...] = ()
    start_date: date | None = None
    sessions: int | None = None
    cycle_length_days: int | None = None
    site_of_care: SiteOfCare | None = None
    alopecia_risk: AlopeciaRisk | None = None
    chemo_administration_code: str | None = None  # 96409-96417; billing assumes 96413 when absent
    # Minutes of scalp cooling continued after each infusion ends: the units of the time-based
    # 2026 add-on code 97009 (30-minute units). None = not known (97009 is then not billed).
    post_infusion_cooling_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class Prescription:
    date: date | None = None
    prescriber_npi: str | None = None


@dataclass(frozen=True, slots=True)
class PriorAuthorization:
    required: bool | None = None
    status: str = "not_submitted"
    number: str | None = None
    submitted_on: date | None = None
    decided_on: date | None = None


@dataclass(frozen=True, slots=True)
class Abn:
    """Advance Beneficiary Notice of Noncoverage (CMS-R-131) for Original Medicare.

    ``issued_on`` None: coverage is doubtful but no ABN was given (claim lines carry GZ);
    a date: the signed ABN is on file (GA). ``option`` is the box the beneficiary chose (1: bill
    Medicare; 2: do not bill Medicare; 3: no service). Source: CMS Pub. 100-04 ch. 30 §50 (ABN)
    and the GA/GZ modifier definitions (HCPCS Level II).
    """

    issued_on: date | None = None
    option: int | None = None


@dataclass(frozen=True, slots=True)
class Case:
    external_id: str
    facility: Facility
    patient: Patient
    prescriber: Prescriber
    coverage: Coverage
    diagnoses: tuple[Diagnosis, ...]
    treatment: Treatment
    prescription: Prescription | None = None
    clinical_notes: str | None = None
    prior_authorization: PriorAuthorization = field(default_factory=PriorAuthorization)
    abn: Abn | None = None

    @property
    def primary_diagnosis(self) -> Diagnosis:
        """The diagnosis marked primary, else the first one listed."""
        return next((d for d in self.diagnoses if d.primary), self.diagnoses[0])


def to_plain(obj: Any) -> Any:
    """A dataclass tree as plain dicts/lists with ISO dates (for hashing and templates)."""
    cls = type(obj)
    if cls in _SCALARS:
        return obj  # most values: answered before any dataclass test
    # A dataclass first, as dataclasses.is_dataclass would say (a class object is not one):
    # a dataclass that subclasses str, tuple or date is still a dict of its fields.
    if (names := _field_names(cls)) is not None:
        return {name: to_plain(getattr(obj, name)) for name in names}
    if isinstance(obj, list | tuple):
        return [to_plain(v) for v in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    return obj


# Exactly these types (not subclasses, which may be dataclasses) are returned as they are.
_SCALARS = frozenset({str, int, float, bool, type(None)})


# Each dataclass's field names, in order (None for a class that is not one): read once per class,
# where dataclasses.fields() reads them again on every call.
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The field names of dataclass `cls` in order, or None when it is not a dataclass."""
    if cls not in _FIELD_NAMES:
        is_dataclass = dataclasses.is_dataclass(cls)
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)) if is_dataclass else None
    return _FIELD_NAMES[cls]
