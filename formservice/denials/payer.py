"""The payer's name: from a payer label, the letterhead, or the name the letter signs with.

The letterhead is the largest text at the top of page 1, left column only (a title or phone
numbers beside it are another column). A letterhead that shows only part of the name ("DESERT
SAGE", "Magnolia Bend" over "COMMUNITY HEALTH PLAN", a banner "Tidewater Keystone Health") is
completed by the fullest name the letter itself uses that begins the same way ("Desert Sage
Health Plan, Inc." in the appeal paragraph); a letter with no letterhead is named by the
organisation it names most often (its return address, signature or appeal instructions). Legal
endings (LLC, Inc., Co.) are kept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import cache

from formservice.denials import taxonomy
from formservice.denials.layout import Line

__all__ = ["org_names", "payer_name"]

_CONNECTORS = {"of", "de", "del", "la", "and", "&", "the", "y"}
# Words that start a sentence or a phrase, never a payer's name ("Ask Cascade Crest Health Plan").
_NOT_NAME = {
    "ask", "call", "contact", "send", "mail", "write", "fax", "dear", "to", "from", "your", "our",
    "if", "please", "for", "with", "by", "at", "in", "on", "is", "are", "was", "we", "you",
    "what", "these", "this", "that", "sincerely", "attn", "re", "under", "about", "copy",
}  # fmt: skip
_LETTERHEAD_SHARE = 0.22  # the top of page 1 that is letterhead
# A letterhead that starts with one of these names a part of an organisation the letter names.
_GENERIC = {"department", "division", "office", "bureau"}


@cache
def _suffix_re() -> re.Pattern[str]:
    rules = taxonomy.label_rules()
    suffixes = sorted(rules.payer_suffixes, key=len, reverse=True)
    legal = sorted(rules.payer_legal_endings, key=len, reverse=True)
    one = "(?:" + "|".join(re.escape(s) for s in suffixes) + ")"
    return re.compile(
        rf"(?<![A-Za-z]){one}(?:\s+{one})*(?![A-Za-z])"
        r"(?:,?\s+(?:" + "|".join(re.escape(e) for e in legal) + r")(?![A-Za-z]))?",
        re.IGNORECASE,
    )


def org_names(text: str) -> list[str]:
    """Organisation names in a text: capitalised words ending with a payer word (Health Plan,
    Insurance Co. ...) and a legal ending if any."""
    out = []
    for m in _suffix_re().finditer(text):
        words = text[: m.start()].split()
        taken: list[str] = []
        for word in reversed(words):
            clean = word.strip("(")
            if word.endswith((",", ":", ";", ".", ")")) or clean.lower() in _NOT_NAME:
                break  # "Member Services, Stonebridge ..." or "Ask Cascade Crest ...": not ours
            if clean.lower() in _CONNECTORS and taken:
                taken.insert(0, clean)
                continue
            if not re.match(r"^[A-Z][A-Za-z'’&-]*$", clean):
                break
            taken.insert(0, clean)
            if len(taken) == 6:
                break
        while taken and taken[0].lower() in _CONNECTORS:
            taken.pop(0)
        if taken:
            out.append(re.sub(r"\s+", " ", " ".join([*taken, m.group(0)]).strip()))
    return out


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _letter_spaced(text: str) -> str:
    """ "H E A L T H P L A N" → "HEALTH PLAN" when the letters spell a payer word."""
    tokens = text.split()
    if len(tokens) < 4 or not all(len(t) == 1 for t in tokens):
        return text
    joined = "".join(tokens)
    for suffix in taxonomy.label_rules().payer_suffixes:
        if _norm(suffix) == joined.lower():
            return suffix.upper() if joined.isupper() else suffix
    return joined


def _letterhead(lines: Sequence[Line]) -> list[tuple[str, float]]:
    """The left-column texts at the top of page 1 with their font sizes, largest first."""
    if not lines:
        return []
    first = lines[0].page
    page_lines = [ln for ln in lines if ln.page == first]
    # The page's height, as far as its lines show it (a short text is still a page).
    height = max(max(ln.bottom for ln in page_lines), 600.0)
    top = [ln for ln in page_lines if ln.top <= max(_LETTERHEAD_SHARE * height, page_lines[0].top)]
    top = top[: taxonomy.label_rules().payer_lines_to_scan]
    title = taxonomy.label_rules().payer_title_words
    width = max(ln.x1 for ln in page_lines)
    # The first segment of each line, unless it sits in the right half (a title or contact
    # column beside the letterhead); a centred letterhead starts left of the middle.
    column = [(ln, seg) for ln in top for seg in ln.segments[:1] if seg.x0 < 0.5 * width]
    out = []
    for k, (line, seg) in enumerate(column):
        text = _letter_spaced(seg.text).strip(" |_-—~'\"•")
        if not text or re.search(r"\d", text) or {w.lower() for w in text.split()} & title:
            continue
        if not _distinctive(text):
            continue
        nxt = column[k + 1][1] if k + 1 < len(column) else None
        short = len(text.split()) <= 2 or not _suffix_re().search(text)
        if nxt is not None and short and len(text.split()) <= 3:
            more = _letter_spaced(nxt.text)
            if len(more.split()) <= 3 and not re.search(r"[\d(•|]", more):
                out.append((f"{text} {more}", line.size))
        out.append((text, line.size))
    # Largest first; sizes within 15% of each other count as one size (OCR boxes vary), and
    # among equals the first line wins.
    largest = max((size for _, size in out), default=0.0)
    return [t for t in out if t[1] >= 0.85 * largest] + [t for t in out if t[1] < 0.85 * largest]


def _distinctive(text: str) -> bool:
    """Whether a text says more than a payer word ("HEALTH PLAN" alone names nobody)."""
    rest = _suffix_re().sub(" ", text)
    return bool(re.search(r"[A-Za-z]{2,}", rest)) or text.strip().lower() in (
        "medicare",
        "medicaid",
    )


def _labelled(lines: Sequence[Line]) -> str | None:
    rules = taxonomy.label_rules()
    label = re.compile(
        r"^(?i:" + "|".join(re.escape(x) for x in rules.payer_labels) + r")\s*:?\s+(.+)$"
    )
    for line in lines[:60]:
        for seg in line.segments:
            hit = label.match(seg.text)
            if hit and org_names(hit.group(1)):
                name = org_names(hit.group(1))[0]
                if hit.group(1).startswith(name.split()[0]):
                    return name
    return None


def payer_name(lines: Sequence[Line]) -> tuple[str, Line | None, float] | None:
    """The payer's name, the line it was read from, and a confidence."""
    labelled = _labelled(lines)
    counts: Counter[str] = Counter()
    where: dict[str, Line] = {}
    for line in lines:
        for seg in line.segments:
            for name in org_names(seg.text):
                counts[name] += 1
                where.setdefault(name, line)
    if labelled:
        return labelled, where.get(labelled), 0.9
    for text, _size in _letterhead(lines)[:3]:
        inside = org_names(text)
        if inside and text.startswith(inside[0]):
            text = inside[0]  # "Heron Point Health Plan – Utilization Management"
        fuller = [n for n in counts if _norm(n).startswith(_norm(text)) and n != text]
        if not _suffix_re().search(text):
            fuller += [n for n in counts if _norm(n).endswith(_norm(text)) and n != text]
        elif text.split()[0].lower() in _GENERIC:
            # "DEPARTMENT OF MEDICAL ASSISTANCE SERVICES": the letter names whose department.
            fuller += [n for n in counts if _norm(n).endswith(_norm(text)) and n != text]
        if fuller:
            best = max(fuller, key=lambda n: (counts[n], len(n)))
            return best, where[best], 0.85
        if _suffix_re().search(text) and len(text.split()) <= 6:
            head = _head_line(lines, text)
            return text, head, 0.9 if counts[text] or len(text.split()) > 1 else 0.8
    if counts:
        best, seen = max(counts.items(), key=lambda kv: (kv[1], len(kv[0])))
        if len(best.split()) > 1:
            return best, where[best], 0.8 if seen >= 2 else 0.6
    return None


def _head_line(lines: Sequence[Line], text: str) -> Line | None:
    key = _norm(text.split()[0]) if text.split() else ""
    return next((ln for ln in lines if key and key in _norm(ln.text)), None)
