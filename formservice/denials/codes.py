"""Codes in letter text: procedure (CPT/HCPCS), diagnosis (ICD-10-CM), adjustment (group + CARC)
and remark (RARC) codes, and money amounts.

A code is read only where its shape cannot be something else: a Category III code (0662T) or a
dotted ICD-10 code anywhere, a five-digit CPT only beside a procedure word, in a list of codes or
in a table's code column (a ZIP code is five digits too), a CARC with its group code ("CO-50",
"CO 197", "CO50") or its label ("CARC 252", "claim adjustment reason code 27"), a RARC where a
remark is expected or right after a CARC ("CARC 97 N122"). A payer's own note codes ("OX2",
"EOB 0972") are not CARCs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from formservice.denials import taxonomy

__all__ = [
    "CPT_RE",
    "MONEY_RE",
    "PROC_CONTEXT",
    "adjustment_codes",
    "diagnosis_codes",
    "is_procedure_code",
    "money",
    "procedure_codes",
    "rarcs_in",
]

# Group codes; OCR reads a capital O as lower case often enough ("co-16") to accept either.
GROUPS = r"(?:CO|PR|OA|PI|CR|co|pr|oa|Co|Pr)"
CPT_RE = re.compile(r"^(?:\d{4}[TF]|\d{5}|[A-V]\d{4})$")
# OCR reads the leading zero of 0662T as O, o, Q or "(" now and then; a Category III code never
# starts with anything but 0, so these are read as 0 (and OCR'd codes are always checked).
_CAT_III = re.compile(r"(?<![\w.$/-])([0OoQ(]\d{3}T)(?![\w])")
_CODE_TOKEN = re.compile(r"(?<![\w.,$/#:-])(\d{4}[TF]|\d{5}|[A-V]\d{4})(?![\w.,/%-]\w|\w)")
PROC_CONTEXT = re.compile(
    r"(?i)\b(?:cpt|hcpcs|procedures?(?:\s+codes?)?|proc|requested|codes?\s*:)|^\s*services?\b"
)
_NOT_CODE_BEFORE = re.compile(r"(?i)(?:\bbox|\bsuite|\bste\.?|#|\bno\.?)\s*$")
_ZIP = re.compile(r"\b[A-Z]{2},?\s+\d{5}(?:-\d{4})?\b")
_ICD_DOT = re.compile(r"(?<![\w.-])([A-TV-Z]\d[0-9A-Z]\.[0-9A-Z]{1,4})(?!\w|\.\w)")
_ICD_LABEL = re.compile(
    r"(?i:\b(?:diagnos[ie]s(?:\s+codes?)?|primary\s+dx|dx|icd-?10(?:-cm)?(?:\s+codes?)?))"
    r"\s*[:#.]*\s+((?:[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?[,;]?\s*)+)"
)
_ICD_TOKEN = re.compile(r"\b[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?\b")
_GROUPED = re.compile(rf"(?<![A-Za-z0-9]){GROUPS}\s?[-–]?\s?([A-Z]?\d{{1,3}})(?![\d]|\.\d|,\d|/\d)")
_LABELLED = re.compile(
    r"(?i:\bCARCs?|\bclaim\s+adjustment\s+reason(?:\s+codes?)?|\b(?:adj(?:ustment)?\s+)?reason\s+codes?"
    r"|\badj(?:ustment)?\s+codes?|\bdenial\s+codes?|\bANSI)"
    rf"(?:\s*\(CARC\))?\s*[:#]?\s*(?:{GROUPS}\s?[-–]?\s?)?([A-Z]?\d{{1,3}})(?![\w]|\.\d)"
)
_RARC = re.compile(r"(?<![A-Za-z0-9-])((?:MA|M|N)\d{1,3})(?![\w]|\.\d)")
_RARC_SHAPE = re.compile(r"(?:MA|M|N)\d")
_RARC_CONTEXT = re.compile(r"(?i)\b(?:rarcs?|remarks?|rem|moa)\b")
MONEY_RE = re.compile(r"^\(?-?\$?-?(\d{1,3}(?:,\d{3})+|\d+)[.](\d{2})\)?-?$")
# OCR reads the decimal point of "450.00" as a comma now and then; "1,400" is not that.
_COMMA_DECIMAL = re.compile(r"^\$?(\d{1,4}),(\d{2})$")


def money(token: str) -> float | None:
    """The amount of a money token ("$1,650.00", "412.00", "(35.10)"), None for anything else."""
    hit = MONEY_RE.match(token.strip()) or _COMMA_DECIMAL.match(token.strip())
    if not hit:
        return None
    value = float(hit.group(1).replace(",", "") + "." + hit.group(2))
    return -value if token.strip().startswith(("(", "-")) or token.strip().endswith("-") else value


def is_procedure_code(token: str) -> bool:
    """Whether a token has the shape of a CPT or HCPCS code."""
    return bool(CPT_RE.match(token))


def procedure_codes(text: str, *, listed: bool = False) -> list[str]:
    """Procedure codes of a piece of text, in order: Category III codes anywhere, other codes
    beside a procedure word or, with ``listed``, when the text is a list of codes."""
    found: list[tuple[int, str]] = [
        (m.start(), "0" + m.group(1)[1:]) for m in _CAT_III.finditer(text)
    ]
    context = listed or bool(PROC_CONTEXT.search(text)) or _is_code_list(text)
    if context:
        zips = [m.span() for m in _ZIP.finditer(text)]
        for m in _CODE_TOKEN.finditer(text):
            if any(a <= m.start() < b for a, b in zips) or m.group(1)[-1] in "TF":
                continue
            if _NOT_CODE_BEFORE.search(text[: m.start()]):
                continue  # "PO Box 41800", "Suite 11000"
            found.append((m.start(), m.group(1)))
    return list(dict.fromkeys(code for _, code in sorted(found)))


def _is_code_list(text: str) -> bool:
    tokens = [t for t in re.split(r"[\s,;/]+|\band\b", text) if t]
    return len(tokens) >= 2 and all(CPT_RE.match(t) for t in tokens)


def diagnosis_codes(text: str) -> list[str]:
    """ICD-10-CM codes: dotted ones anywhere, undotted ones after a diagnosis label."""
    found = [m.group(1) for m in _ICD_DOT.finditer(text)]
    for listed in _ICD_LABEL.finditer(text):
        found += _ICD_TOKEN.findall(listed.group(1))
    return [c for c in dict.fromkeys(found) if taxonomy.rarc_meaning(c) is None and _icd(c)]


def _icd(code: str) -> bool:
    # A RARC-shaped token (M76, N54, MA130) is a remark, never a diagnosis, and a bare
    # two-character tail ("C5") is no code.
    return not re.fullmatch(r"(?:MA|M|N)\d{1,3}", code) and len(code.replace(".", "")) >= 3


def adjustment_codes(text: str) -> Iterator[tuple[str | None, str, int, int]]:
    """Yield ``(group, carc, start, end)`` for every CARC written in ``text``."""
    seen: set[int] = set()
    for m in _GROUPED.finditer(text):
        group = re.match(GROUPS, m.group(0))
        seen.add(m.start(1))
        yield (group.group(0).upper() if group else None), _carc(m.group(1)), m.start(), m.end()
    for m in _LABELLED.finditer(text):
        if m.start(1) in seen:
            continue
        group = re.search(rf"{GROUPS}(?=\s?[-–]?\s?{re.escape(m.group(1))}$)", m.group(0))
        yield (group.group(0).upper() if group else None), _carc(m.group(1)), m.start(), m.end()


def _carc(code: str) -> str:
    return code.lstrip("0") or "0"


def rarcs_in(text: str, *, context: bool = False) -> list[str]:
    """RARCs in text: known ones anywhere, others where a remark is expected (a remark label,
    a remark column, or right after a CARC)."""
    if not _RARC_SHAPE.search(text):
        return []
    known = taxonomy.known_rarcs()
    expected = context or bool(_RARC_CONTEXT.search(text))
    after_carc = {m.end() for m in _GROUPED.finditer(text)} | {
        m.end() for m in _LABELLED.finditer(text)
    }
    out = []
    for m in _RARC.finditer(text):
        gap = text[max(0, m.start() - 4) : m.start()]
        follows = any(0 <= m.start() - end <= 4 for end in after_carc) and not gap.strip(" /,")
        if m.group(1) in known or expected or follows:
            out.append(m.group(1))
    return list(dict.fromkeys(out))
