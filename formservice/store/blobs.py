"""Content-addressed file storage: a blob's name is the SHA-256 of its bytes.

`BlobStore` is the interface; `LocalBlobStore` keeps blobs in a folder (one host), and
`formservice.store.s3.S3BlobStore` in an S3-compatible object store (any number of hosts). Both
lay blobs out as ``ab/cd/<sha256>``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import itertools
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol


class BlobStore(Protocol):
    """Where generated files live; rows only hold their hashes."""

    def put(self, data: bytes, *, sync: bool = True) -> tuple[str, bool]:
        """Store bytes; return (sha256, created) where created is False if it was already there."""
        ...

    def sync(self) -> None:
        """Make every blob put with ``sync=False`` durable."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes of a blob; FileNotFoundError when it is not stored."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...

    def count(self) -> int: ...

    def older_than(self, seconds: float) -> Iterator[str]:
        """Digests of the blobs last written more than `seconds` ago (the orphan sweep)."""
        ...

    def delete_if_older(self, sha256: str, seconds: float) -> bool:
        """Remove a blob unless it was written (or put again) in the last `seconds`; True if
        removed. The sweep calls it after finding no row that points to the blob."""
        ...


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


_DIGEST = re.compile(r"[0-9a-f]{64}")


def blob_key(sha256: str) -> str:
    """Where a blob lives inside a store: ``ab/cd/<sha256>``; ValueError for a non-digest."""
    if not _DIGEST.fullmatch(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _load_syncfs() -> Any:
    # syncfs(2) flushes one filesystem; Python's os module does not expose it.
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


_syncfs = _load_syncfs()
# Temporary names unique to a process and thread (O_EXCL settles a stale one left by a process
# whose id was reused): no random name and no path resolution per blob.
_temp_numbers = itertools.count()
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class LocalBlobStore:
    """Blobs as files under ``root/ab/cd/<sha256>``, written atomically (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        return self.root / blob_key(sha256)

    def put(self, data: bytes, *, sync: bool = True) -> tuple[str, bool]:
        """Store bytes under their hash; a second put of the same bytes is a no-op.

        With ``sync=False`` the caller makes the batch durable with one `sync()` afterwards.
        """
        digest = sha256_hex(data)
        path = self._path(digest)
        try:
            # Put again: the blob counts as just written, so the orphan sweep (which only takes
            # blobs older than its grace period) leaves it to the row about to point to it.
            os.utime(path)
            return digest, False
        except FileNotFoundError:
            pass
        fd, tmp = self._create_temp(path.parent)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if sync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest, True

    @staticmethod
    def _create_temp(folder: Path) -> tuple[int, str]:
        """A new empty temp file in `folder`, made if missing (most blobs find theirs made)."""
        while True:
            tmp = f"{folder}/.tmp-{os.getpid()}-{threading.get_ident()}-{next(_temp_numbers)}"
            try:
                return os.open(tmp, _TEMP_FLAGS, 0o600), tmp
            except FileExistsError:
                continue
            except FileNotFoundError:
                folder.mkdir(parents=True, exist_ok=True)

    def get(self, sha256: str) -> bytes:
        """The bytes of a blob; FileNotFoundError when it is not stored."""
        return self._path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def sync(self) -> None:
        """Make every blob written so far durable with one flush of the store's filesystem.

        A group commit: one journal flush for a whole batch instead of an fsync per file, and
        the renames into place are covered too.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            if _syncfs is None or _syncfs(fd) != 0:
                os.sync()
        finally:
            os.close(fd)

    def delete(self, sha256: str) -> None:
        """Remove a blob (only used to undo a put whose row could not be written)."""
        self._path(sha256).unlink(missing_ok=True)

    def count(self) -> int:
        """How many blobs are stored (tests and ops)."""
        if not self.root.exists():
            return 0
        return sum(1 for p in self.root.rglob("*") if p.is_file() and not p.name.startswith("."))

    def older_than(self, seconds: float) -> Iterator[str]:
        """Digests of blobs written more than `seconds` ago; removes temp files that old
        (left by a process killed mid-write: nothing ever renames them into place)."""
        if not self.root.exists():
            return
        cutoff = time.time() - seconds
        for path in self.root.glob("??/??/*"):
            try:
                if path.stat().st_mtime >= cutoff:
                    continue
            except FileNotFoundError:
                continue
            if path.name.startswith(".tmp-"):
                path.unlink(missing_ok=True)
            elif len(path.name) == 64:
                yield path.name

    def delete_if_older(self, sha256: str, seconds: float) -> bool:
        """Remove the blob unless written or put again in the last `seconds`; True if removed."""
        path = self._path(sha256)
        try:
            if path.stat().st_mtime >= time.time() - seconds:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True
