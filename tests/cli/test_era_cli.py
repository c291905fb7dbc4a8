"""`formservice era parse` prints the remittance JSON; bad files exit 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from formservice.cli import main
from tests.conftest import SAMPLES

ERA = SAMPLES / "era"


def test_era_parse_prints_claims_and_denials(runner: CliRunner) -> None:
    result = runner.invoke(main, ["era", "parse", str(ERA / "04_multi_claim.835")])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)
    assert len(parsed["claims"]) == 3
    assert [d["carc_codes"] for d in parsed["denials"]] == [["197"], ["204"]]
    assert parsed["denials"][0]["evidence"]["claim_number"]["id"] == "CLP"


def test_era_parse_bad_file_exits_2_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.835"
    text = (ERA / "01_denial_medical_necessity.835").read_text()
    broken.write_text(text.replace("SE*29*0001", "SE*12*0001"))
    result = runner.invoke(main, ["era", "parse", str(broken)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "segment 31 (SE)" in lines[0]
    missing = runner.invoke(main, ["era", "parse", str(tmp_path / "nope.835")])
    assert missing.exit_code == 2


def test_claim_837p_writes_the_file(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "claim.837"
    # The Medicare sample, seen in the physician's office (hospital outpatient is billed on the
    # hospital's facility claim, and the 837P writer refuses it).
    payload = json.loads((SAMPLES / "cases" / "02_ovarian_medicare_outpatient.json").read_text())
    payload["treatment"]["site_of_care"] = "physician_office"
    case = tmp_path / "case.json"
    case.write_text(json.dumps(payload))
    result = runner.invoke(main, ["claim", "837p", str(case), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("ISA*")
    sbr = next(s for s in text.split("~\n") if s.startswith("SBR*"))
    assert sbr.endswith("******MB")  # Medicare Part B filing indicator
    assert "secondary sources" in result.stderr  # the unverified 2026 codes are said


def test_claim_837p_of_an_uninsured_case_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "claim.837"
    case = SAMPLES / "cases" / "05_breast_uninsured_pap.json"
    result = runner.invoke(main, ["claim", "837p", str(case), "-o", str(out)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
