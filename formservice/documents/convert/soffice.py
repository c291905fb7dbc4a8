"""One warm LibreOffice: a ``soffice`` process and its UNO bridge, in one process group.

This file has two sides:

* imported by the app, `OfficeProcess` starts ``PYTHON soffice.py CONFIG`` as the leader of a new
  process group and talks to it over stdin/stdout, one JSON object per line;
* run as that script by a Python that has ``uno`` (Debian's ``/usr/bin/python3`` with
  ``python3-uno``), it starts ``soffice`` (which joins its process group), connects over UNO and
  converts one document per request: load with the Word 2007 XML import filter (macros off,
  links not updated), store with ``writer_pdf_Export``.

The script side uses only the standard library and ``uno``, so this module must not import
anything from formservice. Killing the group kills the worker, ``oosplash`` and ``soffice.bin``
together; when the app goes away the worker reads end-of-file on stdin and kills the group itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

WORD_IMPORT_FILTER = "MS Word 2007 XML"
PDF_EXPORT_FILTER = "writer_pdf_Export"
PDFA_2B_VERSION = (
    2  # writer_pdf_Export's SelectPdfVersion: 1 = PDF/A-1b, 2 = PDF/A-2b, 3 = PDF/A-3b
)
_GRACE_SECONDS = 3.0


class OfficeError(Exception):
    """Base of what `OfficeProcess` raises; convert.py maps these to problem errors."""


class OfficeStartError(OfficeError):
    """LibreOffice (or the Python with ``uno``) is missing or did not come up in time."""


class OfficeTimeoutError(OfficeError):
    """A conversion did not finish within its time limit; the process group must be killed."""


class OfficeCrashedError(OfficeError):
    """LibreOffice or its bridge died during a conversion."""


class DocumentRejectedError(OfficeError):
    """LibreOffice is fine but could not open or export this document."""


def office_command(soffice: str, profile_dir: Path, accept: str | None = None) -> list[str]:
    """The ``soffice`` command line for a headless instance with its own profile directory."""
    command = [
        soffice,
        f"-env:UserInstallation={profile_dir.resolve().as_uri()}",
        "--headless",
        "--invisible",
        "--nologo",
        "--norestore",
        "--nodefault",
        "--nolockcheck",
    ]
    if accept is not None:
        command.append(f"--accept={accept};urp;")
    return command


def kill_group(pgid: int) -> None:
    """SIGKILL a whole process group; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class OfficeProcess:
    """A running worker + soffice pair; not thread-safe (the pool gives it to one thread)."""

    def __init__(
        self,
        *,
        soffice: str,
        python: str,
        profile_dir: Path,
        connection: str,
        log_path: Path,
        start_timeout: float,
    ) -> None:
        self._config = {
            "office": office_command(soffice, profile_dir, connection),
            "connect": f"uno:{connection};urp;StarOffice.ComponentContext",
            "start_timeout": start_timeout,
        }
        self._soffice = soffice
        self._python = python
        self._profile_dir = profile_dir
        self._log_path = log_path
        self._start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self.office_pid: int | None = None

    @property
    def pgid(self) -> int | None:
        """The process group id (the worker's pid) while running."""
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        """Whether the worker process is still running."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the worker and soffice; wait until the UNO bridge answers."""
        for tool, what in ((self._soffice, "LibreOffice (soffice)"), (self._python, "python")):
            if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
                raise OfficeStartError(f"{what} not found at {tool}")
        self._profile_dir.mkdir(parents=True, exist_ok=True)
        # A profile left by a killed instance keeps its lock file; soffice would refuse it.
        (self._profile_dir / ".lock").unlink(missing_ok=True)
        env = dict(os.environ, SAL_USE_VCLPLUGIN="svp", PYTHONDONTWRITEBYTECODE="1")
        # The system Python must not pick up our venv's packages.
        for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
            env.pop(name, None)
        with open(self._log_path, "ab") as log:
            self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [self._python, "-I", __file__, json.dumps(self._config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                process_group=0,
                close_fds=True,
            )
        try:
            reply = self._read_reply(self._start_timeout + _GRACE_SECONDS)
        except OfficeError as exc:
            self.stop()
            raise OfficeStartError(f"LibreOffice did not start: {exc}") from exc
        if not reply.get("ready"):
            self.stop()
            raise OfficeStartError(f"LibreOffice did not start: {reply.get('message')}")
        self.office_pid = int(reply["office_pid"])

    def convert(self, in_path: Path, out_path: Path, *, pdfa: bool, timeout: float) -> None:
        """Convert one DOCX file to a PDF file, or raise an `OfficeError`."""
        if self._proc is None or self._proc.stdin is None:
            raise OfficeCrashedError("not started")
        request = {"in": str(in_path), "out": str(out_path), "pdfa": pdfa}
        try:
            self._proc.stdin.write(json.dumps(request).encode() + b"\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise OfficeCrashedError("the LibreOffice worker is gone") from exc
        reply = self._read_reply(timeout)
        if reply.get("ok"):
            return
        message = str(reply.get("message", ""))
        if reply.get("error") == "rejected":
            raise DocumentRejectedError(message)
        raise OfficeCrashedError(message)

    def stop(self, *, graceful: bool = True) -> None:
        """Kill the process group; if `graceful`, first let the worker close LibreOffice."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # end-of-file: the worker terminates soffice and exits
        if graceful:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=_GRACE_SECONDS)
        kill_group(proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=_GRACE_SECONDS)
        if proc.stdout is not None:
            proc.stdout.close()
        self._buffer = b""
        self.office_pid = None

    def _read_reply(self, timeout: float) -> dict[str, Any]:
        """Read one JSON line from the worker within `timeout` seconds."""
        if self._proc is None or self._proc.stdout is None:
            raise OfficeCrashedError("not started")
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OfficeTimeoutError(f"no answer from LibreOffice within {timeout:g} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise OfficeCrashedError("the LibreOffice worker exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError as exc:
            raise OfficeCrashedError("unreadable answer from the LibreOffice worker") from exc
        if not isinstance(reply, dict):
            raise OfficeCrashedError("unreadable answer from the LibreOffice worker")
        return reply


# --- the worker: runs under the system Python that has `uno` ------------------------------------


def _reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


# One function, longer than the others, on purpose: it runs under LibreOffice's own system Python
# (the only one with `uno`, which it imports itself) and is one UNO session: soffice, its bridge,
# the desktop and the load properties live for the whole loop, and `convert` closes over them.
# Split up, every step would take the `uno` module and the session's objects as arguments.
def _serve(config: dict[str, Any]) -> None:
    """Start soffice, connect to it, then convert one request per stdin line until EOF."""
    try:
        import uno  # noqa: PLC0415 - only the system Python has it
        from com.sun.star.beans import PropertyValue  # noqa: PLC0415
    except ImportError as exc:
        _reply(
            {"ready": False, "message": f"python cannot import uno ({exc}); install python3-uno"}
        )
        return

    def prop(name: str, value: Any) -> Any:
        return PropertyValue(Name=name, Value=value)

    office = subprocess.Popen(  # noqa: S603 - argv from our parent
        config["office"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sys.stderr
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + float(config["start_timeout"])
    context = None
    while context is None:
        if office.poll() is not None:
            _reply({"ready": False, "message": f"soffice exited with status {office.returncode}"})
            return
        if time.monotonic() > deadline:
            _reply({"ready": False, "message": "soffice did not accept a connection in time"})
            return
        try:
            context = resolver.resolve(config["connect"])
        except Exception:  # noqa: BLE001 - NoConnectException until soffice listens
            time.sleep(0.05)
    desktop = context.ServiceManager.createInstanceWithContext(
        "com.sun.star.frame.Desktop", context
    )
    _reply({"ready": True, "office_pid": office.pid})

    def office_alive() -> bool:
        if office.poll() is not None:
            return False
        try:
            desktop.getCurrentComponent()  # any call: a dead bridge raises DisposedException
        except Exception:  # noqa: BLE001
            return False
        return True

    load_props = (
        prop("Hidden", True),
        prop("ReadOnly", True),
        prop("FilterName", WORD_IMPORT_FILTER),  # never guess: garbage must not open as text
        prop("MacroExecutionMode", 0),  # NEVER_EXECUTE
        prop("UpdateDocMode", 0),  # NO_UPDATE: do not fetch linked content
    )

    def convert(request: dict[str, Any]) -> dict[str, Any]:
        try:
            doc = desktop.loadComponentFromURL(
                uno.systemPathToFileUrl(request["in"]), "_blank", 0, load_props
            )
        except Exception as exc:  # noqa: BLE001 - IllegalArgumentException, IOException, ...
            if not office_alive():
                return {"ok": False, "error": "crashed", "message": "LibreOffice died"}
            return {"ok": False, "error": "rejected", "message": f"cannot open: {exc}"}
        if doc is None:
            if not office_alive():
                return {"ok": False, "error": "crashed", "message": "LibreOffice died"}
            return {"ok": False, "error": "rejected", "message": "LibreOffice cannot open it"}
        try:
            filter_data = [prop("SelectPdfVersion", PDFA_2B_VERSION)] if request["pdfa"] else []
            store_props = (
                prop("FilterName", PDF_EXPORT_FILTER),
                prop(
                    "FilterData",
                    uno.Any("[]com.sun.star.beans.PropertyValue", tuple(filter_data)),
                ),
            )
            # uno.invoke: a plain call would not keep FilterData's sequence type.
            uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(request["out"]), store_props))
        except Exception as exc:  # noqa: BLE001
            if not office_alive():
                return {"ok": False, "error": "crashed", "message": "LibreOffice died"}
            return {"ok": False, "error": "rejected", "message": f"cannot export: {exc}"}
        finally:
            with contextlib.suppress(Exception):
                doc.close(True)
        return {"ok": True}

    for line in sys.stdin.buffer:
        try:
            _reply(convert(json.loads(line)))
        except Exception as exc:  # noqa: BLE001 - report, keep serving
            _reply({"ok": False, "error": "crashed", "message": f"worker error: {exc}"})
    with contextlib.suppress(Exception):
        desktop.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        office.wait(timeout=_GRACE_SECONDS)


def _main() -> None:
    try:
        _serve(json.loads(sys.argv[1]))
    finally:
        # soffice.bin is oosplash's child: only the group reaches it. This ends us too.
        kill_group(os.getpgid(0))


if __name__ == "__main__":
    _main()
