"""What an appeal quotes of the denial: only the sentence or sentences that state the reason.

Pure. A reason's evidence is the text the reader took it from; on a fax or a remittance it may
carry a table row, a page header, a run of dashes, another claim's block or half a sentence.
`reason_quote` keeps whole sentences that state a reason (a denial verb or a reason code),
drops anything that reads as a table, a labelled field ("Patient:", "Member ID:") or a
fragment, and stops at about `MAX_QUOTE` characters. When nothing clean is left it returns
None, and the letter names the reason by its code and category instead.
"""

from __future__ import annotations

import re

__all__ = ["MAX_QUOTE", "reason_quote"]

MAX_QUOTE = 300
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"“])")
_RULE = re.compile(r"[-_=*~.]{4,}")
_FIELD = re.compile(
    r"\b(patient|member|subscriber|insured|claim|account|provider|group)\s*"
    r"(name|id|#|no\.?|number)?\s*:",
    re.IGNORECASE,
)
_MONEY = re.compile(r"\$?\b\d{1,3}(,\d{3})*\.\d{2}\b")
_GAP = re.compile(r"\S\s{3,}\S")
_PAGE = re.compile(r"\bpage\s+\d+\s+of\s+\d+\b", re.IGNORECASE)
_STATES = re.compile(
    r"\b(den(y|ied|ial)|not (medically necessary|covered|payable|paid|a covered|eligible|"
    r"proven|obtained|received|provided|certified|in our network)|excluded|exceed|"
    r"experimental|investigational|cosmetic|duplicate|bundled|included in|inconsistent|"
    r"lacks|missing|out of network|not deemed|timely|primary payer|terminated|"
    r"does not (meet|apply)|because|without (a )?prior authorization|not authorized|"
    r"non-covered|no (prior )?authorization)\b|\b(CARC|CO|PR|OA|PI)[- ]?[A-Z]?\d{1,3}\b",
    re.IGNORECASE,
)


def _clean(sentence: str) -> bool:
    if not sentence or not (sentence[0].isupper() or sentence[0].isdigit() or sentence[0] in '(“"'):
        return False  # starts mid-sentence
    if sentence[-1] not in '.!?)”"':
        return False  # stops mid-sentence
    if _RULE.search(sentence) or _FIELD.search(sentence) or _PAGE.search(sentence):
        return False
    if len(_MONEY.findall(sentence)) >= 2 or _GAP.search(sentence):
        return False  # a table row
    letters = sum(c.isalpha() for c in sentence)
    return letters >= 0.5 * len(sentence) and bool(_STATES.search(sentence))


_START = re.compile(r"(?<=\s)[A-Z][a-z]+\s+[a-z(]")


def _sentence(candidate: str) -> str | None:
    """The candidate if clean, else its clean tail after a table row or labels glued before it
    ("... 450.00 0.00 We denied this claim ..."), else None."""
    if _clean(candidate):
        return candidate
    for start in _START.finditer(candidate):
        tail = candidate[start.start() :]
        if _clean(tail):
            return tail
    return None


def reason_quote(evidence: str, limit: int = MAX_QUOTE) -> str | None:
    """The clean reason sentence(s) of `evidence`, at most about `limit` characters; or None."""
    text = evidence.strip()
    if not text:
        return None
    # A page header or a ruled line ends whatever came before it.
    text = _RULE.sub(". ", _PAGE.sub(". ", " ".join(text.split())))
    sentences = [
        s.strip(" .") + "." if s.strip().endswith(".") else s.strip()
        for s in _SENTENCE.split(text)
        if s.strip(" .")
    ]
    kept: list[str] = []
    for candidate in sentences:
        sentence = _sentence(candidate) if not kept else (candidate if _clean(candidate) else None)
        if sentence is None:
            if kept:
                break  # the reason's sentences run together; what follows is something else
            continue
        if len(" ".join([*kept, sentence])) > limit:
            break
        kept.append(sentence)
    return " ".join(kept) or None
