"""Where an appeal goes: the denial's own "send appeals to" (`Denial.appeal_to`), the payer
directory only where the letter is silent.

Pure. The letter's destination wins field by field (name, address, fax, phone, portal); a
field the letter does not state is taken from the directory entry of the payer that denied
(never from another payer's), then from the case's payer record when it is that payer.
"""

from __future__ import annotations

from dataclasses import dataclass

from formservice.model import Case, Denial
from formservice.reimbursement.payers import find_payer

__all__ = ["AppealRoute", "appeal_route"]


@dataclass(frozen=True)
class AppealRoute:
    """The appeal's addressee; ``source`` says where the fax came from (letter | directory |
    case | none)."""

    name: str
    address: str | None
    fax: str | None
    phone: str | None
    portal: str | None
    source: str


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def appeal_route(case: Case, denial: Denial) -> AppealRoute:
    """The appeal's destination for this denial (module docstring)."""
    to = denial.appeal_to
    on_file = case.coverage.payer
    payer_name = denial.payer_name or (on_file.name if on_file else "")
    ours = on_file is not None and (not payer_name or _same(payer_name, on_file.name))
    directory = find_payer(name=payer_name, payer_id=on_file.payer_id if ours and on_file else None)
    if directory is not None and payer_name and not _same(directory.name, payer_name):
        directory = None  # a payer id that names another payer: not this letter's payer
    fax, source = (to.fax if to else None), "letter"
    if not fax and directory and directory.appeals_fax:
        fax, source = directory.appeals_fax, "directory"
    if not fax and ours and on_file and on_file.fax:
        fax, source = on_file.fax, "case"
    if not fax:
        source = "none"
    name = (to.name if to else None) or (f"{payer_name} Appeals" if payer_name else "Appeals")
    return AppealRoute(
        name=name,
        address=to.address if to else None,
        fax=fax,
        phone=(to.phone if to else None) or (directory.phone if directory else None),
        portal=(to.portal if to else None) or (directory.portal_url if directory else None),
        source=source,
    )
