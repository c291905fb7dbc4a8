"""Why the claim or request was denied: CARC and RARC codes, the categories they and the letter's
sentences name, and the plan type.

On a remittance the codes printed on the claim's own lines are the reasons (codes of other claims
on the page, and glossary entries, are not); elsewhere the codes written in the letter's
sentences. Routine pricing and cost-share codes (45, 1, 2, 3, 253) are never reasons. A sentence
names a category by the strongest phrase rule it matches; a phrase adds a category beside coded
reasons only when it is strong (≥ `STRONG_PHRASE`), since a remittance's prose mostly explains its
codes ("previously paid" explains a frequency limit). Negated and hypothetical sentences ("this is
not a decision that the service is not medically necessary") name nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from formservice.denials import taxonomy
from formservice.denials.codes import adjustment_codes, rarcs_in
from formservice.denials.prose import Sentence

__all__ = ["Reasons", "plan_type", "reasons"]

STRONG_PHRASE = 0.9
OCR_FACTOR = 0.9


@dataclass(frozen=True)
class Reasons:
    """Reasons (contract JSON), CARC and RARC codes in letter order."""

    reasons: list[dict[str, Any]]
    carcs: list[str]
    rarcs: list[str]


def _phrase(sentence: str, *, known: bool = False) -> tuple[str, float] | None:
    """The category a sentence names (``known``: a phrase rule is already known to match)."""
    rules, ignore = taxonomy.phrase_rules()
    if not (known or taxonomy.any_phrase().search(sentence)):
        return None
    if any(p.search(sentence) for p in ignore):
        return None
    best: tuple[str, float] | None = None
    for rule in rules:
        if rule.pattern.search(sentence) and (best is None or rule.confidence > best[1]):
            best = (rule.category, rule.confidence)
    return best


def _conf(value: float, sentence: Sentence) -> float:
    return round(value * (OCR_FACTOR if sentence.ocr else 1.0) * min(1.0, sentence.conf / 0.9), 2)


def _reason(category: str, carc: str | None, s: Sentence, conf: float) -> dict[str, Any]:
    return {
        "category": category,
        "carc": carc,
        "page": s.page,
        "evidence": s.text,
        "confidence": _conf(conf, s),
    }


def _best_sentence(code: str, sentences: Sequence[Sentence]) -> Sentence | None:
    """The sentence that says most about a code (its glossary entry or explanation)."""
    pattern = re.compile(rf"(?<![\w./-])(?:(?:CO|PR|OA|PI|CR)[-\s]?)?{re.escape(code)}(?![\w/])")
    scored = [
        (len(re.findall(r"[A-Za-z]{3,}", s.text)), s) for s in sentences if pattern.search(s.text)
    ]
    return max(scored, key=lambda t: t[0])[1] if scored else None


def reasons(
    sentences: Sequence[Sentence],
    coded: Sequence[tuple[str, Sentence | None]] | None,
    coded_rarcs: Sequence[str] | None,
) -> Reasons:
    """Reasons from the claim's codes (``coded``, from its table) or from the sentences."""
    routine = taxonomy.routine_carcs()
    carcs: list[str] = []
    rarcs: list[str] = list(coded_rarcs or [])
    evidence: dict[str, Sentence] = {}
    phrase_hits: dict[str, tuple[Sentence, float]] = {}
    # One search over the letter names the sentences any phrase rule can match.
    text = "\n".join(s.text for s in sentences)
    starts = list(accumulate((len(s.text) + 1 for s in sentences), initial=0))
    phrased = {bisect_right(starts, m.start()) - 1 for m in taxonomy.any_phrase().finditer(text)}
    for k, s in enumerate(sentences):
        found = [c for _, c, _, _ in adjustment_codes(s.text)]
        if coded is None:
            for code in found:
                if code not in routine and code not in carcs:
                    carcs.append(code)
            if coded_rarcs is None:
                rarcs += [r for r in rarcs_in(s.text) if r not in rarcs]
        if found or k not in phrased or s.glossary or rarcs_in(s.text):
            continue  # the codes say what this sentence means; a legend entry says nothing
        hit = _phrase(s.text, known=True)
        if hit and (hit[0] not in phrase_hits or hit[1] > phrase_hits[hit[0]][1]):
            phrase_hits[hit[0]] = (s, hit[1])
    if coded is not None:
        for code, where in coded:
            if code not in carcs:
                carcs.append(code)
                if where is not None:
                    evidence[code] = where
    return Reasons(_collect(carcs, rarcs, sentences, evidence, phrase_hits), carcs, rarcs)


def _collect(
    carcs: list[str],
    rarcs: list[str],
    sentences: Sequence[Sentence],
    evidence: dict[str, Sentence],
    phrase_hits: dict[str, tuple[Sentence, float]],
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    covered: set[str] = set()
    for code in carcs:
        s = _best_sentence(code, sentences) or evidence.get(code)
        if s is None:
            continue
        meaning = taxonomy.carc_meaning(code)
        category = meaning.category if meaning and meaning.category else "other"
        conf = 0.9 if meaning else 0.5
        said = _phrase(s.text)
        if said and said[0] == category:
            conf = 0.95
        if category in phrase_hits:
            conf = min(0.98, conf + 0.03)
        out.append(_reason(category, code, s, conf))
        covered.add(category)
    for code in rarcs:
        rarc = taxonomy.rarc_meaning(code)
        s = _best_sentence(code, sentences)
        if rarc and rarc.category and rarc.category not in covered and not carcs and s:
            out.append(_reason(rarc.category, None, s, 0.8))
            covered.add(rarc.category)
    for category, (s, conf) in phrase_hits.items():
        if category in covered or (carcs and conf < STRONG_PHRASE):
            continue
        out.append(_reason(category, None, s, conf))
        covered.add(category)
    return out


def plan_type(sentences: Sequence[Sentence]) -> tuple[str, Sentence, float] | None:
    """The plan type the letter names (contract enum), its strongest sentence and confidence."""
    signals, min_score = taxonomy.plan_signals()
    scores: dict[str, int] = {}
    strongest: dict[str, tuple[int, Sentence]] = {}
    # One search per signal over the whole letter; the match's offset names its sentence.
    text = "\n".join(s.text for s in sentences)
    starts = list(accumulate((len(s.text) + 1 for s in sentences), initial=0))
    for signal in signals:
        hit = signal.pattern.search(text)
        if hit is None:
            continue
        s = sentences[bisect_right(starts, hit.start()) - 1]
        scores[signal.plan_type] = scores.get(signal.plan_type, 0) + signal.weight
        if signal.weight > strongest.get(signal.plan_type, (0, s))[0]:
            strongest[signal.plan_type] = (signal.weight, s)
    if not scores:
        return None
    plan, score = max(scores.items(), key=lambda kv: kv[1])
    if score < min_score:
        return None
    runner_up = max((v for p, v in scores.items() if p != plan), default=0)
    conf = 0.9 if score - runner_up >= 2 else 0.65
    s = strongest[plan][1]
    return plan, s, _conf(conf, s)
