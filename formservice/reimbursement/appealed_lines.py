"""Which billed codes an appeal asks for: the denied or partly denied service lines only.

Pure: a `model.Denial` in, a tuple of CPT/HCPCS codes out (no I/O). An X12 835 reports every
line of a claim, the paid ones too (e.g. chemotherapy administration 96413 paid with only CO-45
next to scalp cooling 0662T denied). An appeal that names or asks to reprocess the paid line asks
the payer to pay it twice, so `appealed_codes` keeps a line unless it was paid (``paid`` > 0) and
every adjustment on it is routine pricing or cost share.

Routine CARCs (`ROUTINE_CARCS`) are held here, once: the denial reader reports the same codes as
adjustments and never as reasons (`denials.taxonomy.routine_carcs` returns this set). Source: X12
Claim Adjustment Reason Codes (wpc-edi.com): 1 deductible, 2 coinsurance, 3 co-payment, 23 impact
of prior payer adjudication, 45 charge exceeds fee schedule, 253 sequestration.
"""

from __future__ import annotations

from formservice.model import Denial
from formservice.model.denial_parts import ServiceLine

__all__ = ["ROUTINE_CARCS", "appealed_codes", "is_paid_as_billed"]

# The one list (the rules layer owns it; the denial reader, an engine above it, reads it here).
ROUTINE_CARCS: frozenset[str] = frozenset({"1", "2", "3", "23", "45", "253"})


def is_paid_as_billed(line: ServiceLine) -> bool:
    """True when a line was paid (``paid`` > 0 dollars) and every adjustment on it is a routine
    CARC (`ROUTINE_CARCS`): nothing on it to appeal. A line with no paid amount stated, or with
    any other CARC (a partial denial such as CO-50 on part of the units), is appealed."""
    if line.paid is None or line.paid <= 0:
        return False
    return all(a.carc.strip() in ROUTINE_CARCS for a in line.adjustments)


def appealed_codes(denial: Denial) -> tuple[str, ...]:
    """The procedure codes an appeal names and asks to be paid, in the denial's order, once each.

    With service lines (an 835 or a letter that lists them): the codes of the lines that were
    denied or partly denied (not `is_paid_as_billed`). Without service lines, or when no line
    carries a code to appeal: the denial's ``procedure_codes`` unchanged (what the letter bills).
    """
    if denial.service_lines:
        codes = tuple(
            dict.fromkeys(
                line.code.strip().upper()
                for line in denial.service_lines
                if line.code and line.code.strip() and not is_paid_as_billed(line)
            )
        )
        if codes:
            return codes
    return tuple(denial.procedure_codes)
