"""The import jobs, run by a real Celery worker that takes them from Redis, queued on commit."""

from __future__ import annotations

import time

import pytest

from registry.models import ImportBatch, Retiree, RetireeSearchKey
from registry.services import import_batch_confirm, import_batch_upload
from tests.registry.import_files import banks_fixture, good_row, upload, xlsx_bytes  # noqa: F401

Status = ImportBatch.Status


def wait_for(batch_id, statuses, seen):
    """Poll the batch as the page does, recording every progress value seen on the way."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        batch = ImportBatch.objects.get(pk=batch_id)
        seen.append(batch.progress)
        if batch.status in statuses:
            return batch
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} stuck in {batch.status}")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_checks_then_imports_a_batch_with_progress(county, banks, worker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_PROGRESS_EVERY = 50
    rows = [good_row() for _index in range(300)]
    rows[7]["月养老金"] = "-1"

    # When the file is uploaded, the dry run is queued on commit and the worker takes it from Redis
    batch = import_batch_upload(file=upload("三百人.xlsx", xlsx_bytes(rows)), by=county.clerk)
    seen = []
    checked = wait_for(batch.pk, {Status.CHECKED, Status.FAILED}, seen)

    # Then progress reached 100 through values in between, and nothing was written
    assert (checked.status, checked.progress, checked.error) == (Status.CHECKED, 100, "")
    assert seen == sorted(seen) and seen[-1] == 100
    assert (checked.total_rows, checked.good_rows, checked.bad_rows) == (300, 299, 1)
    assert [problem["row"] for problem in checked.problems] == [9]
    assert Retiree.objects.count() == 3

    # When the clerk confirms, the import is queued on commit and the worker writes the good rows
    import_batch_confirm(batch=checked, by=county.clerk)
    imported = wait_for(batch.pk, {Status.IMPORTED, Status.FAILED}, [])

    assert (imported.status, imported.imported_rows, imported.progress) == (Status.IMPORTED, 299, 100)
    assert Retiree.objects.count() == 3 + 299
    # Then the same job writes their search keys right after the import's commit
    deadline = time.monotonic() + 60
    while ImportBatch.objects.get(pk=batch.pk).names_indexed_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert RetireeSearchKey.objects.filter(key="zhaoguoqing").count() == 299
