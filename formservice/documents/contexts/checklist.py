"""Template contexts of the hub's checklists: PA, claim filing and letter of appeal.

Each item is marked by the pure checklist rules (`formservice.reimbursement.checklists`); the
letter's key is ``checklist``: title, intro, the entries with their status, the counts, whether
nothing is missing, and the denial on file (for the appeal checklist).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from formservice import model
from formservice.documents.contexts.common import build_context
from formservice.model import CaseFacts
from formservice.reimbursement import checklists

__all__ = ["appeal_checklist_context", "claim_checklist_context", "pa_checklist_context"]

_TITLES = {
    "pa_checklist": "Prior Authorization Checklist",
    "claim_checklist": "Claim Filing Checklist",
    "appeal_checklist": "Letter of Appeal Checklist",
}
_INTROS = {
    "pa_checklist": "What the prior-authorization request for scalp cooling needs, checked "
    "against this case.",
    "claim_checklist": "What the scalp-cooling claim (CMS-1500) needs before it is filed, "
    "checked against this case.",
    "appeal_checklist": "What the appeal packet must contain, checked against this case and "
    "the denial.",
}
ChecklistFn = Callable[[model.Case, Any, date], list[checklists.ChecklistItem]]


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _checklist(
    kind: str, fn: ChecklistFn, case: model.Case, facts: CaseFacts, today: date
) -> dict[str, Any]:
    items = fn(case, facts, today)
    counts = checklists.summarize(items)
    denial = facts.denial
    return {
        "title": _TITLES[kind],
        "intro": _INTROS[kind],
        "entries": [
            {**i.to_json(), "done": i.status == "done", "missing": i.status == "missing"}
            for i in items
        ],
        "done": counts["done"],
        "missing": counts["missing"],
        "not_applicable": counts["not_applicable"],
        "ready": counts["missing"] == 0,
        "denial": {
            "on_file": denial is not None,
            "claim_number": (denial.claim_number if denial else None) or "",
            "letter_date": _iso(denial.letter_date if denial else None),
            "appeal_deadline": _iso(denial.appeal_deadline if denial else None),
            "payer_name": (denial.payer_name if denial else None) or "",
        },
    }


def _checklist_builder(kind: str, fn: ChecklistFn) -> Callable[..., dict[str, Any]]:
    def build(case: model.Case, facts: CaseFacts, today: date) -> dict[str, Any]:
        return build_context(
            case,
            today=today,
            kind=kind,
            extra={"checklist": _checklist(kind, fn, case, facts, today)},
        )

    build.__name__ = f"{kind}_context"
    build.__doc__ = f"Context of the {_TITLES[kind]}."
    return build


pa_checklist_context = _checklist_builder("pa_checklist", checklists.pa_checklist)
claim_checklist_context = _checklist_builder("claim_checklist", checklists.claim_checklist)
appeal_checklist_context = _checklist_builder("appeal_checklist", checklists.appeal_checklist)
