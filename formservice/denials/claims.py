"""Claims of a remittance: which rows belong to which claim, which claim the letter is about, and
its service lines and adjustments as the contract states them.

A claim starts at a line naming a patient together with a member ID or a claim number ("NAME X
MID Y ... ICN Z", "Patient: X Member ID: Y Claim #: Z"). A remittance lists many; the one this
service reads is the scalp-cooling claim (a line billing 0662T/0663T), else the one with a denial
(a CARC that is not routine pricing). Amounts the line does not print are derived only where the
835's arithmetic fixes them: a cost-share column stands for its PR adjustment when the line prints
none, and a line's one adjustment without an amount is billed minus paid minus the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from formservice.denials import taxonomy
from formservice.denials.codes import adjustment_codes
from formservice.denials.labels import LabelIndex
from formservice.denials.layout import Line
from formservice.denials.table_rows import Row
from formservice.model.denial import Adjustment, ServiceLine
from formservice.reimbursement.codes import scalp_cooling_codes

__all__ = ["ClaimView", "claim_view"]


@dataclass
class ClaimView:
    """The claim a letter is about: its header line, rows, and the lines of other claims."""

    rows: list[Row] = field(default_factory=list)
    header: int | None = None  # line index of the claim's header line
    other_lines: set[int] = field(default_factory=set)  # lines of the other claims
    claims: int = 0
    ambiguous: bool = False  # several claims could be the one


def _is_claim_header(fields: set[str | None]) -> bool:
    return "patient_name" in fields and bool(fields & {"member_id", "claim_number"})


def claim_view(lines: Sequence[Line], rows: Sequence[Row], index: LabelIndex) -> ClaimView:
    """Group rows by claim header and pick the claim the letter is about (``index``: the
    labels of ``lines``)."""
    row_lines = {r.index for r in rows}
    headers = [
        i for i in range(len(lines)) if i not in row_lines and _is_claim_header(index.fields_on(i))
    ]
    blocks: dict[int, list[Row]] = {h: [] for h in headers}
    for row in rows:
        owner = max((h for h in headers if h < row.index), default=None)
        if owner is not None:
            blocks[owner].append(row)
    # A patient line that no service line follows is a fact block or a page header, not a claim.
    headers = [h for h in headers if blocks[h]]
    if len(headers) <= 1:
        return ClaimView(list(rows), headers[0] if headers else None, set(), len(headers))
    scored = sorted(headers, key=lambda h: (-_score(blocks[h]), h))
    chosen = scored[0]
    ambiguous = len(scored) > 1 and _score(blocks[scored[1]]) == _score(blocks[chosen])
    other: set[int] = set()
    for start in headers:
        if start != chosen:
            # A claim runs from its patient line to its last service line (with the lines
            # printed under it); what follows (glossary, appeal rights) belongs to the letter.
            last = blocks[start][-1]
            end = last.index + len(last.extra_lines)  # the lines under a row follow it
            other.update(range(start, end + 1))
    return ClaimView(blocks[chosen], chosen, other, len(headers), ambiguous)


def _score(rows: Sequence[Row]) -> int:
    scalp = scalp_cooling_codes()
    routine = taxonomy.routine_carcs()
    score = 0
    if any(r.code in scalp for r in rows):
        score += 2
    if any(carc not in routine for r in rows for _, carc, _ in r.adjustments):
        score += 1
    return score


def service_lines(rows: Sequence[Row], notes: dict[str, str]) -> list[ServiceLine]:
    """The contract's service lines of a claim's rows."""
    return [_service_line(row, notes) for row in rows]


def _service_line(row: Row, notes: dict[str, str]) -> ServiceLine:
    adjustments = list(row.adjustments)
    for note in row.notes:  # a payer's note code whose text cites the CARC ("OX2 ... 242")
        for group, carc, _s, _e in adjustment_codes(notes.get(note, "")):
            if not any(c == carc for _, c, _ in adjustments):
                adjustments.append((group, carc, None))
    adjustments += _cost_share(row, adjustments)
    adjustments = _fill_amount(row, adjustments)
    return ServiceLine(
        date_of_service=row.date_of_service,
        code=row.code,
        modifiers=tuple(row.modifiers),
        units=row.units,
        billed=row.amounts.get("billed"),
        allowed=row.amounts.get("allowed"),
        paid=row.amounts.get("paid"),
        adjustments=tuple(Adjustment(g, c, a) for g, c, a in adjustments),
        rarc_codes=tuple(row.rarcs),
    )


def _cost_share(
    row: Row, adjustments: list[tuple[str | None, str, float | None]]
) -> list[tuple[str | None, str, float | None]]:
    """PR adjustments a line's cost-share columns stand for, when it prints none itself."""
    if any(g == "PR" for g, _, _ in adjustments):
        return []
    out: list[tuple[str | None, str, float | None]] = []
    columns = taxonomy.cost_share_columns()
    for role in ("deduct", "coins", "copay"):
        value = row.amounts.get(role)
        shared = any(k.startswith("_shared:") and role in k for k in row.amounts)
        if value and value > 0 and not shared:
            out.append(("PR", columns[role], value))
    return out


def _fill_amount(
    row: Row, adjustments: list[tuple[str | None, str, float | None]]
) -> list[tuple[str | None, str, float | None]]:
    """Give the one adjustment printed without an amount what the line's arithmetic leaves."""
    missing = [k for k, (_, _, a) in enumerate(adjustments) if a is None]
    billed, paid = row.amounts.get("billed"), row.amounts.get("paid")
    if len(missing) != 1 or billed is None or paid is None:
        return adjustments
    known = sum(a for _, _, a in adjustments if a is not None)
    rest = round(billed - paid - known, 2)
    if rest <= 0:
        return adjustments
    k = missing[0]
    group, carc, _ = adjustments[k]
    return [*adjustments[:k], (group, carc, rest), *adjustments[k + 1 :]]


def routine_adjustments(lines: Sequence[ServiceLine]) -> list[Adjustment]:
    """The routine pricing and cost-share adjustments of a claim, summed by group and code."""
    routine = taxonomy.routine_carcs()
    totals: dict[tuple[str | None, str], float] = {}
    for line in lines:
        for adj in line.adjustments:
            if adj.carc in routine:
                key = (adj.group, adj.carc)
                totals[key] = round(totals.get(key, 0.0) + (adj.amount or 0.0), 2)
    return [Adjustment(g, c, a) for (g, c), a in totals.items()]


def note_texts(lines: Sequence[Line], codes: set[str]) -> dict[str, str]:
    """The text of each payer note a table refers to ("OX2 Bayshore ... reason 242 ...")."""
    out: dict[str, str] = {}
    for i, line in enumerate(lines):
        first = line.words[0].text if line.words else ""
        if first in codes and len(line.words) > 3:
            text = [line.text]
            for nxt in lines[i + 1 : i + 6]:
                if (
                    nxt.page != line.page
                    or nxt.x0 <= line.x0 + 1
                    or nxt.top - line.bottom > 3 * line.size
                ):
                    break
                text.append(nxt.text)
            out[first] = " ".join(text)
    return out


def balanced(line: ServiceLine) -> bool:
    """Whether a line's amounts add up (billed = paid + adjustments), when all are printed."""
    amounts = [a.amount for a in line.adjustments]
    if line.billed is None or line.paid is None or not amounts or None in amounts:
        return True
    total = sum(a for a in amounts if a is not None)
    return abs(line.billed - line.paid - total) < 0.02
