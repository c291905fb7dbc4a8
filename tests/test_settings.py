"""Settings come from FORMSERVICE_* variables and are validated at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from formservice import create_app
from formservice.settings import SettingsError, load_settings


def test_production_needs_a_secret() -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings({"FORMSERVICE_ENV": "production"})
    ok = load_settings({"FORMSERVICE_ENV": "production", "FORMSERVICE_SECRET_KEY": "s" * 40})
    assert ok.secret_key == "s" * 40


def test_development_gets_a_random_secret() -> None:
    a = load_settings({"FORMSERVICE_ENV": "development"})
    b = load_settings({"FORMSERVICE_ENV": "development"})
    assert len(a.secret_key) >= 32
    assert a.secret_key != b.secret_key


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FORMSERVICE_MAX_BODY_BYTES", "lots"),
        ("FORMSERVICE_MAX_BODY_BYTES", "0"),
        ("FORMSERVICE_ENV", "staging"),
        ("FORMSERVICE_DATABASE_URL", "mysql://x"),
        ("FORMSERVICE_HUEY_IMMEDIATE", "perhaps"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name.removeprefix("FORMSERVICE_")):
        load_settings({"FORMSERVICE_ENV": "test", name: value})


def test_values_are_typed(tmp_path: Path) -> None:
    s = load_settings(
        {
            "FORMSERVICE_ENV": "test",
            "FORMSERVICE_DATA_DIR": str(tmp_path),
            "FORMSERVICE_MAX_PDF_PAGES": "7",
            "FORMSERVICE_OCR_SECONDS_PER_PAGE": "2.5",
        }
    )
    assert s.data_dir == tmp_path
    assert s.max_pdf_pages == 7
    assert s.ocr_seconds_per_page == 2.5
    assert s.resolved_database_url == f"sqlite:///{tmp_path / 'formservice.sqlite3'}"


def test_create_app_does_nothing_at_import_and_validates(tmp_path: Path) -> None:
    settings = load_settings({"FORMSERVICE_ENV": "test", "FORMSERVICE_DATA_DIR": str(tmp_path)})
    app = create_app(settings)
    assert app.config["SECRET_KEY"] == settings.secret_key
    assert app.config["MAX_CONTENT_LENGTH"] >= settings.max_body_bytes


def test_charge_master_must_be_a_file(tmp_path) -> None:
    ok = load_settings({"FORMSERVICE_ENV": "development"})
    assert ok.charge_master.name == "charge_master.yaml"
    assert ok.charge_master.is_file()
    with pytest.raises(SettingsError, match="FORMSERVICE_CHARGE_MASTER"):
        load_settings(
            {"FORMSERVICE_ENV": "development", "FORMSERVICE_CHARGE_MASTER": str(tmp_path / "x")}
        )
