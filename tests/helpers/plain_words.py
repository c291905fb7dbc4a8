"""The check that a document a person reads has no internal words (codes, payload paths, Python)."""

from __future__ import annotations

import re

# A snake_case identifier ("not_submitted", "no_insurance", "prior_authorization"), a payload path
# ("coverage.member_id", "patient.address"), or a Python value printed as text.
SNAKE = re.compile(r"(?<![\w/.@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/@-])")
PATH = re.compile(
    r"\b(?:patient|coverage|treatment|prescriber|facility|benefits|diagnoses|prescription)"
    r"\.[a-z]"
)
PYTHON = re.compile(r"\b(?:None|True|False)\b|'[a-z_]+'")


def internal_words(text: str) -> list[str]:
    """Every internal word in a text (URLs and e-mail addresses aside)."""
    text = re.sub(r"\S+://\S+|\S+@\S+", " ", text)
    return [m.group(0) for rx in (SNAKE, PATH, PYTHON) for m in rx.finditer(text)]
