"""The formservice command: exit codes and one-line errors (CONTRACT.md §3)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from formservice.cli import main
from formservice.store.models import AuditEvent
from formservice.usecases.services import Services
from tests.conftest import SAMPLES, load_sample


def test_keys_create_prints_a_working_key(runner: CliRunner, services: Services) -> None:
    result = runner.invoke(main, ["keys", "create", "--role", "hub", "--name", "portal"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("fs_")
    # Who made which key is on the audit trail (an ops key reads the trail itself); the key
    # itself never is.
    with services.sessions() as session:
        rows = list(session.scalars(select(AuditEvent)))
    assert [(r.actor.startswith("cli:"), r.action) for r in rows] == [(True, "create_api_key")]
    assert "name:portal" in (rows[0].path or "")
    assert "role:hub" in (rows[0].path or "")
    assert key not in (rows[0].path or "")


def test_clinic_key_needs_a_valid_facility(runner: CliRunner) -> None:
    result = runner.invoke(main, ["keys", "create", "--role", "clinic", "--name", "c"])
    assert result.exit_code == 2
    assert "facility" in result.stderr
    result = runner.invoke(
        main, ["keys", "create", "--role", "clinic", "--name", "c", "--facility", "1234567890"]
    )
    assert result.exit_code == 2


def test_render_prints_the_documents_warnings(runner: CliRunner, tmp_path: Path) -> None:
    # Sample 01 starts in 2026: its LMN bills 97008, a code not yet confirmed. The API says so in
    # `details.warnings`; the command line says it on stderr.
    out = tmp_path / "lmn.docx"
    case = SAMPLES / "cases" / "01_breast_commercial_office.json"
    result = runner.invoke(main, ["render", "lmn", str(case), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: Codes not yet confirmed: 97008" in result.stderr
    assert out.exists()


def test_render_lmn_writes_a_docx(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "lmn.docx"
    case = SAMPLES / "cases" / "02_ovarian_medicare_outpatient.json"
    result = runner.invoke(main, ["render", "lmn", str(case), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as z:
        assert "Exampleton" in z.read("word/document.xml").decode()
    assert not list(tmp_path.glob(".*.part"))


def test_render_bad_case_exits_2_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    payload = load_sample()
    payload["prescriber"]["npi"] = "1234567890"
    case = tmp_path / "bad.json"
    case.write_text(json.dumps(payload))
    out = tmp_path / "out.docx"
    result = runner.invoke(main, ["render", "lmn", str(case), "-o", str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "prescriber.npi" in lines[0]
    assert not out.exists()


def test_render_missing_or_broken_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(main, ["render", "lmn", str(tmp_path / "nope.json"), "-o", "x.docx"])
    assert missing.exit_code == 2
    assert "not found" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = runner.invoke(main, ["render", "lmn", str(broken), "-o", str(tmp_path / "x.docx")])
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr


def test_unknown_kind_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    case = SAMPLES / "cases" / "01_breast_commercial_office.json"
    result = runner.invoke(main, ["render", "horoscope", str(case), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "kind" in result.stderr


def test_samples_load_is_idempotent_and_audited(runner: CliRunner, services: Services) -> None:
    first = runner.invoke(main, ["samples", "load"])
    assert first.exit_code == 0, first.output
    stored = [line.split()[1] for line in first.stdout.splitlines() if line.startswith("stored")]
    assert len(stored) >= 6
    second = runner.invoke(main, ["samples", "load"])
    assert second.exit_code == 0
    assert "stored" not in second.stdout
    # Each case stored is on the audit trail, as POST /cases puts it; a case already present
    # (the second run) adds no row.
    with services.sessions() as session:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "create_case")))
    assert sorted(r.case_id for r in rows) == sorted(stored)
    assert all(r.actor.startswith("cli:") for r in rows)


def test_serve_refuses_to_start_without_a_secret_in_production(runner: CliRunner) -> None:
    result = runner.invoke(main, ["serve"], env={"FORMSERVICE_ENV": "production"})
    assert result.exit_code == 2
    assert "SECRET_KEY" in result.stderr


def test_render_appeal_and_pdf_letters_and_packet(runner: CliRunner, tmp_path: Path) -> None:
    import io

    import pdfplumber
    from pypdf import PdfReader

    case = SAMPLES / "cases" / "06_breast_erisa_not_covered.json"
    denial_json = SAMPLES / "denials" / "01_erisa_medical_necessity.json"
    denial_pdf = SAMPLES / "denials" / "01_erisa_medical_necessity.pdf"
    own = SAMPLES / "denial_cases" / "01_erisa_medical_necessity.json"  # the letter's own case
    appeal = tmp_path / "appeal.docx"
    mismatched = runner.invoke(
        main, ["render", "appeal", str(case), "--denial", str(denial_json), "-o", str(appeal)]
    )
    assert mismatched.exit_code == 2  # another patient's letter
    assert "patient name" in mismatched.stderr
    assert not appeal.exists()
    result = runner.invoke(
        main, ["render", "appeal", str(own), "--denial", str(denial_json), "-o", str(appeal)]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(appeal) as z:
        assert "2026031500123" in z.read("word/document.xml").decode()
    no_denial = runner.invoke(main, ["render", "appeal", str(case), "-o", str(tmp_path / "x.docx")])
    assert no_denial.exit_code == 2
    assert "denial_id" in no_denial.stderr
    pdf = tmp_path / "lmn.pdf"
    result = runner.invoke(main, ["render", "lmn", str(case), "--format", "pdf", "-o", str(pdf)])
    assert result.exit_code == 0, result.output
    with pdfplumber.open(pdf) as doc:
        assert "O'Sample" in doc.pages[0].extract_text()
    packet = tmp_path / "packet.pdf"
    result = runner.invoke(
        main, ["render", "appeal_packet", str(own), "--denial", str(denial_pdf), "-o", str(packet)]
    )
    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO(packet.read_bytes()))
    assert [o.title for o in reader.outline][:4] == [
        "Fax cover sheet",
        "Letter of appeal",
        "Letter of medical necessity",
        "Copy of the denial letter",
    ]
