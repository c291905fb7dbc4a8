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
        ("FORMSERVICE_LEASE_SECONDS", "0"),
        ("FORMSERVICE_REAPER_INTERVAL_SECONDS", "-1"),
        ("FORMSERVICE_MAX_JOB_ATTEMPTS", "0"),
        ("FORMSERVICE_ORPHAN_BLOB_GRACE_SECONDS", "0"),
        ("FORMSERVICE_BLOB_SWEEP_INTERVAL_SECONDS", "0"),
        ("FORMSERVICE_READINESS_TIMEOUT_SECONDS", "0"),
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


@pytest.mark.parametrize(
    "method", ["md5", "scrypt:1000:8:1", "scrypt:8", "pbkdf2:md4:1000", "pbkdf2:sha256:0", ""]
)
def test_a_password_hash_method_werkzeug_cannot_use_is_refused(method: str) -> None:
    with pytest.raises(SettingsError, match="PASSWORD_HASH_METHOD"):
        load_settings({"FORMSERVICE_ENV": "test", "FORMSERVICE_PASSWORD_HASH_METHOD": method})


def test_production_refuses_a_cheap_password_hash_and_defaults_to_scrypt() -> None:
    production = {"FORMSERVICE_ENV": "production", "FORMSERVICE_SECRET_KEY": "s" * 40}
    assert load_settings(production).password_hash_method == "scrypt"  # noqa: S105
    for cheap in ("pbkdf2:sha256:1000", "scrypt:16384:8:1", "scrypt:32768:1:1"):
        with pytest.raises(SettingsError, match="cheaper than production allows"):
            load_settings({**production, "FORMSERVICE_PASSWORD_HASH_METHOD": cheap})
        test = load_settings({"FORMSERVICE_ENV": "test", "FORMSERVICE_PASSWORD_HASH_METHOD": cheap})
        assert test.password_hash_method == cheap
    for strong in ("scrypt:65536:8:1", "pbkdf2", "pbkdf2:sha512:600000"):
        assert (
            load_settings(
                {**production, "FORMSERVICE_PASSWORD_HASH_METHOD": strong}
            ).password_hash_method
            == strong
        )


def test_charge_master_must_be_a_file(tmp_path: Path) -> None:
    ok = load_settings({"FORMSERVICE_ENV": "development"})
    assert ok.charge_master.name == "charge_master.yaml"
    assert ok.charge_master.is_file()
    with pytest.raises(SettingsError, match="FORMSERVICE_CHARGE_MASTER"):
        load_settings(
            {"FORMSERVICE_ENV": "development", "FORMSERVICE_CHARGE_MASTER": str(tmp_path / "x")}
        )
