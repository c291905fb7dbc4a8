"""Read an X12 835 electronic remittance advice (005010X221A1) into a `Remittance`.

Why pyx12: it is kept (4.0, 2026), pure Python, and ships the 005010X221A1 and 005010X222A1
implementation-guide maps, so one library reads the interchange (the ISA's delimiters and the
segment stream: `pyx12.rawx12file.RawX12File`, in `formservice.denials.x12_elements`) and
validates it against the guide (`formservice.denials.x12_check`, `pyx12.x12n_document`).
linuxforhealth-x12 (0.57, 2022) was tried first and fails at import here: it needs pydantic 1
(`BaseSettings`) without pinning it.

The elements are split by `x12_elements` rather than by pyx12's `X12Reader`, which builds an
object per element and component: on a 10,000-claim file that reader alone took as long as
everything else, and reading through it came to 3x its bare parse (bench/parse_era.py); the
envelope checks it made (SE01, control numbers, trailer counts) are the few lines of
`x12_envelope.Envelope`.

Reading is one pass over the segments (loops by their leading segment: CLP opens a claim, SVC
a service line); what each claim becomes is decided in `formservice.denials.era_claims`. A file
that is not X12, is not 005010X221A1, has a broken envelope (SE01 count, ISA/IEA, GS/GE, ST/SE
control numbers, a missing trailer) or a transaction without any claim raises
`InvalidX12Error` naming the segment and its 1-based position (ISA is 1): nothing is returned.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from datetime import date

from formservice.denials.era_claims import (
    ClaimRecord,
    Header,
    LineRecord,
    Seen,
    claim_payment,
)
from formservice.denials.x12_elements import X12Segment, day, element, money, split_x12
from formservice.denials.x12_envelope import Envelope
from formservice.errors import InvalidX12Error
from formservice.model.denial import Adjustment
from formservice.model.remittance import ClaimPayment, Remittance

__all__ = ["ERA_VERSION", "read_remittance"]

ERA_VERSION = "005010X221A1"
# CAS repeats (reason, amount, quantity) up to six times after the group code: CAS02-04 ...
# CAS17-19.
_MOA_REMARKS = (3, 4, 5, 6, 7)  # MOA03-MOA07
_MIA_REMARKS = (5, 20, 21, 22, 23)  # MIA05, MIA20-MIA23


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


def _begin(state: _Reading, seg: X12Segment, seg_id: str, position: int) -> None:
    """ISA, GS and ST: the version and the transaction set must be the 835 of 5010."""
    if seg_id == "ISA" and element(seg, 12) != "00501":
        raise InvalidX12Error(
            f"ISA12 is {element(seg, 12)!r}: only version 00501 (5010) is read",
            segment="ISA",
            position=position,
        )
    if seg_id == "GS" and element(seg, 8) != ERA_VERSION:
        raise InvalidX12Error(
            f"GS08 is {element(seg, 8)!r}: only {ERA_VERSION} (the 5010 835) is read",
            segment="GS",
            position=position,
        )
    if seg_id == "ST":
        if element(seg, 1) != "835":
            raise InvalidX12Error(
                f"ST01 is {element(seg, 1)!r}: this is not an 835 remittance",
                segment="ST",
                position=position,
            )
        version = element(seg, 3)
        if version and version != ERA_VERSION:
            raise InvalidX12Error(
                f"ST03 is {version!r}: only {ERA_VERSION} is read", segment="ST", position=position
            )
        state.st_position, state.st_claims = position, 0
        state.transactions += 1


def _claim_segment(state: _Reading, seg: X12Segment, seg_id: str, position: int) -> None:
    """CLP and the segments of loops 2100 and 2110."""
    if seg_id == "CLP":
        _open_claim(state, seg, position)
        return
    claim = state.claim
    if claim is None:
        return
    if seg_id == "SVC":
        state.line = _service_line(seg, position)
        claim.lines.append(state.line)
    elif seg_id == "CAS":
        seen = Seen(position, seg.text)
        group = element(seg, 1) or None
        target = state.line.adjustments if state.line is not None else claim.adjustments
        for reason in range(2, min(len(seg.fields), 20), 3):  # CAS02, CAS05 ... CAS17
            carc = seg.fields[reason].strip()
            if carc:
                target.append((Adjustment(group, carc, money(seg, reason + 1, position)), seen))
    elif seg_id == "NM1" and state.line is None:
        _claim_person(claim, seg, position)
    elif seg_id in ("MOA", "MIA"):
        seen = Seen(position, seg.text)
        refs = _MOA_REMARKS if seg_id == "MOA" else _MIA_REMARKS
        claim.rarcs += [(code, seen) for code in (element(seg, r) for r in refs) if code]
    elif seg_id == "LQ" and state.line is not None and element(seg, 1) == "HE":
        state.line.rarcs.append((element(seg, 2), Seen(position, seg.text)))
    elif seg_id == "DTM":
        qualifier = element(seg, 1)
        on = day(seg, 2)
        if on is None:
            return
        if state.line is not None and qualifier in ("472", "150"):
            state.line.date_of_service = state.line.date_of_service or on
        elif state.line is None and qualifier == "232":
            claim.statement_from = (on, Seen(position, seg.text))
    elif seg_id == "AMT" and state.line is not None and element(seg, 1) == "B6":
        state.line.allowed = money(seg, 2, position)
    elif seg_id == "REF" and element(seg, 1) == "G1" and claim.authorization_number is None:
        claim.authorization_number = (element(seg, 2), Seen(position, seg.text))


def _open_claim(state: _Reading, seg: X12Segment, position: int) -> None:
    """CLP (loop 2100): the claim before it is done; this one is read from here on."""
    state.close_claim()
    state.st_claims += 1
    responsibility = element(seg, 5)
    state.claim = ClaimRecord(
        seen=Seen(position, seg.text),
        patient_control_number=element(seg, 1),
        status=element(seg, 2),
        billed=money(seg, 3, position),
        paid=money(seg, 4, position),
        patient_responsibility=money(seg, 5, position) if responsibility else None,
        claim_number=element(seg, 7) or None,
        filing_indicator=element(seg, 6) or None,
    )


def _service_line(seg: X12Segment, position: int) -> LineRecord:
    """SVC (loop 2110): a service line as paid."""
    units = element(seg, 5)
    modifiers = tuple(m for m in (element(seg, 1, i) for i in range(3, 7)) if m)
    return LineRecord(
        seen=Seen(position, seg.text),
        code=element(seg, 1, 2) or None,
        modifiers=modifiers,
        billed=money(seg, 2, position),
        paid=money(seg, 3, position),
        units=float(units) if units.replace(".", "", 1).isdigit() else 1.0,
    )


def _claim_person(claim: ClaimRecord, seg: X12Segment, position: int) -> None:
    """NM1 of loop 2100: the patient (QC) or the insured (IL) and their identifiers."""
    who = element(seg, 1)
    if who in ("QC", "IL"):
        seen = Seen(position, seg.text)
        name = " ".join(p for p in (element(seg, 4), element(seg, 3)) if p)
        ident = element(seg, 9)
        if who == "QC":
            claim.patient_name = (name, seen) if name else None
            claim.patient_id = (ident, seen) if ident else None
        elif ident:
            claim.member_id = (ident, seen)


def _header_segment(state: _Reading, seg: X12Segment, seg_id: str, position: int) -> None:
    """Table 1 of the 835: payment, trace, production date, payer and payee."""
    if seg_id == "BPR":
        state.total_paid = money(seg, 2, position)
        on = day(seg, 16)
        state.payment_date = (on, Seen(position, seg.text)) if on else None
    elif seg_id == "TRN":
        state.trace_number = element(seg, 2) or None
    elif seg_id == "DTM" and element(seg, 1) == "405":
        on = day(seg, 2)
        state.production_date = (on, Seen(position, seg.text)) if on else None
    elif seg_id == "N1" and element(seg, 1) == "PR":
        state.payer_name = (element(seg, 2), Seen(position, seg.text))
    elif seg_id == "N1" and element(seg, 1) == "PE":
        state.payee_name = element(seg, 2) or None
        state.payee_npi = element(seg, 4) if element(seg, 3) == "XX" else None


def read_remittance(data: bytes) -> Remittance:
    """Read an 835 file's bytes into its claims and denials; `InvalidX12Error` (422) if broken."""
    # Every claim adds dozens of objects that live until the end (its denial, evidence, lines),
    # none of them garbage: the cyclic collector's passes over them found nothing and cost a
    # quarter of the reading time on 10,000 claims. It is paused while reading, as Mercurial's
    # `util.nogc` does for the same reason, and restored after (reference counting still frees
    # everything that is dropped).
    paused = gc.isenabled()
    gc.disable()
    try:
        return _read(data)
    finally:
        if paused:
            gc.enable()


def _read(data: bytes) -> Remittance:
    pieces, ele, sub = split_x12(data)
    envelope = Envelope()
    state = _Reading()
    position = 0
    in_header = True
    for position, piece in enumerate(pieces, 1):
        seg = X12Segment(piece.strip(), ele, sub)
        seg_id = seg.fields[0]
        if not (2 <= len(seg_id) <= 3 and seg_id.isalnum() and seg_id[0].isupper()):
            raise InvalidX12Error(
                f"{seg_id[:10]!r} is not a segment id", segment=seg_id[:3] or "?", position=position
            )
        envelope.step(seg, seg_id, position)
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
    envelope.finish(position + 1)
    if state.transactions == 0:
        raise InvalidX12Error("the file holds no transaction (ST)", segment="ST", position=1)
    return Remittance(
        payer_name=state.payer_name[0] if state.payer_name else None,
        payee_name=state.payee_name,
        payee_npi=state.payee_npi,
        payment_date=state.payment_date[0] if state.payment_date else None,
        trace_number=state.trace_number,
        total_paid=state.total_paid,
        claims=tuple(state.claims),
    )
