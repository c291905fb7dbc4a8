"""Which facts a person must check before an appeal relies on them (``review_fields``).

A fact is unsure when it is missing (for the facts an appeal needs), found by a weak label or a
pattern alone, read by OCR from words Tesseract was not sure of, contradicted by another value
the letter gives almost as clearly, or inconsistent with itself (an MBI of the wrong shape, a
service line whose amounts do not add up, a letter dated after today). No silent errors: when
in doubt the field is named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from formservice.model.denial import APPEAL_FACTS, REVIEWABLE, ServiceLine

__all__ = ["Review", "mbi_shape_ok"]

# A value found this surely (label and placement) needs no check when read from a text layer.
SURE = 0.8
# An OCR'd value needs every word read at least this surely by Tesseract (a misread digit in an
# ID comes back at 0.85 and lower; clean words at 0.90-0.96).
OCR_SURE = 0.9
# MBI (Medicare Beneficiary Identifier), CMS format: C A AN N A AN N A A N N, without S L O I B Z.
_MBI_SHAPE = re.compile(
    r"^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d"
    r"[AC-HJKMNP-RT-Y]{2}\d{2}$"
)


MISSING = "not found in the letter"
# Missing, these need a person: the facts an appeal needs, and the letter date its deadline is
# counted from.
NEEDED = (*APPEAL_FACTS, "letter_date")


def mbi_shape_ok(value: str) -> bool:
    """Whether an 11-character Medicare ID has the MBI's shape (a misread letter/digit fails)."""
    return bool(_MBI_SHAPE.match(value.replace("-", "").upper()))


@dataclass
class Review:
    """The fields to check and why (the reasons go to the evidence for the reviewer)."""

    fields: dict[str, str] = field(default_factory=dict)

    def flag(self, name: str, why: str) -> None:
        """Name a field for review (the first reason given is kept)."""
        if name in REVIEWABLE:
            self.fields.setdefault(name, why)

    def value(
        self,
        name: str,
        value: object,
        *,
        confidence: float | None,
        read: float = 1.0,
        ocr: bool = False,
        conflict: bool = False,
    ) -> None:
        """Check one found (or missing) value."""
        if value in (None, "", [], ()):
            if name in NEEDED:
                self.flag(name, MISSING)
            return
        if conflict:
            self.flag(name, "the letter gives another value almost as clearly")
        elif confidence is not None and confidence < SURE:
            self.flag(name, f"found with low confidence ({confidence:.2f})")
        elif ocr and read < OCR_SURE:
            self.flag(name, f"read by OCR with word confidence {read:.2f}")

    def ids_need(self, claim: object, authorization: object) -> None:
        """An appeal needs the claim number or, before service, the authorization number."""
        if claim or authorization:
            for name in ("claim_number", "authorization_number"):
                if self.fields.get(name) == MISSING:
                    del self.fields[name]

    def medicare_id(self, member_id: str | None, plan_type: str | None) -> None:
        """A Medicare member ID of 11 characters must have the MBI's shape."""
        if member_id and plan_type == "medicare_ffs" and len(member_id) == 11:
            if not mbi_shape_ok(member_id):
                self.flag("member_id", "not the shape of a Medicare Beneficiary Identifier")

    def lines(self, lines: Iterable[ServiceLine], *, ambiguous: bool, ocr: bool) -> None:
        """Service lines whose amounts could not be placed or do not add up."""
        items = list(lines)
        if ambiguous:
            self.flag("service_lines", "amounts could not all be matched to their columns")
        for line in items:
            amounts = [a.amount for a in line.adjustments]
            if line.billed is None or line.paid is None or not amounts or None in amounts:
                continue
            total = sum(a for a in amounts if a is not None)
            if abs(line.billed - line.paid - total) >= 0.02:
                self.flag("service_lines", f"line {line.code}: billed minus paid is not the sum "
                          "of its adjustments")  # fmt: skip
                self.flag("adjustments", "a service line's amounts do not add up")
        if ocr and items:
            self.flag("service_lines", "amounts read by OCR")

    def dates(self, letter: date | None, service: date | None, today: date | None) -> None:
        """Dates that cannot be right: a letter from the future, a service years away."""
        if today is not None and letter is not None and letter > today:
            self.flag("letter_date", "the letter date is after today")
        if letter and service and abs((letter - service).days) > 730:
            self.flag("date_of_service", "more than two years from the letter date")
