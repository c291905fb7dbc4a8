"""Read the facts of a denial letter from its pages: pure, deterministic and explainable.

`parse_denial` takes pages as positioned lines (`layout.PageLayout`, from `extract`) or as plain
text (``(page_no, text)`` or ``(page_no, text, source)``), and returns a `Denial` whose
``evidence`` gives, for every value, the page, the exact text it came from, how it was found and a
confidence, and whose ``review_fields`` names every fact a person must check. The steps are
modules of their own: tables and claims (`table_headers`, `table_rows`, `claims`), labels by
geometry (`labels`, `facts`), payer (`payer`), codes and reasons (`codes`, `reasons`), deadline
(`deadline`), where to appeal (`appeal`) and what is unsure (`review`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from formservice.denials import claims, facts, taxonomy
from formservice.denials.appeal import appeal_to, mentions_destination
from formservice.denials.codes import PROC_CONTEXT, diagnosis_codes, procedure_codes, rarcs_in
from formservice.denials.dates import parse_date
from formservice.denials.deadline import appeal_deadline
from formservice.denials.labels import LabelIndex
from formservice.denials.layout import Line, PageLayout, page_from_text
from formservice.denials.payer import payer_name
from formservice.denials.prose import Sentence, sentences
from formservice.denials.reasons import plan_type, reasons
from formservice.denials.review import Review
from formservice.denials.table_headers import find_headers
from formservice.denials.table_rows import read_rows
from formservice.model.denial import REVIEWABLE, Denial, ServiceLine

__all__ = ["REVIEW_BELOW", "parse_date", "parse_denial", "parse_layouts"]

# Any reported value with a lower confidence sends the denial to a person.
REVIEW_BELOW = 0.6
_SPANISH = re.compile(r"(?i)\b(?:de|la|el|los|las|que|su|para|por|del|usted)\b")
_ENGLISH = re.compile(r"(?i)\b(?:the|of|and|to|you|your|this|for|is|we)\b")


@dataclass(frozen=True)
class _Doc:
    """The pieces of a letter every step reads."""

    lines: list[Line]  # every line, in reading order
    focus: list[Line]  # without the lines of other claims on a remittance
    labelled: list[Line]  # focus lines outside tables (where labels are read)
    sentences: list[Sentence]
    ocr: bool


def _layouts(pages: Iterable[Any]) -> list[PageLayout]:
    out = []
    for item in pages:
        if isinstance(item, PageLayout):
            out.append(item)
            continue
        number, text = int(item[0]), str(item[1] or "")
        source = str(item[2]) if len(item) > 2 else "text"
        out.append(page_from_text(number, text, ocr=source == "ocr"))
    return out


def parse_denial(
    pages: Iterable[Any],
    *,
    today: date | None = None,
    text_source: str | None = None,
    page_count: int | None = None,
) -> Denial:
    """Return the CONTRACT.md §4 facts of a denial letter, with evidence, from its pages.

    ``pages`` holds `PageLayout`s, or ``(page_no, text)`` / ``(page_no, text, source)`` with
    source ``text`` or ``ocr``. With ``today``, a letter date after it (a misread) sends the
    result to review and the deadline evidence says whether the deadline has passed.
    """
    layouts = _layouts(pages)
    return parse_layouts(layouts, today=today, text_source=text_source, page_count=page_count)


def parse_layouts(
    layouts: Sequence[PageLayout],
    *,
    today: date | None = None,
    text_source: str | None = None,
    page_count: int | None = None,
) -> Denial:
    """`parse_denial` on pages already laid out."""
    lines = [line for page in layouts for line in page.lines]
    headers = find_headers(lines)
    rows = read_rows(lines, headers)
    index = LabelIndex(lines)
    view = claims.claim_view(lines, rows, index)
    position = {id(line): i for i, line in enumerate(lines)}
    table_lines = {i for h in headers.values() for i in h.lines} | {r.index for r in rows}
    table_lines |= {position[id(x)] for r in rows for x in r.extra_lines}
    focus = [ln for i, ln in enumerate(lines) if i not in view.other_lines]
    outside = view.other_lines | table_lines
    index.allowed = {i for i in range(len(lines)) if i not in outside}
    prose = [ln for i, ln in enumerate(lines) if i not in outside]
    doc = _Doc(lines, focus, prose, sentences(prose), any(ln.ocr for ln in lines))
    builder = _Builder(doc, view, today, index)
    result = builder.build()
    result["text_source"] = text_source or _text_source(layouts)
    result["pages"] = page_count if page_count is not None else len(layouts)
    return Denial.from_json(result)


def _text_source(layouts: Sequence[PageLayout]) -> str:
    kinds = {p.source for p in layouts}
    return kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "text")


class _Builder:
    """Runs the steps in order, keeping the evidence and the review notes as it goes."""

    def __init__(
        self, doc: _Doc, view: claims.ClaimView, today: date | None, index: LabelIndex
    ) -> None:
        self.index = index
        self.doc = doc
        self.view = view
        self.today = today
        self.evidence: dict[str, Any] = {}
        self.review = Review()
        self.result: dict[str, Any] = {}

    def _keep(self, name: str, choice: facts.Choice | None, value: Any = None) -> Any:
        if choice is None:
            self.review.value(name, None, confidence=None)
            return None
        shown = choice.value if value is None else value
        if choice.line is not None:
            self.evidence[name] = {
                "page": choice.line.page,
                "text": choice.line.text,
                "confidence": round(choice.confidence, 2),
            }
            self._how(name, choice.how)
            if choice.line.ocr:
                self.evidence.setdefault("read_confidence", {})[name] = round(
                    choice.read_confidence, 2
                )
        self.review.value(
            name,
            shown,
            confidence=choice.confidence / max(choice.read_confidence, 0.01),
            read=choice.read_confidence,
            ocr=bool(choice.line and choice.line.ocr),
            conflict=choice.conflict,
        )
        return choice.value

    def _how(self, name: str, how: str) -> None:
        """Record how a fact was found (label, below, right, table, pattern, ...)."""
        self.evidence.setdefault("found_by", {})[name] = how

    def build(self) -> dict[str, Any]:
        doc = self.doc
        index = self.index
        found = facts.ids(index, doc.focus, ocr=doc.ocr)
        payer = payer_name(doc.lines)
        payer_choice = (
            facts.Choice(payer[0], payer[1], payer[2], "letterhead or label") if payer else None
        )
        r = self.result
        r["payer_name"] = self._keep("payer_name", payer_choice)
        for name in ("member_id", "claim_number", "authorization_number", "patient_name"):
            r[name] = self._keep(name, found.get(name))
        self.review.ids_need(r["claim_number"], r["authorization_number"])
        letter = self._keep("letter_date", facts.letter_date(index, doc.lines))
        lines = claims.service_lines(self.view.rows, self._notes())
        first = next(((ln.date_of_service, row.line) for ln, row in zip(lines, self.view.rows,
                      strict=True) if ln.date_of_service), None)  # fmt: skip
        service = self._keep("date_of_service", facts.date_of_service(index, doc.focus, first))
        r["letter_date"] = letter.isoformat() if letter else None
        r["date_of_service"] = service.isoformat() if service else None
        self._codes(lines)
        self._reasons(lines)
        self._deadline(letter)
        self._appeal(payer[0] if payer else None)
        self.review.dates(letter, service, self.today)
        self.review.medicare_id(r["member_id"], r["plan_type"])
        self._language()
        return self._finish()

    def _notes(self) -> dict[str, str]:
        codes = {n for row in self.view.rows for n in row.notes}
        return claims.note_texts(self.doc.lines, codes) if codes else {}

    def _codes(self, lines: list[ServiceLine]) -> None:
        r = self.result
        r["service_lines"] = [ln.to_json() for ln in lines]
        r["adjustments"] = [a.to_json() for a in claims.routine_adjustments(lines)]
        if lines:
            self.evidence["service_lines"] = [_line_evidence(row.line) for row in self.view.rows]
            self.review.lines(lines, ambiguous=self._ambiguous(), ocr=self.doc.ocr)
            codes = list(dict.fromkeys(ln.code for ln in lines if ln.code))
            evidence = [_line_evidence(row.line) for row in self.view.rows]
        else:
            codes, evidence = _text_codes(self.doc.focus)
        r["procedure_codes"] = codes
        if evidence:
            self.evidence["procedure_codes"] = evidence
        if not codes:
            self.review.flag("procedure_codes", "no procedure code found")
        elif self.doc.ocr and not lines:
            self.review.flag("procedure_codes", "read by OCR")
        dx: list[str] = []
        dx_evidence = []
        for line in self.doc.focus:
            new = [c for c in diagnosis_codes(line.text) if c not in dx]
            if new:
                dx += new
                dx_evidence.append(_line_evidence(line))
        r["diagnosis_codes"] = dx
        if dx_evidence:
            self.evidence["diagnosis_codes"] = dx_evidence
        if dx and self.doc.ocr:
            self.review.flag("diagnosis_codes", "read by OCR")

    def _ambiguous(self) -> bool:
        return self.view.ambiguous or any(row.ambiguous for row in self.view.rows)

    def _reasons(self, lines: list[ServiceLine]) -> None:
        doc = self.doc
        coded = None
        coded_rarcs = None
        if self.view.rows:
            coded, coded_rarcs = self._table_codes(lines)
        found = reasons(doc.sentences, coded, coded_rarcs)
        r = self.result
        r["carc_codes"], r["rarc_codes"] = found.carcs, found.rarcs
        r["reasons"] = found.reasons
        r["categories"] = list(dict.fromkeys(x["category"] for x in found.reasons))
        if not found.reasons:
            self.review.flag("categories", "no denial reason found")
        if any(x["category"] == "other" for x in found.reasons):
            self.review.flag("categories", "a code whose meaning is not known")
            self.review.flag("carc_codes", "a code whose meaning is not known")
        if any(x["confidence"] < facts.CONFLICT_MARGIN + 0.7 for x in found.reasons):
            self.review.flag("categories", "a reason found with low confidence")
        if doc.ocr and (found.carcs or found.rarcs):
            self.review.flag("carc_codes", "read by OCR")
            self.review.flag("rarc_codes", "read by OCR")
        plan = plan_type(doc.sentences)
        r["plan_type"] = plan[0] if plan else None
        if plan:
            self.evidence["plan_type"] = {"page": plan[1].page, "text": plan[1].text,
                                          "confidence": plan[2]}  # fmt: skip
            self._how("plan_type", "signal")
            if plan[2] < 0.8:
                self.review.flag("plan_type", f"found with low confidence ({plan[2]:.2f})")

    def _table_codes(
        self, lines: list[ServiceLine]
    ) -> tuple[list[tuple[str, Sentence | None]], list[str]]:
        routine = taxonomy.routine_carcs()
        coded: list[tuple[str, Sentence | None]] = []
        for line, row in zip(lines, self.view.rows, strict=True):
            where = Sentence(row.line.page, row.line.text, row.line.ocr, row.line.conf)
            for adj in line.adjustments:
                if adj.carc not in routine and adj.carc not in [c for c, _ in coded]:
                    coded.append((adj.carc, where))
        rarcs: list[str] = []
        if self.view.header is not None:
            rarcs += rarcs_in(self.doc.lines[self.view.header].text, context=True)
        for line in lines:
            rarcs += [x for x in line.rarc_codes if x not in rarcs]
        return coded, list(dict.fromkeys(rarcs))

    def _deadline(self, letter: date | None) -> None:
        r = self.result
        found = appeal_deadline(self.doc.sentences, letter, r["plan_type"])
        r["appeal_deadline"] = found.deadline.isoformat() if found.deadline else None
        r["appeal_days"] = found.days
        r["appeal_deadline_basis"] = found.basis
        if found.sentence is not None:
            s = found.sentence
            conf = round(0.95 if s.text and "states the date" in (found.basis or "") else 0.9, 2)
            conf = round(conf * (0.9 if s.ocr else 1.0), 2)
            self.evidence["appeal_deadline"] = {"page": s.page, "text": s.text,
                                                "confidence": conf}  # fmt: skip
            self._how("appeal_deadline", "sentence")
            if s.ocr and s.conf < 0.9:
                self.review.flag("appeal_deadline", "read by OCR")
        elif found.deadline is not None and "plan_type" in self.evidence:
            self.evidence["appeal_deadline"] = {**self.evidence["plan_type"],
                                                "confidence": 0.75}  # fmt: skip
            self._how("appeal_deadline", "plan rule")
        if found.deadline is None:
            why = "the letter states no appeal rights" if found.no_rights else "not found"
            self.review.flag("appeal_deadline", why)
        elif "receipt presumed" in (found.basis or ""):
            # The deadline rests on a date the letter cannot show: when it arrived.
            self.review.flag("appeal_deadline", "counted from a presumed date of receipt")
        elif not found.stated and self.evidence.get("plan_type", {}).get("confidence", 0) < 0.8:
            self.review.flag("appeal_deadline", "from a plan rule of an unsure plan type")
        if (
            self.today is not None
            and found.deadline is not None
            and "appeal_deadline" in self.evidence
        ):
            self.evidence["appeal_deadline"]["passed"] = found.deadline < self.today

    def _appeal(self, payer: str | None) -> None:
        found = appeal_to(self.doc.lines, payer)
        self.result["appeal_to"] = found.appeal_to.to_json() if found else None
        if found:
            first = found.lines[0]
            same = [ln for ln in found.lines if ln.page == first.page]
            self.evidence["appeal_to"] = {"page": first.page,
                                          "text": " ".join(ln.text for ln in same),
                                          "confidence": 0.9}  # fmt: skip
            self._how("appeal_to", "appeal instructions")
            if any(ln.ocr and ln.conf < 0.9 for ln in found.lines):
                self.review.flag("appeal_to", "read by OCR")
            if found.appeal_to.address is None and found.appeal_to.portal is None:
                self.review.flag("appeal_to", "a destination without its address")
        elif mentions_destination(self.doc.lines):
            self.review.flag("appeal_to", "the letter says where to appeal; it could not be read")

    def _language(self) -> None:
        text = " ".join(s.text for s in self.doc.sentences)
        spanish, english = len(_SPANISH.findall(text)), len(_ENGLISH.findall(text))
        if spanish > 2 * max(english, 5):
            # The rules are written for English letters: everything read needs a person.
            self.evidence["language"] = "es"
            for name, value in self.result.items():
                if value not in (None, [], ""):
                    self.review.flag(name, "the letter is not in English")

    def _finish(self) -> dict[str, Any]:
        r = self.result
        r["review_fields"] = [f for f in self._order() if f in self.review.fields]
        if self.review.fields:
            self.evidence["review"] = dict(self.review.fields)
        confidences = [x["confidence"] for x in r["reasons"]] + [
            e["confidence"]
            for e in self.evidence.values()
            if isinstance(e, dict) and "confidence" in e
        ]
        r["needs_review"] = (
            bool(r["review_fields"])
            or not r["reasons"]
            or any(c < REVIEW_BELOW for c in confidences)
        )
        r["evidence"] = self.evidence
        return r

    @staticmethod
    def _order() -> tuple[str, ...]:
        return REVIEWABLE


def _line_evidence(line: Line) -> dict[str, Any]:
    conf = round(0.9 * (line.conf if line.ocr else 1.0), 2)
    return {"page": line.page, "text": line.text, "confidence": conf}


def _text_codes(lines: Sequence[Line]) -> tuple[list[str], list[dict[str, Any]]]:
    codes: list[str] = []
    evidence = []
    for line in lines:
        if PROC_CONTEXT.search(line.text) or len(line.segments) < 2:
            listed = procedure_codes(line.text)
        else:  # columns: "XXXXX4471 ‖ 96413, 0662T, 0663T" is a list of codes in one of them
            listed = [c for seg in line.segments for c in procedure_codes(seg.text)]
        new = [c for c in dict.fromkeys(listed) if c not in codes]
        if new:
            codes += new
            evidence.append(_line_evidence(line))
    return codes, evidence
