"""What every PAP rule returns: passed (True, False or None), why, the numbers, what is missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["RuleResult"]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The outcome of one PAP rule: passed (or None), why, and the numbers used."""

    rule: str
    passed: bool | None
    detail: str
    numbers: dict[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "rule": self.rule,
            "passed": self.passed,
            "detail": self.detail,
            "numbers": dict(self.numbers),
            "missing": list(self.missing),
        }
