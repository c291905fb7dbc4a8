"""The blob stores keep one contract: local folder and S3 (a real SeaweedFS), side by side."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from formservice import create_app
from formservice.settings import Settings
from formservice.store.blobs import BlobStore, LocalBlobStore, sha256_hex
from formservice.store.db import transaction
from formservice.store.models import DenialRow
from formservice.store.orphans import sweep_orphan_blobs
from formservice.store.s3 import BlobStoreUnavailableError, S3BlobStore
from formservice.usecases import build_services, make_blob_store
from tests.conftest import load_sample, make_key
from tests.scaleout.conftest import S3Server
from tests.servers import free_port


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path, bucket: str) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs")
        return
    server: S3Server = request.getfixturevalue("s3_server")
    yield S3BlobStore(
        bucket,
        endpoint_url=server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
    )


def test_put_get_exists_count_delete(store: BlobStore) -> None:
    data = b"%PDF-1.7 a letter"
    digest, created = store.put(data)
    assert (digest, created) == (sha256_hex(data), True)
    assert store.put(data) == (digest, False)  # content-addressed: the same bytes, one blob
    assert store.get(digest) == data
    assert store.exists(digest)
    other, _ = store.put(b"another", sync=False)
    store.sync()
    assert store.count() == 2
    store.delete(other)
    assert not store.exists(other)
    assert store.count() == 1
    with pytest.raises(FileNotFoundError):
        store.get(other)
    with pytest.raises(ValueError, match="sha256"):
        store.get("../../etc/passwd")


def test_the_same_bytes_stored_at_once_are_created_once(store: BlobStore) -> None:
    data = b"one letter, eight writers" * 1000
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: store.put(data), range(8)))
    assert {digest for digest, _ in outcomes} == {sha256_hex(data)}
    # Exactly one writer is told it created the blob, so only it may ever undo it.
    if isinstance(store, S3BlobStore):
        assert [created for _, created in outcomes].count(True) == 1
    assert store.get(sha256_hex(data)) == data


def test_s3_keys_are_laid_out_like_the_local_folder(s3_server: S3Server, bucket: str) -> None:
    store = S3BlobStore(
        bucket,
        endpoint_url=s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
    )
    digest, _ = store.put(b"layout")  # the bucket did not exist: the store made it
    client: Any = s3_server.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"{digest[:2]}/{digest[2:4]}/{digest}"]


def test_unreachable_or_refusing_store_is_a_503_naming_it(s3_server: S3Server, bucket: str) -> None:
    nowhere = S3BlobStore(bucket, endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(BlobStoreUnavailableError, match=f"s3://{bucket}") as caught:
        nowhere.put(b"x")
    assert caught.value.status == 503
    wrong_key = S3BlobStore(
        bucket,
        endpoint_url=s3_server.endpoint,
        access_key="nobody",
        secret_key="wrong",  # noqa: S106  # a deliberately wrong key
    )
    with pytest.raises(BlobStoreUnavailableError):
        wrong_key.get(sha256_hex(b"x"))


def test_settings_choose_the_store(settings: Settings, s3_server: S3Server, bucket: str) -> None:
    assert isinstance(make_blob_store(settings), LocalBlobStore)
    assert isinstance(make_blob_store(s3_server.settings(settings, bucket)), S3BlobStore)


def test_documents_and_templates_live_in_the_bucket(
    settings: Settings, s3_server: S3Server, bucket: str
) -> None:
    on_s3 = s3_server.settings(settings, bucket)
    services = build_services(on_s3)
    try:
        client = create_app(on_s3, services=services).test_client()
        auth = {"Authorization": f"Bearer {make_key(services)}"}
        case_id = client.post("/api/v1/cases", json=load_sample(), headers=auth).json["id"]
        made = client.post(f"/api/v1/cases/{case_id}/documents", json={"kind": "lmn"}, headers=auth)
        assert made.status_code == 201, made.json
        content = client.get(made.json["content_url"], headers=auth)
        assert content.status_code == 200
        assert sha256_hex(content.data) == made.json["sha256"]
        assert services.blobs.exists(made.json["sha256"])
        assert services.blobs.count() >= 2  # the letter and the template it was made from
    finally:
        services.close()
    assert not (settings.data_dir / "blobs").exists() or not any(
        (settings.data_dir / "blobs").rglob("*")
    )


def test_item5_orphan_sweep_on_both_stores(store: BlobStore, settings: Settings) -> None:
    """Issue 15 item 5: a blob no row names is removed once past its grace period, on either
    store; a blob a row names, and a blob younger than the grace period, are kept."""
    services = build_services(settings)
    try:
        orphan, _ = store.put(b"%PDF-1.7 rendered, then its worker was killed")
        named, _ = store.put(b"%PDF-1.7 an uploaded letter")
        with transaction(services.sessions) as session:
            session.add(DenialRow(status="done", source_sha256=named, filename="letter.pdf"))
        # S3 dates objects to the second (truncated), so a blob can look up to 1 s older than
        # it is: with a 1 s grace the young blob was once swept too. A 2 s grace keeps it; the
        # old ones are 3.5 s old.
        time.sleep(3.5)
        young, _ = store.put(b"%PDF-1.7 written a moment ago, its row on the way")
        assert set(store.older_than(2)) == {orphan, named}
        assert sweep_orphan_blobs(services.sessions, store, grace_seconds=2) == 1
        assert not store.exists(orphan)
        assert store.exists(named)
        assert store.exists(young)
    finally:
        services.close()
        if isinstance(store, S3BlobStore):
            # SeaweedFS gives each bucket volumes of its own, out of 32 for the whole session:
            # give them back, so the tests after this one still get a bucket.
            for digest in store.older_than(-60):  # every object, whatever its age
                store.delete(digest)
            store.client.delete_bucket(Bucket=store.bucket)
