"""Headers of remittance and EOB service-line tables: the columns and what each one holds.

A header is a line of column headings (a second line stacked under it is part of it: "Plan" over
"Paid") naming at least three roles, a procedure code and an amount among them. Headings are
matched as phrases ("PERF PROV", "SERV DATE", "PROV PD" on a Medicare SPR whose words are single
spaced), so the order of the money columns is known. The roles and their heading patterns are
data (``data/tables.yaml``, read once by `table_rules`); `table_rows` reads the rows under them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import accumulate
from typing import Any

import yaml

from formservice.denials.codes import CPT_RE, money
from formservice.denials.dates import parse_date
from formservice.denials.layout import Line
from formservice.denials.words import Word

__all__ = ["Column", "Header", "find_headers", "table_rules"]


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
        money_roles = set(table_rules()["money_roles"])
        return [c for c in self.columns if money_roles & set(c.roles)]


@cache
def table_rules() -> dict[str, Any]:
    """The table vocabulary (``data/tables.yaml``), its role patterns compiled."""
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
    compiled: dict[str, re.Pattern[str]] = table_rules()["compiled"]
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
    money_roles = set(table_rules()["money_roles"])
    enough = len(roles) >= int(table_rules()["min_header_roles"])
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
    amount, code = table_rules()["quick"]
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
