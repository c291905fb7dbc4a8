"""Write the synthetic 835 remittances of samples/era/ and the 837P claims of samples/claims/
for the sample cases (no real data).

    .venv/bin/python scripts/make_era_samples.py

Each file is one interchange (ISA/GS/ST ... SE/GE/IEA) of the 5010 835 (005010X221A1) with the
segment count (SE01) computed, so the files stay valid when a claim is edited here. The patients,
member IDs, payers and dates are those of samples/cases/*.json.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from formservice.documents.x12 import render_837p
from formservice.errors import ValidationProblem
from formservice.schemas.case import load_case

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
OUT = SAMPLES / "era"
CLAIMS = SAMPLES / "claims"
# The sample claims are dated so: the same bytes on every run (tests compare them).
CLAIMS_CREATED = datetime(2026, 3, 1, 9, 0)


def _isa(control: str) -> str:
    return (
        "ISA*00*          *00*          *ZZ*NWHPSAMPLE     *ZZ*RIVERSIDESAMPLE*260320*1200*^*00501*"
        f"{control}*0*T*:"
    )


def interchange(
    payer: tuple[str, str],
    payee: tuple[str, str],
    claims: list[list[str]],
    *,
    control: str,
    paid: float,
    on: str,
) -> str:
    """One 835 interchange: the header for payer and payee, then each claim's segments."""
    body = [
        f"BPR*I*{paid:.2f}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*{on}",
        f"TRN*1*{control}EFT*1512345678",
        f"DTM*405*{on}",
        f"N1*PR*{payer[0]}",
        "N3*PO BOX 4410",
        "N4*SEATTLE*WA*98104",
        "PER*BL*PROVIDER SERVICES*TE*2065550199",
        f"N1*PE*{payee[0]}*XX*{payee[1]}",
        "LX*1",
    ]
    for claim in claims:
        body += claim
    segments = ["ST*835*0001", *body]
    segments.append(f"SE*{len(segments) + 1}*0001")
    envelope = [
        _isa(control),
        f"GS*HP*NWHPSAMPLE*RIVERSIDESAMPLE*{'20' + on[2:]}*1200*{int(control)}*X*005010X221A1",
        *segments,
        f"GE*1*{int(control)}",
        f"IEA*1*{control}",
    ]
    return "~\n".join(envelope) + "~\n"


def claim(
    pcn: str,
    status: str,
    billed: float,
    paid: float,
    resp: float,
    icn: str,
    indicator: str,
    patient: tuple[str, str, str],
    member: str | None,
    lines: list[list[str]],
    claim_cas: list[str] = (),
    moa: str | None = None,
) -> list[str]:
    """A CLP loop: the claim, its adjustments, patient (and subscriber), then service lines."""
    last, first, pid = patient
    out = [f"CLP*{pcn}*{status}*{billed:.2f}*{paid:.2f}*{resp:.2f}*{indicator}*{icn}*11*1"]
    out += list(claim_cas)
    out.append(f"NM1*QC*1*{last}*{first}****MI*{pid}")
    if member:
        out.append(f"NM1*IL*1*{last}*{first}****MI*{member}")
    out.append("NM1*82*1*REYES*ALAN****XX*1234567893")
    if moa:
        out.append(moa)
    for line in lines:
        out += line
    return out


def line(
    code: str,
    billed: float,
    paid: float,
    on: str,
    cas: list[str],
    allowed: float,
    remarks: list[str] = (),
    mods: str = "",
) -> list[str]:
    """A service line: SVC, its date, adjustments, allowed amount and remark codes."""
    out = [f"SVC*HC:{code}{mods}*{billed:.2f}*{paid:.2f}**1", f"DTM*472*{on}"]
    out += cas
    out.append(f"AMT*B6*{allowed:.2f}")
    out += [f"LQ*HE*{r}" for r in remarks]
    return out


ADA = ("SAMPLECASE", "ADA", "NWH123456789")
BEA = ("EXAMPLETON", "BEATRIX", "1EG4TE5MK73")
CARLOS = ("FICTIVO", "CARLOS", "LSM556677001")
DESMOND = ("MOCKWELL", "DESMOND", "SMA900112233")
FIONA = ("O'SAMPLE", "FIONA", "ACM-44120987")
RIVERSIDE = ("RIVERSIDE ONCOLOGY ASSOCIATES (SAMPLE)", "1003000126")
LAKEVIEW = ("LAKEVIEW HOSPITAL OUTPATIENT INFUSION CENTER (SAMPLE)", "1487654323")


def denial_file() -> str:
    """Case 01: 0662T and 0663T denied as not medically necessary (CO-50, N115); chemo paid."""
    lines = [
        line("96413", 310.00, 220.00, "20260202", ["CAS*CO*45*40.00", "CAS*PR*2*50.00"], 270.00),
        line("0662T", 1850.50, 0, "20260202", ["CAS*CO*50*1850.50"], 0, ["N115"]),
        line("0663T", 450.00, 0, "20260202", ["CAS*CO*50*450.00"], 0, ["N115"]),
    ]
    c = claim(
        "HUB-2026-000101", "1", 2610.50, 220.00, 50.00, "2026031500123", "12", ADA, None, lines
    )
    return interchange(
        ("NORTHWIND HEALTH PLAN", ""),
        RIVERSIDE,
        [c],
        control="000000101",
        paid=220.00,
        on="20260315",
    )


def partial_file() -> str:
    """Case 03: 0663T paid for one unit of two: CO-151 frequency (N362), the rest paid."""
    lines = [
        line("96413", 310.00, 250.00, "20260216", ["CAS*CO*45*60.00"], 250.00),
        line(
            "0663T",
            900.00,
            400.00,
            "20260216",
            ["CAS*CO*151*450.00", "CAS*CO*45*50.00"],
            400.00,
            ["N362"],
        ),
    ]
    c = claim(
        "HUB-2026-000103", "1", 1210.00, 650.00, 0, "LSM2026040100077", "MC", CARLOS, None, lines
    )
    return interchange(
        ("LONE STAR MEDICAID MANAGED CARE (SAMPLE)", ""),
        RIVERSIDE,
        [c],
        control="000000103",
        paid=650.00,
        on="20260401",
    )


def cost_share_file() -> str:
    """Case 02: paid, with only routine adjustments (CO-45 pricing, PR-1 deductible, PR-2)."""
    lines = [
        line(
            "96413",
            310.00,
            150.00,
            "20260302",
            ["CAS*CO*45*60.00", "CAS*PR*1*50.00*1*2*50.00"],
            250.00,
        ),
        line(
            "0662T", 1850.50, 1400.40, "20260302", ["CAS*CO*45*100.10", "CAS*PR*2*350.00"], 1750.40
        ),
    ]
    c = claim(
        "HUB-2026-000102",
        "1",
        2160.50,
        1550.40,
        450.00,
        "MCR26077000123",
        "MB",
        BEA,
        None,
        lines,
        ["CAS*CO*253*0.00"],
    )
    return interchange(
        ("MEDICARE PART B JURISDICTION 15 (SAMPLE)", ""),
        LAKEVIEW,
        [c],
        control="000000102",
        paid=1550.40,
        on="20260318",
    )


def multi_file() -> str:
    """Three claims on one remittance: case 04 denied (no authorization), case 06 denied (not a
    covered benefit, whole claim CLP02 = 4), case 02 paid with cost sharing only."""
    desmond = claim(
        "HUB-2026-000104",
        "1",
        2160.50,
        250.00,
        0,
        "SMA2026041000011",
        "16",
        DESMOND,
        "SMA900112233",
        [
            line("96413", 310.00, 250.00, "20260309", ["CAS*CO*45*60.00"], 250.00),
            line("0662T", 1850.50, 0, "20260309", ["CAS*CO*197*1850.50"], 0, ["M62"]),
        ],
    )
    fiona = claim(
        "HUB-2026-000106",
        "4",
        2300.50,
        0,
        0,
        "ACM2026041000022",
        "12",
        FIONA,
        "ACM-44120987",
        [
            line("0662T", 1850.50, 0, "20260316", ["CAS*CO*204*1850.50"], 0),
            line("0663T", 450.00, 0, "20260316", ["CAS*CO*204*450.00"], 0),
        ],
        moa="MOA***N130",
    )
    bea = claim(
        "HUB-2026-000102B",
        "1",
        760.00,
        560.00,
        100.00,
        "MCR26100000456",
        "MB",
        BEA,
        None,
        [
            line("0663T", 450.00, 350.00, "20260323", ["CAS*PR*2*100.00"], 450.00),
            line("96413", 310.00, 210.00, "20260323", ["CAS*CO*45*100.00"], 210.00),
        ],
    )
    return interchange(
        ("SAMPLE CLEARINGHOUSE PAYER GROUP", ""),
        LAKEVIEW,
        [desmond, fiona, bea],
        control="000000110",
        paid=810.00,
        on="20260410",
    )


FILES = {
    "01_denial_medical_necessity.835": denial_file,
    "02_partial_payment_frequency.835": partial_file,
    "03_paid_cost_sharing_only.835": cost_share_file,
    "04_multi_claim.835": multi_file,
}


def write_claims() -> None:
    """The 837P of every sample case that can be billed (the others say why not)."""
    CLAIMS.mkdir(parents=True, exist_ok=True)
    for path in sorted((SAMPLES / "cases").glob("*.json")):
        case = load_case(json.loads(path.read_text(encoding="utf-8")))
        try:
            claim = render_837p(
                case, created=CLAIMS_CREATED, charge_master=SAMPLES / "charge_master.yaml"
            )
        except ValidationProblem as exc:
            print(f"{path.name}: no 837P: {exc.detail}")
            continue
        out = CLAIMS / f"{path.stem}.837"
        out.write_bytes(claim.data)
        print(out)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in FILES.items():
        (OUT / name).write_text(make(), encoding="ascii")
        print(OUT / name)
    write_claims()


if __name__ == "__main__":
    main()
