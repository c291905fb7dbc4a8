"""What a letter of appeal argues: one section per denial reason, the remedy, the enclosures.

Pure: the denial is a `model.Denial`, the case a `model.Case`. The words come from data
(evidence.yaml `arguments`, shared with the LMN, and appeals.yaml); `arguments` picks the variant
that fits the case, fills the placeholders (`placeholders`) and numbers the citations the way the
LMN does (`assemble_evidence` over `evidence_categories`), so the context's reference list
matches; `request` writes what the letter asks for around them; `enclosures` what it lists as
enclosed (in a packet: exactly the packet's parts) and what staff must add; `dates` reads and
writes dates.
"""

from formservice.reimbursement.appeals.arguments import (
    Argument,
    Quote,
    appeal_arguments,
    evidence_categories,
)
from formservice.reimbursement.appeals.dates import format_date, parse_date
from formservice.reimbursement.appeals.enclosures import (
    Enclosures,
    appeal_enclosure_list,
    enclosure_warnings,
    packet_contents,
    submitted_pa_form,
)
from formservice.reimbursement.appeals.gate import PacketGate, packet_gate
from formservice.reimbursement.appeals.placeholders import placeholder_facts
from formservice.reimbursement.appeals.request import (
    appeal_enclosures,
    appeal_remedy,
    appeal_request,
    deadline_text,
    erisa_requests,
    is_erisa,
    is_pre_service,
)
from formservice.reimbursement.appeals.retired_codes import (
    denied_codes_caveat,
    retired_code_warning,
)
from formservice.reimbursement.appeals.route import AppealRoute, appeal_route

__all__ = [
    "denied_codes_caveat",
    "retired_code_warning",
    "AppealRoute",
    "Argument",
    "Enclosures",
    "appeal_enclosure_list",
    "enclosure_warnings",
    "packet_contents",
    "submitted_pa_form",
    "PacketGate",
    "appeal_route",
    "packet_gate",
    "Quote",
    "appeal_arguments",
    "appeal_enclosures",
    "appeal_remedy",
    "appeal_request",
    "deadline_text",
    "erisa_requests",
    "evidence_categories",
    "format_date",
    "is_erisa",
    "is_pre_service",
    "parse_date",
]

# The placeholder values under their former private name: the tests that check every placeholder
# in the data is known call `appeals._facts`.
_facts = placeholder_facts
