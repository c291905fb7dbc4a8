"""DOCX → PDF with a warm LibreOffice.

Design: one long-lived headless ``soffice`` per pool slot, each with its own profile directory and
its own UNO connection (a named pipe by default, so parallel test runs and app processes never
fight over a TCP port; 127.0.0.1:``port_base + slot`` if ``port_base`` is given), driven by a
small UNO worker (`formservice.documents.convert.soffice`) that Debian's ``/usr/bin/python3`` runs,
because only that Python has ``python3-uno`` (our virtualenv's Python cannot load it).

Why not unoserver: it needs a second virtualenv for the system Python (one more PyPI install
for the Makefile to manage), and we would still have to supervise its process, detect a hang,
kill it and restart it ourselves: the part that matters here. The worker in `soffice.py` is a
few dozen lines of UNO (load with the Word import filter, store with ``writer_pdf_Export``),
needs nothing beyond the Debian packages, and leaves timeouts, crash detection and process
groups in code we control and test.

Behaviour:

* nothing starts at import or construction; a slot starts its LibreOffice on first use
  (``start_timeout`` bounds the start-up, which ``timeout`` does not include);
* slots are handed to one thread at a time (a LIFO queue), so concurrent callers wait for a free
  slot, never share one;
* each conversion attempt has a time limit; on a timeout or a crash the slot's process group
  (worker, ``oosplash``, ``soffice.bin``) is killed, LibreOffice restarted and the document tried
  once more;
* a document LibreOffice cannot open or export → `ValidationProblem` (422), LibreOffice survives
  (non-zip input is refused before it reaches LibreOffice);
* still too slow on the retry → `ConversionTimeoutError` (504); the killed slot starts afresh on
  its next use;
* LibreOffice or python3-uno missing, not starting, or crashing twice →
  `ConverterUnavailableError` (503);
* `close()` (also run at interpreter exit, via ``weakref.finalize``) stops every slot and removes
  this converter's directory under ``workdir``; if the app is killed outright, each worker sees
  end-of-file on its stdin and kills its own group, and the next converter using the same
  ``workdir`` removes the directory left behind.

PDF/A: ``pdfa=True`` sets ``SelectPdfVersion=2`` in ``writer_pdf_Export``'s FilterData
(PDF/A-2b: identification in XMP metadata, every font embedded).
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import secrets
import shutil
import subprocess
import tempfile
import threading
import weakref
import zipfile
from pathlib import Path
from typing import Protocol

from formservice.documents.convert.soffice import (
    DocumentRejectedError,
    OfficeCrashedError,
    OfficeProcess,
    OfficeStartError,
    OfficeTimeoutError,
    kill_group,
    office_command,
)
from formservice.errors import GatewayTimeoutError, ServiceUnavailableError, ValidationProblem

__all__ = [
    "ConversionTimeoutError",
    "Converter",
    "ConverterUnavailable",
    "ConverterUnavailableError",
    "LibreOfficeConverter",
    "check_docx",
    "cold_convert",
]

DEFAULT_UNO_PYTHON = "/usr/bin/python3"
_REQUIRED_PARTS = ("[Content_Types].xml", "word/document.xml")


class ConverterUnavailableError(ServiceUnavailableError):
    """No LibreOffice can serve: not installed, not starting, or crashing."""

    slug = "converter-unavailable"
    title = "PDF converter unavailable"


ConverterUnavailable = ConverterUnavailableError  # the name the issue uses


class ConversionTimeoutError(GatewayTimeoutError):
    """LibreOffice did not finish a document within its time limit, twice."""

    slug = "conversion-timeout"
    title = "PDF conversion timed out"


class Converter(Protocol):
    """Turns a DOCX into a PDF."""

    def convert(self, docx: bytes, *, pdfa: bool = False, timeout: float | None = None) -> bytes:
        """Return the PDF for `docx`."""
        ...


def check_docx(docx: bytes) -> None:
    """Raise `ValidationProblem` unless `docx` is a zip holding a Word main document."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        names = set()
    missing = [part for part in _REQUIRED_PARTS if part not in names]
    if missing:
        raise ValidationProblem(
            "not a DOCX file", errors={"docx": [f"not a Word document: {missing[0]} is missing"]}
        )


def _rejected(message: str) -> ValidationProblem:
    return ValidationProblem(
        "LibreOffice cannot convert this DOCX",
        errors={"docx": [f"LibreOffice could not convert the document: {message}"]},
    )


class _Slot:
    """One pool member: its own profile, scratch files and connection."""

    def __init__(self, index: int, connection: str) -> None:
        self.index = index
        self.connection = connection
        self.process: OfficeProcess | None = None
        self.restarts = 0
        self.lock = threading.Lock()  # close() may stop a slot another thread holds

    def stop(self, *, graceful: bool = True) -> None:
        with self.lock:
            process, self.process = self.process, None
        if process is not None:
            process.stop(graceful=graceful)


class _Pool:
    """The slots and the work directory; kept apart from the converter for weakref.finalize."""

    def __init__(self, workdir: Path | None, slots: list[_Slot]) -> None:
        self.parent = workdir
        self.slots = slots
        self.free: queue.LifoQueue[_Slot] = queue.LifoQueue()  # LIFO keeps the warmest busy
        for slot in slots:
            self.free.put(slot)
        self.root: Path | None = None
        self.closed = False
        self.lock = threading.Lock()

    def directory(self) -> Path:
        """This converter's own directory, created on first use."""
        with self.lock:
            if self.closed:  # a late caller must not recreate what close() removed
                raise ConverterUnavailableError("the PDF converter is closed")
            if self.root is None:
                if self.parent is None:
                    self.root = Path(tempfile.mkdtemp(prefix="formservice-soffice-"))
                else:
                    self.parent.mkdir(parents=True, exist_ok=True)
                    _sweep_stale(self.parent)
                    self.root = Path(tempfile.mkdtemp(prefix="soffice-", dir=self.parent))
                (self.root / "owner.pid").write_text(str(os.getpid()))
            return self.root

    def close(self) -> None:
        with self.lock:
            self.closed = True
        for slot in self.slots:
            slot.stop()
        with self.lock:
            root, self.root = self.root, None
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


def _sweep_stale(parent: Path) -> None:
    """Remove directories left by converters whose process no longer exists."""
    for child in parent.glob("soffice-*"):
        try:
            pid = int((child / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(child, ignore_errors=True)


class LibreOfficeConverter:
    """The warm LibreOffice converter: a pool of headless soffice processes."""

    def __init__(
        self,
        soffice: str | None = None,
        *,
        workdir: str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
        pool_size: int = 1,
        port_base: int | None = None,
        uno_python: str = DEFAULT_UNO_PYTHON,
        start_timeout: float = 60.0,
    ) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.soffice = soffice or shutil.which("soffice")
        self.uno_python = uno_python
        self.timeout = timeout
        self.start_timeout = start_timeout
        tag = f"{os.getpid()}_{secrets.token_hex(4)}"
        slots = [
            _Slot(
                i,
                f"pipe,name=formservice_{tag}_{i}"
                if port_base is None
                else f"socket,host=127.0.0.1,port={port_base + i}",
            )
            for i in range(pool_size)
        ]
        self._pool = _Pool(Path(workdir) if workdir is not None else None, slots)
        self._finalizer = weakref.finalize(self, self._pool.close)

    def convert(self, docx: bytes, *, pdfa: bool = False, timeout: float | None = None) -> bytes:
        """Return the PDF for `docx` (PDF/A-2b if `pdfa`), within `timeout` seconds per try."""
        check_docx(docx)
        limit = self.timeout if timeout is None else timeout
        if self._pool.closed:
            raise ConverterUnavailableError("the PDF converter is closed")
        slot = self._pool.free.get()
        try:
            return self._convert_in(slot, docx, pdfa=pdfa, timeout=limit)
        finally:
            self._pool.free.put(slot)

    def close(self) -> None:
        """Stop every LibreOffice process and remove the work directory."""
        self._finalizer()

    def __enter__(self) -> LibreOfficeConverter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def restarts(self) -> int:
        """How many times a hung or crashed LibreOffice has been killed for a restart."""
        return sum(slot.restarts for slot in self._pool.slots)

    @property
    def process_groups(self) -> list[int]:
        """Process group ids of the running slots (worker, oosplash and soffice.bin)."""
        return [
            s.process.pgid
            for s in self._pool.slots
            if s.process is not None and s.process.pgid is not None
        ]

    def _convert_in(self, slot: _Slot, docx: bytes, *, pdfa: bool, timeout: float) -> bytes:
        scratch = self._pool.directory() / f"slot-{slot.index}"
        scratch.mkdir(exist_ok=True)
        in_path, out_path = scratch / "in.docx", scratch / "out.pdf"
        in_path.write_bytes(docx)
        try:
            for attempt in (1, 2):
                process = self._running(slot)
                out_path.unlink(missing_ok=True)
                try:
                    process.convert(in_path, out_path, pdfa=pdfa, timeout=timeout)
                except DocumentRejectedError as exc:
                    raise _rejected(str(exc)) from None
                except OfficeTimeoutError as exc:
                    slot.restarts += 1
                    slot.stop(graceful=False)  # it is hung: nothing to wait for
                    if attempt == 2:
                        raise ConversionTimeoutError(
                            f"LibreOffice did not convert the document within {timeout:g} s"
                        ) from exc
                except OfficeCrashedError as exc:
                    slot.restarts += 1
                    slot.stop(graceful=False)
                    if self._pool.closed:
                        raise ConverterUnavailableError("the PDF converter is closed") from exc
                    if attempt == 2:
                        raise ConverterUnavailableError(
                            "LibreOffice crashed twice converting the document"
                        ) from exc
                else:
                    pdf = out_path.read_bytes() if out_path.exists() else b""
                    if not pdf.startswith(b"%PDF-"):
                        raise _rejected("no PDF was produced")
                    return pdf
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            in_path.unlink(missing_ok=True)
            out_path.unlink(missing_ok=True)

    def _running(self, slot: _Slot) -> OfficeProcess:
        """The slot's process, started if it is not running."""
        with slot.lock:
            if self._pool.closed:
                raise ConverterUnavailableError("the PDF converter is closed")
            if slot.process is not None and slot.process.alive():
                return slot.process
            stale, slot.process = slot.process, None
        if stale is not None:
            stale.stop()
        if not self.soffice:
            raise ConverterUnavailableError(
                "LibreOffice is not installed (apt-get install libreoffice-writer-nogui)"
            )
        root = self._pool.directory()
        process = OfficeProcess(
            soffice=self.soffice,
            python=self.uno_python,
            profile_dir=root / f"profile-{slot.index}",
            connection=slot.connection,
            log_path=root / f"slot-{slot.index}.log",
            start_timeout=self.start_timeout,
        )
        try:
            process.start()
        except OfficeStartError as exc:
            raise ConverterUnavailableError(str(exc)) from exc
        with slot.lock:
            slot.process = process
            if self._pool.closed:  # close() ran while we were starting
                slot.process = None
                process.stop()
                raise ConverterUnavailableError("the PDF converter is closed")
        return process


def cold_convert(
    docx: bytes,
    *,
    timeout: float,
    soffice: str | None = None,
    pdfa: bool = False,
    profile_dir: Path | None = None,
) -> bytes:
    """Convert with a one-shot ``soffice --headless --convert-to pdf`` (fresh profile by default).

    The baseline for the benchmark and a fallback for tests; pass `profile_dir` to reuse a
    profile between calls, as a plain ``soffice --convert-to`` with the user's profile does.
    """
    check_docx(docx)
    soffice = soffice or shutil.which("soffice")
    if not soffice or not (os.path.isfile(soffice) and os.access(soffice, os.X_OK)):
        raise ConverterUnavailableError("LibreOffice (soffice) is not installed")
    export = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
    with tempfile.TemporaryDirectory(prefix="formservice-cold-") as tmp:
        in_path, out_dir = Path(tmp, "in.docx"), Path(tmp, "out")
        in_path.write_bytes(docx)
        command = office_command(soffice, profile_dir or Path(tmp, "profile")) + [
            "--infilter=MS Word 2007 XML",
            "--convert-to",
            export if pdfa else "pdf:writer_pdf_Export",
            "--outdir",
            str(out_dir),
            str(in_path),
        ]
        proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            process_group=0,
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ConversionTimeoutError(
                f"LibreOffice did not convert the document within {timeout:g} s"
            ) from None
        finally:
            kill_group(proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        out_path = out_dir / "in.pdf"
        if not out_path.exists():
            if proc.returncode not in (0, None):
                raise ConverterUnavailableError(f"soffice exited with status {proc.returncode}")
            raise _rejected("no PDF was produced")
        return out_path.read_bytes()
