"""Publish a changed template and regenerate every letter: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest
import redis
from sqlalchemy import func, select

from formservice.cli.worker_pool import WorkerPool
from formservice.documents.docx.render import document_text
from formservice.jobs import RUN_FINISHED
from formservice.settings import Settings
from formservice.store.models import DocumentRow, RegenerationItem
from formservice.usecases import Services, build_services, regeneration
from formservice.usecases.regeneration_commit import Committer
from formservice.usecases.templates import publish_template
from tests.conftest import real_redis
from tests.jobs.conftest import WORKER_SETTINGS
from tests.regeneration.conftest import LMN, MARKER, changed_lmn, seed_letters


def _superseding_counts(services: Services) -> dict[str, int]:
    with services.sessions() as session:
        return dict(
            session.execute(
                select(DocumentRow.supersedes_id, func.count())
                .where(DocumentRow.supersedes_id.is_not(None))
                .group_by(DocumentRow.supersedes_id)
            ).all()
        )


@pytest.fixture
def immediate(settings: Settings) -> Services:
    svc = build_services(settings.with_overrides(huey_immediate=True))
    yield svc
    svc.close()


def test_two_hundred_letters_regenerated_once_each(
    immediate: Services, seeded: Callable[..., list[str]]
) -> None:
    services = immediate
    old_ids = seed_letters_with(services, seeded, 200)
    with services.sessions() as session:
        old_blobs = list(session.scalars(select(DocumentRow.blob_sha256)))
    row = publish_template(services, LMN, changed_lmn())
    assert row.version == 2
    plan = regeneration.dry_run(services, LMN)
    assert plan["count"] == 200
    with services.sessions() as session:  # a dry run changes nothing
        assert session.scalar(select(func.count()).select_from(RegenerationItem)) == 0

    summary = regeneration.start_run(services, LMN)
    regeneration.enqueue_run(services, summary.id)
    summary = regeneration.summarize(services, summary.id)
    assert (summary.total, summary.done, summary.unchanged, summary.failed) == (200, 200, 0, 0)
    assert summary.status == "succeeded"
    assert summary.done + summary.unchanged + summary.failed == summary.total

    counts = _superseding_counts(services)
    assert set(counts) == set(old_ids)
    assert set(counts.values()) == {1}
    with services.sessions() as session:
        new_docs = list(
            session.scalars(select(DocumentRow).where(DocumentRow.supersedes_id.is_not(None)))
        )
    assert len(new_docs) == 200
    for doc in new_docs:
        assert doc.template_version == 2
        assert MARKER in document_text(services.blobs.get(doc.blob_sha256))
    for sha in old_blobs:  # a letter that was sent is never overwritten
        assert services.blobs.exists(sha)
        assert MARKER not in document_text(services.blobs.get(sha))

    again = regeneration.start_run(services, LMN)
    assert again.total == 0
    assert again.status == "succeeded"
    assert regeneration.dry_run(services, LMN)["count"] == 0


def seed_letters_with(services: Services, seeded: Callable[..., list[str]], n: int) -> list[str]:
    return seeded(n)


def test_failing_item_is_reported_and_the_rest_go_on(
    immediate: Services, seeded: Callable[..., list[str]]
) -> None:
    services = immediate
    good = seeded(5)
    bad = seeded(1, last_name="Unrenderable")
    # The new version divides by zero for exactly one patient: a render failure, not a syntax one.
    template = changed_lmn("Check: {{ 1 // (patient.last_name != 'Unrenderable') }}")
    publish_template(services, LMN, template)
    summary = regeneration.start_run(services, LMN)
    regeneration.enqueue_run(services, summary.id)
    summary = regeneration.summarize(services, summary.id)
    assert (summary.done, summary.failed) == (5, 1)
    assert summary.status == "failed"  # a run with a failed item ends failed, naming it
    assert summary.failures[0]["document_id"] == bad[0]
    assert (
        "ZeroDivisionError" in summary.failures[0]["error"]
        or "division" in summary.failures[0]["error"]
    )
    assert set(_superseding_counts(services)) == set(good)


def test_regeneration_for_a_template_with_no_documents_is_empty(immediate: Services) -> None:
    summary = regeneration.start_run(immediate, LMN)
    assert summary.total == 0
    assert summary.status == "succeeded"


def test_letter_keeps_its_date_and_unchanged_text_is_reported(
    immediate: Services, seeded: Callable[..., list[str]]
) -> None:
    services = immediate
    seeded(3)
    # Same visible content, different bytes: a comment-only change to the template.
    publish_template(services, LMN, changed_lmn("{# internal note: reviewed 2026 #}"))
    summary = regeneration.start_run(services, LMN)
    regeneration.enqueue_run(services, summary.id)
    summary = regeneration.summarize(services, summary.id)
    # The new paragraph renders empty, so the text differs only by an empty paragraph.
    assert summary.done + summary.unchanged == 3
    assert summary.failed == 0


def _wait(
    services: Services,
    run_id: str,
    predicate: Callable[[regeneration.RunSummary], bool],
    timeout: float,
) -> regeneration.RunSummary:
    deadline = time.monotonic() + timeout
    while True:
        summary = regeneration.summarize(services, run_id)
        if predicate(summary) or time.monotonic() > deadline:
            return summary
        time.sleep(0.1)


def _queue_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMSERVICE_ENV", "test")
    monkeypatch.setenv("FORMSERVICE_DATA_DIR", str(settings.data_dir))
    if settings.redis_url:
        monkeypatch.setenv("FORMSERVICE_REDIS_URL", settings.redis_url)


@pytest.mark.slow
def test_killed_worker_then_restart_regenerates_each_exactly_once(
    settings: Settings,
    services: Services,
    seeded: Callable[..., list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old_ids = seeded(150)
    publish_template(services, LMN, changed_lmn())
    _queue_env(settings, monkeypatch)
    # The killed worker's chunk waits out its lease before the reaper queues it again: the
    # tests' short lease (tests/jobs), not production's 120 s, which this test once spent asleep.
    for name in ("FORMSERVICE_LEASE_SECONDS", "FORMSERVICE_REAPER_INTERVAL_SECONDS"):
        monkeypatch.setenv(name, WORKER_SETTINGS[name])
    summary = regeneration.start_run(services, LMN)
    regeneration.enqueue_run(services, summary.id)
    with WorkerPool(2) as pool:
        progressed = _wait(services, summary.id, lambda s: s.done >= 10, timeout=120)
        assert progressed.done >= 10, "workers did not start"
        victim = pool.processes[0]
        os.kill(victim.pid, signal.SIGKILL)  # mid-run, no chance to clean up
        victim.wait()
        time.sleep(0.5)
    middle = regeneration.summarize(services, summary.id)
    # Restart: a new invocation resumes the pending items with fresh workers.
    resumed = regeneration.start_run(services, LMN)
    regeneration.enqueue_run(services, resumed.id)
    with WorkerPool(2):
        final = _wait(services, resumed.id, lambda s: s.finished, timeout=180)
    assert final.finished, final.to_json()
    counts = _superseding_counts(services)
    assert set(counts) == set(old_ids), "a document was not regenerated"
    assert set(counts.values()) == {1}, "a document was regenerated twice"
    assert middle.done < 150 or middle.pending == 0


@pytest.mark.slow
def test_redis_queue_shared_by_worker_processes(
    settings: Settings, seeded: Callable[..., list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = real_redis()
    redis.Redis.from_url(url).flushdb()
    on_redis = settings.with_overrides(redis_url=url)
    services = build_services(on_redis)
    try:
        assert type(services.jobs.huey).__name__ == "RedisHuey"
        ids = seeded(0) or []
        ids = seed_letters(services, 40)
        publish_template(services, LMN, changed_lmn())
        _queue_env(on_redis, monkeypatch)
        summary = regeneration.start_run(services, LMN)
        chunks = regeneration.send_run(services, summary.id)
        assert services.jobs.queued() == chunks  # the tasks wait in Redis, not in memory
        with services.jobs.listen(RUN_FINISHED) as next_message:
            assert next_message is not None  # Redis pushes the end of a run
            with WorkerPool(2):
                # The worker that commits the last chunk announces the run's end.
                final = regeneration.wait_for_run(services, summary.id, timeout=120)
                assert next_message(5.0) == summary.id
        assert final.finished, final.to_json()
        assert final.status == "succeeded"
        assert final.done == 40
        assert set(_superseding_counts(services)) == set(ids)
        assert services.jobs.queued() == 0
    finally:
        services.close()
        redis.Redis.from_url(url).flushdb()


def test_waiting_for_a_run_on_the_sqlite_queue_polls(
    services: Services, seeded: Callable[..., list[str]]
) -> None:
    seeded(3)
    publish_template(services, LMN, changed_lmn())
    summary = regeneration.start_run(services, LMN)
    with services.jobs.listen(RUN_FINISHED) as next_message:
        assert next_message is None  # SQLite cannot push: wait_for_run polls
    pending = regeneration.wait_for_run(services, summary.id, timeout=0.3, poll_seconds=0.1)
    assert pending.pending == 3  # nothing consumed the queue: back after the timeout
    for chunk in regeneration.pending_chunks(services, summary.id):
        regeneration.process_items(services, chunk)
    done = regeneration.wait_for_run(services, summary.id, timeout=5)
    assert done.status == "succeeded"
    assert done.done == 3


def test_cli_regenerate_dry_run_and_run(
    settings: Settings,
    services: Services,
    seeded: Callable[..., list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from formservice.cli import main

    seeded(12)
    publish_template(services, LMN, changed_lmn())
    _queue_env(settings, monkeypatch)
    runner = CliRunner()
    dry = runner.invoke(main, ["regenerate", "--template", LMN, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "12 document(s)" in dry.stdout
    result = runner.invoke(
        main, ["regenerate", "--template", LMN, "--workers", "2", "--timeout", "120"]
    )
    assert result.exit_code == 0, result.output
    assert '"done": 12' in result.stdout
    assert "worker peak memory" in result.stderr
    assert len(_superseding_counts(services)) == 12


def test_api_regeneration_run_and_status(
    immediate: Services, seeded: Callable[..., list[str]]
) -> None:
    from formservice import create_app
    from tests.conftest import make_key

    services = immediate
    seeded(4)
    publish_template(services, LMN, changed_lmn())
    client = create_app(services.settings, services=services).test_client()
    ops = {"Authorization": f"Bearer {make_key(services, 'ops')}"}
    dry = client.post("/api/v1/regenerations", json={"template": LMN, "dry_run": True}, headers=ops)
    assert dry.status_code == 200
    assert dry.json["count"] == 4
    started = client.post("/api/v1/regenerations", json={"template": LMN}, headers=ops)
    assert started.status_code == 202, started.json
    status = client.get(f"/api/v1/regenerations/{started.json['id']}", headers=ops)
    assert status.status_code == 200
    assert status.json["done"] == 4
    assert status.json["total"] == 4
    unknown = client.post("/api/v1/regenerations", json={"template": "nope"}, headers=ops)
    assert unknown.status_code == 404


def test_content_hash_reads_the_zip_directory_like_zipfile() -> None:
    import io
    import zipfile

    from formservice.documents.provenance import central_directory as _central_directory
    from formservice.documents.provenance import content_sha256
    from tests.conftest import REPO

    for path in sorted((REPO / "templates" / "docx").glob("*.docx")):
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            expected = sorted((i.filename, i.CRC, i.file_size) for i in zf.infolist())
        assert sorted(_central_directory(data)) == expected, path.name
    lmn = (REPO / "templates" / "docx" / f"{LMN}.docx").read_bytes()
    assert content_sha256(lmn) != content_sha256(changed_lmn())
    assert content_sha256(b"%PDF-1.7 x") == content_sha256(b"%PDF-1.7 x")


def test_committer_commits_rendered_chunks_after_their_blobs_are_durable(
    services: Services, seeded: Callable[..., list[str]]
) -> None:
    old_ids = seeded(6)
    publish_template(services, LMN, changed_lmn())
    run = regeneration.start_run(services, LMN)
    committer = Committer(services)
    for chunk in regeneration.pending_chunks(services, run.id, size=4):
        regeneration.process_items(services, chunk, committer)
    committer.close()  # drains: everything rendered is committed
    summary = regeneration.summarize(services, run.id)
    assert (summary.done, summary.pending, summary.status) == (6, 0, "succeeded")
    assert set(_superseding_counts(services)) == set(old_ids)


def test_same_content_agrees_with_the_content_hash() -> None:
    from formservice.documents.provenance import content_sha256, same_content
    from tests.conftest import REPO

    lmn = (REPO / "templates" / "docx" / f"{LMN}.docx").read_bytes()
    documents = [lmn, changed_lmn(), changed_lmn(), b"%PDF-1.7 x", b"%PDF-1.7 y"]
    for a in documents:
        for b in documents:
            assert same_content(a, b) == (content_sha256(a) == content_sha256(b))
