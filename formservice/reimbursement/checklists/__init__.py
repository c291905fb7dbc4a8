"""The hub's checklists (PA, claim filing, letter of appeal), each item marked from the case.

An item is ``done``, ``missing`` or ``not_applicable``, with a detail that says why, so a clinic
sees what blocks it. Labels and the reason each item exists are data (data/checklists.yaml);
the rules deciding the status are here: one module per checklist (`pa`, `claim`, `appeal`), the
rules they share in `shared_rules`, the item and how a checklist runs in `items`. ``facts`` is
anything with the attributes of `formservice.model.CaseFacts` (benefits, documents, denial): the
checklists stay pure.
"""

from formservice.reimbursement.checklists.appeal import appeal_checklist
from formservice.reimbursement.checklists.claim import chemo_code, claim_checklist
from formservice.reimbursement.checklists.items import ChecklistItem, FactsLike, Status, summarize
from formservice.reimbursement.checklists.pa import pa_checklist

__all__ = [
    "ChecklistItem",
    "FactsLike",
    "Status",
    "appeal_checklist",
    "chemo_code",
    "claim_checklist",
    "pa_checklist",
    "summarize",
]
