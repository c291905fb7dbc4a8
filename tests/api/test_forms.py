"""Payer forms through the API and CLI: list, fill for a case, render, bad ids."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pdfplumber
from click.testing import CliRunner
from flask.testing import FlaskClient
from pypdf import PdfReader

from formservice.cli import main
from tests.conftest import SAMPLES
from tests.corpus import corpus_path


def test_forms_listing_has_fields_and_their_sources(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    response = client.get("/api/v1/forms", headers=auth)
    assert response.status_code == 200
    by_id = {f["form_id"]: f for f in response.json}
    assert {"tx_nofr001", "cms1500", "nwhp_scalp_cooling_precert"} <= set(by_id)
    tx = by_id["tx_nofr001"]
    assert tx["field_count"] == len(tx["fields"]) > 50
    assert any(f["mapped_from"] == "coverage.member_id" for f in tx["fields"])
    assert client.get("/api/v1/forms/no_such_form", headers=auth).status_code == 404


def test_pa_form_for_a_case_carries_provenance(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    case_id = client.post("/api/v1/cases", json=case_payload, headers=auth).json["id"]
    made = client.post(
        f"/api/v1/cases/{case_id}/documents",
        json={"kind": "pa_form", "form": "tx_nofr001", "format": "pdf"},
        headers=auth,
    )
    assert made.status_code == 201, made.json
    doc = made.json
    assert doc["template"] == "tx_nofr001"
    assert len(doc["template_sha256"]) == 64
    assert len(doc["input_sha256"]) == 64
    assert doc["details"]["overflow"] == []
    pdf = client.get(doc["content_url"], headers=auth).data
    info = PdfReader(io.BytesIO(pdf)).metadata or {}
    assert info["/formservice.template"] == "tx_nofr001"
    assert info["/formservice.template_sha256"] == doc["template_sha256"]
    assert info["/formservice.input_sha256"] == doc["input_sha256"]
    assert info["/Title"].startswith("Texas Standard Prior Authorization")  # the form's own kept
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    values = {k: v.get("/V") for k, v in fields.items()}
    assert case_payload["coverage"]["member_id"] in {str(v) for v in values.values()}


def test_stateless_flattened_form(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    response = client.post(
        "/api/v1/render/pa_form?form=tx_nofr001&flatten=true", json=case_payload, headers=auth
    )
    assert response.status_code == 200
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    assert case_payload["coverage"]["member_id"] in text


def test_unknown_form_is_404_and_missing_form_is_422(
    client: FlaskClient, auth: dict[str, str], case_payload: dict[str, Any]
) -> None:
    unknown = client.post(
        "/api/v1/render/pa_form?form=no_such_form", json=case_payload, headers=auth
    )
    assert unknown.status_code == 404
    assert unknown.mimetype == "application/problem+json"
    missing = client.post("/api/v1/render/pa_form", json=case_payload, headers=auth)
    assert missing.status_code == 422
    assert "form" in missing.json["errors"]


def test_cli_forms_inspect_a_real_form_and_one_without_fields(
    runner: CliRunner, tmp_path: Path
) -> None:
    skeleton = tmp_path / "w4.map.yaml"
    w4 = corpus_path("acroforms/irs_fw4_2009_oneform.pdf")
    inspected = runner.invoke(main, ["forms", "inspect", str(w4), "--skeleton", str(skeleton)])
    assert inspected.exit_code == 0, inspected.output
    assert "name" in inspected.stdout
    assert skeleton.exists()
    no_fields = corpus_path("acroforms/irs_fw4_2025_macos_resaved_nofields.pdf")
    nofields = runner.invoke(main, ["forms", "inspect", str(no_fields)])
    assert nofields.exit_code == 2
    assert len(nofields.stderr.strip().splitlines()) == 1


def test_cli_forms_list_and_render(runner: CliRunner, tmp_path: Path) -> None:
    listed = runner.invoke(main, ["forms", "list"])
    assert listed.exit_code == 0
    assert "tx_nofr001" in listed.stdout
    out = tmp_path / "tx.pdf"
    rendered = runner.invoke(
        main,
        [
            "render",
            "pa_form",
            str(SAMPLES / "cases" / "01_breast_commercial_office.json"),
            "--form",
            "tx_nofr001",
            "-o",
            str(out),
            "--flatten",
        ],
    )
    assert rendered.exit_code == 0, rendered.output
    with pdfplumber.open(out) as pdf:
        assert "NWH123456789" in "\n".join(p.extract_text() or "" for p in pdf.pages)
