"""Every file in tests/fixtures/ says where it comes from and under which licence."""

from __future__ import annotations

import re

from tests.corpus import CORPUS_ONLY, FIXTURES

PROVENANCE = (FIXTURES / "PROVENANCE.md").read_text(encoding="utf-8")


def test_every_fixture_has_a_provenance_row_with_a_licence_text() -> None:
    files = sorted(
        p.relative_to(FIXTURES).as_posix()
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.parent.name != "LICENSES" and p.name != "PROVENANCE.md"
    )
    assert len(files) >= 40
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
