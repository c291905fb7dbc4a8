"""The denial-reading evaluation: three labelled sets, field accuracy and silent-error rate.

Sets: ``own`` (samples/denials, written with the product), ``field`` (public letters that broke
the product, read from ``$FORMSERVICE_SHARED/field/denials``, labels vendored), ``independent``
(31 letters a stranger wrote from descriptions of real layouts, vendored). ``scans`` gathers the
image-only letters of all three.

A field counts as right when it equals the label under the comparison below; a *silent error* is
a wrong field the result does not name in ``review_fields``. Comparisons (say so when changing):
IDs, dates, plan type exactly; payer names without case and punctuation; patient names as the
same person ("OKAFOR, GRACE N" = "Grace N Okafor"); procedure codes in order; the other code
lists as sets; service lines line by line (amounts to the cent, adjustments as a multiset);
``appeal_to`` part by part (fax and phone by digits, address and portal without case and
punctuation, name when one's words contain the other's).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "denials"
SAMPLES = REPO / "samples" / "denials"
FIELDS = (
    "payer_name", "member_id", "claim_number", "authorization_number", "patient_name",
    "letter_date", "date_of_service", "procedure_codes", "diagnosis_codes", "carc_codes",
    "rarc_codes", "categories", "appeal_deadline", "plan_type", "service_lines", "adjustments",
    "appeal_to",
)  # fmt: skip
SETS = ("own", "field", "independent", "scans")


def shared_dir() -> Path:
    """Where the shared field letters live: ``$FORMSERVICE_SHARED`` or ``../shared``."""
    return Path(os.environ.get("FORMSERVICE_SHARED", REPO.parent / "shared")).resolve()


@dataclass(frozen=True)
class Letter:
    """One labelled letter of a set."""

    set: str
    stem: str
    pdf: Path
    label: dict[str, Any]
    alt: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def scan(self) -> bool:
        return bool(self.label.get("scan")) or self.label.get("text_source") == "ocr"


def _alt() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "alt_readings.json").read_text("utf-8"))
    return data


def letters(which: str) -> list[Letter]:
    """The letters of one set (``field`` is empty when the shared files are absent)."""
    alt = _alt().get(which, {})
    if which == "own":
        pdfs = sorted(SAMPLES.glob("*.pdf"))
        return [Letter("own", p.stem, p, _json(p.with_suffix(".json"))) for p in pdfs]
    if which == "independent":
        pdfs = sorted((FIXTURES / "independent").glob("*.pdf"))
        return [
            Letter("independent", p.stem, p, _json(p.with_suffix(".json")), alt.get(p.stem, {}))
            for p in pdfs
        ]
    if which == "field":
        folder = shared_dir() / "field" / "denials"
        out = []
        for label in sorted((FIXTURES / "field_labels").glob("*.json")):
            pdf = folder / f"{label.stem}.pdf"
            if pdf.exists():
                out.append(Letter("field", label.stem, pdf, _json(label), alt.get(label.stem, {})))
        return out
    raise ValueError(which)


def _json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _text(value: Any) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", str(value or "").casefold()))


def _person(value: Any) -> str:
    text = str(value or "").replace(".", " ")
    if "," in text:
        last, first = text.split(",", 1)
        text = f"{first} {last}"
    return " ".join(text.casefold().split())


def _digits(value: Any) -> str:
    digits = re.sub(r"\D", "", str(value or ""))
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def _money(value: Any) -> Any:
    return None if value is None else round(float(value), 2)


def _adjustments(items: Any) -> list[tuple[Any, ...]]:
    return sorted(
        ((a.get("group") or ""), str(a.get("carc")), _money(a.get("amount")) or 0.0)
        for a in items or []
    )


def _line(line: dict[str, Any]) -> tuple[Any, ...]:
    units = line.get("units")
    return (
        line.get("date_of_service"),
        line.get("code"),
        tuple(line.get("modifiers") or ()),
        None if units is None else float(units),
        _money(line.get("billed")),
        _money(line.get("allowed")),
        _money(line.get("paid")),
        tuple(_adjustments(line.get("adjustments"))),
        tuple(sorted(line.get("rarc_codes") or ())),
    )


_STOP = {"attn", "the", "of", "and", "to", "department", "dept"}


def _name_match(got: Any, want: Any) -> bool:
    a = set(_text(got).split()) - _STOP
    b = set(_text(want).split()) - _STOP
    return bool(a and b) and (a <= b or b <= a) or (not a and not b)


def _appeal_to(got: Any, want: Any) -> bool:
    if not got or not want:
        return not got and not want
    return (
        _digits(got.get("fax")) == _digits(want.get("fax"))
        and _digits(got.get("phone")) == _digits(want.get("phone"))
        and _text(got.get("address")) == _text(want.get("address"))
        and _text(_portal(got.get("portal"))) == _text(_portal(want.get("portal")))
        and _name_match(got.get("name"), want.get("name"))
    )


def _portal(value: Any) -> str:
    return re.sub(r"^https?://", "", str(value or ""))


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "payer_name": lambda g, w: _text(g) == _text(w),
    "patient_name": lambda g, w: _person(g) == _person(w),
    "procedure_codes": lambda g, w: list(g or []) == list(w or []),
    "service_lines": lambda g, w: [_line(x) for x in g or []] == [_line(x) for x in w or []],
    "adjustments": lambda g, w: _adjustments(g) == _adjustments(w),
    "appeal_to": _appeal_to,
    **{
        f: (lambda g, w: sorted(g or []) == sorted(w or []))
        for f in ("diagnosis_codes", "carc_codes", "rarc_codes", "categories")
    },
}


def _id(value: Any) -> str:
    return " ".join(str(value).upper().split()) if value is not None else ""


def same(name: str, got: Any, want: Any) -> bool:
    """Whether a field's value equals the label's (under the comparisons above)."""
    if name in COMPARE:
        return COMPARE[name](got, want)
    if name in ("member_id", "claim_number", "authorization_number"):
        return _id(got) == _id(want)
    return bool(got == want)


@dataclass
class Score:
    """Counts of one set (or one field of a set)."""

    total: int = 0
    right: int = 0
    silent: int = 0
    right_alt: int = 0
    silent_alt: int = 0

    def add(self, ok: bool, flagged: bool, ok_alt: bool) -> None:
        self.total += 1
        self.right += ok
        self.silent += (not ok) and not flagged
        self.right_alt += ok_alt
        self.silent_alt += (not ok_alt) and not flagged


@dataclass
class Evaluation:
    """Scores by set and by field, and every miss."""

    by_set: dict[str, Score] = field(default_factory=dict)
    by_field: dict[tuple[str, str], Score] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    letters: dict[str, int] = field(default_factory=dict)

    def record(self, letter: Letter, result: dict[str, Any]) -> None:
        review = set(result.get("review_fields") or [])
        groups = [letter.set] + (["scans"] if letter.scan else [])
        for g in groups:
            self.letters[g] = self.letters.get(g, 0) + 1
        for name in FIELDS:
            got, want = result.get(name), letter.label.get(name)
            ok = same(name, got, want)
            ok_alt = ok or any(same(name, got, alt) for alt in letter.alt.get(name, []))
            flagged = name in review
            for g in groups:
                self.by_set.setdefault(g, Score()).add(ok, flagged, ok_alt)
                self.by_field.setdefault((g, name), Score()).add(ok, flagged, ok_alt)
            if not ok:
                mark = "flagged" if flagged else "SILENT"
                self.misses.append(
                    f"{letter.set}/{letter.stem}: {name} [{mark}]"
                    f"{' (ALT ok)' if ok_alt else ''}: got {got!r}, want {want!r}"
                )

    def table(self) -> str:
        """The report: accuracy and silent-error rate per set and per field."""
        sets = [s for s in SETS if s in self.by_set]
        head = f"{'field':22}" + "".join(f"{s:>24}" for s in sets)
        sub = f"{'':22}" + "".join(f"{'acc':>12}{'silent':>12}" for _ in sets)
        rows = [head, sub]
        for name in FIELDS:
            cells = ""
            for s in sets:
                sc = self.by_field[(s, name)]
                cells += f"{sc.right / sc.total:12.1%}{sc.silent / sc.total:12.1%}"
            rows.append(f"{name:22}{cells}")
        rows.append("-" * len(head))
        totals = (
            ("all (as labelled)", "right", "silent"),
            ("all (ALT accepted)", "right_alt", "silent_alt"),
        )
        for label, right, silent in totals:
            cells = ""
            for s in sets:
                sc = self.by_set[s]
                cells += (f"{getattr(sc, right) / sc.total:12.1%}"
                          f"{getattr(sc, silent) / sc.total:12.1%}")  # fmt: skip
            rows.append(f"{label:22}{cells}")
        rows.append(f"{'letters':22}" + "".join(f"{self.letters[s]:>24}" for s in sets))
        return "\n".join(rows)
