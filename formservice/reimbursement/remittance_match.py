"""Which stored case an 835 claim is about: member ID, patient and date of service.

Pure. A claim matches a case when all three agree: the member ID (compared without case,
spaces or dashes), the patient's last name and first initial (an 835 prints names in capitals
and may drop punctuation: O'SAMPLE is O'Sample), and the date of service falls within the case's
course of chemotherapy (from its start date to the last planned session, or the start date
alone when the plan has no sessions). Exactly one matching case is the match; none, or more
than one, leaves the claim unmatched for staff to attach. The appeal-packet reconciliation
(fact by fact) runs after a match, as it does for letters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from formservice.model import Case, Denial

__all__ = ["match_case", "same_member_id", "same_patient"]

_NOT_ID = re.compile(r"[^0-9A-Z]")
_NOT_LETTER = re.compile(r"[^a-z ]")


def same_member_id(a: str | None, b: str | None) -> bool:
    """Member IDs equal once case, spaces and dashes are ignored."""
    if not a or not b:
        return False
    return _NOT_ID.sub("", a.upper()) == _NOT_ID.sub("", b.upper())


def _name_parts(name: str) -> list[str]:
    return _NOT_LETTER.sub("", name.casefold().replace("-", " ")).split()


def same_patient(remit_name: str | None, case: Case) -> bool:
    """The 835's "FIRST LAST" names the case's patient: same last name, same first initial."""
    if not remit_name:
        return False
    parts = _name_parts(remit_name)
    last = "".join(_name_parts(case.patient.last_name))
    first = _name_parts(case.patient.first_name)
    if not parts or not last or not first:
        return False
    last_matches = "".join(parts[1:]) == last or parts[-1] == last
    return last_matches and parts[0][0] == first[0][0]


def _in_course(on: date | None, case: Case) -> bool:
    t = case.treatment
    if on is None or t.start_date is None:
        return False
    sessions = t.sessions or 1
    last = t.start_date.toordinal() + (t.cycle_length_days or 0) * (sessions - 1)
    return t.start_date.toordinal() <= on.toordinal() <= last


def match_case(denial: Denial, cases: Sequence[tuple[str, Case]]) -> str | None:
    """The id of the one case the denial's claim is about, or None (no match, or several)."""
    found = [
        case_id
        for case_id, case in cases
        if same_member_id(denial.member_id, case.coverage.member_id)
        and same_patient(denial.patient_name, case)
        and _in_course(denial.date_of_service, case)
    ]
    return found[0] if len(found) == 1 else None
