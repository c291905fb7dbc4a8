"""The appeal packet for a denial letter: one PDF for the clinic to sign and fax.

Before anything is rendered the packet is gated (`reimbursement.appeals.gate`): a missing
denial or LMN essentials, a passed first-level deadline without a good cause or a hub user's
override, a letter naming another patient, unacknowledged differences or unchecked facts
refuse it with one 422 naming each gap. Warnings come back in the document's
``details["warnings"]`` (sentences): the gate's, then one "Add before sending: ..." for each
enclosure the appeal calls for that the packet cannot hold (`reimbursement.appeals.enclosures`),
then the renderer's own (e.g. codes not verified for the date of service).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from formservice.errors import ValidationProblem
from formservice.model import Denial, DocumentRequest, Principal
from formservice.model.reconciliation import Reconciliation
from formservice.reimbursement.appeals.gate import packet_gate
from formservice.store import access
from formservice.store.audit import record_event
from formservice.store.db import reading, transaction
from formservice.store.documents import save_document
from formservice.store.models import CaseRow, DenialRow, DocumentRow, utcnow
from formservice.store.pa import tracked_case
from formservice.usecases.cases import case_facts
from formservice.usecases.denial_identity import is_hub
from formservice.usecases.documents import render_stored_case
from formservice.usecases.plan import check_applicable
from formservice.usecases.services import Services

__all__ = ["PACKET_KIND", "build_packet"]

PACKET_KIND = "appeal_packet"


def _acknowledge(services: Services, principal: Principal, denial_id: str) -> None:
    """Record that `principal` acknowledged the denial's reconciliation warnings."""
    with transaction(services.sessions) as session:
        row = access.get_denial(session, principal, denial_id)
        if row.reconciliation:
            found = Reconciliation.from_stored(row.reconciliation)
            row.reconciliation = found.acknowledge(
                principal.label, utcnow().isoformat()
            ).stored_json()


def _packet_warnings(gate: list[str], details: dict[str, Any]) -> list[str]:
    """The gate's warnings, then what the appeal calls for that the packet cannot hold, then
    the renderer's own (codes not verified for the date of service...), each as its sentence."""
    to_add = [str(w) for w in details.get("enclosure_warnings") or []]
    own = [
        str(w.get("message", "")) if isinstance(w, dict) else str(w)
        for w in details.get("warnings") or []
    ]
    return [*gate, *to_add, *[w for w in own if w]]


def build_packet(
    services: Services,
    principal: Principal,
    denial_id: str | None,
    *,
    case_id: str | None = None,
    late_reason: str | None = None,
    override_reason: str | None = None,
    acknowledge_warnings: bool = False,
    require_checked: bool = False,
) -> DocumentRow:
    """Gate, make and store the appeal packet of a case for one of its denials.

    422 (ValidationProblem) naming every gap: ``denial_id``, ``lmn``, ``late_reason``,
    ``reconciliation``, ``acknowledge_warnings``, ``review_fields``, ``checked`` (the staff
    page's box, with `require_checked`). A hub user's `override_reason` lets a late packet go
    (audited); `late_reason` is the good cause the letter prints.

    An acknowledgement (`acknowledge_warnings`) counts at once and is recorded even when the
    packet is refused; it is written after the render, never before: a request's first write
    holds SQLite's write lock until the request ends (`store.unit_of_work`), and every other
    request would wait for LibreOffice.
    """
    gaps: dict[str, list[str]] = {}
    denial_row, row = _rows(services, principal, denial_id, case_id)
    case = tracked_case(row)
    denial, found = _read_denial(denial_row, row.id, gaps)
    acknowledging = bool(denial_id and acknowledge_warnings)
    if acknowledging and found is not None:
        found = found.acknowledge(principal.label, utcnow().isoformat())
    try:
        hub_override = bool(override_reason and override_reason.strip()) and is_hub(principal)
        gate = packet_gate(
            case,
            denial,
            found,
            today=services.today(),
            late_reason=late_reason,
            hub_override=hub_override,
        )
        _refuse_gaps(
            {**gate.gaps, **gaps},
            denial,
            found,
            late_without_reason=bool(override_reason) and not is_hub(principal),
            require_checked=require_checked,
        )
        request = DocumentRequest(
            kind=PACKET_KIND,
            format="pdf",
            denial_id=denial_id,
            late_reason=(late_reason or "").strip() or None,
        )
        with reading(services.sessions) as session:
            row = access.get_case(session, principal, row.id)
            facts = case_facts(session, principal, row, request, blobs=services.blobs)
        check_applicable(case, request, facts, principal)  # the plan's rules (422 naming it)
        rendered = render_stored_case(services, row, request, facts)
    finally:
        # Recorded whether or not the packet was made (the next try need not repeat it), and
        # only now: see the docstring.
        if acknowledging and denial_id:
            _acknowledge(services, principal, denial_id)
    warnings = _packet_warnings(gate.warnings, rendered.details)
    rendered = replace(rendered, details={**rendered.details, "warnings": warnings})
    saved = save_document(services.sessions, services.blobs, row.id, rendered)
    if hub_override and "late" in " ".join(gate.warnings):
        _record_late_override(services, principal, override_reason, row.id, denial_id, saved)
    return saved


def _refuse_gaps(
    gaps: dict[str, list[str]],
    denial: Denial | None,
    found: Reconciliation | None,
    *,
    late_without_reason: bool,
    require_checked: bool,
) -> None:
    """422 (ValidationProblem) naming every gap, the gate's and the request's own."""
    if denial is None and "denial_id" not in gaps:
        gaps["denial_id"] = ["No denial letter: upload it and give its denial_id."]
    if late_without_reason and "late_reason" in gaps:
        gaps["override_reason"] = ["Only a hub user may send a late appeal without a reason."]
    if require_checked and denial is not None and (found is None or not found.acknowledged_by):
        gaps["checked"] = ["Tick “I have checked these facts” and save first."]
    if gaps:
        raise ValidationProblem(
            f"the appeal packet cannot be made yet: {', '.join(sorted(gaps))}", errors=gaps
        )


def _rows(
    services: Services, principal: Principal, denial_id: str | None, case_id: str | None
) -> tuple[DenialRow | None, CaseRow]:
    """The denial's row (when one is named) and the case's: the one given, or the denial's."""
    denial_row: DenialRow | None = None
    with reading(services.sessions) as session:
        if denial_id:
            denial_row = access.get_denial(session, principal, denial_id)
            case_id = case_id or denial_row.case_id
        if case_id is None:
            raise ValidationProblem(
                "Link the letter to a case first.",
                errors={"case_id": ["The denial is not linked to a case."]},
            )
        return denial_row, access.get_case(session, principal, case_id)


def _read_denial(
    denial_row: DenialRow | None, case_id: str, gaps: dict[str, list[str]]
) -> tuple[Denial | None, Reconciliation | None]:
    """The denial and its reconciliation, if one is named, attached to the case and read (a
    named one that is not is a gap)."""
    if denial_row is None:
        return None, None
    if denial_row.case_id != case_id:
        gaps["denial_id"] = ["The denial is not attached to this case: attach it first."]
    elif denial_row.status != "done" or denial_row.result is None:
        gaps["denial_id"] = [f"The denial letter is {denial_row.status}, not read yet."]
    else:
        denial = Denial.from_json(denial_row.result)
        if denial_row.reconciliation:
            return denial, Reconciliation.from_stored(denial_row.reconciliation)
        return denial, None
    return None, None


def _record_late_override(
    services: Services,
    principal: Principal,
    override_reason: str | None,
    case_id: str,
    denial_id: str | None,
    saved: DocumentRow,
) -> None:
    """Audit a late packet let through by a hub user's override, with the reason given."""
    with transaction(services.sessions) as session:
        record_event(
            session,
            actor=principal.label,
            principal=principal,
            action="override_late_appeal",
            path=f"reason:{' '.join((override_reason or '').split())}"[:1000],
            case_id=case_id,
            denial_id=denial_id,
            document_id=saved.id,
        )
