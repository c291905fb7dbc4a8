"""Real files made by other projects, as test inputs (tests/fixtures/PROVENANCE.md).

A file is read from ``tests/fixtures/`` when the repository has it (redistributable licences), or
else from the test corpus at ``FORMSERVICE_CORPUS`` (default ``../shared/corpus`` beside the
clone). A test whose file is in neither place fails in CI (``CI=true``) and skips locally with a
message saying how to get it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO

FIXTURES = REPO / "tests" / "fixtures"
CORPUS = Path(os.environ.get("FORMSERVICE_CORPUS") or REPO.parent / "shared" / "corpus")

# Corpus files the product ships itself (same bytes): read from the repository.
SHIPPED = {
    "acroforms/tx_nofr001_standard_pa_form.pdf": REPO / "templates" / "pdf" / "tx_nofr001.pdf",
    "acroforms/cms1500_claim_form_0212_blank.pdf": REPO / "templates" / "pdf" / "cms1500.pdf",
}
# Corpus files the tests use that may not be redistributed (no licence): never in the repository.
CORPUS_ONLY = (
    "acroforms/authscript_mri_lumbar_pa_form_reportlab.pdf",
    "acroforms/irs_fw4_2009_oneform.pdf",
    "acroforms/irs_fw4_2025_macos_resaved_nofields.pdf",
    "acroforms/irs_fw9_2018_xfa.pdf",
)


def corpus_path(relative: str) -> Path:
    """Where the test input ``relative`` (e.g. ``acroforms/x.pdf``) is; skip or fail if nowhere."""
    for path in (FIXTURES / relative, SHIPPED.get(relative), CORPUS / relative):
        if path is not None and path.is_file():
            return path
    message = (
        f"test input {relative} is not redistributable, so it is not in tests/fixtures/, and "
        f"FORMSERVICE_CORPUS={CORPUS} does not have it: point FORMSERVICE_CORPUS at the "
        "formservice test corpus (tests/fixtures/PROVENANCE.md says where each file comes from)"
    )
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def corpus_names(folder: str, suffix: str) -> list[str]:
    """File names of a corpus folder the tests know, whether or not each is present here."""
    names = {p.name for p in (FIXTURES / folder).glob(f"*{suffix}")}
    names |= {Path(r).name for r in (*SHIPPED, *CORPUS_ONLY) if r.startswith(f"{folder}/")}
    names = {n for n in names if n.endswith(suffix)}
    return sorted(names)
