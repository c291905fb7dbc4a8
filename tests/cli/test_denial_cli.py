"""`formservice denial parse` prints the denial JSON; bad files exit 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from formservice.cli import main
from tests.conftest import SAMPLES


def test_denial_parse_prints_json(runner: CliRunner) -> None:
    pdf = SAMPLES / "denials" / "01_erisa_medical_necessity.pdf"
    result = runner.invoke(main, ["denial", "parse", str(pdf)])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)
    label = json.loads(pdf.with_suffix(".json").read_text())
    assert parsed["claim_number"] == label["claim_number"]
    assert parsed["appeal_deadline"] == label["appeal_deadline"]


def test_denial_parse_bad_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    result = runner.invoke(main, ["denial", "parse", str(junk)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    missing = runner.invoke(main, ["denial", "parse", str(tmp_path / "nope.pdf")])
    assert missing.exit_code == 2
