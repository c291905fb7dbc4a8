"""A checklist item and how a checklist runs: each item's rule marks it ``done``, ``missing`` or
``not_applicable`` with a detail that says why; labels and order come from data/checklists.yaml."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from formservice.model import Benefits, Case, Denial
from formservice.reimbursement import load_data

__all__ = [
    "DONE",
    "MISSING",
    "NA",
    "ChecklistItem",
    "FactsLike",
    "Rule",
    "Status",
    "join_fields",
    "run_checklist",
    "summarize",
]

Status = Literal["done", "missing", "not_applicable"]
DONE: Status = "done"
MISSING: Status = "missing"
NA: Status = "not_applicable"


class FactsLike(Protocol):
    """What a checklist reads besides the case (CaseFacts has these)."""

    @property
    def benefits(self) -> Benefits | None: ...

    @property
    def documents(self) -> Collection[str]: ...

    @property
    def denial(self) -> Denial | None: ...


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One line of a checklist."""

    id: str
    label: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, str]:
        """Plain JSON-ready dict."""
        return {"id": self.id, "label": self.label, "status": self.status, "detail": self.detail}


Rule = Callable[[Case, FactsLike, date], tuple[Status, str]]

# Case fields as a checklist names them to a person (never the payload path).
FIELD_WORDS = {
    "treatment.start_date": "the start date",
    "treatment.sessions": "the number of sessions",
    "treatment.cycle_length_days": "the cycle length in days",
}


def join_fields(paths: Collection[str]) -> str:
    """Payload paths in plain words: 'the start date and the number of sessions'."""
    words = [FIELD_WORDS.get(p, p.rsplit(".", 1)[-1].replace("_", " ")) for p in paths]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _labels(kind: str) -> list[dict[str, str]]:
    items: list[dict[str, str]] = load_data("checklists.yaml")[kind]
    return items


def run_checklist(
    kind: str, rules: Mapping[str, Rule], case: Case, facts: FactsLike, today: date
) -> list[ChecklistItem]:
    """The checklist `kind` of data/checklists.yaml, each item marked by its rule."""
    out = []
    for entry in _labels(kind):
        status, detail = rules[entry["id"]](case, facts, today)
        out.append(ChecklistItem(entry["id"], entry["label"], status, detail))
    return out


def summarize(items: list[ChecklistItem]) -> dict[str, int]:
    """How many items are done, missing and not applicable."""
    counts: dict[str, int] = {DONE: 0, MISSING: 0, NA: 0}
    for item in items:
        counts[item.status] += 1
    return counts
