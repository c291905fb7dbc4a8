"""Benchmark: reading a 10,000-claim 835 against pyx12's bare parse of the same file.

Builds one 835 (005010X221A1) of ``--claims`` claim payments (default 10,000) by repeating the
three claims of samples/era/04_multi_claim.835 (two denied, one paid) with fresh claim numbers,
and a correct SE01. Then times, interleaved in rotating order (bench/_harness.py), at least
``--seconds`` each in all:

* bare pyx12: `pyx12.x12file.X12Reader` over every segment (delimiters, segment objects, envelope
  counts), counting CLP segments: the floor any pyx12-based reader stands on;
* the service: `formservice.denials.era.read_remittance` (the same reader, plus every claim and
  line read, adjustments classified, each denial built with its evidence).

Both must count the same claims before any timing. Prints claims per second of each, p50 per
file, the CPU ratio, and last ``ratio: X.XX`` = service time ÷ bare time (target: at most
1.5). ``--validate``
also times pyx12's full guide check (`x12n_document`) once, for scale: the upload runs it too.

    python bench/parse_era.py [--claims 10000] [--seconds 6] [--validate]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyx12.x12file  # noqa: E402
from _harness import header, interleaved, loadavg  # noqa: E402

from formservice.denials.era import read_remittance  # noqa: E402
from formservice.denials.x12_check import guide_problems  # noqa: E402

SAMPLE = REPO / "samples" / "era" / "04_multi_claim.835"


def build_file(claims: int) -> bytes:
    """An 835 of `claims` claim payments: the sample's claims repeated, SE01 recounted."""
    segments = SAMPLE.read_text(encoding="ascii").split("~\n")
    first_clp = next(i for i, s in enumerate(segments) if s.startswith("CLP*"))
    se = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    head, block, tail = segments[:first_clp], segments[first_clp:se], segments[se:]
    loops: list[list[str]] = []
    for seg in block:
        if seg.startswith("CLP*"):
            loops.append([])
        loops[-1].append(seg)
    body: list[str] = []
    for n in range(claims):
        loop = loops[n % len(loops)]
        clp = loop[0].split("*")
        clp[1] = f"BENCH{n:07d}"  # CLP01: the patient control number
        clp[7] = f"ICN{n:010d}"  # CLP07: the payer's claim number
        body += ["*".join(clp), *loop[1:]]
    st = next(i for i, s in enumerate(head) if s.startswith("ST*"))
    count = len(head) - st + len(body) + 1
    trailer = [f"SE*{count}*0001", *tail[1:]]
    return "~\n".join([*head, *body, *trailer]).encode("ascii")


def bare_pyx12(data: bytes) -> int:
    """pyx12's reader alone: every segment parsed, envelope checked; the CLPs counted."""
    reader = pyx12.x12file.X12Reader(io.StringIO(data.decode("ascii")))
    return sum(1 for seg in reader if seg.get_seg_id() == "CLP")


def service(data: bytes) -> int:
    return len(read_remittance(data).claims)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--validate", action="store_true", help="also time the guide check once")
    args = parser.parse_args()
    header(f"835 reading: {args.claims:,} claims, service vs bare pyx12")
    data = build_file(args.claims)
    print(f"file: {len(data) / 1e6:.1f} MB, {data.count(b'~')} segments")
    counts = {"bare pyx12 X12Reader": bare_pyx12(data), "service read_remittance": service(data)}
    assert set(counts.values()) == {args.claims}, counts
    denials = len(read_remittance(data).denials)
    print(f"both read {args.claims:,} claims; the service finds {denials:,} denials")
    timings = interleaved(
        {
            "bare pyx12 X12Reader": lambda: bare_pyx12(data),
            "service read_remittance": lambda: service(data),
        },
        seconds=args.seconds,
        rounds=3,
        warmup=0,
    )
    for name, t in timings.items():
        per_file = t.seconds / t.calls
        print(
            f"  {name:<26} {args.claims / per_file:10,.0f} claims/s  p50 {t.p(50):6.2f} s/file"
            f"  CPU {t.cpu_per_call:6.2f} s/file  ({t.calls} files)"
        )
    if args.validate:
        started = time.perf_counter()
        problems = guide_problems(data)
        spent = time.perf_counter() - started
        print(
            f"  pyx12 guide check (once)   {args.claims / spent:10,.0f} claims/s  {spent:.2f} s,"
            f" {len(problems)} problems"
        )
    print(f"load average at end: {loadavg()}")
    bare = timings["bare pyx12 X12Reader"]
    ours = timings["service read_remittance"]
    print(f"CPU ratio (steadier on a shared machine): {ours.cpu_per_call / bare.cpu_per_call:.2f}")
    print(f"ratio: {(ours.seconds / ours.calls) / (bare.seconds / bare.calls):.2f}")


if __name__ == "__main__":
    main()
