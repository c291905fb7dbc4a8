"""PDFium and pdfplumber read every text letter of every evaluation set to the same facts.

The text layer is read by PDFium's glyph boxes; pdfplumber (``extract_words`` after
``dedupe_chars``) is the reference. Both must give the same facts and the same evidence. Where
they legitimately differ is documented here and nowhere else:

* where a word ends: PDFium may break a bold label from the value drawn right after it
  ("Date:" "March") where pdfminer joins them ("Date:March"), so evidence texts are compared
  without their spaces;
* bullet glyphs without a Unicode mapping read "•" in PDFium and "(cid:127)" in pdfminer, so
  evidence texts are compared without those.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from formservice.denials import read_denial
from formservice.denials.extract import ExtractLimits
from tests.denials.evaluation import Letter, letters

LIMITS = ExtractLimits()


def _text_letters() -> list[Letter]:
    found = letters("own") + letters("field") + letters("independent")
    return [x for x in found if not x.scan]


def _no_ocr(image: Any, timeout: float) -> str:
    raise AssertionError("a text letter must not be OCR'd")


def _plain(text: str) -> str:
    return re.sub(r"\s+|\(cid:\d+\)|•", "", text)


def _evidence(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (_plain(v) if k == "text" else _evidence(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_evidence(v) for v in value]
    return _plain(value) if isinstance(value, str) else value


@pytest.mark.parametrize("letter", _text_letters(), ids=lambda x: f"{x.set}/{x.stem}")
def test_pdfium_and_pdfplumber_give_the_same_facts_and_evidence(letter: Letter) -> None:
    data = letter.pdf.read_bytes()
    fast = read_denial(data, limits=LIMITS, ocr=_no_ocr, engine="pdfium").to_json()
    reference = read_denial(data, limits=LIMITS, ocr=_no_ocr, engine="pdfplumber").to_json()
    fast_evidence, reference_evidence = fast.pop("evidence"), reference.pop("evidence")
    for reason in fast["reasons"] + reference["reasons"]:
        reason["evidence"] = _plain(reason["evidence"])
    assert fast == reference
    assert _evidence(fast_evidence) == _evidence(reference_evidence)
