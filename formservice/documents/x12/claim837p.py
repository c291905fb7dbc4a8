"""The case's professional claim as an X12 837P (005010X222A1): the CMS-1500's lines, in EDI.

The lines are the CMS-1500's (`documents.forms.claim.claim_form_lines`: the billing rules'
claim lines with their modifiers, units, charges and diagnosis pointers), so the paper and the
electronic claim never disagree; a billing error refuses both the same way (422). One claim
(loop 2300) carries every line: an 837P claim takes up to 50 service lines, where the paper
form holds six per copy.

Assumptions a reader must know: the patient is the subscriber (SBR02 = 18, no loop 2000C: the
case has no subscriber of its own); the facility submits and bills (1000A and 2010AA: its NPI and
tax ID) and the prescriber renders (2310B); charges come from the facility's charge master, and
a code it does not price refuses the claim (422), never a line billed at 0.00. Values
are written in the X12 basic character set: letters without accents, no delimiter characters.

`line_segments` is the one place a claim line becomes 837P segments (LX, SV1, DTP).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from formservice.documents.forms.claim import FormLine, claim_form_lines
from formservice.errors import ValidationProblem
from formservice.model import Case
from formservice.reimbursement.claim_lines import diagnosis_letters

__all__ = ["CLAIM_VERSION", "MEDIA_TYPE", "Claim837P", "line_segments", "render_837p"]

CLAIM_VERSION = "005010X222A1"
MEDIA_TYPE = "application/edi-x12"
MAX_LINES = 50  # loop 2400 repeats at most 50 times per claim (TR3)
_SEG, _ELE, _SUB = "~", "*", ":"
_UNSAFE = re.compile(r"[^A-Z0-9 !\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]")


@dataclass(frozen=True)
class Claim837P:
    """The 837P's bytes, its line count, and what the clinic must check before sending."""

    data: bytes
    lines: int
    warnings: list[dict[str, Any]] = field(default_factory=list)


@cache
def _codes() -> dict[str, Any]:
    text = (resources.files("formservice.documents.x12") / "claim837p.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _x(value: str | None, limit: int = 60) -> str:
    """A value in the X12 basic character set: upper case, no accents, no delimiters."""
    if not value:
        return ""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().upper()
    return " ".join(_UNSAFE.sub(" ", plain).split())[:limit]


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _money(amount: float | None) -> str:
    text = f"{amount or 0:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _refuse(field_path: str, message: str) -> ValidationProblem:
    return ValidationProblem(f"The 837P cannot be made: {message}.", errors={field_path: [message]})


def _needs(case: Case) -> None:
    problems: dict[str, list[str]] = {}
    coverage = case.coverage
    if coverage.payer is None:
        problems["coverage.payer"] = ["an 837P is sent to a payer: the case has none"]
    if not coverage.member_id:
        problems["coverage.member_id"] = ["the subscriber's member ID (NM109 of 2010BA)"]
    if len(_digits(case.facility.tax_id)) != 9:
        problems["facility.tax_id"] = ["the billing provider's EIN, 9 digits (REF*EI of 2010AA)"]
    if case.facility.address is None:
        problems["facility.address"] = ["the billing provider's street address (N3/N4 of 2010AA)"]
    if problems:
        raise ValidationProblem(
            f"The 837P cannot be made: {', '.join(sorted(problems))} missing.", errors=problems
        )


def line_segments(number: int, line: FormLine, claim_pos: str | None) -> list[str]:
    """Loop 2400 of one claim line: LX, SV1 (code, modifiers, charge, units, place of service
    when it differs from the claim's, diagnosis pointers) and DTP*472 (date of service)."""
    procedure = _SUB.join(["HC", line.cpt, *line.modifiers[:4]])
    pointers = _SUB.join(str(ord(p) - ord("A") + 1) for p in line.diagnosis_pointer[:4])
    pos = line.place_of_service if line.place_of_service != claim_pos else ""
    sv1 = _ELE.join(
        ["SV1", procedure, _money(line.charges), "UN", str(line.units), pos or "", "", pointers]
    )
    return [
        f"LX*{number}",
        sv1,
        f"DTP*472*D8*{line.date_of_service:%Y%m%d}",
    ]


def _address(address: Any) -> list[str]:
    if address is None:
        return []
    n3 = ["N3", _x(address.line1, 55)] + ([_x(address.line2, 55)] if address.line2 else [])
    return [
        _ELE.join(n3),
        _ELE.join(["N4", _x(address.city, 30), address.state, _digits(address.zip)]),
    ]


def _diagnoses(case: Case) -> str:
    codes = [code.replace(".", "").upper() for _, code in diagnosis_letters(case)]
    return _ELE.join(
        ["HI", *(("ABK" if i == 0 else "ABF") + _SUB + c for i, c in enumerate(codes))]
    )


def _transaction(
    case: Case, lines: Sequence[FormLine], *, claim_id: str, created: datetime
) -> list[str]:
    facility, patient, coverage = case.facility, case.patient, case.coverage
    payer = coverage.payer
    assert payer is not None  # noqa: S101  # checked by _needs
    assert facility.address is not None  # noqa: S101  # checked by _needs
    codes = _codes()
    plan = payer.plan_type or "other"
    total = sum(line.charges or 0.0 for line in lines)
    claim_pos = lines[0].place_of_service or "11"
    payer_id = _x(payer.payer_id, 80) or _x(payer.name, 80)
    out = [
        f"BHT*0019*00*{_x(claim_id, 50)}*{created:%Y%m%d}*{created:%H%M}*CH",
        # 1000A submitter and 1000B receiver: the facility sends to the payer.
        f"NM1*41*2*{_x(facility.name)}*****46*{facility.npi}",
        f"PER*IC*BILLING OFFICE*TE*{_digits(facility.phone) or '0000000000'}",
        f"NM1*40*2*{_x(payer.name)}*****46*{payer_id}",
        # 2000A/2010AA billing provider.
        "HL*1**20*1",
        f"NM1*85*2*{_x(facility.name)}*****XX*{facility.npi}",
        *_address(facility.address),
        f"REF*EI*{_digits(facility.tax_id)}",
        # 2000B subscriber (the patient), 2010BA subscriber, 2010BB payer.
        "HL*2*1*22*0",
        _ELE.join(
            [
                "SBR",
                "P",
                "18",
                _x(coverage.group_number, 50),
                "",
                "",
                "",
                "",
                "",
                codes["filing_indicator"].get(plan, "ZZ"),
            ]
        ),
        f"NM1*IL*1*{_x(patient.last_name)}*{_x(patient.first_name, 35)}****MI*"
        f"{_x(coverage.member_id, 80)}",
        *_address(patient.address),
        f"DMG*D8*{patient.date_of_birth:%Y%m%d}*{codes['sex'].get(patient.sex or 'U', 'U')}",
        f"NM1*PR*2*{_x(payer.name)}*****PI*{payer_id}",
        # 2300 claim: total charge, place of service : B (professional) : 1 (original claim).
        f"CLM*{_x(claim_id, 38)}*{_money(total)}***{claim_pos}:B:1*Y*A*Y*Y",
    ]
    if case.prior_authorization.number:
        out.append(f"REF*G1*{_x(case.prior_authorization.number, 50)}")
    out.append(_diagnoses(case))
    prescriber = case.prescriber
    if prescriber.npi != facility.npi:
        out.append(
            f"NM1*82*1*{_x(prescriber.last_name)}*{_x(prescriber.first_name, 35)}****XX*"
            f"{prescriber.npi}"
        )
    for number, line in enumerate(lines, 1):
        out += line_segments(number, line, claim_pos)
    return out


def render_837p(
    case: Case,
    *,
    created: datetime,
    control_number: int = 1,
    claim_id: str | None = None,
    charge_master: Path | str | None = None,
) -> Claim837P:
    """The case's 837P: one interchange, one claim with every claim line; 422 when the case
    lacks what the claim needs (payer, member ID, the facility's tax ID and address) or the
    billing rules refuse its lines.

    ``control_number`` (1 to 999999999) numbers the interchange (ISA13/IEA02) and the group;
    ``claim_id`` is the patient control number (CLM01; default: the case's external id), which
    the payer echoes in the 835's CLP01. ``charge_master``: the facility's charge master
    (FORMSERVICE_CHARGE_MASTER), the same the CMS-1500 takes its charges from; a code it does
    not price refuses the claim (422), as on paper.
    """
    _needs(case)
    lines, notes = claim_form_lines(case, charge_master=charge_master)
    if len(lines) > MAX_LINES:
        raise _refuse(
            "treatment.sessions", f"{len(lines)} claim lines: an 837P claim holds {MAX_LINES}"
        )
    control = f"{control_number:09d}"
    sender = _x(case.facility.npi, 15).ljust(15)
    payer = case.coverage.payer
    receiver = (_x(payer.payer_id if payer else "", 15) or "UNKNOWN").ljust(15)[:15]
    body = [
        f"ST*837*0001*{CLAIM_VERSION}",
        *_transaction(case, lines, claim_id=claim_id or case.external_id, created=created),
    ]
    body.append(f"SE*{len(body) + 1}*0001")
    segments = [
        f"ISA*00*          *00*          *ZZ*{sender}*ZZ*{receiver}*{created:%y%m%d}*"
        f"{created:%H%M}*^*00501*{control}*0*P*{_SUB}",
        f"GS*HC*{sender.strip()}*{receiver.strip()}*{created:%Y%m%d}*{created:%H%M}*"
        f"{control_number}*X*{CLAIM_VERSION}",
        *body,
        f"GE*1*{control_number}",
        f"IEA*1*{control}",
    ]
    warnings = [{"code": p.code, "severity": p.severity, "message": p.message} for p in notes]
    data = (f"{_SEG}\n".join(segments) + f"{_SEG}\n").encode("ascii")
    return Claim837P(data=data, lines=len(lines), warnings=warnings)
