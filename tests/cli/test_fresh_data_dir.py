"""A fresh data folder just works: the embedded database is migrated on first use.

On PostgreSQL nothing is migrated behind the operator's back: an unmigrated database stops every
command (and the server) with one line naming `formservice db upgrade`, exit 2. Never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from formservice.cli import main
from tests.conftest import REPO, SAMPLES
from tests.servers import throwaway_postgres

CASE = SAMPLES / "cases" / "01_breast_commercial_office.json"
LMN = "letter_of_medical_necessity"


def _fresh_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("FORMSERVICE_ENV", "test")
    monkeypatch.setenv("FORMSERVICE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("FORMSERVICE_DATABASE_URL", raising=False)
    monkeypatch.delenv("FORMSERVICE_REDIS_URL", raising=False)


def _no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("argv", "expect"),
    [
        (["render", "lmn", str(CASE), "-o", "{tmp}/lmn.docx"], "wrote"),
        (["keys", "create", "--role", "hub", "--name", "first"], "fs_"),
        (["regenerate", "--template", LMN, "--dry-run"], "0 document(s)"),
        (["templates", "list"], LMN),
    ],
    ids=["render", "keys-create", "regenerate-dry-run", "templates-list"],
)
def test_command_on_a_fresh_data_dir_migrates_and_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], expect: str
) -> None:
    data_dir = tmp_path / "var"  # does not exist yet
    _fresh_env(monkeypatch, data_dir)

    result = CliRunner().invoke(main, [a.format(tmp=tmp_path) for a in argv])

    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert expect in result.output
    assert (data_dir / "formservice.sqlite3").exists()


def test_render_on_a_fresh_data_dir_as_a_newcomer_types_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMSERVICE_")}
    env["FORMSERVICE_DATA_DIR"] = str(tmp_path / "var")
    out = tmp_path / "x.docx"
    done = subprocess.run(
        [sys.executable, "-m", "formservice.cli", "render", "lmn", str(CASE), "-o", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"PK")
    assert "Traceback" not in done.stderr


def test_commands_starting_together_migrate_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMSERVICE_")}
    env["FORMSERVICE_DATA_DIR"] = str(tmp_path / "var")
    command = [sys.executable, "-m", "formservice.cli", "templates", "list"]
    started = [
        subprocess.Popen(  # noqa: S603  # our own CLI, fixed arguments
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outcomes = [(p.wait(timeout=180), p.communicate()) for p in started]
    for code, (stdout, stderr) in outcomes:
        assert code == 0, stderr
        assert LMN in stdout
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'var' / 'formservice.sqlite3'}")
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM alembic_version")) == 1
        names = conn.scalars(sa.text("SELECT DISTINCT name FROM template_versions")).all()
    engine.dispose()
    assert LMN in names


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL database with no tables at all."""
    with throwaway_postgres() as url:
        yield url


@pytest.mark.postgres
@pytest.mark.parametrize(
    "argv",
    [
        ["keys", "create", "--role", "hub", "--name", "first"],
        ["templates", "list"],
        ["regenerate", "--template", LMN, "--dry-run"],
        ["serve", "--port", "1"],
    ],
    ids=["keys-create", "templates-list", "regenerate", "serve"],
)
def test_unmigrated_postgres_says_run_db_upgrade_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_postgres: str, argv: list[str]
) -> None:
    _fresh_env(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("FORMSERVICE_DATABASE_URL", empty_postgres)
    monkeypatch.setenv("FORMSERVICE_SECRET_KEY", "s" * 32)

    result = CliRunner().invoke(main, argv)

    _no_traceback(result)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "run `formservice db upgrade`" in lines[0]
    assert not (tmp_path / "var" / "formservice.sqlite3").exists()  # no SQLite fallback


@pytest.mark.postgres
def test_db_upgrade_then_the_same_command_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_postgres: str
) -> None:
    _fresh_env(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("FORMSERVICE_DATABASE_URL", empty_postgres)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(main, ["keys", "create", "--role", "hub", "--name", "first"])
    assert result.exit_code == 0, result.output


def test_unreachable_database_is_one_line_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fresh_env(monkeypatch, tmp_path / "var")
    # A port nothing listens on (1 is privileged and unused): the connection is refused at once.
    monkeypatch.setenv("FORMSERVICE_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")

    result = CliRunner().invoke(main, ["templates", "list"])

    _no_traceback(result)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "cannot open the database postgresql://nobody@127.0.0.1:1/none" in lines[0]


def test_database_of_a_newer_release_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "var"
    _fresh_env(monkeypatch, data_dir)
    runner = CliRunner()
    assert runner.invoke(main, ["templates", "list"]).exit_code == 0
    engine = sa.create_engine(f"sqlite:///{data_dir / 'formservice.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    engine.dispose()

    result = runner.invoke(main, ["templates", "list"])

    assert result.exit_code == 2
    assert "newer formservice" in result.stderr
