"""Issue 14 item 1: GET /cases/{id}/plan, `formservice plan`, and refusing what does not apply.

The plan lists the documents that apply and why and those that don't, each with the rule of
reimbursement/data/applicability.yaml; asking for one that does not apply is a 422 naming the
rule with nothing stored; an off-label LMN may be made by a hub key with a reason, audited.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import func, select

from formservice.cli import main
from formservice.documents.catalog import KINDS
from formservice.documents.forms import list_forms
from formservice.store.audit import list_events
from formservice.store.models import DocumentRow
from formservice.usecases.services import Services
from tests.conftest import SAMPLES, load_sample, make_key
from tests.documents.test_plain_words import internal_words


def _case(client: FlaskClient, auth: dict[str, str], payload: dict[str, Any]) -> str:
    response = client.post("/api/v1/cases", json=payload, headers=auth)
    assert response.status_code in (200, 201), response.json
    case_id: str = response.json["id"]
    return case_id


def _plan(client: FlaskClient, auth: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"/api/v1/cases/{_case(client, auth, payload)}/plan", headers=auth)
    assert response.status_code == 200, response.json
    plan: dict[str, Any] = response.json
    return plan


def _docs(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["form"] or e["kind"]: e for e in entries}


def _documents(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(DocumentRow)) or 0)


def test_plan_shape_matches_the_contract(client: FlaskClient, auth: dict[str, str]) -> None:
    plan = _plan(client, auth, load_sample("01_breast_commercial_office"))
    assert set(plan) >= {"applies", "not_applicable"}
    for entry in plan["applies"]:
        assert set(entry) == {"kind", "form", "why"}
        assert entry["why"]
    for entry in plan["not_applicable"]:
        assert {"kind", "form", "rule", "why"} <= set(entry)
    applies = _docs(plan["applies"])
    assert {"lmn", "pap_letter", "cms1500", "tx_nofr001", "nwhp_scalp_cooling_precert"} <= set(
        applies
    )
    assert _docs(plan["not_applicable"])["abn"]["rule"] == "abn_original_medicare_only"


@pytest.mark.parametrize(
    ("sample", "document", "rule"),
    [
        # Original Medicare (an Ohio Part B patient): no PA, so no Texas form, no PA form at all.
        ("02_ovarian_medicare_outpatient", "tx_nofr001", "medicare_ffs_no_prior_authorization"),
        # A Texas Medicare Advantage plan is federal: the Texas form does not apply.
        ("04_prostate_medicare_advantage_outpatient", "tx_nofr001", "texas_regulated_plans_only"),
        # ERISA (self-funded) is not regulated by Texas.
        ("06_breast_erisa_not_covered", "tx_nofr001", "texas_regulated_plans_only"),
        (
            "03_colorectal_medicaid_office",
            "nwhp_scalp_cooling_precert",
            "northwind_form_for_northwind_only",
        ),
        ("05_breast_uninsured_pap", "cms1500", "uninsured_no_payer"),
        ("05_breast_uninsured_pap", "tx_nofr001", "uninsured_no_payer"),
        ("13_offlabel_c91_leukemia", "lmn", "off_label_diagnosis"),
        ("01_breast_commercial_office", "abn", "abn_original_medicare_only"),
    ],
)
def test_a_document_that_does_not_apply_is_listed_and_refused_naming_the_rule(
    client: FlaskClient,
    auth: dict[str, str],
    services: Services,
    sample: str,
    document: str,
    rule: str,
) -> None:
    payload = load_sample(sample)
    case_id = _case(client, auth, payload)
    plan = client.get(f"/api/v1/cases/{case_id}/plan", headers=auth).json
    refused = _docs(plan["not_applicable"])[document]
    assert refused["rule"] == rule
    assert document not in _docs(plan["applies"])
    kind = "pa_form" if document.startswith(("tx_", "nwhp_")) else document
    ask: dict[str, Any] = {"kind": kind}
    if kind == "pa_form":
        ask["form"] = document
    before = _documents(services)
    response = client.post(f"/api/v1/cases/{case_id}/documents", json=ask, headers=auth)
    assert response.status_code == 422, response.json
    assert response.json["rule"] == rule
    assert rule in response.json["detail"]
    assert _documents(services) == before  # nothing stored
    # The stateless render refuses it too.
    query = f"?form={document}" if kind == "pa_form" else ""
    stateless = client.post(f"/api/v1/render/{kind}{query}", json=payload, headers=auth)
    assert stateless.status_code == 422
    assert stateless.json["rule"] == rule


def test_medicare_ffs_pathway(client: FlaskClient, auth: dict[str, str]) -> None:
    payload = load_sample("02_ovarian_medicare_outpatient")
    payload["coverage"]["scalp_cooling_covered"] = None
    plan = _plan(client, auth, payload)
    applies = _docs(plan["applies"])
    assert "medical necessity for the claim" in applies["lmn"]["why"]
    assert "abn" in applies  # coverage not confirmed: an ABN before the first session
    assert plan["abn"]["required"] is True
    assert plan["abn"]["modifier"] == "GZ"  # none issued yet
    assert not any(e["kind"] == "pa_form" for e in plan["applies"])
    # Coverage confirmed and an on-label diagnosis: a routine ABN is not allowed.
    payload["coverage"]["scalp_cooling_covered"] = True
    payload["external_id"] += "-covered"
    plan = _plan(client, auth, payload)
    assert _docs(plan["not_applicable"])["abn"]["rule"] == "abn_not_when_coverage_expected"
    assert plan["abn"]["modifier"] is None


def test_abn_made_for_the_case_turns_the_modifier_to_ga(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    payload = load_sample("02_ovarian_medicare_outpatient")
    payload["coverage"]["scalp_cooling_covered"] = None
    case_id = _case(client, auth, payload)
    made = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "abn"}, headers=auth)
    assert made.status_code == 201, made.json
    plan = client.get(f"/api/v1/cases/{case_id}/plan", headers=auth).json
    assert (plan["abn"]["issued"], plan["abn"]["modifier"]) == (True, "GA")


def test_unknown_plan_type_is_said_with_what_to_fill_in(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    payload = load_sample("01_breast_commercial_office")
    payload["coverage"]["payer"] = {"name": "Unlisted Regional Health", "plan_type": None}
    plan = _plan(client, auth, payload)
    fill = {f["field"] for f in plan["fill_in"]}
    assert "coverage.payer.plan_type" in fill
    tx = _docs(plan["not_applicable"])["tx_nofr001"]
    assert tx["rule"].endswith(".undecided")
    assert "coverage.payer.plan_type" in tx["fill_in"]
    assert internal_words(tx["why"]) == []  # a person reads it
    assert plan["abn"]["required"] is None  # never a guess


def test_hub_may_override_an_off_label_lmn_with_a_reason_and_it_is_audited(
    client: FlaskClient, auth: dict[str, str], services: Services
) -> None:
    case_id = _case(client, auth, load_sample("13_offlabel_c91_leukemia"))
    refused = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "lmn"}, headers=auth)
    assert refused.status_code == 422
    assert refused.json["overridable"] is True
    assert "override_reason" in refused.json["errors"]
    reason = "Tumour board approved scalp cooling for this patient; payer asked for a letter."
    # A clinic key may not override.
    clinic = {"Authorization": f"Bearer {make_key(services, 'clinic', '1003000126')}"}
    ask = {"kind": "lmn", "override_reason": reason}
    denied = client.post(f"/api/v1/cases/{case_id}/documents", json=ask, headers=clinic)
    assert denied.status_code in (403, 404)
    made = client.post(f"/api/v1/cases/{case_id}/documents", json=ask, headers=auth)
    assert made.status_code == 201, made.json
    assert made.json["details"]["override"]["rule"] == "off_label_diagnosis"
    assert made.json["details"]["override"]["reason"] == reason
    with services.sessions() as session:
        events = list_events(session, action="override_applicability", case_id=case_id)
    assert len(events) == 1
    assert "off_label_diagnosis" in (events[0].path or "")
    # A rule that is not overridable stays refused, reason or not.
    again = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "cms1500", "override_reason": reason},
        headers=auth,
    )
    assert again.status_code == 422
    assert again.json["rule"] == "uninsured_no_payer"


def test_cli_plan_prints_the_plan(runner: CliRunner) -> None:
    path = SAMPLES / "cases" / "13_offlabel_c91_leukemia.json"
    result = runner.invoke(main, ["plan", str(path)])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert _docs(plan["not_applicable"])["lmn"]["rule"] == "off_label_diagnosis"
    refused = runner.invoke(main, ["render", "lmn", str(path), "-o", "/dev/null"])
    assert refused.exit_code == 2
    assert "off_label_diagnosis" in refused.output


def test_every_document_kind_and_form_is_in_the_applicability_data(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    plan = _plan(client, auth, copy.deepcopy(load_sample()))
    listed = {(e["kind"], e["form"]) for e in plan["applies"] + plan["not_applicable"]}
    forms = {f.form_id for f in list_forms(Path(__file__).parents[2] / "templates" / "pdf")}
    expected = {(k, None) for k in KINDS if k != "pa_form"} | {
        ("pa_form", f) for f in forms if f != "cms1500"
    }
    assert listed == expected
