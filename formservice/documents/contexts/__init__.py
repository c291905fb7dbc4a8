"""Template contexts: the one place a case (with its facts) becomes what a letter template sees.

`build_letter_context(kind, case, facts, today)` is the only entry; `common` builds the blocks
every letter shares, and the appeal (`appeal`), PAP (`pap_letter`), SOB (`benefits_summary`) and
checklist (`checklist`) modules add their own key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from formservice.documents.contexts.abn import abn_context
from formservice.documents.contexts.appeal import (
    build_appeal_context,
    build_lmn_enclosure_context,
)
from formservice.documents.contexts.benefits_summary import sob_context
from formservice.documents.contexts.checklist import (
    appeal_checklist_context,
    claim_checklist_context,
    pa_checklist_context,
)
from formservice.documents.contexts.common import build_context, context_variables
from formservice.documents.contexts.pap_letter import pap_letter_context
from formservice.documents.contexts.text import format_date
from formservice.model import Case, CaseFacts

__all__ = [
    "CONTEXT_BUILDERS",
    "EXTRA_KEYS",
    "build_context",
    "build_letter_context",
    "context_variables",
    "format_date",
    "hub_context_variables",
    "letter_variables",
]

ContextBuilder = Callable[[Case, CaseFacts, date], dict[str, Any]]


def _lmn(case: Case, facts: CaseFacts, today: date) -> dict[str, Any]:
    if facts.lmn_purpose == "appeal_enclosure":
        # The LMN of an appeal packet documents the claim under appeal (no PA request).
        return build_lmn_enclosure_context(case, facts, today)
    return build_context(case, today=today)


CONTEXT_BUILDERS: dict[str, ContextBuilder] = {
    "lmn": _lmn,
    "pap_letter": pap_letter_context,
    "sob": sob_context,
    "pa_checklist": pa_checklist_context,
    "claim_checklist": claim_checklist_context,
    "appeal_checklist": appeal_checklist_context,
    "appeal": build_appeal_context,
    "abn": abn_context,
}

# The key each hub kind adds to the common context (template validation uses these).
EXTRA_KEYS: dict[str, frozenset[str]] = {
    "pap_letter": frozenset({"pap"}),
    "sob": frozenset({"sob"}),
    "pa_checklist": frozenset({"checklist"}),
    "claim_checklist": frozenset({"checklist"}),
    "appeal_checklist": frozenset({"checklist"}),
}


def hub_context_variables(kind: str) -> frozenset[str]:
    """Every top-level variable a hub document kind's context provides."""
    return context_variables() | EXTRA_KEYS[kind]


def build_letter_context(kind: str, case: Case, facts: CaseFacts, today: date) -> dict[str, Any]:
    """The template context of a letter kind (a KeyError for a kind that is not a letter)."""
    return CONTEXT_BUILDERS[kind](case, facts, today)


def letter_variables(kind: str | None, case: Case, facts: CaseFacts, today: date) -> frozenset[str]:
    """The top-level variables a letter kind's context provides (every kind's common ones)."""
    if kind is None or kind not in CONTEXT_BUILDERS:
        return context_variables()
    return frozenset(build_letter_context(kind, case, facts, today))
