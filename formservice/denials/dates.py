"""Dates as letters and remittances write them.

US numeric forms (03/02/2026, 3/2/26, 03-02-2026, 2026-03-02), month names in English and
Spanish ("March 2, 2026", "2 Mar 2026", "FEB-17-2026", "5 de marzo de 2026"), ranges ("03/23/2026
through 07/06/2026", "09/15/25-09/15/25": the first date counts) and the compact forms of
remittance columns (MMDDYY "110325", and an SPR's "MMDD MMDDYY" from-through pair).
"""

from __future__ import annotations

import re
from datetime import date

__all__ = ["DATE_BODY", "DATE_RE", "compact_date", "date_of", "parse_date", "spr_date"]

_MONTHS = {
    **{
        name: i + 1
        for i, names in enumerate(
            [
                ("jan", "january"),
                ("feb", "february"),
                ("mar", "march"),
                ("apr", "april"),
                ("may",),
                ("jun", "june"),
                ("jul", "july"),
                ("aug", "august"),
                ("sep", "sept", "september"),
                ("oct", "october"),
                ("nov", "november"),
                ("dec", "december"),
            ]  # fmt: skip
        )
        for name in names
    },
    # Spanish: Medicaid notices are often written in Spanish.
    **{
        name: i + 1
        for i, name in enumerate(
            "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
            "diciembre".split()
        )
    },
    "setiembre": 9,
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MES = (
    r"(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|se(?:p)?tiembre|octubre|noviembre"
    r"|diciembre)"
)
DATE_BODY = (
    r"(?:"
    r"(?P<iso>(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2}))"
    r"|(?P<num>(?P<nm>\d{1,2})(?P<sep>[/-])(?P<nd>\d{1,2})(?P=sep)(?P<ny>\d{4}|\d{2}))"
    rf"|(?P<mdy>(?P<mm>{_MONTH})\.?[\s-]+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*|\s+|-)(?P<my>\d{{4}}))"
    rf"|(?P<dmy>(?P<dd>\d{{1,2}})[\s-](?P<dm>{_MONTH})\.?[\s,-]+(?P<dy>\d{{4}}))"
    rf"|(?P<es>(?P<ed>\d{{1,2}})\s+de\s+(?P<em>{_MES})\s+(?:de|del)\s+(?P<ey>\d{{4}}))"
    r")(?![\w/])"
)
DATE_RE = re.compile(r"(?<![\w/-])" + DATE_BODY, re.IGNORECASE)
_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{2})$")
_MMDD = re.compile(r"^(\d{2})(\d{2})$")


def _year(value: int) -> int:
    return value + 2000 if value < 100 else value


def date_of(m: re.Match[str]) -> date | None:
    """The date a `DATE_RE` match names (None for an impossible one such as 02/30)."""
    try:
        if m.group("iso"):
            return date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        if m.group("num"):
            return date(_year(int(m.group("ny"))), int(m.group("nm")), int(m.group("nd")))
        if m.group("mdy"):
            return date(int(m.group("my")), _MONTHS[m.group("mm").lower()], int(m.group("md")))
        if m.group("dmy"):
            return date(int(m.group("dy")), _MONTHS[m.group("dm").lower()], int(m.group("dd")))
        if m.group("es"):
            month = _MONTHS[m.group("em").lower().replace("setiembre", "septiembre")]
            return date(int(m.group("ey")), month, int(m.group("ed")))
    except (ValueError, KeyError):
        return None
    return None


def parse_date(text: str) -> date | None:
    """Return the first date written in ``text`` in any common letter format, if any."""
    for match in DATE_RE.finditer(text):
        found = date_of(match)
        if found:
            return found
    return None


def compact_date(token: str) -> date | None:
    """A remittance column's MMDDYY ("110325" is 2025-11-03), or any full date form."""
    token = token.strip()
    hit = _COMPACT.match(token)
    if hit:
        try:
            return date(2000 + int(hit.group(3)), int(hit.group(1)), int(hit.group(2)))
        except ValueError:
            return None
    return parse_date(token)


def spr_date(first: str, second: str) -> date | None:
    """The from-date of a Medicare SPR's "MMDD MMDDYY" pair (from month-day, through date)."""
    through = compact_date(second)
    hit = _MMDD.match(first.strip())
    if through is None or hit is None:
        return None
    try:
        start = date(through.year, int(hit.group(1)), int(hit.group(2)))
    except ValueError:
        return None
    # A service running over New Year starts in the year before its through date.
    return start if start <= through else date(through.year - 1, start.month, start.day)
