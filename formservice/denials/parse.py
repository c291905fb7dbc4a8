"""Read the facts of a denial letter from its page texts: pure, deterministic and explainable.

`parse_denial` returns the CONTRACT.md §4 dict (without ``id``) plus an ``evidence`` member that
gives, for every value it reports, the page, the exact text it came from and a confidence. Labels,
phrases, codes, plan-type signals and appeal rules are data (see `taxonomy`); this module only
knows how to apply them. A value the letter does not state is None or [], never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from formservice.denials import taxonomy
from formservice.model.denial import Denial
from formservice.reimbursement import deadlines

__all__ = ["REVIEW_BELOW", "parse_date", "parse_denial"]

# Any reported value with a lower confidence sends the denial to a person.
REVIEW_BELOW = 0.6
# Values read by OCR are less certain than the same text from a text layer.
OCR_FACTOR = 0.9

_MONTHS = {
    m: i + 1
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
    for m in names
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE_BODY = (
    r"(?:"
    r"(?P<iso>(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2}))"
    r"|(?P<num>(?P<nm>\d{1,2})(?P<sep>[/-])(?P<nd>\d{1,2})(?P=sep)(?P<ny>\d{4}|\d{2}))"
    rf"|(?P<mdy>(?P<mm>{_MONTH})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<my>\d{{4}}))"
    rf"|(?P<dmy>(?P<dd>\d{{1,2}})[\s-](?P<dm>{_MONTH})\.?[\s,-]+(?P<dy>\d{{4}}))"
    r")(?![\w/])"
)
DATE_RE = re.compile(r"(?<![\w/-])" + _DATE_BODY, re.IGNORECASE)
_CARC_GROUP = re.compile(r"(?<![A-Za-z0-9])(?:CO|PR|OA|PI)\s?-\s?([A-Z]?\d{1,3})(?!\w|\.\w)")
_CARC_LABEL = re.compile(
    r"(?i:\bCARC|\bclaim adjustment reason code|\b(?:adj(?:ustment)?\s+)?reason code|\badj code"
    r"|\bdenial code)(?:\s*\(CARC\))?\s*[:#]?\s*(?:(?:CO|PR|OA|PI)\s?-\s?)?"
    r"([A-Z]?\d{1,3})(?!\w|\.\w)"
)
_RARC = re.compile(r"(?<![A-Za-z0-9-])((?:MA|M|N)\d{1,3})(?!\w|\.\w)")
_RARC_CONTEXT = re.compile(r"(?i)\b(?:rarc|remark)")
_CPT_III = re.compile(r"(?<![\w.-])([0O]\d{3}[TF])(?![\w])")
_CPT_ANY = re.compile(r"(?<![\w.,$/-])(\d{5}|[A-V]\d{4})(?![\w.,/])")
_PROC_CONTEXT = re.compile(r"(?i)\b(?:cpt|hcpcs|procedure|proc)\b")
_ICD_DOT = re.compile(r"(?<![\w.-])([A-TV-Z]\d[0-9A-Z]\.[0-9A-Z]{1,4})(?!\w|\.\w)")
_ICD_LIST = re.compile(
    r"(?i:\b(?:diagnos[ie]s(?:\s+codes?)?|dx|icd-?10(?:-cm)?(?:\s+codes?)?))\s*[:#]?\s+"
    r"((?:[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?[,;]?\s*)+)"
)
_ICD_TOKEN = re.compile(r"[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?")
_SEPARATOR = r"\s*(?:[:#.]\s*)*"
_APPEAL_WORDS = re.compile(
    r"(?i)\b(?:appeal|reconsideration|redetermination|requests? (?:for )?(?:a )?review"
    r"|ask for a review)"
)
_NOT_APPEAL_WINDOW = re.compile(
    r"(?i)\b(?:fair hearing|external review|we will|decide|decision on|civil action"
    r"|keep your benefits|continue your benefits|corrected claim)"
)
_STATED_DATE = re.compile(
    r"(?i)\b(?P<lead>by|no later than|on or before|before|received by|deadline|until)"
    r"\s*[:#]?\s*(?P<date>" + _DATE_BODY + ")"
)
_DAYS = re.compile(
    r"(?i)\b(?:within|have|has|allow(?:s|ed)?)\s+(?:(?:thirty|sixty|ninety|[a-z-]+)\s+)?"
    r"\(?(?P<n>\d{1,3})\)?[\s-]*(?:calendar\s+)?days?"
    r"(?P<anchor>\s+(?:of|from|following|after)\b[^.;]*)?"
)
_RECEIPT = re.compile(r"(?i)\breceiv|\breceipt|\byou get\b")
_LINE_END = re.compile(r"[.:;!?]$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_NAME_TOKEN = re.compile(r"^[A-Z][A-Za-z'’.-]*,?$")


@dataclass(frozen=True)
class Evidence:
    """Where a value came from: page, the exact text, and how sure the parser is."""

    page: int
    text: str
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return {"page": self.page, "text": self.text, "confidence": round(self.confidence, 2)}


@dataclass(frozen=True)
class _Line:
    page: int
    text: str
    ocr: bool


@dataclass(frozen=True)
class _Sentence:
    page: int
    text: str
    ocr: bool


def parse_date(text: str) -> date | None:
    """Return the first date written in ``text`` in any common letter format, if any."""
    match = DATE_RE.search(text)
    return _date_of(match) if match else None


def _date_of(m: re.Match[str]) -> date | None:
    try:
        if m.group("iso"):
            return date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        if m.group("num"):
            year = int(m.group("ny"))
            year = year + 2000 if year < 100 else year
            return date(year, int(m.group("nm")), int(m.group("nd")))
        if m.group("mdy"):
            month = _MONTHS[m.group("mm").lower()]
            return date(int(m.group("my")), month, int(m.group("md")))
        if m.group("dmy"):
            month = _MONTHS[m.group("dm").lower()]
            return date(int(m.group("dy")), month, int(m.group("dd")))
    except ValueError:
        return None
    return None


def _normalise_pages(
    pages: Iterable[Sequence[Any]],
) -> list[tuple[int, str, bool]]:
    out = []
    for item in pages:
        page_no, text = int(item[0]), str(item[1] or "")
        source = str(item[2]) if len(item) > 2 else "text"
        out.append((page_no, text, source == "ocr"))
    return out


def _lines(pages: list[tuple[int, str, bool]]) -> list[_Line]:
    return [
        _Line(no, line.strip(), ocr)
        for no, text, ocr in pages
        for line in text.splitlines()
        if line.strip()
    ]


def _sentences(pages: list[tuple[int, str, bool]]) -> list[_Sentence]:
    """Join wrapped lines into paragraphs, then split paragraphs into sentences."""
    out: list[_Sentence] = []
    for no, text, ocr in pages:
        paragraphs: list[str] = []
        current = ""
        for raw in text.splitlines():
            line = " ".join(raw.split())
            if not line:
                if current:
                    paragraphs.append(current)
                current = ""
                continue
            # A wrapped body line runs on: the previous line is long and did not end a sentence,
            # or this one starts in lower case.
            runs_on = current and (
                (len(current.split("\n")[-1]) >= 55 and not _LINE_END.search(current))
                or line[:1].islower()
            )
            if runs_on:
                current = f"{current} {line}"
            else:
                if current:
                    paragraphs.append(current)
                current = line
        if current:
            paragraphs.append(current)
        for paragraph in paragraphs:
            out += [_Sentence(no, s.strip(), ocr) for s in _SENTENCE_SPLIT.split(paragraph)]
    return out


def _conf(value: float, ocr: bool) -> float:
    return value * OCR_FACTOR if ocr else value


def _preceding_word(text: str, start: int) -> str:
    words = re.findall(r"[A-Za-z]+", text[:start])
    return words[-1].lower() if words else ""


def _labelled(
    lines: list[_Line], field: str, value: re.Pattern[str]
) -> tuple[str, Evidence] | None:
    """Return the best labelled value of a field and its evidence."""
    rules = taxonomy.label_rules()
    best: tuple[float, str, Evidence] | None = None
    for rule in rules.fields[field].labels:
        regex = re.compile(
            rf"(?<![A-Za-z])(?i:{rule.pattern.pattern})(?![A-Za-z]){_SEPARATOR}"
            rf"({value.pattern})(?![A-Za-z0-9-])"
        )
        ocr_regex = re.compile(
            rf"(?<![A-Za-z])(?i:{rule.pattern.pattern})(?![A-Za-z]){_SEPARATOR}(.+)$"
        )
        for line in lines:
            found = _value_after_label(line, regex, ocr_regex, value, rules.foreign_prefixes)
            if found is None:
                continue
            conf = _conf(rule.confidence, line.ocr)
            if best is None or conf > best[0]:
                best = (conf, found, Evidence(line.page, line.text, conf))
    return (best[1], best[2]) if best else None


def _value_after_label(
    line: _Line,
    regex: re.Pattern[str],
    ocr_regex: re.Pattern[str],
    value: re.Pattern[str],
    foreign: tuple[str, ...],
) -> str | None:
    strict = next(
        (
            m.group(1)
            for m in regex.finditer(line.text)
            if _preceding_word(line.text, m.start()) not in foreign
        ),
        None,
    )
    if not line.ocr:
        return strict
    return _ocr_value_after_label(line, ocr_regex, value, foreign) or strict


def _ocr_value_after_label(
    line: _Line, ocr_regex: re.Pattern[str], value: re.Pattern[str], foreign: tuple[str, ...]
) -> str | None:
    # OCR splits an ID with a stray space or starts it with a speck ("* TMA9001 12233",
    # "€2026..."): clean the rest of the line and join a lone trailing group.
    for match in ocr_regex.finditer(line.text):
        if _preceding_word(line.text, match.start()) in foreign:
            continue
        rest = match.group(1).strip().lstrip("*•·'\"|_~ ")
        rest = _OCR_FIRST_CHAR.get(rest[:1], rest[:1]) + rest[1:]
        tokens = rest.split()
        if len(tokens) == 2 and tokens[1].isalnum() and len(tokens[1]) <= 6:
            tokens = [tokens[0] + tokens[1]]
        hit = re.match(rf"({value.pattern})(?![A-Za-z0-9-])", " ".join(tokens))
        if hit:
            return hit.group(1)
    return None


# Characters OCR reads in place of a capital at the start of an ID.
_OCR_FIRST_CHAR = {"€": "C", "©": "C", "§": "S", "$": "S", "|": "I", "¢": "C"}


def _patient_name(lines: list[_Line]) -> tuple[str, Evidence] | None:
    rules = taxonomy.label_rules()
    for rule in rules.fields["patient_name"].labels:
        regex = re.compile(rf"(?<![A-Za-z])(?i:{rule.pattern.pattern})\s*:?\s+(.+)$")
        for line in lines:
            match = regex.search(line.text)
            if not match or _preceding_word(line.text, match.start()) in rules.foreign_prefixes:
                continue
            if match.start() > 0 and rule.confidence < 0.9:
                continue  # weak labels (Member, RE) only count at the start of a line
            name = _name_tokens(match.group(1), rules.name_stopwords)
            if name:
                return name, Evidence(line.page, line.text, _conf(rule.confidence, line.ocr))
    return None


def _name_tokens(text: str, stopwords: frozenset[str]) -> str | None:
    tokens: list[str] = []
    for token in text.split():
        if not _NAME_TOKEN.match(token) or token.strip(",.").lower() in stopwords:
            break
        tokens.append(token)
        if token.endswith(",") and len(tokens) > 1:
            break
        if len(tokens) == 4:
            break
    if len(tokens) < 2:
        return None
    if tokens[0].endswith(","):  # SAMPLENAME, MARIA -> Maria Samplename
        tokens = tokens[1:] + [tokens[0].rstrip(",")]
    tokens = [t.rstrip(",") for t in tokens]
    name = " ".join(tokens)
    return name.title() if name.isupper() else name


def _labelled_date(
    lines: list[_Line], field: str, *, look_below: bool
) -> tuple[date, Evidence] | None:
    rules = taxonomy.label_rules()
    foreign = set(rules.foreign_prefixes) | _DATE_FOREIGN
    best: tuple[float, date, Evidence] | None = None
    for rule in rules.fields[field].labels:
        regex = re.compile(rf"(?<![A-Za-z])(?i:{rule.pattern.pattern})(?![A-Za-z])")
        for index, line in enumerate(lines):
            for match in regex.finditer(line.text):
                if _preceding_word(line.text, match.start()) in foreign:
                    continue
                rest = line.text[match.end() :]
                found = re.match(_SEPARATOR + r"(?:\(s\)\s*)?:?\s*", rest)
                after = rest[found.end() if found else 0 :]
                hit = DATE_RE.match(after)
                conf = rule.confidence
                evidence_line = line
                if hit is None and look_below:
                    hit, evidence_line = _date_below(lines, index)
                    conf -= 0.1
                if hit is None:
                    continue
                value = _date_of(hit)
                if value is None:
                    continue
                conf = _conf(conf, evidence_line.ocr)
                if best is None or conf > best[0]:
                    best = (conf, value, Evidence(evidence_line.page, evidence_line.text, conf))
                break
    return (best[1], best[2]) if best else None


_DATE_FOREIGN = {
    "service", "birth", "effective", "termination", "due", "appeal", "deadline", "received",
    "from", "to", "through", "request", "decision", "of", "paid", "admission", "discharge",
}  # fmt: skip


def _date_below(lines: list[_Line], index: int) -> tuple[re.Match[str] | None, _Line]:
    """A column header (``DOS`` over a table) has its value at the start of a row below."""
    for line in lines[index + 1 : index + 4]:
        if line.page != lines[index].page:
            break
        hit = DATE_RE.match(line.text)
        if hit:
            return hit, line
    return None, lines[index]


def _letter_date(lines: list[_Line]) -> tuple[date, Evidence] | None:
    labelled = _labelled_date(lines, "letter_date", look_below=False)
    if labelled:
        return labelled
    # Without a label, the letter date is a line of its own near the top of page 1.
    first_page = lines[0].page if lines else 1
    for line in [ln for ln in lines if ln.page == first_page][:15]:
        hit = DATE_RE.match(line.text)
        if hit and hit.end() >= len(line.text.rstrip(" .")):
            value = _date_of(hit)
            if value:
                return value, Evidence(line.page, line.text, _conf(0.85, line.ocr))
    return None


def _payer_name(lines: list[_Line]) -> tuple[str, Evidence] | None:
    rules = taxonomy.label_rules()
    if not lines:
        return None
    first = [ln for ln in lines if ln.page == lines[0].page][: rules.payer_lines_to_scan]
    suffixes = sorted(rules.payer_suffixes, key=len, reverse=True)
    label_re = re.compile(
        r"^(?i:" + "|".join(re.escape(x) for x in rules.payer_labels) + r")\s*:\s*(.+)$"
    )
    for line in first:
        text = line.text.strip(" |_-—~'\"")
        labelled = label_re.match(text)
        candidate = labelled.group(1).strip() if labelled else text
        if re.search(r"\d", candidate) or not re.fullmatch(r"[A-Z][A-Za-z&.,' -]+", candidate):
            continue
        words = candidate.split()
        if len(words) > 7:
            continue
        if any(candidate.lower().endswith(" " + s.lower()) for s in suffixes):
            conf = 0.85 if not labelled else 0.9
            return candidate, Evidence(line.page, line.text, _conf(conf, line.ocr))
    return None


def _procedure_codes(lines: list[_Line]) -> tuple[list[str], list[Evidence]]:
    codes: list[str] = []
    evidence: list[Evidence] = []
    in_table = False
    for line in lines:
        found = [m.group(1).replace("O", "0", 1) for m in _CPT_III.finditer(line.text)]
        header = bool(_PROC_CONTEXT.search(line.text))
        row = in_table and bool(DATE_RE.match(line.text))
        if header or row:
            found += [m.group(1) for m in _CPT_ANY.finditer(line.text) if not _is_zip(line.text)]
        if header and not DATE_RE.match(line.text):
            in_table = True
        elif not row:
            in_table = header
        new = [c for c in found if c not in codes]
        if new:
            codes += new
            evidence.append(Evidence(line.page, line.text, _conf(0.9, line.ocr)))
    return codes, evidence


def _is_zip(text: str) -> bool:
    return bool(re.search(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b", text))


def _diagnosis_codes(lines: list[_Line]) -> tuple[list[str], list[Evidence]]:
    codes: list[str] = []
    evidence: list[Evidence] = []
    for line in lines:
        found = [m.group(1) for m in _ICD_DOT.finditer(line.text)]
        listed = _ICD_LIST.search(line.text)
        if listed:
            found += _ICD_TOKEN.findall(listed.group(1))
        found = [c for c in found if taxonomy.rarc_meaning(c) is None]
        new = [c for c in dict.fromkeys(found) if c not in codes]
        if new:
            codes += new
            evidence.append(Evidence(line.page, line.text, _conf(0.9, line.ocr)))
    return codes, evidence


def _carcs_in(text: str) -> list[str]:
    found = [m.group(1) for m in _CARC_GROUP.finditer(text)]
    found += [m.group(1) for m in _CARC_LABEL.finditer(text)]
    return list(dict.fromkeys(code.lstrip("0") or "0" for code in found))


def _rarcs_in(text: str) -> list[str]:
    known = taxonomy.known_rarcs()
    context = bool(_RARC_CONTEXT.search(text))
    return list(
        dict.fromkeys(m.group(1) for m in _RARC.finditer(text) if m.group(1) in known or context)
    )


def _phrase_category(sentence: str) -> tuple[str, float] | None:
    rules, ignore = taxonomy.phrase_rules()
    if any(p.search(sentence) for p in ignore):
        return None
    for rule in rules:
        if rule.pattern.search(sentence):
            return rule.category, rule.confidence
    return None


def _reasons(sentences: list[_Sentence]) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Return reasons (codes first, then phrases), and the CARC and RARC codes in letter order."""
    carcs: list[str] = []
    rarcs: list[str] = []
    by_carc: dict[str, tuple[_Sentence, int]] = {}
    rarc_only: dict[str, _Sentence] = {}
    phrase_hits: dict[str, tuple[_Sentence, float]] = {}
    for sentence in sentences:
        sentence_carcs = _carcs_in(sentence.text)
        sentence_rarcs = _rarcs_in(sentence.text)
        for code in sentence_carcs:
            if code not in carcs:
                carcs.append(code)
            words = len(re.findall(r"[A-Za-z]{3,}", sentence.text))
            if code not in by_carc or words > by_carc[code][1]:
                by_carc[code] = (sentence, words)
        for code in sentence_rarcs:
            if code not in rarcs:
                rarcs.append(code)
            if not sentence_carcs and code not in rarc_only:
                rarc_only[code] = sentence
        if sentence_carcs or sentence_rarcs:
            continue  # the codes say what this sentence means
        hit = _phrase_category(sentence.text)
        if hit and (hit[0] not in phrase_hits or hit[1] > phrase_hits[hit[0]][1]):
            phrase_hits[hit[0]] = (sentence, hit[1])

    reasons: list[dict[str, Any]] = []
    covered: set[str] = set()
    for code in carcs:
        sentence = by_carc[code][0]
        meaning = taxonomy.carc_meaning(code)
        category = meaning.category if meaning and meaning.category else "other"
        conf = 0.9 if meaning else 0.5
        said = _phrase_category(sentence.text)
        if said and said[0] == category:
            conf = 0.95
        if category in phrase_hits:
            conf = min(0.98, conf + 0.03)
        reasons.append(_reason(category, code, sentence, conf))
        covered.add(category)
    for code, sentence in rarc_only.items():
        rarc = taxonomy.rarc_meaning(code)
        if rarc and rarc.category and rarc.category not in covered:
            reasons.append(_reason(rarc.category, None, sentence, 0.8))
            covered.add(rarc.category)
    for category, (sentence, conf) in phrase_hits.items():
        if category not in covered:
            reasons.append(_reason(category, None, sentence, conf))
            covered.add(category)
    return reasons, carcs, rarcs


def _reason(category: str, carc: str | None, sentence: _Sentence, conf: float) -> dict[str, Any]:
    return {
        "category": category,
        "carc": carc,
        "page": sentence.page,
        "evidence": sentence.text,
        "confidence": round(_conf(conf, sentence.ocr), 2),
    }


def _plan_type(sentences: list[_Sentence]) -> tuple[str, Evidence] | None:
    signals, min_score = taxonomy.plan_signals()
    scores: dict[str, int] = {}
    strongest: dict[str, tuple[int, _Sentence]] = {}
    for signal in signals:
        for sentence in sentences:
            if signal.pattern.search(sentence.text):
                scores[signal.plan_type] = scores.get(signal.plan_type, 0) + signal.weight
                if signal.weight > strongest.get(signal.plan_type, (0, sentence))[0]:
                    strongest[signal.plan_type] = (signal.weight, sentence)
                break
    if not scores:
        return None
    plan, score = max(scores.items(), key=lambda kv: kv[1])
    if score < min_score:
        return None
    runner_up = max((s for p, s in scores.items() if p != plan), default=0)
    conf = 0.9 if score - runner_up >= 2 else 0.65
    sentence = strongest[plan][1]
    return plan, Evidence(sentence.page, sentence.text, _conf(conf, sentence.ocr))


def _deadline(
    sentences: list[_Sentence], letter_date: date | None, plan_type: str | None
) -> tuple[date | None, int | None, str | None, Evidence | None]:
    """Return deadline, days, basis and evidence: a stated date, stated days, or the plan rule."""
    stated_days: tuple[int, str, bool, _Sentence] | None = None
    for sentence in sentences:
        text = sentence.text
        if not _APPEAL_WORDS.search(text) or _NOT_APPEAL_WINDOW.search(text):
            continue
        hit = _STATED_DATE.search(text)
        if hit:
            stated = parse_date(hit.group("date"))
            if stated:
                basis = f"letter states the date: {hit.group(0)}"
                return stated, None, basis, Evidence(sentence.page, text, _conf(0.95, sentence.ocr))
        days = _DAYS.search(text)
        if days and stated_days is None:
            anchor = days.group("anchor") or ""
            phrase = days.group(0).strip()
            phrase = re.sub(r"(?i)^(?:have|has|allows?|allowed)\s+", "", phrase)
            receipt = bool(_RECEIPT.search(anchor))
            stated_days = (int(days.group("n")), phrase, receipt, sentence)
    if stated_days:
        n, phrase, receipt, sentence = stated_days
        evidence = Evidence(sentence.page, sentence.text, _conf(0.9, sentence.ocr))
        if letter_date is None:
            return None, n, f"letter states: {phrase}; the letter date was not found", evidence
        basis = f"letter states: {phrase}"
        counted = deadlines.stated_days_deadline(
            letter_date, n, from_receipt=receipt, plan_type=plan_type
        )
        if receipt:
            presumed = counted.presumed_receipt_days
            basis += (
                f" (receipt presumed {presumed} days after the notice date)"
                if presumed
                else " (counted from the letter date, the earliest possible receipt)"
            )
        return counted.deadline, n, basis, evidence
    ruled = deadlines.plan_rule_deadline(plan_type, letter_date) if letter_date else None
    if ruled is not None and ruled.rule is not None:
        rule = ruled.rule
        basis = f"plan rule: {rule.label}, {rule.days} days ({rule.source})"
        return ruled.deadline, rule.days, basis, None
    return None, None, None, None


def parse_denial(
    pages: Iterable[Sequence[Any]],
    *,
    today: date | None = None,
    text_source: str | None = None,
    page_count: int | None = None,
) -> Denial:
    """Return the CONTRACT.md §4 facts of a denial letter, with evidence, from its page texts.

    ``pages`` holds ``(page_no, text)`` or ``(page_no, text, source)`` with source ``text`` or
    ``ocr``. With ``today``, a letter date after it (a misread) sends the result to review and
    the deadline evidence says whether the deadline has passed.
    """
    normalised = _normalise_pages(pages)
    lines = _lines(normalised)
    sentences = _sentences(normalised)
    evidence: dict[str, Any] = {}
    label_values = taxonomy.label_rules().fields

    def keep(name: str, found: tuple[Any, Evidence] | None) -> Any:
        if found is None:
            return None
        evidence[name] = found[1].as_dict()
        return found[0]

    result: dict[str, Any] = {
        "text_source": text_source or _text_source(normalised),
        "pages": page_count if page_count is not None else len(normalised),
    }
    result["payer_name"] = keep("payer_name", _payer_name(lines))
    for name in ("member_id", "claim_number", "authorization_number"):
        value = label_values[name].value
        result[name] = keep(name, _labelled(lines, name, value) if value else None)
    result["patient_name"] = keep("patient_name", _patient_name(lines))
    letter_date = keep("letter_date", _letter_date(lines))
    result["letter_date"] = letter_date.isoformat() if letter_date else None
    dos = keep("date_of_service", _labelled_date(lines, "date_of_service", look_below=True))
    result["date_of_service"] = dos.isoformat() if dos else None

    procedures, proc_evidence = _procedure_codes(lines)
    diagnoses, dx_evidence = _diagnosis_codes(lines)
    result["procedure_codes"] = procedures
    result["diagnosis_codes"] = diagnoses
    if proc_evidence:
        evidence["procedure_codes"] = [e.as_dict() for e in proc_evidence]
    if dx_evidence:
        evidence["diagnosis_codes"] = [e.as_dict() for e in dx_evidence]

    reasons, carcs, rarcs = _reasons(sentences)
    result["carc_codes"] = carcs
    result["rarc_codes"] = rarcs
    result["categories"] = list(dict.fromkeys(r["category"] for r in reasons))
    result["reasons"] = reasons

    plan = _plan_type(sentences)
    plan_type = keep("plan_type", plan)
    deadline, days, basis, deadline_evidence = _deadline(sentences, letter_date, plan_type)
    deadline_conf = 0.75 if deadline and deadline_evidence is None else 0.0
    if deadline_evidence:
        evidence["appeal_deadline"] = deadline_evidence.as_dict()
        deadline_conf = deadline_evidence.confidence
    elif deadline and plan:
        evidence["appeal_deadline"] = {**plan[1].as_dict(), "confidence": deadline_conf}
    result["appeal_deadline"] = deadline.isoformat() if deadline else None
    result["appeal_days"] = days
    result["appeal_deadline_basis"] = basis
    result["plan_type"] = plan_type

    confidences = [r["confidence"] for r in reasons] + [
        e["confidence"] for e in evidence.values() if isinstance(e, dict)
    ]
    result["needs_review"] = (
        deadline is None
        or not reasons
        or any(c < REVIEW_BELOW for c in confidences)
        or deadline_conf < REVIEW_BELOW
    )
    if today is not None:
        if letter_date is not None and letter_date > today:
            result["needs_review"] = True
        if deadline is not None and "appeal_deadline" in evidence:
            evidence["appeal_deadline"]["passed"] = deadline < today
    result["evidence"] = evidence
    return Denial.from_json(result)


def _text_source(pages: list[tuple[int, str, bool]]) -> str:
    kinds = {ocr for _, _, ocr in pages}
    if kinds == {True}:
        return "ocr"
    return "mixed" if len(kinds) > 1 else "text"
