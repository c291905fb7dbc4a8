"""The labelled facts of a letter (IDs, patient, dates), chosen among every place they appear.

Each field's candidates come from `labels.LabelIndex`; the most confident wins (the first in
reading order on a tie), and a different value almost as sure makes the field unsure. "Reference
#" is the request's number on a pre-service notice and the claim's otherwise. A letter date
without a label is a date standing alone near the top of page 1; a date of service without one
is the first service line's, or a date the letter gives for the planned treatment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from formservice.denials.dates import DATE_BODY, DATE_RE, date_of
from formservice.denials.labels import Found, LabelIndex
from formservice.denials.layout import Line
from formservice.denials.values import name_value, parser_for

__all__ = ["Choice", "choose", "date_of_service", "ids", "letter_date"]

# A runner-up this close to the winner with another value leaves the field unsure.
CONFLICT_MARGIN = 0.1
_AUTH_LIKE = re.compile(r"(?i)^(?:PA|UM|AUT|AUTH|PRE|CERT)[-\d]|-(?:UM|AUT|AUTH|PA)-")
_PRE_SERVICE = re.compile(
    r"(?i)\b(?:pre-?service|prior\s+authorization\s+(?:request|determination)|your\s+request\s+"
    r"(?:was|is)\s+denied|requested\s+(?:services?|dates?)|planned|solicitud|request(?:ed)?\s+for)"
)
_PLANNED = re.compile(
    r"(?i)\b(?:starting|beginning|start(?:s|ing)?|a\s+partir\s+del?|services?\s+(?:you\s+)?"
    r"received\s+on|scheduled\s+(?:for|on))\s+(?:on\s+)?(?:or\s+about\s+)?(?P<date>"
    + DATE_BODY
    + ")"
)


@dataclass(frozen=True)
class Choice:
    """The value chosen for a field, where it was read, and how sure the parser is."""

    value: Any
    line: Line | None
    confidence: float
    how: str
    read_confidence: float = 1.0
    conflict: bool = False


def choose(found: Sequence[Found]) -> Choice | None:
    """The most confident candidate (earliest on a tie); a close rival with another value is a
    conflict."""
    if not found:
        return None
    best = max(found, key=lambda f: (f.confidence, -found.index(f)))
    rival = any(
        f.value != best.value and f.confidence >= best.confidence - CONFLICT_MARGIN for f in found
    )
    return Choice(best.value, best.line, best.confidence, best.how, best.read_confidence, rival)


def ids(index: LabelIndex, lines: Sequence[Line], *, ocr: bool) -> dict[str, Choice]:
    """Member ID, claim and authorization numbers and the patient's name."""
    found = {
        name: index.find(name, parser_for(name, ocr=ocr))
        for name in ("member_id", "claim_number", "authorization_number", "patient_name")
    }
    references = index.find("reference", parser_for("reference", ocr=ocr))
    if references:
        pre_service = any(_PRE_SERVICE.search(ln.text) for ln in lines[:80])
        auths = {f.value for f in found["authorization_number"]}
        for ref in references:
            if ref.value in auths:
                continue  # the same number under another label ("Ref# UM26-048813")
            # With the authorization labelled on its own, a reference names the case (claim).
            if found["authorization_number"]:
                as_auth = False
            else:
                as_auth = bool(_AUTH_LIKE.search(ref.value)) or (
                    pre_service and not found["claim_number"]
                )
            target = "authorization_number" if as_auth else "claim_number"
            found[target].append(replace(ref, field=target))
    if not found["patient_name"]:
        found["patient_name"] = _salutation(lines)
    out = {}
    for name, candidates in found.items():
        chosen = choose(candidates)
        if chosen is not None:
            out[name] = chosen
    return out


_DEAR = re.compile(
    r"^(?:Dear|Estimad[oa])\s+(?P<title>(?:Mr|Mrs|Ms|Miss|Sr|Sra|Srta)\.?\s+)?(?P<name>[^:,]{3,60})[:,]\s*$"
)


def _salutation(lines: Sequence[Line]) -> list[Found]:
    """A member letter names its patient in the salutation ("Dear Keisha L. Broussard:") or,
    when the salutation gives only a surname ("Estimada Sra. Ibarra Soto:"), in the address
    block above it: a weak reading, left for a person to confirm."""
    for k, line in enumerate(lines[:60]):
        hit = _DEAR.match(line.text)
        if hit is None or re.match(
            r"(?i)(?:dr\.?|provider|doctor|sir|madam|member)\b", hit.group("name")
        ):
            continue
        parsed = None if hit.group("title") else name_value(hit.group("name"))
        where = line
        if parsed is None:  # the addressee's full name ends with the surname greeted
            surname = hit.group("name").strip()
            for above in lines[max(0, k - 12) : k]:
                full = name_value(above.text)
                if full and above.text.strip().endswith(surname) and above.page == line.page:
                    parsed, where = full, above
                    break
        if parsed:
            return [Found("patient_name", parsed[0], parsed[1], where, 0.7 * where.conf,
                          "salutation", 0.7, where.conf)]  # fmt: skip
    return []


def letter_date(index: LabelIndex, lines: Sequence[Line]) -> Choice | None:
    """The labelled notice date, else a date standing alone near the top of page 1."""
    labelled = choose(index.find("letter_date", parser_for("letter_date")))
    if labelled is not None:
        return labelled
    first = lines[0].page if lines else 1
    for line in [ln for ln in lines if ln.page == first][:15]:
        hit = DATE_RE.match(line.text)
        if hit and hit.end() >= len(line.text.rstrip(" .")):
            value = date_of(hit)
            if value:
                return Choice(value, line, 0.85 * line.conf, "alone", line.conf)
    return None


def date_of_service(
    index: LabelIndex, lines: Sequence[Line], first_row: tuple[date, Line] | None
) -> Choice | None:
    """The labelled date of service, the first service line's, or the planned start date."""
    labelled = choose(index.find("date_of_service", parser_for("date_of_service")))
    if labelled is not None:
        return labelled
    if first_row is not None:
        return Choice(first_row[0], first_row[1], 0.9 * first_row[1].conf, "table")
    for line in lines:
        hit = _PLANNED.search(line.text)
        if hit:
            value = date_of(hit)
            if value:
                return Choice(value, line, 0.75 * line.conf, "pattern", line.conf)
    return None
