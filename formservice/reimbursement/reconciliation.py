"""Does this denial belong to this case? Compare the facts both state, and agree on one set.

Pure: a `model.Case` and a `model.Denial` in, a `model.Reconciliation` out (no I/O). Used when a
letter is attached to a case (`usecases.denials`) and when an electronic remittance's claims
are matched to cases (the 835 reader).

Rules, fact by fact (``absent`` whenever one side does not state it):

* patient name: the same given and family names whatever the order and case ("O'CONNOR, MARIA
  T" is "Maria O'Connor"); middle initials, punctuation, accents and suffixes (Jr, III) are
  ignored; any other name on the letter differs.
* date of birth: equal dates. A denial letter seldom prints it: usually absent.
* member ID: equal once spaces, dashes and case are dropped.
* payer: the same payer of the directory, or the same name ignoring case, spacing and
  punctuation.
* dates of service: every date the letter bills falls within the case's treatment, from its
  start date to one cycle after its last planned session (`claim_lines.plan_session_dates`).
* diagnosis codes: every ICD-10-CM code the letter bills is one of the case's (dots ignored).
* procedure codes: every code the letter bills is scalp cooling (0662T, 0663T or a successor)
  or chemotherapy administration (96409-96417), the claim lines the case bills.

`agreed_denial` is the one source of facts of an appeal: the denial with the patient's name,
member ID and diagnoses taken from the case (the clinic's record), and the claim's own facts
(claim number, dates, billed codes, reasons) from the letter; its procedure codes are the
denied or partly denied lines only (`appealed_lines`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta

from formservice.errors import ClaimBuildError
from formservice.model import Case, Denial
from formservice.model.reconciliation import FactCheck, FactValue, Reconciliation
from formservice.reimbursement.appealed_lines import appealed_codes
from formservice.reimbursement.claim_lines import plan_session_dates
from formservice.reimbursement.codes import chemo_admin_codes, scalp_cooling_codes
from formservice.reimbursement.payers import find_payer

__all__ = ["agreed_denial", "as_read", "names_match", "reconcile"]

_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "md", "mrs", "mr", "ms"})
_WORD = re.compile(r"[a-z0-9]+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    # O'Connor, D'Angelo: one word, not two.
    return re.sub(r"['\u2019`]", "", text)


def _name_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(_fold(text)) if len(w) > 1 and w not in _SUFFIXES}


def names_match(first: str, last: str, written: str) -> bool:
    """Whether `written` ("LAST, FIRST M", "First M. Last") names the person first + last."""
    theirs = _name_words(written)
    given, family = _name_words(first), _name_words(last)
    if not given or not family:
        return False
    # Every family name word and the first given name must be there, and nothing else.
    first_given = _WORD.findall(_fold(first))[0] if _WORD.findall(_fold(first)) else ""
    return family <= theirs and first_given in theirs and theirs <= given | family


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()


def _check(fact: str, case: FactValue, denial: FactValue, same: bool) -> FactCheck:
    if case in (None, "", ()) or denial in (None, "", ()):
        return FactCheck(fact, "absent", case or None, denial or None)
    return FactCheck(fact, "match" if same else "differs", case, denial)


def _payer_key(name: str) -> str:
    found = find_payer(name=name)
    return found.payer_id if found else _alnum(name)


def _service_window(case: Case) -> tuple[date, date] | None:
    try:
        sessions = plan_session_dates(case)
    except ClaimBuildError:
        start = case.treatment.start_date
        return (start, start) if start else None
    cycle = case.treatment.cycle_length_days or 0
    return sessions[0], sessions[-1] + timedelta(days=cycle)


def _denial_dates(denial: Denial) -> tuple[date, ...]:
    found = [line.date_of_service for line in denial.service_lines if line.date_of_service]
    if denial.date_of_service:
        found.insert(0, denial.date_of_service)
    return tuple(sorted(set(found)))


def _dx(code: str) -> str:
    return code.replace(".", "").strip().upper()


def as_read(denial: Denial, fact: str) -> str | None:
    """The value the letter was read as, when a person changed a fact the reader was sure of.

    `usecases.denials.correct_denial` keeps it in the fact's evidence (``as_read``, with
    ``as_read_unsure`` when the reader had named the fact in `review_fields`). A confident
    reading replaced by hand is what a person would type to make another patient's letter fit
    a case, so identity is checked against it too; a fact the reader was unsure of (a garbled
    fax, say) is the person's to correct.
    """
    evidence = denial.evidence.get(fact)
    if not isinstance(evidence, dict) or evidence.get("source") != "staff":
        return None
    if evidence.get("as_read_unsure", True):
        return None
    value = evidence.get("as_read")
    return str(value) if value else None


def _identity(
    fact: str, case_value: str | None, denial: Denial, same: Callable[[str], bool]
) -> FactCheck:
    value = getattr(denial, fact)
    found = _check(fact, case_value, value, bool(value) and same(value or ""))
    read = as_read(denial, fact)
    if found.status != "match" or read is None or same(read):
        return found
    # Corrected by hand from another name or number than the case's: still another patient's
    # letter as far as anyone can tell, until the hub overrides.
    return FactCheck(fact, "differs", case_value, f"{read} (as read; changed by hand to {value})")


def reconcile(case: Case, denial: Denial) -> Reconciliation:
    """Every fact of `model.reconciliation.FACTS`, compared (the rules in the module docstring).

    Identity facts (patient name, member ID) are also compared as the letter was read when a
    person replaced a confident reading (`as_read`): the corrected value alone never clears
    them.
    """
    patient = case.patient
    coverage = case.coverage

    def same_name(written: str) -> bool:
        return names_match(patient.first_name, patient.last_name, written)

    def same_member(written: str) -> bool:
        return _alnum(coverage.member_id or "") == _alnum(written)

    checks = [
        _identity("patient_name", patient.full_name, denial, same_name),
        # The denial model carries no date of birth: letters seldom print it.
        _check("date_of_birth", patient.date_of_birth.isoformat(), None, False),
        _identity("member_id", coverage.member_id, denial, same_member),
    ]
    on_file = coverage.payer.name if coverage.payer else None
    checks.append(
        _check(
            "payer",
            on_file,
            denial.payer_name,
            bool(on_file and denial.payer_name)
            and _payer_key(on_file or "") == _payer_key(denial.payer_name or ""),
        )
    )
    window = _service_window(case)
    dates = _denial_dates(denial)
    checks.append(
        _check(
            "dates_of_service",
            f"{window[0].isoformat()} to {window[1].isoformat()}" if window else None,
            tuple(d.isoformat() for d in dates),
            bool(window) and all(window[0] <= d <= window[1] for d in dates) if window else False,
        )
    )
    ours = tuple(d.code for d in case.diagnoses)
    checks.append(
        _check(
            "diagnosis_codes",
            ours,
            denial.diagnosis_codes,
            {_dx(c) for c in denial.diagnosis_codes} <= {_dx(c) for c in ours},
        )
    )
    billed = tuple(dict.fromkeys(c.upper() for c in denial.procedure_codes))
    admin = case.treatment.chemo_administration_code or "96413"
    expected = tuple(sorted(scalp_cooling_codes())) + (admin,)
    allowed = scalp_cooling_codes() | chemo_admin_codes()
    checks.append(_check("procedure_codes", expected, billed, set(billed) <= allowed))
    return Reconciliation(checks=tuple(checks))


def agreed_denial(case: Case, denial: Denial) -> Denial:
    """The denial as an appeal states it: one value per fact, whichever part of it reads it.

    The patient's name, member ID and diagnoses come from the case (the clinic's record, which
    reconciliation checked against the letter); the payer, claim, dates, billed codes and
    reasons from the letter, the case filling what the letter does not state. The procedure
    codes are only the lines the appeal asks for (`appealed_lines.appealed_codes`): a service line
    paid with routine adjustments only (CO-45, PR-1/2/3 ...) is not named or asked for again.
    """
    payer = case.coverage.payer
    return denial.with_changes(
        patient_name=case.patient.full_name,
        member_id=case.coverage.member_id or denial.member_id,
        diagnosis_codes=tuple(d.code for d in sorted(case.diagnoses, key=lambda d: not d.primary)),
        payer_name=denial.payer_name or (payer.name if payer else None),
        plan_type=denial.plan_type or (payer.plan_type if payer else None),
        date_of_service=denial.date_of_service or case.treatment.start_date,
        authorization_number=denial.authorization_number or case.prior_authorization.number,
        procedure_codes=appealed_codes(denial),
    )
