"""The PAP conditional (coverage) paths, any one of which qualifies: no insurance, underinsured,
scalp cooling not covered, or a PA finally denied."""

from __future__ import annotations

from formservice.model import Case
from formservice.reimbursement.pa_tracking import status_label
from formservice.reimbursement.pap_rules.result import RuleResult

__all__ = ["check_coverage_paths"]


def check_coverage_paths(
    case: Case, underinsured: bool | None, appeal_available: bool | None
) -> list[RuleResult]:
    """Conditional: the four coverage situations of the seed, each checked."""
    insured = case.coverage.status == "insured"
    return [
        RuleResult(
            "conditional.no_insurance",
            not insured,
            "patient has no health insurance" if not insured else "patient is insured",
        ),
        _underinsured(insured, underinsured),
        _not_covered(insured, case.coverage.scalp_cooling_covered),
        _pa_denied_final(case.prior_authorization.status, appeal_available),
    ]


def _underinsured(insured: bool, underinsured: bool | None) -> RuleResult:
    rule = "conditional.underinsured"
    if not insured:
        return RuleResult(rule, False, "not insured: the no-insurance path applies instead")
    if underinsured is None:
        return RuleResult(
            rule,
            None,
            "whether the coverage is enough is not known (benefits investigation)",
            missing=("benefits_investigation.underinsured",),
        )
    return RuleResult(
        rule,
        underinsured,
        "benefits investigation: coverage is not enough"
        if underinsured
        else "benefits investigation: coverage is enough",
    )


def _not_covered(insured: bool, covered: bool | None) -> RuleResult:
    rule = "conditional.not_covered"
    if not insured:
        return RuleResult(rule, False, "not insured: the no-insurance path applies instead")
    if covered is None:
        return RuleResult(
            rule,
            None,
            "not known whether the plan covers scalp cooling",
            missing=("coverage.scalp_cooling_covered",),
        )
    return RuleResult(
        rule,
        not covered,
        "insured, but the plan does not cover scalp cooling"
        if not covered
        else "the plan covers scalp cooling",
    )


def _pa_denied_final(status: str, appeal_available: bool | None) -> RuleResult:
    """A PA denial is final when the first appeal was denied, or when no appeal is available.

    The hub helps with one appeal (seed page), so a plain denial is NOT final unless the caller
    says no appeal is available (`appeal_available=False`): it waits for the appeal.
    """
    rule = "conditional.pa_denied_final"
    if status == "appeal_denied":
        return RuleResult(rule, True, "the prior authorization was denied and so was the appeal")
    if status == "denied" and appeal_available is False:
        return RuleResult(
            rule, True, "the prior authorization was denied and no appeal is available"
        )
    if status == "denied":
        return RuleResult(
            rule,
            False,
            "the prior authorization was denied, but the one appeal the hub helps with is still "
            "open: this path applies once the appeal is denied, or if no appeal is available",
        )
    if status == "appeal_submitted":
        return RuleResult(
            rule, False, "the appeal of the denied authorization is awaiting a decision"
        )
    return RuleResult(rule, False, f"no final denial (prior authorization {status_label(status)})")
