"""Does a denial concern scalp-cooling codes that were out of effect on its date of service?

From 2026-01-01 the code table bills 97008/97009 where 0662T/0663T were billed before
(`codes.yaml`, with its verification flags). A denial of 0662T for a 2026 date may be the payer
refusing the code itself (CARC 181), which an appeal asking to pay the same code again does not
cure. The appeal is still made (the table's 2026 rows are not verified against AMA CPT), but the
person sending it is told: `retired_code_warning` (appeals.yaml) in the document's warnings.
"""

from __future__ import annotations

from datetime import date

from formservice.model import Denial
from formservice.reimbursement import codes, load_data
from formservice.reimbursement.appeals.dates import format_date

__all__ = ["denied_codes_caveat", "retired_code_warning"]


def _named(denial: Denial) -> list[tuple[str, date]]:
    """(code, date of service) for every code the denial names with a date it applies to."""
    named = [
        (line.code, line.date_of_service or denial.date_of_service)
        for line in denial.service_lines
        if line.code and (line.date_of_service or denial.date_of_service)
    ]
    if denial.date_of_service is not None:
        named += [(code, denial.date_of_service) for code in denial.procedure_codes]
    return [(code, on) for code, on in named if on is not None]


def denied_codes_caveat(denial: Denial | None) -> str | None:
    """The not-yet-confirmed caveat for the codes a denial names (what its appeal prints)."""
    if denial is None:
        return None
    named = _named(denial)
    return codes.unverified_caveat({code for code, _ in named}, sorted({on for _, on in named}))


def retired_code_warning(denial: Denial | None) -> str | None:
    """The warning for a denial of codes out of effect on its date of service, or None."""
    if denial is None:
        return None
    found = codes.out_of_effect(_named(denial))
    if not found:
        return None
    dates = sorted({on for _, on in found})
    spans = "; ".join(
        f"{row.code} {format_date(row.effective_from)} to {format_date(row.effective_to)}"
        if row.effective_to
        else f"{row.code} from {format_date(row.effective_from)}"
        for row, _ in found
    )
    successors = sorted({code for on in dates for code in codes.codes_on(on)})
    template: str = load_data("appeals.yaml")["retired_code_warning"]
    ended = sorted({row.effective_to for row, _ in found if row.effective_to})
    return template.format(
        codes=", ".join(str(row.code) for row, _ in found),
        dates=", ".join(format_date(on) for on in dates),
        ended=", ".join(format_date(on) for on in ended) or f"other dates ({spans})",
        successors=", ".join(successors) or "no scalp-cooling code",
    )
