"""Service lines read as rows under a table header (`table_headers`), with their adjustments.

A row is a line below a header with a procedure code and amounts; its amounts fill the money
columns in order, and when some cells are blank, by position under the headings. Lines under a
row with only adjustments ("PR-2 59.68") or remarks ("REM: N290") belong to it. A header holds
until the next one, across pages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from formservice.denials.codes import CPT_RE, GROUPS, adjustment_codes, money, rarcs_in
from formservice.denials.dates import compact_date, parse_date, spr_date
from formservice.denials.layout import Line
from formservice.denials.table_headers import Column, Header, table_rules
from formservice.denials.words import Word

__all__ = ["Row", "read_rows"]

_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
_INT = re.compile(r"^\d{1,3}(?:\.0+)?$")
_MMDD = re.compile(r"^\d{4}$")
_SIX = re.compile(r"^\d{6}$")
_GROUP_ONLY = re.compile(rf"^{GROUPS}$")
# Tokens a line of more adjustments or remarks may hold besides amounts ("PR-2", "REM:", "/").
_CONTINUATION_TOKEN = re.compile(rf"{GROUPS}?[-–]?[A-Z]?\d{{1,3}}|REM:?|[/,]")


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
    if len(amounts) < int(table_rules()["min_row_amounts"]):
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
