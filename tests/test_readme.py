"""The README a newcomer copies: its pictures exist, and it cites only paths of this repository."""

from __future__ import annotations

import re

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_pictures_and_documents_it_cites_are_in_the_repository() -> None:
    cited = re.findall(r"\]\(((?:docs|tests)/[^)\s]+)\)", README)
    cited += re.findall(
        r"`((?:docs|samples|templates|tests)/[\w./-]+\.(?:md|png|pdf|json))`", README
    )
    assert "docs/img/review.png" in cited
    for path in cited:
        assert (REPO / path).is_file(), path


def test_no_path_outside_the_clone_and_no_placeholder_to_copy() -> None:
    assert "../" not in README
    assert "<id>" not in README  # the examples capture ids instead
