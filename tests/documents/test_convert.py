"""DOCX → PDF through the warm LibreOffice converter (real soffice, real PDFs)."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docx
import pdfplumber
import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from formservice.documents.convert.libreoffice import (
    DEFAULT_UNO_PYTHON,
    ConversionTimeoutError,
    ConverterUnavailableError,
    LibreOfficeConverter,
    cold_convert,
)
from formservice.errors import ValidationProblem

pytestmark = pytest.mark.libreoffice

NAME = "O'Connor & <Sons> نور"
INSTALL_HINT = "install with: make test (apt-get install libreoffice-writer-nogui python3-uno)"


def _office_missing() -> str | None:
    if shutil.which("soffice") is None:
        return "LibreOffice (soffice) not found"
    probe = subprocess.run(
        [DEFAULT_UNO_PYTHON, "-I", "-c", "import uno"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        return f"{DEFAULT_UNO_PYTHON} cannot import uno"
    return None


@pytest.fixture(scope="module")
def office() -> None:
    """Fail in CI, skip locally, when LibreOffice or python3-uno is missing."""
    missing = _office_missing()
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing}; {INSTALL_HINT}")
    pytest.skip(f"{missing}; {INSTALL_HINT}")


@pytest.fixture(scope="module")
def converter(
    office: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LibreOfficeConverter]:
    """One warm converter (two slots) shared by the module's tests."""
    with LibreOfficeConverter(
        workdir=tmp_path_factory.mktemp("soffice"), timeout=30, pool_size=2
    ) as conv:
        yield conv


def make_docx(*paragraphs: str, filler_pages: int = 0) -> bytes:
    """A DOCX made with python-docx: the given paragraphs, then optional pages of filler."""
    document = docx.Document()
    document.add_heading("Letter of medical necessity", level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    sentence = "Scalp cooling during chemotherapy reduces the risk of alopecia. " * 12
    for page in range(filler_pages):
        document.add_paragraph(f"Filler page {page}")
        for _ in range(6):
            document.add_paragraph(sentence)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_text(pdf: bytes, *, pages: int | None = None) -> str:
    """The text of the PDF (of its first `pages` pages: pdfplumber is slow on long ones)."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages[:pages])


def assert_valid_pdf(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) >= 1
    return reader


def office_pids(conv: LibreOfficeConverter) -> set[int]:
    """Live soffice.bin processes in the converter's process groups (from /proc)."""
    groups = set(conv.process_groups)
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        state, _ppid, pgrp = raw[raw.rindex(")") + 2 :].split()[:3]
        if comm == "soffice.bin" and state != "Z" and int(pgrp) in groups:
            pids.add(int(stat.parent.name))
    return pids


def cpu_ticks(pids: set[int]) -> int:
    """User + system clock ticks the processes have used so far (from /proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total


def wait_until_working(pids: set[int], ticks: int = 10, timeout: float = 60) -> None:
    """Return once the processes have spent `ticks` more CPU ticks (0.1 s at 100 Hz): a
    conversion is under way. A fixed sleep was too short on a loaded machine, too long on a
    fast one."""
    start = cpu_ticks(pids)
    deadline = time.monotonic() + timeout
    while cpu_ticks(pids) - start < ticks:
        assert time.monotonic() < deadline, "LibreOffice never started converting"
        time.sleep(0.01)


def fonts_of(reader: PdfReader) -> list[Any]:
    """Every font dictionary used by the pages, composite fonts' descendants included."""
    fonts: list[Any] = []
    for page in reader.pages:
        resources: Any = page["/Resources"].get_object()
        for ref in resources.get("/Font", DictionaryObject()).get_object().values():
            font: Any = ref.get_object()
            fonts.append(font)
            fonts.extend(d.get_object() for d in font.get("/DescendantFonts", []))
    return fonts


def xmp_of(reader: PdfReader) -> str:
    """The document's XMP metadata packet, or an empty string."""
    root: Any = reader.trailer["/Root"]
    metadata = root.get("/Metadata")
    return metadata.get_object().get_data().decode() if metadata is not None else ""


def test_converts_docx_to_pdf_with_the_text(converter: LibreOfficeConverter) -> None:
    pdf = converter.convert(make_docx(f"Patient: {NAME}", "Diagnosis: C50.911"))

    assert_valid_pdf(pdf)
    text = pdf_text(pdf)
    assert "Patient: O'Connor & <Sons>" in text
    assert "Diagnosis: C50.911" in text
    # pdfplumber returns right-to-left runs in visual (drawing) order.
    assert "نور" in text or "نور"[::-1] in text


def test_pdfa_option_gives_pdfa_2b_with_embedded_fonts(converter: LibreOfficeConverter) -> None:
    pdf = converter.convert(make_docx(f"Patient: {NAME}"), pdfa=True)

    reader = assert_valid_pdf(pdf)
    xmp = xmp_of(reader)
    assert re.search(r"<pdfaid:part>2</pdfaid:part>", xmp)
    assert re.search(r"<pdfaid:conformance>B</pdfaid:conformance>", xmp)
    descriptors = [
        f["/FontDescriptor"].get_object() for f in fonts_of(reader) if "/FontDescriptor" in f
    ]
    assert descriptors
    for descriptor in descriptors:
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys()), descriptor
    assert "O'Connor & <Sons>" in pdf_text(pdf)


def test_plain_pdf_is_not_marked_pdfa(converter: LibreOfficeConverter) -> None:
    reader = assert_valid_pdf(converter.convert(make_docx("Plain")))

    assert "pdfaid:part" not in xmp_of(reader)


def test_killing_soffice_mid_conversion_recovers(converter: LibreOfficeConverter) -> None:
    converter.convert(make_docx("warm up"))
    killed = office_pids(converter)
    assert killed
    restarts = converter.restarts
    # Long enough that the kill lands mid-conversion on a fast idle machine too (80 pages once
    # finished within the old fixed 0.3 s sleep, and the kill then hit an idle LibreOffice).
    big = make_docx("Killed mid-way", filler_pages=200)
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["pdf"] = converter.convert(big)
        except ConverterUnavailableError as exc:  # failing cleanly is allowed
            result["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    wait_until_working(killed)
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    worker.join(timeout=120)

    assert not worker.is_alive()
    assert converter.restarts == restarts + 1  # the kill hit that conversion
    if "pdf" in result:
        assert "Killed mid-way" in pdf_text(result["pdf"], pages=1)
    else:
        assert result["error"].status == 503
    after = converter.convert(make_docx("After the kill"))
    assert "After the kill" in pdf_text(after)
    assert office_pids(converter).isdisjoint(killed)


def broken_zip() -> bytes:
    """A zip with the DOCX part names whose main document is not well-formed XML."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document><w:body><w:p>unclosed")
    return archive.getvalue()


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"this is not a zip file at all", id="not-a-zip"),
        pytest.param(broken_zip(), id="zip-with-broken-document-xml"),
    ],
)
def test_garbage_docx_is_422_and_converter_survives(
    converter: LibreOfficeConverter, garbage: bytes
) -> None:
    converter.convert(make_docx("before"))
    before = office_pids(converter)
    restarts = converter.restarts

    with pytest.raises(ValidationProblem) as caught:
        converter.convert(garbage)

    assert caught.value.status == 422
    assert "docx" in caught.value.errors
    assert converter.restarts == restarts
    assert "after garbage" in pdf_text(converter.convert(make_docx("after garbage")))
    assert office_pids(converter) == before


def test_hang_past_timeout_is_504_and_next_call_works(converter: LibreOfficeConverter) -> None:
    big = make_docx("Too slow", filler_pages=40)

    restarts = converter.restarts

    with pytest.raises(ConversionTimeoutError) as caught:
        converter.convert(big, timeout=0.05)

    assert caught.value.status == 504
    assert converter.restarts == restarts + 2  # killed after the first try and after the retry
    assert "Next one" in pdf_text(converter.convert(make_docx("Next one")))


def test_stopped_soffice_is_restarted_and_the_retry_succeeds(
    converter: LibreOfficeConverter,
) -> None:
    converter.convert(make_docx("warm up"))
    stopped = office_pids(converter)
    restarts = converter.restarts
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)

    pdf = converter.convert(make_docx("After a hang"), timeout=3)

    assert "After a hang" in pdf_text(pdf)
    assert converter.restarts == restarts + 1
    assert office_pids(converter).isdisjoint(stopped)


def test_ten_threads_all_get_their_own_pdf(converter: LibreOfficeConverter) -> None:
    documents = [make_docx(f"Request number {i:02d} for {NAME}") for i in range(10)]

    with ThreadPoolExecutor(max_workers=10) as pool:
        pdfs = list(pool.map(converter.convert, documents))

    for i, pdf in enumerate(pdfs):
        assert_valid_pdf(pdf)
        text = pdf_text(pdf)
        assert f"Request number {i:02d}" in text
        assert all(f"Request number {j:02d}" not in text for j in range(10) if j != i)


def test_tcp_port_instead_of_a_pipe(office: None, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port free right now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with LibreOfficeConverter(workdir=tmp_path, port_base=port) as conv:
        pdf = conv.convert(make_docx("Over TCP"))
        command = Path(f"/proc/{next(iter(office_pids(conv)))}/cmdline").read_bytes()

    assert "Over TCP" in pdf_text(pdf)
    assert f"port={port}".encode() in command


def test_missing_soffice_is_503(tmp_path: Path) -> None:
    with LibreOfficeConverter(str(tmp_path / "no-soffice"), workdir=tmp_path) as conv:
        with pytest.raises(ConverterUnavailableError) as caught:
            conv.convert(make_docx("x"))

    assert caught.value.status == 503
    assert "not found" in str(caught.value)


def test_missing_uno_python_is_503(office: None, tmp_path: Path) -> None:
    with LibreOfficeConverter(workdir=tmp_path, uno_python=str(tmp_path / "python3")) as conv:
        with pytest.raises(ConverterUnavailableError) as caught:
            conv.convert(make_docx("x"))

    assert caught.value.status == 503


def test_cold_convert_missing_soffice_is_503(tmp_path: Path) -> None:
    with pytest.raises(ConverterUnavailableError):
        cold_convert(make_docx("x"), timeout=5, soffice=str(tmp_path / "soffice"))


def test_cold_convert_gives_the_same_text(office: None) -> None:
    pdf = cold_convert(make_docx(f"Patient: {NAME}"), timeout=60)

    assert_valid_pdf(pdf)
    assert "Patient: O'Connor & <Sons>" in pdf_text(pdf)


def test_close_stops_every_process_and_cleans_up(office: None, tmp_path: Path) -> None:
    conv = LibreOfficeConverter(workdir=tmp_path)
    conv.convert(make_docx("one"))
    pids = office_pids(conv)
    assert pids
    assert list(tmp_path.glob("soffice-*/profile-0"))

    conv.close()

    assert not [pid for pid in pids if _running(pid)]
    assert not list(tmp_path.glob("soffice-*"))
    with pytest.raises(ConverterUnavailableError):
        conv.convert(make_docx("two"))


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
