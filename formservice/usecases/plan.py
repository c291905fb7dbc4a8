"""The document plan of a case, and the applicability check every document request passes.

`case_plan` (GET /cases/{id}/plan) and `plan_for_payload` (`formservice plan CASE.json`) list the
documents that apply and why, and those that don't and why (reimbursement/applicability.py).
`check_applicable` refuses a request for a document that does not apply with
`DocumentNotApplicable` (422, naming the rule) before anything is rendered or stored; a hub user
may override an overridable rule with a reason, which the caller records in the audit trail.
"""

from __future__ import annotations

from formservice.errors import DocumentNotApplicable, ForbiddenError
from formservice.model import Case, CaseFacts, DocumentRequest, Principal
from formservice.reimbursement.applicability import Plan, PlanEntry, check_document, plan_for
from formservice.store import access
from formservice.store.db import reading
from formservice.store.models import DenialRow
from formservice.store.pa import tracked_case
from formservice.usecases.cases import case_facts
from formservice.usecases.services import Services

__all__ = ["OVERRIDE_ROLES", "case_plan", "check_applicable", "plan_for_payload"]

# Only the hub decides to make a document the rules refuse (a clinic key asks the hub).
OVERRIDE_ROLES = frozenset({"hub"})
# Refusals the renderer already makes with the field to fix (denial_id, benefits).
_RENDERER_CHECKS = frozenset({"needs_a_denial", "needs_a_benefits_investigation"})
MAX_REASON = 500


def plan_for_payload(services: Services, case: Case, facts: CaseFacts | None = None) -> Plan:
    """The plan of a posted case (nothing stored, nothing on file)."""
    return plan_for(case, facts or CaseFacts(), services.today())


def case_plan(services: Services, principal: Principal, case_id: str) -> Plan:
    """The plan of a stored case the caller may see, with what is on file (404 otherwise)."""
    with reading(services.sessions) as session:
        row = access.get_case(session, principal, case_id)
        denial = session.scalars(
            access.denials_for(principal)
            .where(DenialRow.case_id == row.id, DenialRow.status == "done")
            .order_by(DenialRow.created_at.desc())
            .limit(1)
        ).first()
        ask = DocumentRequest("appeal", denial_id=denial.id if denial else None)
        facts = case_facts(session, principal, row, ask)
    return plan_for(tracked_case(row), facts, services.today())


def check_applicable(
    case: Case,
    request: DocumentRequest,
    facts: CaseFacts,
    principal: Principal | None = None,
) -> PlanEntry | None:
    """Refuse a document that does not apply; return the rule overridden, or None.

    Raises `DocumentNotApplicable` (422) naming the rule, or `ForbiddenError` (403) when someone
    other than a hub user gives an override reason. An override reason given for a document that
    applies is refused too (422): it would record an override that did not happen.
    """
    kind, form = request.kind, request.form
    if kind == "pa_form" and form == "cms1500":
        kind, form = "cms1500", None  # the claim form asked for by its form id: the claim's rules
    refused = check_document(case, facts, kind, form)
    if refused is not None and refused.rule in _RENDERER_CHECKS:
        refused = None
    reason = (request.override_reason or "").strip()
    if refused is None:
        if reason:
            raise DocumentNotApplicable(
                f"{request.kind} applies to this case: there is nothing to override",
                rule="no_override_needed",
                overridable=False,
            )
        return None
    if not reason or not refused.overridable:
        raise DocumentNotApplicable(
            f"{_label(request)} does not apply to this case ({refused.rule}): {refused.why}",
            rule=refused.rule or "",
            overridable=refused.overridable,
            fill_in=refused.fill_in,
            field=refused.field,
        )
    if principal is None or principal.role not in OVERRIDE_ROLES:
        raise ForbiddenError("only a hub user may override an applicability rule")
    return refused


def _label(request: DocumentRequest) -> str:
    return f"{request.kind} ({request.form})" if request.form else request.kind
