"""The template context of a letter of appeal: the case's common blocks plus the denial it answers.

`build_appeal_context` adds to `context.build_context` (letterhead, patient, prescriber, the
numbered evidence for the categories the appeal argues):

* ``denial``: the denial's facts written for a letter (dates as "March 2, 2026", codes joined,
  each reason with its category label and the letter's own sentence), falling back to the case
  where the denial is silent (codes, member ID);
* ``arguments``: one numbered section per reason category (formservice.reimbursement.appeals);
* ``remedy``: the one thing the letter asks for; ``appeal_deadline``: the deadline sentence;
* ``appeal``: title, review asked for, addressee, ERISA requests, enclosures (in a packet,
  ``facts.packet``: exactly the parts the packet holds after the letter, in order) and
  ``to_assemble`` (what the clinic must still put with it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from formservice.documents.contexts.common import build_context
from formservice.errors import ValidationProblem
from formservice.model import Case, CaseFacts, Denial
from formservice.reimbursement import appeals
from formservice.reimbursement.appeals.quote import reason_quote
from formservice.reimbursement.appeals.route import appeal_route
from formservice.reimbursement.evidence_data import load_evidence
from formservice.reimbursement.reconciliation import agreed_denial

__all__ = ["APPEAL_KEYS", "build_appeal_context", "build_lmn_enclosure_context"]

APPEAL_KEYS = ("denial", "arguments", "remedy", "appeal_deadline", "appeal")
_ATTENTION = "Attn: Appeals Department"
_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
_NO_DENIAL = "An appeal answers a denial: give denial_id."
_LMN_ATTENTION = "Attn: Appeals"


def _s(value: object) -> str:
    return "" if value is None else str(value)


def _join(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value or [] if v]


def _addressee(denial: Denial, case: Case) -> dict[str, str]:
    """Who the appeal goes to: the letter's "send appeals to", the directory where it is silent
    (`reimbursement.appeals.route`)."""
    route = appeal_route(case, denial)
    attention = _ATTENTION if not route.address else ""
    lines = [p.strip() for p in (route.address or "").split(",")]
    # "PO Box 4410, Seattle, WA 98101" → "PO Box 4410" / "Seattle, WA 98101"
    street = ", ".join(lines[:-2]) if len(lines) > 2 else (route.address or "")
    city = ", ".join(lines[-2:]) if len(lines) > 2 else ""
    return {
        "name": route.name,
        "attention": attention or street,
        "address": _s(route.address),
        "city": city,
        "fax": _s(route.fax),
        "phone": _s(route.phone),
        "portal": _s(route.portal),
    }


def _denial_block(denial: Denial, case: Case, labels: Mapping[str, str]) -> dict[str, Any]:
    pre_service = appeals.is_pre_service(denial)
    procedure = _strings(denial.procedure_codes) or ["0662T", "0663T"]
    diagnosis = _strings(denial.diagnosis_codes) or [d.code for d in case.diagnoses]
    carc, rarc = _strings(denial.carc_codes), _strings(denial.rarc_codes)
    reason_codes = "; ".join(
        part
        for part in (
            f"CARC {', '.join(carc)}" if carc else "",
            f"RARC {', '.join(rarc)}" if rarc else "",
        )
        if part
    )
    reasons = [
        {
            "category": r.category or "other",
            "label": labels.get(r.category, labels.get("other", "Other")),
            "carc": _s(r.carc),
            "page": _s(r.page),
            "evidence": reason_quote(r.evidence) or "",
        }
        for r in denial.reasons
    ]
    categories = list(dict.fromkeys(r["category"] for r in reasons)) or _strings(denial.categories)
    claim = _s(denial.claim_number)
    return {
        "id": "",
        "payer_name": _s(denial.payer_name),
        "member_id": _s(denial.member_id) or _s(case.coverage.member_id),
        "member_label": "Medicare number (MBI)"
        if _s(denial.plan_type) == "medicare_ffs"
        else "Member ID",
        "claim_number": claim,
        "reference_label": "Reference number" if pre_service else "Claim number",
        "authorization_number": _s(denial.authorization_number)
        or _s(case.prior_authorization.number),
        "patient_name": _s(denial.patient_name) or case.patient.full_name,
        "letter_date": appeals.format_date(denial.letter_date),
        "date_of_service": appeals.format_date(denial.date_of_service),
        "procedure_codes": ", ".join(procedure),
        "diagnosis_codes": ", ".join(diagnosis),
        "carc_codes": ", ".join(carc),
        "rarc_codes": ", ".join(rarc),
        "reason_codes": reason_codes,
        "reasons": reasons,
        "categories": categories,
        "categories_text": _join(
            [labels.get(c, c).lower() for c in categories] if categories else ["unstated"]
        ),
        "pre_service": pre_service,
        "plan_type": _s(denial.plan_type),
        "appeal_deadline": appeals.format_date(denial.appeal_deadline),
        "appeal_deadline_basis": _s(denial.appeal_deadline_basis),
        "needs_review": denial.needs_review,
    }


def _quotes(a: appeals.Argument) -> list[dict[str, str]]:
    """The reason sentences quoted, once each; a reason with no clean sentence is named by its
    code and category instead (`reimbursement.appeals.quote`)."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for q in a.quotes:
        clean = reason_quote(q.evidence)
        named = f"CARC {q.carc} ({a.label.lower()})" if q.carc else a.label.lower()
        key = clean or named
        if key in seen:
            continue
        seen.add(key)
        out.append({"evidence": clean or "", "named": named, "carc": q.carc, "page": _s(q.page)})
    return out


def _argument(number: int, a: appeals.Argument) -> dict[str, Any]:
    return {
        "number": number,
        "category": a.category,
        "label": a.label,
        "heading": a.heading,
        "quotes": _quotes(a),
        "carc_codes": ", ".join(a.carc_codes),
        "paragraphs": list(a.paragraphs),
        "bullets": list(a.bullets),
        "themes": list(a.themes),
    }


def build_appeal_context(case: Case, facts: CaseFacts, today: date) -> dict[str, Any]:
    """The context of a letter of appeal; a 422 when the case facts carry no denial."""
    if not facts.denial:
        raise ValidationProblem(_NO_DENIAL, errors={"denial_id": [_NO_DENIAL]})
    # One source of facts: every table and sentence reads the reconciled values.
    denial = agreed_denial(case, facts.denial)
    arguments = appeals.appeal_arguments(denial, case)
    labels = {k: v.label for k, v in load_evidence().appeals.items()}
    request = appeals.appeal_request(denial, case)
    enclosed = appeals.appeal_enclosure_list(denial, case, arguments, facts.packet)
    extra = {
        "denial": _denial_block(denial, case, labels),
        "arguments": [_argument(i, a) for i, a in enumerate(arguments, 1)],
        "remedy": appeals.appeal_remedy(denial, case, arguments),
        "appeal_deadline": appeals.deadline_text(denial, today, case, facts.late_reason),
        "appeal": {
            "title": request["title"],
            "noun": request["noun"],
            "level": request["level"],
            "late_reason": _s(facts.late_reason),
            "addressee": _addressee(denial, case),
            "erisa": appeals.is_erisa(denial, case),
            "erisa_requests": appeals.erisa_requests(denial, case),
            "enclosures": list(enclosed.listed),
            # What the clinic must still put with the letter: everything listed when the letter
            # goes alone; what the packet cannot hold when it is a packet's letter.
            "to_assemble": list(enclosed.to_add if facts.packet else enclosed.listed),
            "sections": len(arguments),
            "sections_word": _NUMBER_WORDS.get(len(arguments), str(len(arguments))),
        },
    }
    return build_context(
        case,
        today=today,
        kind="appeal",
        evidence_categories=appeals.evidence_categories(arguments),
        extra=extra,
    )


def build_lmn_enclosure_context(case: Case, facts: CaseFacts, today: date) -> dict[str, Any]:
    """The context of the letter of medical necessity enclosed in an appeal packet.

    The LMN's own context (`common.build_context`) with the appeal-enclosure purpose: it
    documents the medical necessity of the claim under appeal and asks for no prior or
    retroactive authorization (`treatment.letter_purpose`). It is addressed to the appeals
    unit, not utilization review, and its ``enclosures`` are the packet's other parts after the
    letter of appeal and itself (with ``facts.packet``). ``payer.attention`` is "Attn: <the
    letter's send-appeals-to name>" when the denial states one, else "Attn: Appeals";
    ``payer.fax`` the appeal's fax
    (`reimbursement.appeals.route`) when one is known. Without a denial (a 422 elsewhere) the
    attention line is "Attn: Appeals" and the fax the case's.
    """
    ctx = build_context(case, today=today, appeal_enclosure=True)
    payer = dict(ctx["payer"])
    payer["attention"] = _LMN_ATTENTION
    if facts.denial is not None:
        denial = agreed_denial(case, facts.denial)
        named = denial.appeal_to.name if denial.appeal_to else None
        if named and named.strip():
            payer["attention"] = f"Attn: {named.strip()}"
        fax = appeal_route(case, denial).fax
        if fax:
            payer["fax"] = fax
    ctx["payer"] = payer
    if facts.denial is not None and facts.packet is not None:
        # It travels in the packet: it lists what the packet holds besides the two letters.
        denial = agreed_denial(case, facts.denial)
        listed = appeals.appeal_enclosure_list(
            denial, case, appeals.appeal_arguments(denial, case), facts.packet
        ).listed
        ctx["enclosures"] = list(listed[1:])
    return ctx
