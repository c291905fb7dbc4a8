"""A denial checked against the case it is attached to (CONTRACT.md §4, ``reconciliation``).

`formservice.reimbursement.reconciliation.reconcile` fills a `Reconciliation`; the store keeps
`Reconciliation.to_json()` beside the denial; `Reconciliation.from_json` reads it back.

JSON shape (the denial and case views)::

    "reconciliation": {
      "patient_name": {"status": "match", "case": "Maria O'Connor", "denial": "O'CONNOR, MARIA",
                       "identity": true},
      "date_of_birth": {...}, "member_id": {...}, "payer": {...}, "dates_of_service": {...},
      "diagnosis_codes": {...}, "procedure_codes": {...}
    }

and beside it ``reconciliation_state``: whether identity differs, the warnings (facts that
differ outside identity), who acknowledged them and when, and a hub user's identity override
(who, when, reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "FACTS",
    "IDENTITY_FACTS",
    "STATUSES",
    "FactCheck",
    "Override",
    "Reconciliation",
]

# Every fact compared, in the order the views list them.
FACTS: tuple[str, ...] = (
    "patient_name",
    "date_of_birth",
    "member_id",
    "payer",
    "dates_of_service",
    "diagnosis_codes",
    "procedure_codes",
)
# A difference in one of these means the letter may be about another patient: the attach is
# refused (409) unless a hub user overrides it with a reason.
IDENTITY_FACTS: frozenset[str] = frozenset({"patient_name", "date_of_birth", "member_id"})
STATUSES: tuple[str, ...] = ("match", "differs", "absent")
FactValue = str | tuple[str, ...] | None


@dataclass(frozen=True)
class FactCheck:
    """One fact: ``status`` match | differs | absent, and the value on each side (None: unknown).

    ``absent`` means at least one side does not state the fact, so nothing could be compared.
    """

    fact: str
    status: str
    case: FactValue
    denial: FactValue

    @property
    def identity(self) -> bool:
        """Whether this fact names the patient (name, date of birth, member ID)."""
        return self.fact in IDENTITY_FACTS

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "case": _plain(self.case),
            "denial": _plain(self.denial),
            "identity": self.identity,
        }


@dataclass(frozen=True)
class Override:
    """A hub user's decision to attach despite an identity difference, and why."""

    by: str
    at: str  # ISO 8601 UTC
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"by": self.by, "at": self.at, "reason": self.reason}


@dataclass(frozen=True)
class Reconciliation:
    """Every fact of `FACTS`, compared; the acknowledgement of warnings; an identity override."""

    checks: tuple[FactCheck, ...]
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    override: Override | None = None

    def get(self, fact: str) -> FactCheck:
        """The check of one fact (KeyError for a name outside `FACTS`)."""
        for check in self.checks:
            if check.fact == fact:
                return check
        raise KeyError(fact)

    @property
    def identity_differences(self) -> tuple[FactCheck, ...]:
        """Identity facts that differ: the letter may be about another patient."""
        return tuple(c for c in self.checks if c.identity and c.status == "differs")

    @property
    def warnings(self) -> tuple[FactCheck, ...]:
        """Other facts that differ: to be acknowledged before a packet is made."""
        return tuple(c for c in self.checks if not c.identity and c.status == "differs")

    @property
    def acknowledged(self) -> bool:
        """Whether nothing is left to acknowledge (no warnings, or a person acknowledged them)."""
        return not self.warnings or self.acknowledged_by is not None

    def acknowledge(self, by: str, at: str) -> Reconciliation:
        """A copy with the warnings acknowledged by `by` at `at` (ISO 8601)."""
        return replace(self, acknowledged_by=by, acknowledged_at=at)

    def with_override(self, override: Override | None) -> Reconciliation:
        """A copy carrying a hub user's identity override."""
        return replace(self, override=override)

    def to_json(self) -> dict[str, Any]:
        """The ``reconciliation`` object: one entry per fact, keyed by its name."""
        return {c.fact: c.to_json() for c in self.checks}

    def state_json(self) -> dict[str, Any]:
        """The ``reconciliation_state`` object: what blocks an attach or a packet, and who
        acknowledged or overrode it."""
        return {
            "identity_differs": [c.fact for c in self.identity_differences],
            "warnings": [c.fact for c in self.warnings],
            "acknowledged": self.acknowledged,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": self.acknowledged_at,
            "override": self.override.to_json() if self.override else None,
        }

    def stored_json(self) -> dict[str, Any]:
        """Everything, as the store keeps it."""
        return {"facts": self.to_json(), "state": self.state_json()}

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> Reconciliation:
        """Read back `stored_json` (values as stored, nothing recomputed)."""
        facts = data.get("facts") or {}
        state = data.get("state") or {}
        checks = tuple(
            FactCheck(
                fact=name,
                status=str(facts[name].get("status", "absent")),
                case=_value(facts[name].get("case")),
                denial=_value(facts[name].get("denial")),
            )
            for name in FACTS
            if isinstance(facts.get(name), Mapping)
        )
        raw = state.get("override")
        override = (
            Override(str(raw["by"]), str(raw["at"]), str(raw["reason"]))
            if isinstance(raw, Mapping)
            else None
        )
        return cls(
            checks=checks,
            acknowledged_by=state.get("acknowledged_by"),
            acknowledged_at=state.get("acknowledged_at"),
            override=override,
        )


def _plain(value: FactValue) -> str | list[str] | None:
    return list(value) if isinstance(value, tuple) else value


def _value(raw: Any) -> FactValue:
    if raw is None:
        return None
    if isinstance(raw, list | tuple):
        return tuple(str(v) for v in raw)
    return str(raw)
