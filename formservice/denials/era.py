"""Read an X12 835 electronic remittance advice (005010X221A1) into a `Remittance`.

Why pyx12: it is kept (4.0, 2026), pure Python, and ships the 005010X221A1 and 005010X222A1
implementation-guide maps, so one library reads the interchange (the ISA's delimiters and the
segment stream: `pyx12.rawx12file.RawX12File`) and validates it against the guide
(`formservice.denials.x12_check`, `pyx12.x12n_document`). linuxforhealth-x12 (0.57, 2022) was
tried first and fails at import here: it needs pydantic 1 (`BaseSettings`) without pinning it.

The elements are split here rather than by pyx12's `X12Reader`, which builds an object per
element and component: on a 10,000-claim file that reader alone took as long as everything
else, and reading through it came to 3x its bare parse (bench/parse_era.py); the envelope
checks it made (SE01, control numbers, trailer counts) are the few lines of `_Envelope`.

Reading is one pass over the segments (loops by their leading segment: CLP opens a claim, SVC
a service line); what each claim becomes is decided in `formservice.denials.era_claims`. A file
that is not X12, is not 005010X221A1, has a broken envelope (SE01 count, ISA/IEA, GS/GE, ST/SE
control numbers, a missing trailer) or a transaction without any claim raises
`InvalidX12Error` naming the segment and its 1-based position (ISA is 1): nothing is returned.
"""

from __future__ import annotations

import gc
import io
from dataclasses import dataclass, field
from datetime import date

import pyx12.errors
from pyx12.rawx12file import RawX12File

from formservice.denials.era_claims import (
    ClaimRecord,
    Header,
    LineRecord,
    Seen,
    claim_payment,
)
from formservice.errors import InvalidX12Error
from formservice.model.denial import Adjustment
from formservice.model.remittance import ClaimPayment, Remittance

__all__ = ["ERA_VERSION", "read_remittance"]

ERA_VERSION = "005010X221A1"
ISA_LENGTH = 106  # the ISA is fixed-width: 106 characters, its terminator included
# CAS repeats (reason, amount, quantity) up to six times after the group code: CAS02-04 ...
# CAS17-19.
_MOA_REMARKS = (3, 4, 5, 6, 7)  # MOA03-MOA07
_MIA_REMARKS = (5, 20, 21, 22, 23)  # MIA05, MIA20-MIA23


class _Seg:
    """One segment: its elements split (``fields[0]`` is the id, ``fields[4]`` is CLP04), the
    component separator, and its text for evidence (with ``*`` and ``:``)."""

    __slots__ = ("fields", "sub", "text")

    def __init__(self, line: str, ele: str, sub: str) -> None:
        self.fields = line.split(ele)
        self.sub = sub
        standard = ele == "*" and sub == ":"
        self.text = line if standard else "*".join(f.replace(sub, ":") for f in self.fields)


def _e(seg: _Seg, index: int, sub: int = 0) -> str:
    """Element ``index`` (1-based: CLP04 is 4) or its component ``sub`` (1-based; 0: the whole
    element), stripped; "" when absent."""
    fields = seg.fields
    if index >= len(fields):
        return ""
    if sub:
        parts = fields[index].split(seg.sub)
        return parts[sub - 1].strip() if sub <= len(parts) else ""
    return fields[index].strip()


def _money(seg: _Seg, index: int, position: int) -> float:
    raw = _e(seg, index)
    if not raw:
        return 0.0
    try:
        return round(float(raw), 2)
    except ValueError:
        ref = f"{seg.fields[0]}{index:02d}"
        raise InvalidX12Error(
            f"{ref} is {raw!r}, not an amount", segment=seg.fields[0], position=position
        ) from None


def _day(seg: _Seg, index: int) -> date | None:
    """A CCYYMMDD date, or None when it is missing or not a date: a payer's bad date in one
    element (seen in public examples) should not lose the whole remittance; the fact is then
    missing and the denial names it in ``review_fields``."""
    raw = _e(seg, index)
    try:
        return date(int(raw[0:4]), int(raw[4:6]), int(raw[6:8])) if len(raw) == 8 else None
    except ValueError:
        return None


class _Envelope:
    """The interchange's envelope as read so far: open control numbers and counts.

    X12 5010 (ASC X12.5/X12.6): IEA01 counts the groups and IEA02 repeats ISA13; GE01 counts the
    transactions and GE02 repeats GS06; SE01 counts the transaction's segments, ST and SE
    included, and SE02 repeats ST02.
    """

    def __init__(self) -> None:
        self.isa: str | None = None
        self.gs: str | None = None
        self.st: str | None = None
        self.groups = self.transactions = self.segments = 0

    def _fail(self, message: str, seg_id: str, position: int) -> InvalidX12Error:
        return InvalidX12Error(message, segment=seg_id, position=position)

    def step(self, seg: _Seg, seg_id: str, position: int) -> None:
        """Check one segment against the envelope; `InvalidX12Error` when it breaks it."""
        if self.st is not None:
            self.segments += 1
        if seg_id == "ISA":
            if self.isa is not None:
                raise self._fail("ISA inside an open interchange (no IEA)", seg_id, position)
            if len(seg.fields) != 17:
                raise self._fail("the ISA must have 16 elements", seg_id, position)
            self.isa, self.groups = _e(seg, 13), 0
        elif seg_id == "GS":
            if self.isa is None or self.gs is not None:
                raise self._fail(
                    "GS outside an interchange or inside an open group", seg_id, position
                )
            self.gs, self.transactions = _e(seg, 6), 0
            self.groups += 1
        elif seg_id == "ST":
            if self.gs is None or self.st is not None:
                raise self._fail(
                    "ST outside a group or inside an open transaction", seg_id, position
                )
            self.st, self.segments = _e(seg, 2), 1
            self.transactions += 1
        elif seg_id == "SE":
            counted = _e(seg, 1)
            if self.st is None:
                raise self._fail("SE without its ST", seg_id, position)
            if counted != str(self.segments):
                raise self._fail(
                    f"SE count of {counted} is wrong: the transaction has {self.segments} "
                    "segments, ST and SE included",
                    seg_id,
                    position,
                )
            if _e(seg, 2) != self.st:
                raise self._fail(
                    f"SE02 {_e(seg, 2)} does not match ST02 {self.st}", seg_id, position
                )
            self.st = None
        elif seg_id == "GE":
            if self.gs is None or self.st is not None:
                raise self._fail("GE without its GS, or before the SE", seg_id, position)
            if _e(seg, 1) != str(self.transactions):
                raise self._fail(
                    f"GE count of {_e(seg, 1)} is wrong: the group has {self.transactions}",
                    seg_id,
                    position,
                )
            if _e(seg, 2) != self.gs:
                raise self._fail(
                    f"GE02 {_e(seg, 2)} does not match GS06 {self.gs}", seg_id, position
                )
            self.gs = None
        elif seg_id == "IEA":
            if self.isa is None or self.gs is not None:
                raise self._fail("IEA without its ISA, or before the GE", seg_id, position)
            if _e(seg, 1) != str(self.groups):
                raise self._fail(
                    f"IEA count of {_e(seg, 1)} is wrong: the interchange has {self.groups}",
                    seg_id,
                    position,
                )
            if _e(seg, 2) != self.isa:
                raise self._fail(
                    f"IEA02 {_e(seg, 2)} does not match ISA13 {self.isa}", seg_id, position
                )
            self.isa = None
        elif self.st is None:
            raise self._fail(f"{seg_id} outside a transaction (ST ... SE)", seg_id, position)

    def finish(self, position: int) -> None:
        """At the end of the file: every envelope closed."""
        for open_id, trailer in ((self.st, "SE"), (self.gs, "GE"), (self.isa, "IEA")):
            if open_id is not None:
                raise self._fail(f"the file ends without its {trailer}", trailer, position)


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


def _begin(state: _Reading, seg: _Seg, seg_id: str, position: int) -> None:
    """ISA, GS and ST: the version and the transaction set must be the 835 of 5010."""
    if seg_id == "ISA" and _e(seg, 12) != "00501":
        raise InvalidX12Error(
            f"ISA12 is {_e(seg, 12)!r}: only version 00501 (5010) is read",
            segment="ISA",
            position=position,
        )
    if seg_id == "GS" and _e(seg, 8) != ERA_VERSION:
        raise InvalidX12Error(
            f"GS08 is {_e(seg, 8)!r}: only {ERA_VERSION} (the 5010 835) is read",
            segment="GS",
            position=position,
        )
    if seg_id == "ST":
        if _e(seg, 1) != "835":
            raise InvalidX12Error(
                f"ST01 is {_e(seg, 1)!r}: this is not an 835 remittance",
                segment="ST",
                position=position,
            )
        version = _e(seg, 3)
        if version and version != ERA_VERSION:
            raise InvalidX12Error(
                f"ST03 is {version!r}: only {ERA_VERSION} is read", segment="ST", position=position
            )
        state.st_position, state.st_claims = position, 0
        state.transactions += 1


def _claim_segment(state: _Reading, seg: _Seg, seg_id: str, position: int) -> None:
    """CLP and the segments of loops 2100 and 2110."""
    if seg_id == "CLP":
        state.close_claim()
        state.st_claims += 1
        responsibility = _e(seg, 5)
        state.claim = ClaimRecord(
            seen=Seen(position, seg.text),
            patient_control_number=_e(seg, 1),
            status=_e(seg, 2),
            billed=_money(seg, 3, position),
            paid=_money(seg, 4, position),
            patient_responsibility=_money(seg, 5, position) if responsibility else None,
            claim_number=_e(seg, 7) or None,
            filing_indicator=_e(seg, 6) or None,
        )
        return
    claim = state.claim
    if claim is None:
        return
    if seg_id == "SVC":
        units = _e(seg, 5)
        modifiers = tuple(m for m in (_e(seg, 1, i) for i in range(3, 7)) if m)
        state.line = LineRecord(
            seen=Seen(position, seg.text),
            code=_e(seg, 1, 2) or None,
            modifiers=modifiers,
            billed=_money(seg, 2, position),
            paid=_money(seg, 3, position),
            units=float(units) if units.replace(".", "", 1).isdigit() else 1.0,
        )
        claim.lines.append(state.line)
    elif seg_id == "CAS":
        seen = Seen(position, seg.text)
        group = _e(seg, 1) or None
        target = state.line.adjustments if state.line is not None else claim.adjustments
        for reason in range(2, min(len(seg.fields), 20), 3):  # CAS02, CAS05 ... CAS17
            carc = seg.fields[reason].strip()
            if carc:
                target.append((Adjustment(group, carc, _money(seg, reason + 1, position)), seen))
    elif seg_id == "NM1" and state.line is None:
        who = _e(seg, 1)
        if who in ("QC", "IL"):
            seen = Seen(position, seg.text)
            name = " ".join(p for p in (_e(seg, 4), _e(seg, 3)) if p)
            ident = _e(seg, 9)
            if who == "QC":
                claim.patient_name = (name, seen) if name else None
                claim.patient_id = (ident, seen) if ident else None
            elif ident:
                claim.member_id = (ident, seen)
    elif seg_id in ("MOA", "MIA"):
        seen = Seen(position, seg.text)
        refs = _MOA_REMARKS if seg_id == "MOA" else _MIA_REMARKS
        claim.rarcs += [(code, seen) for code in (_e(seg, r) for r in refs) if code]
    elif seg_id == "LQ" and state.line is not None and _e(seg, 1) == "HE":
        state.line.rarcs.append((_e(seg, 2), Seen(position, seg.text)))
    elif seg_id == "DTM":
        qualifier = _e(seg, 1)
        on = _day(seg, 2)
        if on is None:
            return
        if state.line is not None and qualifier in ("472", "150"):
            state.line.date_of_service = state.line.date_of_service or on
        elif state.line is None and qualifier == "232":
            claim.statement_from = (on, Seen(position, seg.text))
    elif seg_id == "AMT" and state.line is not None and _e(seg, 1) == "B6":
        state.line.allowed = _money(seg, 2, position)
    elif seg_id == "REF" and _e(seg, 1) == "G1" and claim.authorization_number is None:
        claim.authorization_number = (_e(seg, 2), Seen(position, seg.text))


def _header_segment(state: _Reading, seg: _Seg, seg_id: str, position: int) -> None:
    """Table 1 of the 835: payment, trace, production date, payer and payee."""
    if seg_id == "BPR":
        state.total_paid = _money(seg, 2, position)
        on = _day(seg, 16)
        state.payment_date = (on, Seen(position, seg.text)) if on else None
    elif seg_id == "TRN":
        state.trace_number = _e(seg, 2) or None
    elif seg_id == "DTM" and _e(seg, 1) == "405":
        on = _day(seg, 2)
        state.production_date = (on, Seen(position, seg.text)) if on else None
    elif seg_id == "N1" and _e(seg, 1) == "PR":
        state.payer_name = (_e(seg, 2), Seen(position, seg.text))
    elif seg_id == "N1" and _e(seg, 1) == "PE":
        state.payee_name = _e(seg, 2) or None
        state.payee_npi = _e(seg, 4) if _e(seg, 3) == "XX" else None


def _segments(data: bytes) -> tuple[list[str], str, str]:
    """The file's segments (text), element and component separators.

    pyx12's `RawX12File` reads the ISA (106 characters: the version and the delimiters it
    fixes) and refuses what is not X12; the rest is split on the segment terminator here in one
    call, several times faster than its segment-by-segment buffer.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidX12Error(
            f"byte {exc.start} is not text: an X12 file is plain text",
            segment="ISA",
            position=1,
        ) from None
    text = text.lstrip("\ufeff\r\n\t ")
    try:
        raw = RawX12File(io.StringIO(text[:ISA_LENGTH]))
    except pyx12.errors.X12Error as exc:
        raise InvalidX12Error(
            f"not an X12 file: {str(exc).split(' for ', 1)[0][:120]}",
            segment="ISA",
            position=1,
        ) from None
    seg_term, ele, sub, _eol, _rep = raw.get_term()
    pieces = text.split(seg_term)
    while pieces and not pieces[-1].strip():
        pieces.pop()
    return pieces, ele, sub


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
    pieces, ele, sub = _segments(data)
    envelope = _Envelope()
    state = _Reading()
    position = 0
    in_header = True
    for position, piece in enumerate(pieces, 1):
        seg = _Seg(piece.strip(), ele, sub)
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
