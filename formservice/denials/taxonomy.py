"""Denial vocabulary as data: categories, CARC/RARC meanings, phrase and label rules, appeal rules.

Everything here is read from YAML files (``denials/data/*.yaml``) on first use and cached; nothing
is loaded at import. The appeal-window rules live with the other rules in
`formservice.reimbursement.deadlines` and are re-exported here for the parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from formservice.model.denial import CATEGORIES
from formservice.reimbursement.appealed_lines import ROUTINE_CARCS
from formservice.reimbursement.deadlines import DeadlineRule, deadline_rule, plan_types

__all__ = [
    "CATEGORIES",
    "CodeMeaning",
    "DeadlineRule",
    "any_phrase",
    "carc_meaning",
    "cost_share_columns",
    "deadline_rule",
    "known_rarcs",
    "label_rules",
    "phrase_rules",
    "plan_signals",
    "plan_types",
    "rarc_meaning",
    "routine_carcs",
]


_FLAGS = re.IGNORECASE


@dataclass(frozen=True)
class CodeMeaning:
    """One CARC or RARC: its X12 meaning (abridged) and our category (None for pure remarks)."""

    code: str
    meaning: str
    category: str | None


@dataclass(frozen=True)
class PhraseRule:
    """A regex that, found in a sentence, names a denial category with a confidence."""

    category: str
    pattern: re.Pattern[str]
    confidence: float


@dataclass(frozen=True)
class LabelRule:
    """A regex for a field label (``Member ID``, ``ICN`` ...) and the confidence of a hit."""

    pattern: re.Pattern[str]
    confidence: float


@dataclass(frozen=True)
class FieldLabels:
    """The labels of one field and the regex its value must match (None for names and dates)."""

    field: str
    labels: tuple[LabelRule, ...]
    value: re.Pattern[str] | None


@dataclass(frozen=True)
class LabelRules:
    """All label rules plus the word lists that guard them."""

    fields: dict[str, FieldLabels]
    other_labels: tuple[re.Pattern[str], ...]
    foreign_prefixes: frozenset[str]
    date_foreign_prefixes: frozenset[str]
    name_stopwords: frozenset[str]
    payer_suffixes: tuple[str, ...]
    payer_legal_endings: tuple[str, ...]
    payer_lines_to_scan: int
    payer_labels: tuple[str, ...]
    payer_title_words: frozenset[str]


@dataclass(frozen=True)
class PlanSignal:
    """A regex whose presence in a letter votes for a plan type with a weight."""

    plan_type: str
    pattern: re.Pattern[str]
    weight: int


def _load(package: str, name: str) -> Any:
    text = (resources.files(package) / "data" / name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@cache
def _codes_raw() -> dict[str, Any]:
    data: dict[str, Any] = _load("formservice.denials", "codes.yaml")
    return data


@cache
def routine_carcs() -> frozenset[str]:
    """CARCs of routine pricing and cost share (45, 1, 2, 3, 23, 253): adjustments, not reasons.

    The list is the rules layer's (`reimbursement.appealed_lines.ROUTINE_CARCS`), so the reader
    and the appeal never disagree on what is routine.
    """
    return ROUTINE_CARCS


def cost_share_columns() -> dict[str, str]:
    """Remittance column names (deduct, coins, copay) and the PR reason code each stands for."""
    return {str(k): str(v) for k, v in _codes_raw()["cost_share_columns"].items()}


@cache
def _codes() -> tuple[dict[str, CodeMeaning], dict[str, CodeMeaning]]:
    raw = _codes_raw()
    carc = {
        str(code): CodeMeaning(str(code), item["meaning"], item["category"])
        for code, item in raw["carc"].items()
    }
    rarc = {
        str(code): CodeMeaning(str(code), item["meaning"], item.get("category"))
        for code, item in raw["rarc"].items()
    }
    return carc, rarc


def carc_meaning(code: str) -> CodeMeaning | None:
    """Return the meaning and category of a CARC written without group prefix, if known."""
    return _codes()[0].get(code.lstrip("0") or "0")


def rarc_meaning(code: str) -> CodeMeaning | None:
    """Return the meaning and category of a RARC (``N115``), if known."""
    return _codes()[1].get(code.upper())


def known_rarcs() -> frozenset[str]:
    """Return every RARC the data knows."""
    return frozenset(_codes()[1])


@cache
def phrase_rules() -> tuple[tuple[PhraseRule, ...], tuple[re.Pattern[str], ...]]:
    """Return the phrase rules in priority order and the patterns of sentences to ignore."""
    raw = _load("formservice.denials", "phrases.yaml")
    rules = tuple(
        PhraseRule(category, re.compile(item["pattern"], _FLAGS), float(item["confidence"]))
        for category, items in raw["categories"].items()
        for item in items
    )
    unknown = {rule.category for rule in rules} - set(CATEGORIES)
    if unknown:
        raise ValueError(f"phrases.yaml names unknown categories: {sorted(unknown)}")
    ignore = tuple(re.compile(p, _FLAGS) for p in raw["ignore_sentences"])
    return rules, ignore


@cache
def any_phrase() -> re.Pattern[str]:
    """One pattern matching wherever any phrase rule does: most sentences match none, and one
    search tells so."""
    rules, _ = phrase_rules()
    return re.compile("|".join(f"(?:{r.pattern.pattern})" for r in rules), _FLAGS)


@cache
def label_rules() -> LabelRules:
    """Return the label rules of every field the parser reads by label."""
    raw = _load("formservice.denials", "labels.yaml")
    fields = {}
    for name, item in raw["fields"].items():
        value = item.get("value")
        fields[name] = FieldLabels(
            field=name,
            labels=tuple(
                LabelRule(re.compile(lab["pattern"], _FLAGS), float(lab["confidence"]))
                for lab in item["labels"]
            ),
            value=re.compile(value) if value else None,
        )
    return LabelRules(
        fields=fields,
        other_labels=tuple(re.compile(p, _FLAGS) for p in raw["other_labels"]),
        foreign_prefixes=frozenset(w.lower() for w in raw["foreign_prefixes"]),
        date_foreign_prefixes=frozenset(w.lower() for w in raw["date_foreign_prefixes"]),
        name_stopwords=frozenset(w.lower() for w in raw["name_stopwords"]),
        payer_suffixes=tuple(raw["payer_suffixes"]),
        payer_legal_endings=tuple(raw["payer_legal_endings"]),
        payer_lines_to_scan=int(raw["payer_lines_to_scan"]),
        payer_labels=tuple(raw["payer_labels"]),
        payer_title_words=frozenset(w.lower() for w in raw["payer_title_words"]),
    )


@cache
def plan_signals() -> tuple[tuple[PlanSignal, ...], int]:
    """Return the plan-type signals and the score a plan type needs to be reported."""
    raw = _load("formservice.denials", "plan_types.yaml")
    signals = tuple(
        PlanSignal(plan, re.compile(item["pattern"], _FLAGS), int(item["weight"]))
        for plan, items in raw["signals"].items()
        for item in items
    )
    return signals, int(raw["min_score"])
