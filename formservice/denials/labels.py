"""Label → value by geometry: the value to the right of its label on the same line, or below it
in the same column.

Every label of `data/labels.yaml` is found in every column segment of every line at once (the
longer wins where two overlap, so "Group ID No." is not "ID No."). A field's value is the text
after its label up to the next label in the segment; when nothing usable is there, the next
segment on the line; then the segment below that starts in the label's column ("Patient Name"
over "LOPEZ, ANA M"). Each value carries a confidence: its label's, times how it was placed,
times the OCR confidence of the words it was read from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from formservice.denials import taxonomy
from formservice.denials.layout import Line, Segment

__all__ = ["Found", "Hit", "LabelIndex", "PLACEMENT"]

# How much a value's placement lowers its label's confidence.
PLACEMENT = {"same": 1.0, "right": 0.97, "below": 0.95}
# A label inside running prose (well into a long segment) is weaker than one that opens a field.
PROSE_FACTOR = 0.85
# Labels below this confidence ("Member", "Name", "ID", "RE") are bare words that only label a
# value at the start of a column or after another field's value ("NAME X MID Y ICN Z").
WEAK = 0.9
_SEPARATOR = re.compile(r"^[\s.:#_|–-]*")
_BOUNDARY_BEFORE = r"(?<![A-Za-z0-9])"
_BOUNDARY_AFTER = r"(?![A-Za-z])"


@dataclass(frozen=True)
class Hit:
    """A label found in a segment's text: its field (None for another fact's label)."""

    field: str | None
    confidence: float
    start: int
    end: int


@dataclass(frozen=True)
class Found:
    """A labelled value: the parsed value, the text it was read from, where, and how sure."""

    field: str
    value: Any
    raw: str
    line: Line
    confidence: float
    how: str
    label_confidence: float = 1.0  # the label's, times its placement
    read_confidence: float = 1.0  # the OCR confidence of the value's words (1.0: text layer)


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str | None, float], ...]:
    rules = taxonomy.label_rules()
    out: list[tuple[re.Pattern[str], str | None, float]] = []
    for name, item in rules.fields.items():
        for label in item.labels:
            out.append((_bounded(label.pattern), name, label.confidence))
    for other in rules.other_labels:
        out.append((_bounded(other), None, 0.0))
    return tuple(out)


def _bounded(pattern: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(f"{_BOUNDARY_BEFORE}(?:{pattern.pattern}){_BOUNDARY_AFTER}", pattern.flags)


def _split_top(source: str, sep: str = "|") -> list[str]:
    """Split a regex source at top-level ``sep`` (not inside groups or classes)."""
    parts, start = [], 0
    for k, ch, depth in _structure(source):
        if ch == sep and depth == 0:
            parts.append(source[start:k])
            start = k + 1
    return [*parts, source[start:]]


def _closing(source: str) -> int:
    """The index of the parenthesis closing the group that opens ``source`` (-1: none)."""
    for k, ch, depth in _structure(source):
        if ch == ")" and depth == 0:
            return k
    return -1


def _structure(source: str) -> Iterator[tuple[int, str, int]]:
    """Each character of a regex source outside escapes and character classes, with its group
    depth (a ``)`` is reported at the depth it closes back to)."""
    depth, k, in_class = 0, 0, False
    while k < len(source):
        ch = source[k]
        if ch == "\\":
            k += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        else:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            yield k, ch, depth
        k += 1


def _first_letters(source: str) -> set[str] | None:
    """The (lower-case) first characters a label pattern can match, None when unknown."""
    alternatives = _split_top(source)
    if len(alternatives) > 1:
        sets = [_first_letters(a) for a in alternatives]
        return None if any(s is None for s in sets) else set().union(*sets)  # type: ignore[arg-type]
    if source.startswith("\\b"):
        return _first_letters(source[2:])
    if source.startswith("("):
        close = _closing(source)
        if close < 0:
            return None
        head = source[1:close].removeprefix("?:").removeprefix("?-i:").removeprefix("?i:")
        rest = source[close + 1 :]
        inner = _first_letters(head)
        if rest[:1] in ("?", "*"):
            after = _first_letters(rest[1:])
            return None if inner is None or after is None else inner | after
        return inner
    if source[:1].isalpha() or source[:1] == "#":
        if source[1:2] in ("?", "*"):
            after = _first_letters(source[2:])
            return None if after is None else {source[0].lower()} | after
        return {source[0].lower()}
    return None


@cache
def _by_letter() -> tuple[dict[str, list[tuple[re.Pattern[str], str | None, float]]], list[Any]]:
    """Label patterns by the letter they start with (and those that may start anywhere)."""
    index: dict[str, list[tuple[re.Pattern[str], str | None, float]]] = {}
    anywhere = []
    rules = taxonomy.label_rules()
    sources = [(lab.pattern, name, lab.confidence) for name, item in rules.fields.items()
               for lab in item.labels] + [(p, None, 0.0) for p in rules.other_labels]  # fmt: skip
    for pattern, field, conf in sources:
        entry = (_bounded(pattern), field, conf)
        letters = _first_letters(pattern.pattern)
        if letters is None:
            anywhere.append(entry)
        for letter in letters or ():
            index.setdefault(letter, []).append(entry)
    return index, anywhere


_WORD_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z#]")


def label_hits(text: str) -> tuple[Hit, ...]:
    """Every label in a segment's text, left to right, the longest where two overlap."""
    return tuple(_label_hits(text))


def _label_hits(text: str) -> list[Hit]:
    hits: list[Hit] = []
    index, anywhere = _by_letter()
    pos = 0
    for start in _WORD_START.finditer(text):
        at = start.start()
        if at < pos:
            continue
        best: Hit | None = None
        for pattern, field, conf in index.get(text[at].lower(), []) + anywhere:
            m = pattern.match(text, at)
            if m and m.end() > m.start() and (best is None or m.end() > best.end):
                best = Hit(field, conf, m.start(), m.end())
        if best is None:
            continue
        # A label word ending a segment after other words is part of a value ("Patient: Test
        # Patient"): a label has its value after it or, at the start of a column, below it.
        trailing = best.start > 0 and not text[best.end :].strip(" :#.") and best.field is not None
        weak = best.field is not None and best.confidence < WEAK and best.start > 0
        if not (_foreign(text, best) or trailing or (weak and not _after_value(text, best))):
            hits.append(best)
        pos = best.end
    return hits


def _after_value(text: str, hit: Hit) -> bool:
    """Whether a weak label ("Member", "Name", "RE") follows a value or a label rather than
    running text: a bare weak label is only a label where fields are listed."""
    before = text[: hit.start].rstrip()
    return bool(re.search(r"[\d:#)]$|[A-Z0-9]{2,}$", before)) and not re.search(
        r"[a-z]{3,}$", before
    )


def _foreign(text: str, hit: Hit) -> bool:
    words = re.findall(r"[A-Za-z]+", text[: hit.start])
    if not words:
        return False
    rules = taxonomy.label_rules()
    previous = words[-1].lower()
    if hit.field in ("letter_date",):
        return previous in rules.date_foreign_prefixes or previous in rules.foreign_prefixes
    return previous in rules.foreign_prefixes


class LabelIndex:
    """The labels of every segment of some lines, found once, and the values they point to."""

    def __init__(self, lines: Sequence[Line]) -> None:
        self.lines = list(lines)
        self._hits: dict[tuple[int, int], tuple[Hit, ...]] = {}
        self._fields: dict[int, set[str | None]] = {}
        self.allowed: set[int] | None = None  # lines values may be read from (None: all)
        self._index = {id(line): i for i, line in enumerate(self.lines)}
        for li, line in enumerate(self.lines):
            for si, seg in enumerate(line.segments):
                found = label_hits(seg.text)
                if found:
                    self._hits[(li, si)] = found
                    self._fields.setdefault(li, set()).update(h.field for h in found)

    def fields_on(self, li: int) -> set[str | None]:
        """The fields labelled anywhere on line ``li``."""
        return self._fields.get(li, set())

    def hits(self, li: int, si: int) -> tuple[Hit, ...]:
        """The labels of segment ``si`` of line ``li``."""
        return self._hits.get((li, si), ())

    def find(self, field: str, parse: Callable[[str], tuple[Any, str] | None]) -> list[Found]:
        """Every value of a field found by its labels, in reading order.

        ``parse`` turns the text after a label into ``(value, the text it used)`` or None.
        """
        out: list[Found] = []
        allowed = self.allowed
        for (li, si), hits in self._hits.items():
            if allowed is not None and li not in allowed:
                continue
            line = self.lines[li]
            seg = line.segments[si]
            for k, hit in enumerate(hits):
                if hit.field != field:
                    continue
                if k + 1 < len(hits) and not seg.text[hit.end : hits[k + 1].start].strip():
                    continue  # "Member Services": one heading, not a label and its value
                found = self._value(li, si, hits, k, parse)
                if found is None:
                    continue
                value, raw, where, how = found
                if allowed is not None and how == "below" and self._index[id(where)] not in allowed:
                    continue
                prose = hit.start > 40 and len(seg.words) > 8
                label = hit.confidence * PLACEMENT[how] * (PROSE_FACTOR if prose else 1.0)
                read = _ocr_confidence(where, raw)
                out.append(Found(field, value, raw, where, label * read, how, label, read))
        out.sort(key=lambda f: self._index.get(id(f.line), 0))
        return out

    def _value(
        self,
        li: int,
        si: int,
        hits: tuple[Hit, ...],
        k: int,
        parse: Callable[[str], tuple[Any, str] | None],
    ) -> tuple[Any, str, Line, str] | None:
        """The value of label ``k`` of segment ``si``: after it, in the next column, or below."""
        line = self.lines[li]
        seg = line.segments[si]
        hit = hits[k]
        end = hits[k + 1].start if k + 1 < len(hits) else len(seg.text)
        after = _SEPARATOR.sub("", seg.text[hit.end : end])
        if after:
            parsed = parse(after)
            if parsed is None and k + 1 == len(hits):
                # A value cut by a wide gap ("NAME OKAFOR, ‖ GRACE N ‖ MID ..."): read on.
                parsed = parse(after + " " + self._unlabelled(li, si + 1))
            return (parsed[0], parsed[1], line, "same") if parsed else None
        right = self._unlabelled(li, si + 1)
        if right:
            parsed = parse(right)
            if parsed is None and not self.hits(li, si + 1):
                # "RECIPIENT ‖ FONTAINE, ‖ BEATRICE": the value runs over two columns.
                parsed = parse(right + " " + self._unlabelled(li, si + 2))
            if parsed:
                return parsed[0], parsed[1], line, "right"
        below = self._below(li, seg, hit)
        if below is not None:
            parsed = parse(below[1])
            if parsed:
                return parsed[0], parsed[1], below[0], "below"
        return None

    def _unlabelled(self, li: int, si: int) -> str:
        """The text of a segment before its first label ("" past the line's end)."""
        segments = self.lines[li].segments
        if si >= len(segments):
            return ""
        first = self.hits(li, si)
        text = segments[si].text
        return text[: first[0].start].strip() if first else text

    def _below(self, li: int, seg: Segment, hit: Hit) -> tuple[Line, str] | None:
        """The text in the label's column on the next lines (a label over its value)."""
        line = self.lines[li]
        x0 = _x_at(seg, hit.start)
        limit = line.bottom + 2.5 * line.size
        for lj in range(li + 1, min(li + 4, len(self.lines))):
            below = self.lines[lj]
            if below.page != line.page or below.top > limit:
                return None
            for sj, other in enumerate(below.segments):
                if abs(other.x0 - x0) <= 1.5 * line.size or (other.x0 < x0 < other.x1):
                    starts = self.hits(lj, sj)
                    if starts and starts[0].start == 0:
                        return None  # another label: the value of ours is not below it
                    text = other.text[: starts[0].start] if starts else other.text
                    return below, text
        return None


def _x_at(seg: Segment, offset: int) -> float:
    pos = 0
    for word in seg.words:
        if pos + len(word.text) >= offset:
            return word.x0
        pos += len(word.text) + 1
    return seg.x0


def _ocr_confidence(line: Line, raw: str) -> float:
    """The reading confidence of the words a value was read from (1.0 for a text layer)."""
    if not line.ocr:
        return 1.0
    tokens = raw.split()
    confs = [w.conf for w in line.words if any(t in w.text or w.text in t for t in tokens)]
    return min(confs) if confs else line.conf
