"""Content-addressed blobs in an S3-compatible object store, so several hosts share one store.

Same interface and layout as `LocalBlobStore`: a blob's key is ``ab/cd/<sha256>`` of its bytes.
Every write is conditional (``If-None-Match: *``): of two processes storing the same bytes at the
same moment exactly one is told it created the blob, so undoing a failed row write never deletes
a blob another row already points to. Every write also carries its SHA-256 checksum, so the server
refuses bytes that do not match their name. A PUT the server has acknowledged is durable: `sync`
has nothing left to do.

Why boto3 and not the MinIO client: boto3 is the S3 reference SDK that AWS S3, MinIO, SeaweedFS,
Ceph and the other S3-compatible servers test against, so the store is not tied to one server;
its client is thread-safe (regeneration stores from a thread pool), it retries throttling and
5xx answers with backoff (``standard`` mode) and takes connect and read timeouts, and it sends
conditional writes and SHA-256 checksums as plain request parameters. The MinIO client would
add a second S3 stack for no feature we lack.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from formservice.errors import ServiceUnavailableError
from formservice.store.blobs import blob_key, sha256_hex

__all__ = ["BlobStoreUnavailableError", "S3BlobStore"]

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
_ALREADY_THERE = {"412", "PreconditionFailed"}
# Another conditional write of the same key is in flight (AWS): the blob is being created.
_IN_FLIGHT = {"409", "ConditionalRequestConflict"}


class BlobStoreUnavailableError(ServiceUnavailableError):
    """The object store cannot be reached, refuses our credentials, or has no such bucket."""

    slug = "blob-store-unavailable"
    title = "File store unavailable"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3BlobStore:
    """Blobs as objects ``<bucket>/ab/cd/<sha256>`` in an S3-compatible store."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str = "us-east-1",
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url or None
        self._credentials = {
            "aws_access_key_id": access_key or None,
            "aws_secret_access_key": secret_key or None,
        }
        self.region = region
        self._lock = threading.Lock()
        self._client_and_pid: tuple[Any, int] | None = None

    @property
    def client(self) -> Any:
        """The boto3 client of this process, made on first use (never one inherited by fork)."""
        with self._lock:
            if self._client_and_pid is None or self._client_and_pid[1] != os.getpid():
                client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    config=Config(
                        signature_version="s3v4",
                        # Self-hosted servers (SeaweedFS, MinIO) serve buckets as paths.
                        s3={"addressing_style": "path" if self.endpoint_url else "auto"},
                        connect_timeout=5,
                        read_timeout=60,
                        retries={"mode": "standard", "max_attempts": 5},
                        max_pool_connections=16,
                    ),
                    **self._credentials,
                )
                self._ensure_bucket(client)
                self._client_and_pid = (client, os.getpid())
            return self._client_and_pid[0]

    def _ensure_bucket(self, client: Any) -> None:
        """Create the bucket if it does not exist yet (a fresh store just works)."""
        try:
            client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                raise self._unavailable(exc) from exc
            try:
                client.create_bucket(Bucket=self.bucket)
            except ClientError as create_exc:
                if _code(create_exc) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise self._unavailable(create_exc) from create_exc
        except BotoCoreError as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: Exception) -> BlobStoreUnavailableError:
        where = self.endpoint_url or f"AWS S3 ({self.region})"
        reason = _code(exc) if isinstance(exc, ClientError) else str(exc)
        return BlobStoreUnavailableError(
            f"the file store s3://{self.bucket} at {where} cannot be used: {reason}"
        )

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except BotoCoreError as exc:  # connection refused, timeouts after the retries
            raise self._unavailable(exc) from exc

    def put(self, data: bytes, *, sync: bool = True) -> tuple[str, bool]:
        """Store bytes under their hash; (sha256, created), created False if already there.

        `sync` is accepted for the interface's sake: an acknowledged PUT is durable.
        """
        digest = sha256_hex(data)
        key = blob_key(digest)
        if self.exists(digest):  # the usual case for templates and re-rendered letters
            return digest, False
        checksum = base64.b64encode(bytes.fromhex(digest)).decode()
        try:
            self._call("put_object", Key=key, Body=data, IfNoneMatch="*", ChecksumSHA256=checksum)
        except ClientError as exc:
            if _code(exc) in _ALREADY_THERE | _IN_FLIGHT:
                return digest, False
            raise self._unavailable(exc) from exc
        return digest, True

    def get(self, sha256: str) -> bytes:
        """The bytes of a blob; FileNotFoundError when it is not stored."""
        try:
            body = self._call("get_object", Key=blob_key(sha256))["Body"]
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise FileNotFoundError(f"blob {sha256} is not stored") from exc
            raise self._unavailable(exc) from exc
        with body:
            data: bytes = body.read()
        return data

    def exists(self, sha256: str) -> bool:
        try:
            self._call("head_object", Key=blob_key(sha256))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise self._unavailable(exc) from exc
        return True

    def sync(self) -> None:
        """Nothing to flush: the store acknowledged each PUT once it was durable."""

    def delete(self, sha256: str) -> None:
        """Remove a blob (only used to undo a put whose row could not be written)."""
        try:
            self._call("delete_object", Key=blob_key(sha256))
        except ClientError as exc:
            raise self._unavailable(exc) from exc

    def older_than(self, seconds: float) -> Iterator[str]:
        """Digests of the objects last written more than `seconds` ago (by `LastModified`)."""
        cutoff = datetime.now(UTC) - timedelta(seconds=seconds)
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        try:
            for page in pages:
                for obj in page.get("Contents", []):
                    name = str(obj["Key"]).rsplit("/", 1)[-1]
                    if obj["LastModified"] < cutoff and len(name) == 64:
                        yield name
        except (ClientError, BotoCoreError) as exc:
            raise self._unavailable(exc) from exc

    def delete_if_older(self, sha256: str, seconds: float) -> bool:
        """Remove the object unless written in the last `seconds`; True if removed.

        S3 has no conditional DELETE on a date that every S3-compatible server honours, so
        the date is read first: a put of the same bytes between the two calls is not seen.
        The window is one round trip, after a grace period no write in flight lasts.
        """
        try:
            head = self._call("head_object", Key=blob_key(sha256))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise self._unavailable(exc) from exc
        if head["LastModified"] >= datetime.now(UTC) - timedelta(seconds=seconds):
            return False
        self.delete(sha256)
        return True

    def count(self) -> int:
        """How many blobs are stored (tests and ops)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        try:
            return sum(page.get("KeyCount", 0) for page in pages)
        except (ClientError, BotoCoreError) as exc:
            raise self._unavailable(exc) from exc
