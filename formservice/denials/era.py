"""Read an X12 835 electronic remittance advice (005010X221A1) into a `Remittance`.

Why pyx12: it is kept (4.0, 2026), pure Python, and ships the 005010X221A1 and 005010X222A1
implementation-guide maps, so one library splits the file (delimiters from the ISA, segment
iteration, envelope counts and control numbers: `pyx12.x12file.X12Reader`) and validates it
against the guide (`validate_x12`, `pyx12.x12n_document`). linuxforhealth-x12 (0.57, 2022) was
tried first and fails at import here: it needs pydantic 1 (`BaseSettings`) without pinning it.

Reading is one pass over the segments (loops by their leading segment: CLP opens a claim, SVC
a service line); what each claim becomes is decided in `formservice.denials.era_claims`. A file
that is not X12, is not 005010X221A1, has a broken envelope (SE01 count, ISA/IEA, GS/GE, ST/SE
control numbers, a missing trailer) or a transaction without any claim raises
`InvalidX12Error` naming the segment and its 1-based position (ISA is 1): nothing is returned.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import pyx12.errors
import pyx12.x12file
from pyx12.segment import Segment

from formservice.denials.era_claims import (
    ClaimRecord,
    Header,
    LineRecord,
    Seen,
    claim_payment,
    era_rules,
)
from formservice.errors import InvalidX12Error
from formservice.model.denial import Adjustment
from formservice.model.remittance import ClaimPayment, Remittance

__all__ = ["ERA_VERSION", "read_remittance"]

ERA_VERSION = "005010X221A1"
# X12Reader's envelope errors (kind "isa", "gs", "st") and the segment errors that make a file
# unreadable (1: bad segment id, 8: empty segment); others (trailing separators) are cosmetic.
_FATAL_SEGMENT_CODES = frozenset({"1", "8"})
# CAS repeats (reason, amount, quantity) six times after the group code: CAS02-04 ... CAS17-19.
_CAS_TRIPLES = tuple((f"CAS{i:02d}", f"CAS{i + 1:02d}") for i in range(2, 20, 3))
_MOA_REMARKS = ("MOA03", "MOA04", "MOA05", "MOA06", "MOA07")
_MIA_REMARKS = ("MIA05", "MIA20", "MIA21", "MIA22", "MIA23")
_TRAILER_OF = {"ISA": "IEA", "GS": "GE", "ST": "SE"}


def _v(seg: Segment, ref: str) -> str:
    value = seg.get_value(ref)
    return value.strip() if value else ""


def _money(seg: Segment, ref: str, position: int) -> float:
    raw = _v(seg, ref)
    if not raw:
        return 0.0
    try:
        return round(float(raw), 2)
    except ValueError:
        raise InvalidX12Error(
            f"{ref} is {raw!r}, not an amount", segment=seg.get_seg_id() or "?", position=position
        ) from None


def _day(seg: Segment, ref: str) -> date | None:
    """A CCYYMMDD date, or None when it is missing or not a date: a payer's bad date in one
    element (seen in public examples) should not lose the whole remittance; the fact is then
    missing and the denial names it in ``review_fields``."""
    raw = _v(seg, ref)
    try:
        return date(int(raw[0:4]), int(raw[4:6]), int(raw[6:8])) if len(raw) == 8 else None
    except ValueError:
        return None


def _text(seg: Segment) -> str:
    return seg.format("", "*", ":")


@dataclass
class _Reading:
    """What one pass has read so far."""

    payer_name: tuple[str, Seen] | None = None
    payee_name: str | None = None
    payee_npi: str | None = None
    payment_date: tuple[date, Seen] | None = None
    production_date: tuple[date, Seen] | None = None
    trace_number: str | None = None
    total_paid: float | None = None
    claims: list[ClaimPayment] = field(default_factory=list)
    claim: ClaimRecord | None = None
    line: LineRecord | None = None
    st_position: int = 0
    st_claims: int = 0
    transactions: int = 0

    def header(self) -> Header:
        return Header(self.payer_name, self.production_date or self.payment_date)

    def close_claim(self) -> None:
        if self.claim is not None:
            self.claims.append(claim_payment(self.claim, self.header()))
        self.claim, self.line = None, None


def _check_envelope(
    reader: pyx12.x12file.X12Reader, seg: Segment, seg_id: str, position: int
) -> None:
    for kind, code, message, _value, _line in reader.err_list:
        if kind in ("isa", "gs", "st") or code in _FATAL_SEGMENT_CODES:
            raise InvalidX12Error(message, segment=seg_id or "?", position=position)
    reader.err_list.clear()


def _begin(state: _Reading, seg: Segment, seg_id: str, position: int) -> None:
    """ISA, GS and ST: the version and the transaction set must be the 835 of 5010."""
    if seg_id == "ISA" and _v(seg, "ISA12") != "00501":
        raise InvalidX12Error(
            f"ISA12 is {_v(seg, 'ISA12')!r}: only version 00501 (5010) is read",
            segment="ISA",
            position=position,
        )
    if seg_id == "GS" and _v(seg, "GS08") != ERA_VERSION:
        raise InvalidX12Error(
            f"GS08 is {_v(seg, 'GS08')!r}: only {ERA_VERSION} (the 5010 835) is read",
            segment="GS",
            position=position,
        )
    if seg_id == "ST":
        if _v(seg, "ST01") != "835":
            raise InvalidX12Error(
                f"ST01 is {_v(seg, 'ST01')!r}: this is not an 835 remittance",
                segment="ST",
                position=position,
            )
        version = _v(seg, "ST03")
        if version and version != ERA_VERSION:
            raise InvalidX12Error(
                f"ST03 is {version!r}: only {ERA_VERSION} is read", segment="ST", position=position
            )
        state.st_position, state.st_claims = position, 0
        state.transactions += 1


def _claim_segment(state: _Reading, seg: Segment, seg_id: str, position: int) -> None:
    """CLP and the segments of loops 2100 and 2110."""
    if seg_id == "CLP":
        state.close_claim()
        state.st_claims += 1
        responsibility = _v(seg, "CLP05")
        state.claim = ClaimRecord(
            seen=Seen(position, _text(seg)),
            patient_control_number=_v(seg, "CLP01"),
            status=_v(seg, "CLP02"),
            billed=_money(seg, "CLP03", position),
            paid=_money(seg, "CLP04", position),
            patient_responsibility=_money(seg, "CLP05", position) if responsibility else None,
            claim_number=_v(seg, "CLP07") or None,
            filing_indicator=_v(seg, "CLP06") or None,
        )
        return
    claim = state.claim
    if claim is None:
        return
    if seg_id == "SVC":
        units = _v(seg, "SVC05")
        modifiers = tuple(m for m in (_v(seg, f"SVC01-{i}") for i in range(3, 7)) if m)
        state.line = LineRecord(
            seen=Seen(position, _text(seg)),
            code=_v(seg, "SVC01-2") or None,
            modifiers=modifiers,
            billed=_money(seg, "SVC02", position),
            paid=_money(seg, "SVC03", position),
            units=float(units) if units.replace(".", "", 1).isdigit() else 1.0,
        )
        claim.lines.append(state.line)
    elif seg_id == "CAS":
        seen = Seen(position, _text(seg))
        group = _v(seg, "CAS01") or None
        target = state.line.adjustments if state.line is not None else claim.adjustments
        for reason_ref, amount_ref in _CAS_TRIPLES:
            carc = _v(seg, reason_ref)
            if carc:
                target.append((Adjustment(group, carc, _money(seg, amount_ref, position)), seen))
    elif seg_id == "NM1" and state.line is None:
        who = _v(seg, "NM101")
        if who in ("QC", "IL"):
            seen = Seen(position, _text(seg))
            name = " ".join(p for p in (_v(seg, "NM104"), _v(seg, "NM103")) if p)
            ident = _v(seg, "NM109")
            if who == "QC":
                claim.patient_name = (name, seen) if name else None
                claim.patient_id = (ident, seen) if ident else None
            elif ident:
                claim.member_id = (ident, seen)
    elif seg_id in ("MOA", "MIA"):
        seen = Seen(position, _text(seg))
        refs = _MOA_REMARKS if seg_id == "MOA" else _MIA_REMARKS
        claim.rarcs += [(code, seen) for code in (_v(seg, r) for r in refs) if code]
    elif seg_id == "LQ" and state.line is not None and _v(seg, "LQ01") == "HE":
        state.line.rarcs.append((_v(seg, "LQ02"), Seen(position, _text(seg))))
    elif seg_id == "DTM":
        qualifier = _v(seg, "DTM01")
        on = _day(seg, "DTM02")
        if on is None:
            return
        if state.line is not None and qualifier in ("472", "150"):
            state.line.date_of_service = state.line.date_of_service or on
        elif state.line is None and qualifier == "232":
            claim.statement_from = (on, Seen(position, _text(seg)))
    elif seg_id == "AMT" and state.line is not None and _v(seg, "AMT01") == "B6":
        state.line.allowed = _money(seg, "AMT02", position)
    elif seg_id == "REF" and _v(seg, "REF01") == "G1" and claim.authorization_number is None:
        claim.authorization_number = (_v(seg, "REF02"), Seen(position, _text(seg)))


def _header_segment(state: _Reading, seg: Segment, seg_id: str, position: int) -> None:
    """Table 1 of the 835: payment, trace, production date, payer and payee."""
    if seg_id == "BPR":
        state.total_paid = _money(seg, "BPR02", position)
        on = _day(seg, "BPR16")
        state.payment_date = (on, Seen(position, _text(seg))) if on else None
    elif seg_id == "TRN":
        state.trace_number = _v(seg, "TRN02") or None
    elif seg_id == "DTM" and _v(seg, "DTM01") == "405":
        on = _day(seg, "DTM02")
        state.production_date = (on, Seen(position, _text(seg))) if on else None
    elif seg_id == "N1" and _v(seg, "N101") == "PR":
        state.payer_name = (_v(seg, "N102"), Seen(position, _text(seg)))
    elif seg_id == "N1" and _v(seg, "N101") == "PE":
        state.payee_name = _v(seg, "N102") or None
        state.payee_npi = _v(seg, "N104") if _v(seg, "N103") == "XX" else None


def _reader(data: bytes) -> pyx12.x12file.X12Reader:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidX12Error(
            f"byte {exc.start} is not text: an X12 file is plain text",
            segment="ISA",
            position=1,
        ) from None
    try:
        return pyx12.x12file.X12Reader(io.StringIO(text.lstrip("\ufeff\r\n\t ")))
    except pyx12.errors.X12Error as exc:
        raise InvalidX12Error(
            f"not an X12 file: {str(exc).split(' for ', 1)[0][:120]}",
            segment="ISA",
            position=1,
        ) from None


def read_remittance(data: bytes) -> Remittance:
    """Read an 835 file's bytes into its claims and denials; `InvalidX12Error` (422) if broken."""
    reader = _reader(data)
    state = _Reading()
    position = 0
    in_header = True
    try:
        for position, seg in enumerate(reader, 1):
            seg_id = seg.get_seg_id() or ""
            if reader.err_list:
                _check_envelope(reader, seg, seg_id, position)
            if seg_id in ("ISA", "GS", "ST"):
                _begin(state, seg, seg_id, position)
                in_header = True
            elif seg_id == "SE":
                state.close_claim()
                if state.st_claims == 0:
                    raise InvalidX12Error(
                        "the transaction holds no claim payment (CLP)",
                        segment="ST",
                        position=state.st_position,
                    )
            elif seg_id in ("CLP", "LX"):
                in_header = False
                _claim_segment(state, seg, seg_id, position)
            elif in_header:
                _header_segment(state, seg, seg_id, position)
            else:
                _claim_segment(state, seg, seg_id, position)
    except pyx12.errors.X12Error as exc:
        raise InvalidX12Error(str(exc)[:200], segment="ISA", position=position + 1) from None
    reader.cleanup()
    if reader.err_list:
        message = reader.err_list[0][2]
        raise InvalidX12Error(message, segment="IEA", position=position + 1)
    if state.transactions == 0:
        raise InvalidX12Error("the file holds no transaction (ST)", segment="ST", position=1)
    era_rules()  # read once here so a bad rules file fails loudly, not on the first claim
    return Remittance(
        payer_name=state.payer_name[0] if state.payer_name else None,
        payee_name=state.payee_name,
        payee_npi=state.payee_npi,
        payment_date=state.payment_date[0] if state.payment_date else None,
        trace_number=state.trace_number,
        total_paid=state.total_paid,
        claims=tuple(state.claims),
    )
