"""The envelope of an X12 interchange checked segment by segment: ISA/IEA, GS/GE, ST/SE.

X12 5010 (ASC X12.5/X12.6): IEA01 counts the groups and IEA02 repeats ISA13; GE01 counts the
transactions and GE02 repeats GS06; SE01 counts the transaction's segments, ST and SE included,
and SE02 repeats ST02. These are the checks pyx12's `X12Reader` made, in a few lines (the reader
itself was too slow: `formservice.denials.x12_elements`). A broken envelope raises
`InvalidX12Error` naming the segment and its 1-based position.
"""

from __future__ import annotations

from collections.abc import Callable

from formservice.denials.x12_elements import X12Segment, element
from formservice.errors import InvalidX12Error

__all__ = ["Envelope"]


class Envelope:
    """The interchange's envelope as read so far: open control numbers and counts."""

    def __init__(self) -> None:
        self.isa: str | None = None
        self.gs: str | None = None
        self.st: str | None = None
        self.groups = self.transactions = self.segments = 0

    def _fail(self, message: str, seg_id: str, position: int) -> InvalidX12Error:
        return InvalidX12Error(message, segment=seg_id, position=position)

    def step(self, seg: X12Segment, seg_id: str, position: int) -> None:
        """Check one segment against the envelope; `InvalidX12Error` when it breaks it."""
        if self.st is not None:
            self.segments += 1
        check = _CHECKS.get(seg_id)
        if check is not None:
            check(self, seg, position)
        elif self.st is None:
            raise self._fail(f"{seg_id} outside a transaction (ST ... SE)", seg_id, position)

    def _isa(self, seg: X12Segment, position: int) -> None:
        if self.isa is not None:
            raise self._fail("ISA inside an open interchange (no IEA)", "ISA", position)
        if len(seg.fields) != 17:
            raise self._fail("the ISA must have 16 elements", "ISA", position)
        self.isa, self.groups = element(seg, 13), 0

    def _gs(self, seg: X12Segment, position: int) -> None:
        if self.isa is None or self.gs is not None:
            raise self._fail("GS outside an interchange or inside an open group", "GS", position)
        self.gs, self.transactions = element(seg, 6), 0
        self.groups += 1

    def _st(self, seg: X12Segment, position: int) -> None:
        if self.gs is None or self.st is not None:
            raise self._fail("ST outside a group or inside an open transaction", "ST", position)
        self.st, self.segments = element(seg, 2), 1
        self.transactions += 1

    def _se(self, seg: X12Segment, position: int) -> None:
        counted = element(seg, 1)
        if self.st is None:
            raise self._fail("SE without its ST", "SE", position)
        if counted != str(self.segments):
            raise self._fail(
                f"SE count of {counted} is wrong: the transaction has {self.segments} "
                "segments, ST and SE included",
                "SE",
                position,
            )
        if element(seg, 2) != self.st:
            raise self._fail(
                f"SE02 {element(seg, 2)} does not match ST02 {self.st}", "SE", position
            )
        self.st = None

    def _ge(self, seg: X12Segment, position: int) -> None:
        if self.gs is None or self.st is not None:
            raise self._fail("GE without its GS, or before the SE", "GE", position)
        if element(seg, 1) != str(self.transactions):
            raise self._fail(
                f"GE count of {element(seg, 1)} is wrong: the group has {self.transactions}",
                "GE",
                position,
            )
        if element(seg, 2) != self.gs:
            raise self._fail(
                f"GE02 {element(seg, 2)} does not match GS06 {self.gs}", "GE", position
            )
        self.gs = None

    def _iea(self, seg: X12Segment, position: int) -> None:
        if self.isa is None or self.gs is not None:
            raise self._fail("IEA without its ISA, or before the GE", "IEA", position)
        if element(seg, 1) != str(self.groups):
            raise self._fail(
                f"IEA count of {element(seg, 1)} is wrong: the interchange has {self.groups}",
                "IEA",
                position,
            )
        if element(seg, 2) != self.isa:
            raise self._fail(
                f"IEA02 {element(seg, 2)} does not match ISA13 {self.isa}", "IEA", position
            )
        self.isa = None

    def finish(self, position: int) -> None:
        """At the end of the file: every envelope closed."""
        for open_id, trailer in ((self.st, "SE"), (self.gs, "GE"), (self.isa, "IEA")):
            if open_id is not None:
                raise self._fail(f"the file ends without its {trailer}", trailer, position)


# The check of each envelope segment; any other segment must sit inside a transaction.
_CHECKS: dict[str, Callable[[Envelope, X12Segment, int], None]] = {
    "ISA": Envelope._isa,
    "GS": Envelope._gs,
    "ST": Envelope._st,
    "SE": Envelope._se,
    "GE": Envelope._ge,
    "IEA": Envelope._iea,
}
