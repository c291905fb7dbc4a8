"""Field inputs (shared/field): vendored ones from tests/fixtures/field, the rest from
$FORMSERVICE_SHARED (default ../shared); absent ones skip locally and fail in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENDORED = REPO / "tests" / "fixtures" / "field"
GOLDEN = VENDORED / "golden"


def shared_dir() -> Path:
    return Path(os.environ.get("FORMSERVICE_SHARED", str(REPO.parent / "shared")))


def field_file(relative: str) -> Path:
    """tests/fixtures/field/<relative>, else $FORMSERVICE_SHARED/field/<relative>."""
    for path in (VENDORED / relative, shared_dir() / "field" / relative):
        if path.is_file():
            return path
    message = (
        f"field input {relative} is neither vendored (tests/fixtures/field) nor in "
        f"{shared_dir() / 'field'}; set FORMSERVICE_SHARED to the folder holding shared/field "
        "(a checkout of the project's shared material)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
