"""Every file in tests/fixtures/ says where it comes from and under which licence."""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

from tests.corpus import CORPUS_ONLY, FIXTURES

PROVENANCE = (FIXTURES / "PROVENANCE.md").read_text(encoding="utf-8")


def _own_provenance(path: Path) -> Path:
    """The PROVENANCE.md nearest to a fixture: a folder of fixtures may document itself."""
    folder = path.parent
    while folder != FIXTURES and not (folder / "PROVENANCE.md").is_file():
        folder = folder.parent
    return folder / "PROVENANCE.md"


def _names_in(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"`([^`]+)`", text)] + [
        m.group(1).strip() for m in re.finditer(r"^\|\s*([^|`]+?)\s*\|", text, re.MULTILINE)
    ]


def test_every_fixture_has_a_provenance_row_with_a_licence_text() -> None:
    paths = sorted(
        p
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.parent.name != "LICENSES" and p.name != "PROVENANCE.md"
    )
    files = [
        p.relative_to(FIXTURES).as_posix() for p in paths if _own_provenance(p).parent == FIXTURES
    ]
    assert len(files) >= 40
    for path in paths:
        provenance = _own_provenance(path)
        if provenance.parent == FIXTURES:
            continue
        # A folder with its own PROVENANCE.md names each file, or a pattern that covers it.
        local = path.relative_to(provenance.parent).as_posix()
        names = _names_in(provenance.read_text(encoding="utf-8"))
        assert any(fnmatch(local, n) for n in names), f"{local} is not named in {provenance}"
    for name in files:
        row = next((line for line in PROVENANCE.splitlines() if f"`{name}`" in line), None)
        assert row is not None, f"{name} has no row in tests/fixtures/PROVENANCE.md"
        licence = re.search(r"\]\((LICENSES/[^)]+)\)", row)
        assert licence is not None, f"{name}: no licence text linked"
        assert (FIXTURES / licence.group(1)).is_file(), licence.group(1)


def test_files_that_may_not_be_redistributed_are_not_here() -> None:
    for name in CORPUS_ONLY:
        assert not (FIXTURES / name).exists(), name
        assert f"`{name}`" in PROVENANCE  # listed, with where to get it
