"""Template contexts: the one place a case (with its facts) becomes what a letter template sees.

`build_letter_context(kind, case, facts, today)` is the only entry; `common` builds the blocks
every letter shares, and the appeal, PAP, SOB and checklist modules add their own key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from formservice.documents.contexts import hub
from formservice.documents.contexts.abn import abn_context
from formservice.documents.contexts.appeal import (
    build_appeal_context,
    build_lmn_enclosure_context,
)
from formservice.documents.contexts.common import build_context, context_variables
from formservice.documents.contexts.text import format_date
from formservice.model import Case, CaseFacts

__all__ = [
    "CONTEXT_BUILDERS",
    "build_context",
    "build_letter_context",
    "context_variables",
    "format_date",
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
    "pap_letter": hub.pap_letter_context,
    "sob": hub.sob_context,
    "pa_checklist": hub.pa_checklist_context,
    "claim_checklist": hub.claim_checklist_context,
    "appeal_checklist": hub.appeal_checklist_context,
    "appeal": build_appeal_context,
    "abn": abn_context,
}


def build_letter_context(kind: str, case: Case, facts: CaseFacts, today: date) -> dict[str, Any]:
    """The template context of a letter kind (a KeyError for a kind that is not a letter)."""
    return CONTEXT_BUILDERS[kind](case, facts, today)


def letter_variables(kind: str | None, case: Case, facts: CaseFacts, today: date) -> frozenset[str]:
    """The top-level variables a letter kind's context provides (every kind's common ones)."""
    if kind is None or kind not in CONTEXT_BUILDERS:
        return context_variables()
    return frozenset(build_letter_context(kind, case, facts, today))
