"""Turn the text after a label into a value: an ID, a person's name or a date.

Each parser takes the text that follows a label and returns ``(value, the text it used)``, or
None when the text does not have the value's shape (so the label's next place is tried).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from formservice.denials import taxonomy
from formservice.denials.dates import DATE_RE, date_of

__all__ = ["date_value", "id_value", "name_value", "parser_for"]

_NAME_TOKEN = re.compile(r"^[A-ZÀ-Þ][A-Za-zÀ-ÿ'’.-]*,?$")
_INITIAL = re.compile(r"^[A-Z]\.?,?$")
# Characters OCR reads in place of a capital or a speck before an ID.
_OCR_FIRST_CHAR = {"€": "C", "©": "C", "§": "S", "$": "S", "|": "I", "¢": "C"}
_SPECKS = "*•·'\"|_~ "
_ID_GROUP = re.compile(r"^[A-Z0-9*]{1,10}$")


def id_value(field: str, *, ocr: bool = False) -> Callable[[str], tuple[str, str] | None]:
    """A parser for an ID field (member, claim, authorization number) by the field's shape."""
    rules = taxonomy.label_rules().fields[field]
    shape = rules.value
    if shape is None:
        raise ValueError(f"labels.yaml gives no value shape for {field}")
    full = re.compile(rf"^(?:{shape.pattern})$")

    def parse(text: str) -> tuple[str, str] | None:
        tokens = text.split()
        if not tokens:
            return None
        if ocr:
            first = tokens[0].lstrip(_SPECKS)
            tokens[0] = _OCR_FIRST_CHAR.get(first[:1], first[:1]) + first[1:]
        head = tokens[0].rstrip(".,;:)")
        groups = [head] + [t.rstrip(".,;:)") for t in tokens[1:4]]
        if not full.match(head):
            # An ID printed in groups ("DSH 88120457 01", "SBH 6620 1187 03").
            for n in range(len(groups), 1, -1):
                part = groups[:n]
                if all(_ID_GROUP.match(t) for t in part) and full.match("".join(part)):
                    value = " ".join(part)
                    return value, value
            return None
        value = head
        rest = tokens[1:]
        # OCR splitting one ID in two ("MA2605060041 7"), or more groups of an ID.
        if rest and all(_ID_GROUP.match(t) and any(c.isdigit() for c in t) for t in rest):
            if len(rest) <= 3 and all(len(t) <= 8 for t in rest):
                if ocr and len(rest) == 1 and len(rest[0]) <= 6:
                    value = head + rest[0]
                else:
                    value = " ".join([head, *rest])
        return value, value

    return parse


def name_value(text: str) -> tuple[str, str] | None:
    """A person's name ("Maria O'Connor", "SAMPLENAME, MARIA" → "Maria Samplename")."""
    stopwords = taxonomy.label_rules().name_stopwords
    tokens: list[str] = []
    for token in text.split():
        if not _NAME_TOKEN.match(token) or token.strip(",.").lower() in stopwords:
            break
        tokens.append(token)
        if token.endswith(",") and len(tokens) > 1 and not tokens[0].endswith(","):
            break
        if len(tokens) == 5:
            break
    while tokens and tokens[-1].endswith(",") and len(tokens) > 1:
        tokens[-1] = tokens[-1].rstrip(",")
    if len(tokens) < 2 or all(_INITIAL.match(t) for t in tokens[1:]) and len(tokens) == 2:
        if not (len(tokens) >= 2 and tokens[0].endswith(",")):
            return None
    raw = " ".join(tokens)
    if tokens[0].endswith(","):  # SAMPLENAME, MARIA -> Maria Samplename
        tokens = tokens[1:] + [tokens[0].rstrip(",")]
    tokens = [t.rstrip(",") for t in tokens]
    name = " ".join(tokens)
    return (name.title() if name.isupper() else name), raw


def date_value(text: str) -> tuple[date, str] | None:
    """The first date at the start of the text (after a few words at most)."""
    for match in DATE_RE.finditer(text):
        if match.start() > 24:
            return None
        found = date_of(match)
        if found:
            return found, match.group(0)
    return None


def parser_for(field: str, *, ocr: bool = False) -> Callable[[str], tuple[Any, str] | None]:
    """The value parser of a labelled field."""
    if field == "patient_name":
        return name_value
    if field in ("letter_date", "date_of_service"):
        return date_value
    return id_value(field, ocr=ocr)
