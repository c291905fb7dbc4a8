"""Check an X12 file against its implementation guide (TR3) with pyx12, problem by problem.

`guide_problems` runs `pyx12.x12n_document` (the validator behind pyx12's own ``x12valid``
command) with the JSON error visitor and flattens what it reports to
``[{"segment": position, "id": "CLP", "element": "CLP06", "message": "..."}]``; ``segment`` is
the 1-based position in the file (ISA is 1), as in the remittance's evidence. An empty list means
the file follows the guide (005010X221A1 for an 835, 005010X222A1 for an 837P): pyx12 carries
both maps. The check walks the guide's tree for every segment, so it costs about ten times the
bare parse; the remittance upload runs it once per file and reports what it finds.
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pyx12.params
import pyx12.x12n_document

__all__ = ["guide_problems"]


def _walk(node: dict[str, Any], out: list[dict[str, Any]], line: int | None) -> None:
    here = node.get("cur_line", line)
    seg_id = node.get("seg_id")
    for err in node.get("errors") or []:
        out.append(
            {
                "segment": here,
                "id": seg_id,
                "element": None,
                "message": str(err.get("err_str") or err.get("err_cde")),
            }
        )
    for element in node.get("elements") or []:
        for err in element.get("errors") or []:
            ref = f"{seg_id}{int(element['ele_pos']):02d}" if seg_id else None
            out.append(
                {
                    "segment": here,
                    "id": seg_id,
                    "element": ref,
                    "message": str(err.get("err_str") or err.get("err_cde")),
                }
            )
    for key in ("interchanges", "groups", "transactions", "segments"):
        for child in node.get(key) or []:
            _walk(child, out, here)


def guide_problems(data: bytes) -> list[dict[str, Any]]:
    """Every departure from the implementation guide that pyx12 finds, in file order."""
    # pyx12 logs each problem at ERROR level as well; they are returned here instead.
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    report = io.StringIO()
    source = io.StringIO(data.decode("utf-8", errors="replace"))
    ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), source, None, None, None, report)
    text = report.getvalue()
    problems: list[dict[str, Any]] = []
    if text:
        _walk(json.loads(text), problems, None)
    if not ok and not problems:
        problems.append(
            {"segment": 1, "id": "ISA", "element": None, "message": "not a readable X12 file"}
        )
    return problems
