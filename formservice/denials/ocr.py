"""OCR of a page image into positioned words with Tesseract's own word confidences.

Tesseract runs as a subprocess per page with a wall-clock timeout, one OpenMP thread (its threads
fight each other on a small shared machine) and, where ``prlimit`` exists, an address-space and
CPU-time limit, so one bad page can neither hang nor exhaust the server. Words come from its TSV
output (page segmentation mode 4: one column of text of varying sizes, which keeps the cells of a
remittance row on one line). A page fed sideways is turned upright (Tesseract's orientation
detection, run only when the first reading is mostly unreadable), and the slope of the text lines
of a skewed scan is taken out of the word positions so rows stay rows.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from statistics import median

from PIL import Image

from formservice.denials.words import Word
from formservice.errors import ServiceUnavailableError

__all__ = ["OcrText", "tesseract_words"]

PSM = 4
# A first reading with at least this many words but a mean confidence below READABLE is
# probably sideways or upside down: ask Tesseract for the orientation and read again.
ORIENTATION_MIN_WORDS = 15
READABLE = 0.6
# Memory a Tesseract process may map (a letter page at 300 dpi needs ~150 MB).
TESSERACT_MEMORY = 1 << 30
# Table rules and box edges that OCR glues to the words beside them ("|CO-204", "118.40]").
_RULES = "|[]{}‘’`~_"


@dataclass(frozen=True)
class OcrText:
    """Words read from an image, in pixels of the upright image, and that image's size."""

    words: tuple[Word, ...]
    width: int
    height: int
    rotated: int = 0  # degrees the image was turned clockwise to read it
    skew: float = 0.0  # slope of the text lines that was taken out


def tesseract_words(image: Image.Image, timeout: float) -> OcrText:
    """Read an image with Tesseract: upright, deskewed word boxes with confidences (0-1)."""
    words = _read(image, timeout, PSM)
    rotated = 0
    if len(words) >= ORIENTATION_MIN_WORDS and _quality(words) < READABLE:
        turn = _orientation(image, timeout)
        if turn:
            upright = image.rotate(-turn, expand=True)
            again = _read(upright, timeout, PSM)
            if _quality(again) > _quality(words):
                image, words, rotated = upright, again, turn
    words, skew = _deskewed(words)
    return OcrText(tuple(words), image.width, image.height, rotated, skew)


def _quality(words: list[Word]) -> float:
    letters = sum(len(w.text) for w in words)
    return sum(w.conf * len(w.text) for w in words) / letters if letters else 0.0


def _command(args: list[str], timeout: float) -> list[str]:
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        raise ServiceUnavailableError(
            "the OCR engine is not installed (apt-get install tesseract-ocr)"
        )
    prlimit = shutil.which("prlimit")
    limits = [prlimit, f"--as={TESSERACT_MEMORY}", f"--cpu={int(timeout) + 1}"] if prlimit else []
    return [*limits, tesseract, *args]


def _run(image: Image.Image, timeout: float, args: list[str]) -> str:
    """Run Tesseract on an image; RuntimeError on a timeout or a failure (the caller warns)."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.TemporaryDirectory(prefix="formservice-ocr-") as tmp:
        # A raw PGM costs a few milliseconds to write; a PNG of a 300 dpi page a quarter second.
        path = os.path.join(tmp, "page.pgm")
        image.convert("L").save(path, format="PPM")
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv, no shell
                _command([path, "stdout", *args], timeout),
                capture_output=True,
                timeout=timeout,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError("Tesseract process timeout") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"Tesseract failed: {message[-1] if message else done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def _read(image: Image.Image, timeout: float, psm: int) -> list[Word]:
    dpi = int(image.info.get("dpi", (300, 300))[0]) if image.info.get("dpi") else 300
    # textord_heavy_nr: Tesseract's own despeckling, which fax and scanner speckles need (it
    # turns "oee2t" back into "0662T" at no cost); tessedit_do_invert=0: no search for white
    # text on black, which letters do not have and which costs time on every unsure line.
    options = ["-c", "textord_heavy_nr=1", "-c", "tessedit_do_invert=0"]
    tsv = _run(image, timeout, ["--psm", str(psm), "--dpi", str(dpi), "-l", "eng", *options, "tsv"])
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip().strip(_RULES)
        conf = float(row.get("conf") or -1)
        if not text or conf < 0 or not any(ch.isalnum() for ch in text) and conf < 50:
            continue  # table rules read as "|" and specks read as "_" or "."
        left, top = float(row["left"]), float(row["top"])
        width, height = float(row["width"]), float(row["height"])
        # A word's box is its ink: capitals and x-height letters stand about 0.75 of the font
        # size, the size gaps between columns are measured in.
        words.append(Word(text, left, top, left + width, top + height, height / 0.75, conf / 100))
    return words


def _orientation(image: Image.Image, timeout: float) -> int:
    """Degrees to turn the image clockwise to read it (Tesseract OSD on a half-size copy)."""
    small = image.reduce(2)
    small.info["dpi"] = (150, 150)
    try:
        osd = _run(small, timeout, ["--psm", "0", "--dpi", "150"])
    except RuntimeError:
        return 0
    values = dict(
        line.split(":", 1) for line in osd.splitlines() if ":" in line
    )  # "Rotate: 90", "Orientation confidence: 7.9"
    try:
        turn = int(values.get("Rotate", "0").strip())
        confident = float(values.get("Orientation confidence", "0").strip()) >= 1.0
    except ValueError:
        return 0
    return turn if confident and turn in (90, 180, 270) else 0


def _deskewed(words: list[Word]) -> tuple[list[Word], float]:
    """Take the text lines' common slope out of the word positions (small angles only)."""
    slopes = []
    for line in _tesseract_lines(words):
        first, last = line[0], line[-1]
        run = (last.x0 + last.x1 - first.x0 - first.x1) / 2
        if len(line) >= 3 and run > 20 * first.size:
            slopes.append((last.middle - first.middle) / run)
    if len(slopes) < 3:
        return words, 0.0
    slope = float(median(slopes))
    if abs(slope) < 0.002 or abs(slope) > 0.1:
        return words, 0.0
    out = []
    for w in words:
        cx, cy = (w.x0 + w.x1) / 2, w.middle
        dx, dy = slope * cy, -slope * cx  # rotation by -slope, to first order
        out.append(Word(w.text, w.x0 + dx, w.top + dy, w.x1 + dx, w.bottom + dy, w.size, w.conf))
    return out, slope


def _tesseract_lines(words: list[Word]) -> list[list[Word]]:
    """Runs of words Tesseract read one after the other on (roughly) one line."""
    lines: list[list[Word]] = []
    for word in words:
        if lines:
            last = lines[-1][-1]
            same = word.x0 > last.x0 and abs(word.middle - last.middle) < 0.6 * last.size
            if same:
                lines[-1].append(word)
                continue
        lines.append([word])
    return lines
