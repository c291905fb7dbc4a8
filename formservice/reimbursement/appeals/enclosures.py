"""What a letter of appeal lists as enclosed, and what the staff must still add.

Pure: the denial, the case, the arguments and (for a packet's letter) `PacketContents` in;
`Enclosures` out. The words and the rules are data (appeals.yaml `enclosures`, each reason
category's own `enclosures` in evidence.yaml, and `packet_enclosures`):

* a standalone letter lists everything the appeal calls for: the clinic assembles the
  enclosures itself, and its warning says so (`documents.render`);
* a packet's letter lists exactly the parts the packet holds after it, in the packet's order,
  and nothing else. What the appeal calls for that the packet cannot hold (copies of the
  references, a pathology report, the PA determination, ...) is not listed: it becomes a
  warning, "Add before sending: ...", on the packet and on the appeal checklist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from formservice.model import Case, Denial, PacketContents
from formservice.reimbursement import load_data
from formservice.reimbursement.appeals.arguments import Argument
from formservice.reimbursement.appeals.dates import format_date
from formservice.reimbursement.appeals.placeholders import pa_number
from formservice.reimbursement.reconciliation import reconcile

__all__ = [
    "Enclosures",
    "appeal_enclosure_list",
    "enclosure_warnings",
    "packet_contents",
    "submitted_pa_form",
]


@dataclass(frozen=True)
class Enclosures:
    """``listed``: what the letter names as enclosed, in order; ``to_add``: what the appeal
    calls for that is not enclosed (a packet's letter only), as a sentence continues
    "Add before sending: ..."."""

    listed: tuple[str, ...]
    to_add: tuple[str, ...] = ()


def _data() -> dict[str, Any]:
    data: dict[str, Any] = load_data("appeals.yaml")
    return data


def _lower_first(text: str) -> str:
    """ "Pathology report" → "pathology report"; "FDA 510(k) ..." stays as it is."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _values(denial: Denial, case: Case) -> dict[str, str]:
    number = pa_number(denial, case)
    return {
        "letter_date": format_date(denial.letter_date) or "(date not stated)",
        "pa_number": number,
        "pa_ref": f" ({number})" if number else "",
        "claim": str(denial.claim_number or denial.authorization_number or "").strip()
        or "(number not stated)",
    }


def _called_for(
    denial: Denial, case: Case, arguments: Sequence[Argument]
) -> list[Mapping[str, Any]]:
    """The common items whose `when` holds, then each reason's own, then the references."""
    categories = {a.category for a in arguments}
    facts = {
        "always": True,
        "no_records_list": "missing_documentation" not in categories,
        "pa_on_file": bool(pa_number(denial, case)),
        "references": any(a.cites for a in arguments),
    }
    items = [i for i in _data()["enclosures"] if facts[str(i["when"])]]
    # The references go last, after the records each reason needs.
    first = [i for i in items if i["when"] != "references"]
    last = [i for i in items if i["when"] == "references"]
    own = [{"text": e} for a in arguments for e in a.enclosures]
    return [*first, *own, *last]


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def appeal_enclosure_list(
    denial: Denial,
    case: Case,
    arguments: Sequence[Argument],
    packet: PacketContents | None = None,
) -> Enclosures:
    """What the letter lists, and (with `packet`) what the staff must add before sending."""
    values = _values(denial, case)
    wanted = _called_for(denial, case, arguments)
    if packet is None:
        return Enclosures(listed=_unique(str(i["text"]).format(**values) for i in wanted))
    words = _data()["packet_enclosures"]
    held = set(packet.parts)
    listed = _unique(str(words[part]).format(**values) for part in packet.parts)
    to_add: list[str] = []
    for item in wanted:
        covers = {str(p) for p in item.get("covered_by") or ()}
        if covers & held:
            rest = item.get("still_to_add")
            if rest:
                to_add.append(str(rest).format(**values))
            continue
        text = item.get("to_add") or _lower_first(str(item["text"]))
        to_add.append(str(text).format(**values))
    return Enclosures(listed=listed, to_add=_unique(to_add))


def enclosure_warnings(found: Enclosures) -> list[str]:
    """The packet warnings for what the appeal calls for and the packet does not hold."""
    why = str(_data()["packet_warning"])
    return [why.format(item=item) for item in found.to_add]


def submitted_pa_form(
    case: Case, denial: Denial | None, pa_history: Sequence[Mapping[str, object]]
) -> str | None:
    """The payer form of the PA request sent to this denial's payer, as the PA record states it
    (the form of its latest `submitted` step), or None: no form was sent, or the PA went to
    another payer than the one that denied."""
    form = None
    for step in reversed(pa_history):
        if step.get("status") == "submitted" and step.get("form"):
            form = str(step["form"])
            break
    if form is None or denial is None:
        return None
    payer = reconcile(case, denial).get("payer")
    return form if payer.status != "differs" else None


def packet_contents(
    case: Case,
    denial: Denial | None,
    pa_history: Sequence[Mapping[str, object]],
    *,
    remittance: bool = False,
) -> PacketContents:
    """What the appeal packet of `case` for `denial` encloses (`documents.packet` assembles the
    same parts): the remittance page instead of the letter for a denial read from an 835 with
    no letter, the clinical notes when the case has any, the PA form when one was sent to this
    payer."""
    return PacketContents(
        denial_copy="remittance" if remittance else "letter",
        clinical_notes=bool(" ".join((case.clinical_notes or "").split())),
        pa_form=submitted_pa_form(case, denial, pa_history) is not None,
    )
