"""Remittance and EOB service-line tables read as rows, with columns taken from the header.

A header is a line of column headings (a second line stacked under it is part of it: "Plan" over
"Paid") naming at least three roles, a procedure code and an amount among them. Headings are
matched as phrases ("PERF PROV", "SERV DATE", "PROV PD" on a Medicare SPR whose words are single
spaced), so the order of the money columns is known. A row is a line below a header with a
procedure code and amounts; its amounts fill the money columns in order, and when some cells
are blank, by position under the headings. Lines under a row with only adjustments ("PR-2 59.68")
or remarks ("REM: N290") belong to it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from itertools import accumulate
from typing import Any

import yaml

from formservice.denials.codes import CPT_RE, GROUPS, adjustment_codes, money, rarcs_in
from formservice.denials.dates import compact_date, parse_date, spr_date
from formservice.denials.layout import Line
from formservice.denials.words import Word

__all__ = ["Column", "Header", "Row", "find_headers", "read_rows"]

_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
_INT = re.compile(r"^\d{1,3}(?:\.0+)?$")
_MMDD = re.compile(r"^\d{4}$")
_SIX = re.compile(r"^\d{6}$")
_GROUP_ONLY = re.compile(rf"^{GROUPS}$")
# Tokens a line of more adjustments or remarks may hold besides amounts ("PR-2", "REM:", "/").
_CONTINUATION_TOKEN = re.compile(rf"{GROUPS}?[-–]?[A-Z]?\d{{1,3}}|REM:?|[/,]")


@dataclass(frozen=True)
class Column:
    """One column heading: its roles (``billed``, ``code`` ...) and its span on the page."""

    roles: tuple[str, ...]
    x0: float
    x1: float
    text: str


@dataclass(frozen=True)
class Header:
    """A table header: the line(s) it takes and its columns left to right."""

    lines: tuple[int, ...]
    columns: tuple[Column, ...]

    def has(self, role: str) -> bool:
        return any(role in c.roles for c in self.columns)

    @property
    def money_columns(self) -> list[Column]:
        money_roles = set(_rules()["money_roles"])
        return [c for c in self.columns if money_roles & set(c.roles)]


@dataclass
class Row:
    """One service line as printed: what each column held, and the adjustments and remarks."""

    line: Line
    index: int
    date_of_service: date | None = None
    code: str | None = None
    modifiers: list[str] = field(default_factory=list)
    units: float | None = None
    amounts: dict[str, float] = field(default_factory=dict)
    adjustments: list[tuple[str | None, str, float | None]] = field(default_factory=list)
    rarcs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ambiguous: bool = False  # the amounts could not be matched to columns with certainty
    extra_lines: list[Line] = field(default_factory=list)


@cache
def _rules() -> dict[str, Any]:
    text = (resources.files("formservice.denials") / "data" / "tables.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    data["compiled"] = {
        role: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        for role, patterns in data["roles"].items()
    }

    def anywhere(roles: list[str]) -> re.Pattern[str]:
        body = "|".join(f"(?:{p})" for r in roles for p in data["roles"][r])
        return re.compile(rf"(?<![A-Za-z])(?:{body})(?![A-Za-z])", re.IGNORECASE)

    # A header names an amount and a code (or a description holding the code): lines that name
    # neither are not looked at twice.
    data["quick"] = (anywhere(data["money_roles"]), anywhere(["code", "description"]))
    return data


@cache
def _roles_of(phrase: str) -> tuple[str, ...]:
    compiled: dict[str, re.Pattern[str]] = _rules()["compiled"]
    phrase = re.sub(r"[^\w/#$&\s-]", "", phrase).strip()  # OCR's stray quotes and dots
    whole = [r for r, pattern in compiled.items() if pattern.fullmatch(phrase)]
    if whole:
        return tuple(whole[:1])
    parts = [p.strip() for p in phrase.split("/") if p.strip()]
    if len(parts) < 2:
        return ()
    roles: list[str] = []
    for part in parts:
        roles += [r for r, pattern in compiled.items() if pattern.fullmatch(part)][:1]
    return tuple(roles)


def _is_value(word: Word) -> bool:
    """A token that is data, not a heading: an amount, a code, a date, a number."""
    text = word.text.strip("()$,;")
    return bool(
        money(word.text) is not None
        or CPT_RE.match(text)
        or parse_date(text)
        or re.fullmatch(r"\d{3,}", text)
    )


def _header_at(lines: Sequence[Line], i: int) -> Header | None:
    line = lines[i]
    if sum(_is_value(w) for w in line.words) > 1:
        return None
    stacked: dict[int, list[Word]] = {}
    used = [i]
    if i + 1 < len(lines):
        below = lines[i + 1]
        close = below.page == line.page and below.top - line.bottom < 0.8 * line.size
        wordy = all(re.search(r"[A-Za-z]", w.text) for w in below.words)
        if close and wordy and not any(_is_value(w) for w in below.words):
            for word in below.words:
                k = _stack_under(line.words, word)
                if k is None:
                    break
                stacked.setdefault(k, []).append(word)
            else:
                used.append(i + 1)
    if len(used) == 1:
        stacked = {}
    columns = _columns(line, stacked)
    roles = {r for c in columns for r in c.roles}
    money_roles = set(_rules()["money_roles"])
    enough = len(roles) >= int(_rules()["min_header_roles"])
    headings = sum(len(c.text.split()) for c in columns)
    if not (enough and roles & {"code", "description"} and roles & money_roles):
        return None
    if headings < 0.5 * (len(line.words) + len(stacked)):
        return None  # a sentence that happens to name a few columns
    return Header(tuple(used), tuple(columns))


def _stack_under(words: Sequence[Word], word: Word) -> int | None:
    """The heading word a word of the second header line sits under (None: not a heading)."""
    best, overlap = None, 0.0
    for k, top in enumerate(words):
        shared = min(top.x1, word.x1) - max(top.x0, word.x0)
        if shared > overlap:
            best, overlap = k, shared
    if best is None:
        centre = (word.x0 + word.x1) / 2
        k = min(range(len(words)), key=lambda j: abs((words[j].x0 + words[j].x1) / 2 - centre))
        if abs((words[k].x0 + words[k].x1) / 2 - centre) < 2 * word.size:
            return k
    return best


def _columns(line: Line, stacked: dict[int, list[Word]]) -> list[Column]:
    """Heading phrases of a header line, longest first: one to three words of one segment."""
    words = list(line.words)
    segment_of = {}
    for si, seg in enumerate(line.segments):
        for w in seg.words:
            segment_of[id(w)] = si
    columns: list[Column] = []
    k = 0
    while k < len(words):
        for n in (3, 2, 1):
            group = words[k : k + n]
            if len(group) < n or len({segment_of.get(id(w)) for w in group}) > 1 and n > 1:
                continue
            under = [u for j in range(n) for u in stacked.get(k + j, [])]
            phrase = " ".join([w.text for w in group] + [u.text for u in under])
            roles = _roles_of(phrase)
            if not roles and n == 1 and under:
                # A misread top word ("Pian" over "Paid"): the word under it names the column.
                roles = _roles_of(" ".join(u.text for u in under))
            if roles or n == 1:
                spans = group + under
                if roles:
                    columns.append(
                        Column(roles, min(w.x0 for w in spans), max(w.x1 for w in spans), phrase)
                    )
                k += n
                break
    return columns


def find_headers(lines: Sequence[Line]) -> dict[int, Header]:
    """Every table header among the lines, by the index of its first line."""
    out: dict[int, Header] = {}
    skip: set[int] = set()
    amount, code = _rules()["quick"]
    # One pass over the whole letter finds the lines naming an amount and those naming a code;
    # a header (with its second line) names both.
    text = "\n".join(line.text for line in lines)
    starts = list(accumulate((len(line.text) + 1 for line in lines), initial=0))
    amounts = {bisect_right(starts, m.start()) - 1 for m in amount.finditer(text)}
    codes = {bisect_right(starts, m.start()) - 1 for m in code.finditer(text)}
    for i in range(len(lines)):
        if i in skip:
            continue
        if not ({i, i + 1} & amounts and {i, i + 1} & codes):
            continue
        header = _header_at(lines, i)
        if header:
            out[i] = header
            skip.update(header.lines)
    return out


def read_rows(lines: Sequence[Line], headers: dict[int, Header]) -> list[Row]:
    """Every service line under the headers (a header holds until the next one, across pages),
    each with the adjustment and remark lines printed under it."""
    rows: list[Row] = []
    header: Header | None = None
    last: Row | None = None
    header_lines = {i for h in headers.values() for i in h.lines}
    for i, line in enumerate(lines):
        if i in headers:
            header, last = headers[i], None
            continue
        if header is None or i in header_lines:
            continue
        row = _row(line, i, header)
        if row is not None:
            rows.append(row)
            last = row
        elif last is not None and _continues(line, last, header):
            last.extra_lines.append(line)
        else:
            last = None
    return rows


def _token(word: Word) -> str:
    return word.text.strip("(),;")


def _code_at(words: Sequence[Word]) -> int | None:
    for k, word in enumerate(words):
        if CPT_RE.match(_token(word)) and not _MMDD.match(_token(word)):
            return k
    return None


def _row(line: Line, index: int, header: Header) -> Row | None:
    words = list(line.words)
    k = _code_at(words)
    if k is None:
        return None
    after = words[k + 1 :]
    amounts = [w for w in after if money(w.text) is not None]
    if len(amounts) < int(_rules()["min_row_amounts"]):
        return None
    row = Row(line, index, code=_token(words[k]))
    row.date_of_service = _row_date(words[:k])
    if row.date_of_service is None and header.has("date"):
        return None  # a line with a code and amounts but no date is a total or a note
    _units_and_modifiers(row, words, k, header)
    _amounts(row, after, header)
    tail = " ".join(w.text for w in after)
    _adjustments(row, tail)
    row.rarcs = rarcs_in(tail, context=header.has("remark"))
    if header.has("note"):
        row.notes = [
            w.text for w in after if re.fullmatch(r"[A-Z]{1,3}\d{1,3}", w.text)
            and w.text not in row.rarcs
        ]  # fmt: skip
    return row


def _row_date(words: Sequence[Word]) -> date | None:
    tokens = [w.text for w in words]
    for j, token in enumerate(tokens):
        if _MMDD.match(token) and j + 1 < len(tokens) and _SIX.match(tokens[j + 1]):
            return spr_date(token, tokens[j + 1])
        found = parse_date(token) or (compact_date(token) if _SIX.match(token) else None)
        if found:
            return found
    return None


def _units_and_modifiers(row: Row, words: Sequence[Word], k: int, header: Header) -> None:
    roles = [r for c in header.columns for r in c.roles]
    code_at = roles.index("code") if "code" in roles else 0
    before = [r for r in roles[:code_at] if r in ("place", "units", "line", "provider")]
    small_before = [w.text for w in words[:k] if _INT.match(w.text)]
    if "units" in before and small_before:
        row.units = float(small_before[-1])
    between = []
    for w in words[k + 1 :]:
        if money(w.text) is not None or re.match(GROUPS, w.text):
            break
        if _MODIFIER.match(w.text) or _INT.match(w.text):
            between.append(w.text)
    if not between:
        return
    has_units = "units" in roles[code_at:]
    if (
        has_units
        and _INT.match(between[-1])
        and not (len(between) == 1 and len(between[0]) == 2 and not between[0].isdigit())
    ):
        row.units = float(between[-1])
        between = between[:-1]
    if header.has("modifier") or "modifier" in roles:
        row.modifiers = [t for t in between if _MODIFIER.match(t)]


def _amounts(row: Row, after: Sequence[Word], header: Header) -> None:
    """Fill the money columns: in order when the counts agree, else by position."""
    column_amounts: list[Word] = []
    before = ["", ""]
    for w in after:
        value = money(w.text)
        if value is not None and not _follows_code(*before):
            column_amounts.append(w)
        before = [before[1], w.text]
    columns = header.money_columns
    if len(column_amounts) == len(columns):
        pairs = list(zip(columns, column_amounts, strict=True))
    else:
        row.ambiguous = True
        pairs = _by_position(columns, column_amounts)
    for column, word in pairs:
        value = money(word.text)
        for role in column.roles:
            if value is not None:
                row.amounts.setdefault(role, value)
        if len(column.roles) > 1:
            row.amounts["_shared:" + "/".join(column.roles)] = value or 0.0


def _follows_code(earlier: str, previous: str) -> bool:
    """Whether an amount belongs to the adjustment code just before it ("CO-45 221.60",
    "CO 45 $278.00")."""
    if re.fullmatch(rf"{GROUPS}[-–]?[A-Z]?\d{{1,3}}", previous):
        return True
    return bool(_GROUP_ONLY.match(earlier) and re.fullmatch(r"[A-Z]?\d{1,3}", previous))


def _by_position(columns: Sequence[Column], amounts: Sequence[Word]) -> list[tuple[Column, Word]]:
    """Match amounts to columns left to right by distance from the headings (monotonic)."""
    if not columns:
        return []
    out = []
    start = 0
    for word in amounts:
        centre = (word.x0 + word.x1) / 2
        best = min(
            range(start, len(columns)),
            key=lambda j: abs((columns[j].x0 + columns[j].x1) / 2 - centre),
            default=None,
        )
        if best is None:
            break
        out.append((columns[best], word))
        start = best + 1
    return out


def _adjustments(row: Row, text: str) -> None:
    for group, carc, _start, end in adjustment_codes(text):
        rest = text[end:].split()
        amount = money(rest[0]) if rest else None
        row.adjustments.append((group, carc, amount))


def _continues(line: Line, row: Row, header: Header) -> bool:
    """Whether a line under a row only carries more of its adjustments or remarks."""
    text = line.text
    if _code_at(list(line.words)) is not None and any(money(w.text) for w in line.words):
        return False
    found = list(adjustment_codes(text))
    remarks = rarcs_in(text, context=text.upper().startswith("REM") or header.has("remark"))
    leftovers = [
        w.text
        for w in line.words
        if money(w.text) is None
        and not _CONTINUATION_TOKEN.fullmatch(w.text)
        and w.text not in remarks
        and not _GROUP_ONLY.match(w.text)
    ]
    if (not found and not remarks) or leftovers:
        return False
    _adjustments(row, text)
    row.rarcs += [r for r in remarks if r not in row.rarcs]
    return True
