"""The first-level appeal deadline a letter states, or its plan type's rule.

A sentence about asking for an appeal (reconsideration, redetermination, review, dispute; in
Spanish apelación) may state a date ("must be received by February 18, 2026"), days ("within 180
days", "60 calendar days from the date on this notice"), months ("within six (6) months") or
years ("ONE (1) YEAR"). Only the first level counts: external review, a second level, windows
counted from an appeal decision and decision times are not the appeal window, and a fair hearing
is the first level only when the letter offers no plan appeal. Counting (and the receipt
presumption where the plan type's rule has one) is `reimbursement.deadlines`, the one formula.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from formservice.denials.dates import DATE_BODY, parse_date
from formservice.denials.prose import Sentence
from formservice.reimbursement import deadlines

__all__ = ["Deadline", "appeal_deadline"]

_APPEAL = re.compile(
    r"(?i)\b(?:appeals?|reconsideration|redetermination|requests?\s+(?:for\s+)?(?:a\s+)?review"
    r"|ask\s+for\s+a\s+review|dispute|apelaci[oó]n)"
)
_HEARING = re.compile(r"(?i)\bfair\s+hearing\b|\baudiencia\b")
_NOT_FIRST = re.compile(
    r"(?i)\b(?:external\s+review|independent\s+review\s+organization|second[- ]level"
    r"|final\s+internal|(?:of|after|from)\s+(?:the\s+date\s+of\s+)?(?:our|the|your)\s+"
    r"(?:final\s+)?(?:internal\s+)?(?:appeal\s+)?decision|we\s+will\s+(?:decide|give|send|make)"
    r"|we['’]ll\s+(?:decide|give|send|make)|for\s+a\s+decision"
    r"|decide\s+(?:your|a|the)|civil\s+action|keep\s+your\s+benefits|continue\s+your\s+benefits"
    r"|tomaremos\s+una\s+decisi[oó]n|carta\s+de\s+decisi[oó]n)"
)
_NO_RIGHTS = re.compile(
    r"(?i)\bno\s+appeal\s+rights\b|\bnot\s+(?:be\s+)?appeal(?:able|ed)\b|\bcannot\s+be\s+appealed\b"
)
_STATED = re.compile(
    r"(?i)\b(?:by|no\s+later\s+than|on\s+or\s+before|before|received\s+by|deadline|until)"
    r"\s*[:#]?\s*(?P<date>" + DATE_BODY + ")"
)
_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirty": 30, "forty-five": 45,
    "sixty": 60, "sixty-five": 65, "ninety": 90, "hundred twenty": 120,
}  # fmt: skip
_PERIOD = re.compile(
    r"(?i)\b(?:within|have|has|allows?|allowed|dentro\s+de(?:\s+los)?|tiene)?\s*"
    r"(?P<word>one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirty|sixty|"
    r"ninety)?\s*\(?(?P<n>\d{1,3})?\)?[\s-]*(?:calendar\s+|business\s+)?"
    r"(?P<unit>days?|months?|years?|d[ií]as?|meses|mes|a[nñ]os?)\b(?:\s+calendario)?"
    r"(?P<anchor>[^.;]{0,80})"
)
_TIME_WORD = re.compile(
    r"(?i)\b(?:days?|months?|years?|d[ií]as?|meses|a[nñ]os?|by|before|until|deadline|later)\b"
)
_RECEIPT = re.compile(r"(?i)\breceiv|\breceipt|\byou\s+get\b|\brecib")
_UNITS = {"day": "days", "dia": "days", "mes": "months", "mese": "months", "month": "months",
          "year": "years", "ano": "years"}  # fmt: skip


@dataclass(frozen=True)
class Deadline:
    """A computed deadline, the days counted, how it was found, and the sentence that says so."""

    deadline: date | None
    days: int | None
    basis: str | None
    sentence: Sentence | None
    stated: bool
    no_rights: bool = False


def _period(text: str) -> tuple[int, str, str, bool] | None:
    """(amount, unit, phrase, counted from receipt) of the first period in a sentence."""
    for m in _PERIOD.finditer(text):
        n = int(m.group("n")) if m.group("n") else _WORDS.get((m.group("word") or "").lower())
        if not n:
            continue
        unit_raw = re.sub(r"s$", "", m.group("unit").lower()).replace("í", "i").replace("ñ", "n")
        unit = _UNITS.get(unit_raw, "days")
        phrase = m.group(0).strip()
        phrase = re.sub(r"(?i)^(?:have|has|allows?|allowed|tiene)\s+", "", phrase)
        return n, unit, phrase.rstrip(" ,"), bool(_RECEIPT.search(m.group("anchor") or ""))
    return None


def _candidates(sentences: Sequence[Sentence]) -> tuple[list[Sentence], list[Sentence]]:
    """Sentences stating an appeal window, and those stating a fair-hearing window (a sentence
    is read with the one before it: "... you may request a fair hearing. Your request must be
    received within 90 days ...")."""
    appeals, hearings = [], []
    for k, s in enumerate(sentences):
        if not _TIME_WORD.search(s.text):
            continue  # no period and no date: no window
        if _NOT_FIRST.search(s.text) or not (_PERIOD.search(s.text) or _STATED.search(s.text)):
            continue
        before = sentences[k - 1].text if k and sentences[k - 1].page == s.page else ""
        context = s.text if _APPEAL.search(s.text) or _HEARING.search(s.text) else before
        if _HEARING.search(context) and not _APPEAL.search(s.text):
            hearings.append(s)
        elif _APPEAL.search(context) or _HEARING.search(context):
            appeals.append(s) if not _HEARING.search(context) else hearings.append(s)
    return appeals, hearings


def appeal_deadline(
    sentences: Sequence[Sentence], letter_date: date | None, plan_type: str | None
) -> Deadline:
    """The first-level appeal deadline: a stated date, a stated period, or the plan rule."""
    if any(_NO_RIGHTS.search(s.text) for s in sentences):
        return Deadline(
            None, None, "the letter states there are no appeal rights", None, True, True
        )
    appeals, hearings = _candidates(sentences)
    pool = appeals or hearings
    for s in pool:
        hit = _STATED.search(s.text)
        stated = parse_date(hit.group("date")) if hit else None
        if hit and stated:
            return Deadline(stated, None, f"letter states the date: {hit.group(0)}", s, True)
    for s in pool:
        period = _period(s.text)
        if period is None:
            continue
        n, unit, phrase, receipt = period
        if letter_date is None:
            basis = f"letter states: {phrase}; the letter date was not found"
            return Deadline(None, n if unit == "days" else None, basis, s, True)
        counted = deadlines.stated_period_deadline(
            letter_date, n, unit, from_receipt=receipt, plan_type=plan_type
        )
        basis = f"letter states: {phrase}"
        if receipt:
            presumed = counted.presumed_receipt_days
            basis += (
                f" (receipt presumed {presumed} days after the notice date)"
                if presumed
                else " (counted from the letter date, the earliest possible receipt)"
            )
        days = n if unit == "days" else counted.days
        return Deadline(counted.deadline, days, basis, s, True)
    ruled = deadlines.plan_rule_deadline(plan_type, letter_date) if letter_date else None
    if ruled is not None and ruled.rule is not None:
        rule = ruled.rule
        basis = f"plan rule: {rule.label}, {rule.days} days ({rule.source})"
        return Deadline(ruled.deadline, rule.days, basis, None, False)
    return Deadline(None, None, None, None, False)
