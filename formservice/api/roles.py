"""Which key roles may call which API operation: one table, and nothing that is not in it.

Roles of API keys (`usecases.keys.KEY_ROLES`): `hub` (the portal: every facility's cases),
`clinic` (the same, walled to its facility by `store.access`), `ops` (hub operations: templates,
regenerations, the audit trail; never patient data). Every operation is listed with the roles
that may call it; any other authenticated caller gets 403 before the body is read. An operation
missing from the table is refused to everyone, and `tests/api/test_roles.py` fails until it is
added (the test walks the app's URL map).
"""

from __future__ import annotations

from collections.abc import Mapping

PATIENT_DATA = frozenset({"hub", "clinic"})
HUB_OPS = frozenset({"hub", "ops"})
OPS = frozenset({"ops"})
EVERY_KEY = frozenset({"hub", "clinic", "ops"})

# (endpoint, method) → the roles that may call it. API endpoints are "<blueprint>.<MethodView>".
ROLES: Mapping[tuple[str, str], frozenset[str]] = {
    # Patient data: cases, their documents, benefits, PA, denials, renders and PAP decisions.
    ("cases.Cases", "GET"): PATIENT_DATA,
    ("cases.Cases", "POST"): PATIENT_DATA,
    ("cases.CaseItem", "GET"): PATIENT_DATA,
    ("cases.CaseDocuments", "POST"): PATIENT_DATA,
    ("cases.CasePlan", "GET"): PATIENT_DATA,
    ("documents.DocumentContent", "GET"): PATIENT_DATA,
    ("render.Render", "POST"): PATIENT_DATA,
    ("pap.Eligibility", "POST"): PATIENT_DATA,
    ("benefits.Benefits", "GET"): PATIENT_DATA,
    ("benefits.Benefits", "PUT"): PATIENT_DATA,
    ("prior_authorization.PriorAuthorization", "GET"): PATIENT_DATA,
    ("prior_authorization.PriorAuthorization", "POST"): PATIENT_DATA,
    ("denials.Denials", "POST"): PATIENT_DATA,
    ("denials.DenialItem", "GET"): PATIENT_DATA,
    ("denials.DenialItem", "PATCH"): PATIENT_DATA,
    ("case_denials.CaseDenials", "POST"): PATIENT_DATA,
    ("remittances.Remittances", "POST"): PATIENT_DATA,
    ("claims_837p.Case837P", "GET"): PATIENT_DATA,
    # The payer forms the service fills: no patient data.
    ("forms.Forms", "GET"): EVERY_KEY,
    ("forms.FormItem", "GET"): EVERY_KEY,
    # Operations: templates, regenerations, the audit trail.
    ("templates.Templates", "GET"): HUB_OPS,
    ("templates.TemplateVersions", "POST"): OPS,
    ("templates.TemplateActivate", "POST"): OPS,
    ("templates.TemplatePreview", "GET"): HUB_OPS,
    ("regenerations.Regenerations", "POST"): OPS,
    ("regenerations.RegenerationItem", "GET"): HUB_OPS,
    ("audit.AuditEvents", "GET"): OPS,
    ("audit.AuditVerify", "GET"): OPS,
}


def allowed_roles(endpoint: str, method: str) -> frozenset[str]:
    """The roles that may call an operation (none for an operation not in the table)."""
    return ROLES.get((endpoint, "GET" if method == "HEAD" else method), frozenset())
