"""Where to send an appeal (``appeal_to``), as the letter states it.

A cue ("Send appeals to:", "Mail or fax your appeal to:", "For a Standard Appeal:", "by mail to")
opens the destination: the block of lines under it when it ends its line, else the rest of its
paragraph. The destination is read as name (what comes before the address), address (street or
PO box through the ZIP code), fax, phone and portal; a number or address elsewhere in the letter
(letterhead, fax cover) is never taken. Without a cue there is no ``appeal_to``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from formservice.denials.layout import Line
from formservice.model.denial import AppealTo

__all__ = ["Destination", "appeal_to", "mentions_destination"]

_ADDRESS = re.compile(
    r"(?P<street>(?:P\.?\s?O\.?\s+BOX\s+\d+|\d+\s+[A-Z0-9][\w.'’ -]*?))"
    r"(?:,?\s+(?:Suite|Ste\.?|STE|Floor|Fl\.?)\s*[\w-]+)?"
    r",?\s+[A-Za-z.'’ ]+?,?\s+(?:[A-Z]{2}|USA)\s+\d{5}(?:-\d{4})?",
    re.IGNORECASE,
)
_CUE_WORD = re.compile(
    r"(?i)\b(?:send|mail|fax|submit|deliver|appeals?|standard|requests?|sign|by|env[ií]e)\b"
)
_LABEL_WORDS = re.compile(r"(?i)^\s*(?:address|mail(?:ing)?\s+address|to)\s*:\s*")


@dataclass(frozen=True)
class Destination:
    """An appeal destination and the lines it was read from."""

    appeal_to: AppealTo
    lines: tuple[Line, ...]
    text: str


@cache
def _rules() -> dict[str, Any]:
    text = (resources.files("formservice.denials") / "data" / "appeal.yaml").read_text("utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    return {
        "cues": [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in raw["cues"]],
        "not_cues": [re.compile(p, re.IGNORECASE) for p in raw["not_cues"]],
        "ends": [re.compile(p, re.IGNORECASE) for p in raw["block_ends"][:1]]
        + [re.compile(p) for p in raw["block_ends"][1:]],
        "fax": re.compile(raw["fax"] + "(" + raw["number"] + ")"),
        "phone": re.compile(raw["phone"] + "(" + raw["number"] + ")"),
        "portal": [re.compile(p) for p in raw["portal"]],
    }


def appeal_to(lines: Sequence[Line], payer: str | None) -> Destination | None:
    """The first place the letter says to send an appeal, or None."""
    rules = _rules()
    for i, line in enumerate(lines):
        if not _CUE_WORD.search(line.text):
            continue  # every cue has one of these words on its first line
        nxt = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].page == line.page else None
        # A cue may run over a line break ("... or by" / "mail to Provider Appeals, ...").
        text = line.text + (" " + nxt.text if nxt is not None else "")
        for cue in rules["cues"]:
            hit = cue.search(text)
            if hit is None or hit.start() >= len(line.text):
                continue
            if any(n.search(text[: hit.end()]) for n in rules["not_cues"]):
                continue
            found = _destination(lines, i, hit.end(), payer)
            if found is not None:
                return found
    return None


def mentions_destination(lines: Sequence[Line]) -> bool:
    """Whether the letter says where to send an appeal (even if it could not be read)."""
    rules = _rules()
    return any(
        cue.search(line.text) and not any(n.search(line.text) for n in rules["not_cues"])
        for line in lines
        for cue in rules["cues"]
    )


def _destination(lines: Sequence[Line], i: int, end: int, payer: str | None) -> Destination | None:
    line = lines[i]
    start = i
    if end > len(line.text):  # the cue ends on the next line
        end -= len(line.text) + 1
        start = i + 1
    first = lines[start]
    rest = first.text[end:].strip()
    used = [first]
    parts = [(rest, len(first.text))] if rest else []
    for nxt in lines[start + 1 : start + 9]:
        prev = used[-1]
        if nxt.page != line.page or nxt.top - prev.bottom > 1.2 * prev.size:
            break
        if any(e.search(nxt.text) for e in _rules()["ends"]):
            break
        used.append(nxt)
        parts.append((nxt.text, len(nxt.text)))
    text = _join(parts)
    where = _paragraph_before(lines, i) + " " + line.text + " " + text
    found = _parse(text, where, payer)
    if found is None:
        return None
    return Destination(found, tuple([line, *used] if start != i else used), text)


def _join(parts: list[tuple[str, int]]) -> str:
    """Lines of a destination as one text: short block lines as a list, prose run on."""
    out = ""
    previous = 0
    for part, width in parts:
        if not out:
            out = part
        elif out.endswith("-"):
            out += part  # a number broken over two lines ("Fax: 1-" / "885-895-4748")
        elif out.endswith((".", ",", ":")) or previous >= 50:
            out += " " + part
        else:
            out += ", " + part
        previous = width
    return out


def _paragraph_before(lines: Sequence[Line], i: int) -> str:
    """The lines of the cue's own paragraph before it (a portal named in the sentence before)."""
    out: list[str] = []
    for k in range(i - 1, max(-1, i - 4), -1):
        if (
            lines[k].page != lines[i].page
            or lines[k + 1].top - lines[k].bottom > 0.8 * lines[k].size
        ):
            break
        out.insert(0, lines[k].text)
    return " ".join(out)


def _parse(text: str, where: str, payer: str | None) -> AppealTo | None:
    rules = _rules()
    fax = rules["fax"].search(where)
    phone = rules["phone"].search(text) or rules["phone"].search(where)
    address = _ADDRESS.search(text)
    portal = _portal(where)
    if not (address or fax or portal):
        return None
    name = None
    if address:
        head = text[: address.start()]
        # Only what follows the last sentence or cue label names the destination.
        head = re.split(r"(?<=[a-z0-9)][.])\s+(?=[A-Z])|(?i:\b(?:appeals|send\s+to)\s*:)", head)[-1]
        head = _LABEL_WORDS.sub("", head).strip(" ,.;:–-")
        name = re.sub(r"\s*,\s*,", ",", head) or None
    if name is None and payer and address:
        name = payer  # "For a Standard Appeal: Address: P.O. Box ..." goes to the payer
    return AppealTo(
        name=name,
        address=address.group(0).strip(" ,.") if address else None,
        fax=fax.group(1) if fax else None,
        phone=phone.group(1) if phone and (not fax or phone.group(1) != fax.group(1)) else None,
        portal=portal,
    )


def _portal(text: str) -> str | None:
    for pattern in _rules()["portal"]:
        hit = pattern.search(text)
        if hit:
            value = hit.group(1) if hit.groups() else hit.group(0)
            return value.strip(" .,)") if "(" not in value else value.strip(" .,")
    return None
