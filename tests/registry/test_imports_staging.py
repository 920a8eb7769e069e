"""The import checks once (docs/import.md): the dry run stages its rows, the import moves exactly those rows
from the staging table without reading the file again, re-checking in SQL only what may have changed."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from python_calamine import CalamineWorkbook

from registry import tasks as registry_tasks
from registry.id_numbers import mask_resident_id
from registry.imports.columns import HEADERS
from registry.imports.writing import move_staged
from registry.models import (
    Bank,
    ImportBatch,
    ImportStagedRow,
    Retiree,
    RetireeSearchKey,
)
from registry.months import PensionMonth
from registry.search import search_keys_for
from registry.selectors import RetireeFilters, retiree_list
from registry.services import (
    import_batch_check,
    import_batch_confirm,
    import_batch_index_names,
    import_batch_restart,
    import_batch_run,
    import_batches_index_pending,
    retiree_search_keys_rebuild,
)
from registry.services import imports as imports_service
from registry.tasks import run_import_batch
from tests.factories import RetireeFactory, make_id_number
from tests.registry.import_files import banks_fixture, checked, good_row, registry_counts, upload, xlsx_bytes  # noqa: F401

Status = ImportBatch.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def confirmed_and_run(batch, by):
    """Confirmed, then the import job's two steps: the import, and its people's search keys."""
    import_batch_confirm(batch=batch, by=by)
    run_import_batch(batch.pk)
    return ImportBatch.objects.get(pk=batch.pk)


def staged(batch):
    return list(
        ImportStagedRow.objects.filter(batch=batch)
        .order_by("row_number")
        .values_list("row_number", "name", "reasons")
    )


def rejected_file_rows(batch):
    with batch.rejected_file.open("rb") as handle:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(handle.read())).get_sheet_by_index(0)
        return sheet.to_python()


def test_the_dry_run_stages_every_row_with_a_reserved_id_and_writes_nothing_to_the_registry(county, banks):
    before = registry_counts()
    rows = [
        good_row(姓名="钱秀英", 身份证号码=make_id_number(male=False)),
        good_row(月养老金="0"),
        good_row(),
    ]

    batch = checked(rows, county.clerk)

    assert registry_counts() == before
    assert batch.headers == list(HEADERS)
    stage = {row.row_number: row for row in ImportStagedRow.objects.filter(batch=batch)}
    assert sorted(stage) == [2, 3, 4]
    assert stage[3].reasons == ["月养老金应大于0,收到的是 0"]
    assert stage[3].retiree_id is None
    qian = stage[2]
    assert qian.reasons is None
    assert (qian.name, qian.id_number, qian.sex, qian.amount, qian.start_month) == (
        "钱秀英",
        rows[0]["身份证号码"],
        "F",
        Decimal("2650.00"),
        PensionMonth(2026, 1),
    )
    # The cells as given, for the rejected-rows file if the row becomes a duplicate before the import.
    assert json.loads(qian.cells)[:2] == ["钱秀英", rows[0]["身份证号码"]]
    # Retiree ids are reserved from the retiree sequence, one per good row, in row order.
    assert stage[2].retiree_id < stage[4].retiree_id
    assert not Retiree.objects.filter(pk__in=[stage[2].retiree_id, stage[4].retiree_id]).exists()


def test_the_import_writes_exactly_the_checked_rows_when_the_file_is_gone_after_the_check(county, banks):
    rows = [good_row(姓名="钱秀英", 身份证号码=make_id_number(male=False)), good_row(姓名="孙建华")]
    batch = checked(rows, county.clerk)
    reserved = dict(ImportStagedRow.objects.filter(batch=batch).values_list("name", "retiree_id"))
    # The stored file is replaced by another file after the check, then deleted outright.
    with batch.file.open("wb") as handle:
        handle.write(xlsx_bytes([good_row(姓名="周文"), good_row(姓名="吴敏"), good_row(姓名="郑强")]))
    batch.file.storage.delete(batch.file.name)
    before = registry_counts()

    batch = confirmed_and_run(batch, county.clerk)

    assert (batch.status, batch.good_rows, batch.bad_rows, batch.imported_rows) == (Status.IMPORTED, 2, 0, 2)
    imported = Retiree.objects.filter(pk__in=reserved.values())
    assert dict(imported.values_list("name", "pk")) == reserved
    assert set(imported.values_list("id_number", flat=True)) == {row["身份证号码"] for row in rows}
    assert not Retiree.objects.filter(name__in=["周文", "吴敏", "郑强"]).exists()
    after = registry_counts()
    keys = len(search_keys_for("钱秀英")) + len(search_keys_for("孙建华"))
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2], after[3] - before[3]) == (
        2,
        2,
        2,
        keys,
    )
    assert ImportStagedRow.objects.filter(batch=batch).count() == 0


def test_a_person_registered_by_another_batch_between_check_and_import_is_rejected(county, banks):
    twice = make_id_number(datetime.date(1955, 6, 1))
    kept = good_row(姓名="孙建华")
    first = checked([good_row(姓名="周文", 身份证号码=twice)], county.clerk)
    second = checked([good_row(姓名="吴敏", 身份证号码=twice), kept], county.clerk)
    assert (first.good_rows, second.good_rows, second.bad_rows) == (1, 2, 0)
    confirmed_and_run(first, county.clerk)
    before = registry_counts()

    second = confirmed_and_run(second, county.clerk)

    assert (second.status, second.good_rows, second.bad_rows, second.imported_rows) == (
        Status.IMPORTED,
        1,
        1,
        1,
    )
    message = f"身份证号码已登记:周文({mask_resident_id(twice)})"
    assert second.problems == [
        {"row": 2, "name": "吴敏", "id_number": mask_resident_id(twice), "reasons": [message]}
    ]
    # The rejected-rows file has the row as the file gave it, with the reason, though the file was not read.
    content = rejected_file_rows(second)
    assert content[0] == [*HEADERS, "错误原因"]
    assert len(content) == 2
    assert content[1][:2] == ["吴敏", twice]
    assert content[1][-1] == message
    assert Retiree.objects.get(id_number=twice).name == "周文"
    assert list(Retiree.objects.filter(name="孙建华").values_list("id_number", flat=True)) == [
        kept["身份证号码"]
    ]
    after = registry_counts()
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1, 1, 1)
    assert after[3] - before[3] == len(search_keys_for("孙建华"))
    assert ImportStagedRow.objects.filter(batch=second).count() == 0


def test_a_person_entered_by_hand_and_a_certificate_taken_meanwhile_are_rejected_with_the_check_s_problems(
    county, banks
):
    by_hand = good_row(姓名="周文")
    certificate = good_row(姓名="吴敏", 待遇证号="360721201900007")
    batch = checked([good_row(月养老金="0"), by_hand, certificate, good_row(姓名="孙建华")], county.clerk)
    assert (batch.good_rows, batch.bad_rows) == (3, 1)
    Retiree.objects.filter(pk=county.retiree_b1.pk).update(id_number=by_hand["身份证号码"])
    Retiree.objects.filter(pk=county.retiree_a1.pk).update(certificate_number="360721201900007")
    before = registry_counts()

    batch = confirmed_and_run(batch, county.clerk)

    assert (batch.status, batch.good_rows, batch.bad_rows, batch.imported_rows) == (Status.IMPORTED, 1, 3, 1)
    assert {problem["row"]: problem["reasons"] for problem in batch.problems} == {
        2: ["月养老金应大于0,收到的是 0"],
        3: [f"身份证号码已登记:王德胜({mask_resident_id(by_hand['身份证号码'])})"],
        4: [f"待遇证号 360721201900007 已属于 张建国({county.retiree_a1.masked_id_number})"],
    }
    assert [row[0] for row in rejected_file_rows(batch)[1:]] == ["赵国庆", "周文", "吴敏"]
    after = registry_counts()
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1, 1, 1)
    assert Retiree.objects.filter(name="孙建华").count() == 1
    assert not Retiree.objects.filter(name__in=["周文", "吴敏"]).exists()


def test_a_bank_disabled_between_check_and_import_rejects_its_rows(county, banks):
    batch = checked([good_row(发放银行="CCB"), good_row(姓名="孙建华")], county.clerk)
    Bank.objects.filter(code="CCB").update(is_active=False)

    batch = confirmed_and_run(batch, county.clerk)

    assert (batch.good_rows, batch.bad_rows, batch.imported_rows) == (1, 1, 1)
    assert batch.problems[0]["reasons"] == ["发放银行“中国建设银行”已停用"]
    assert list(Retiree.objects.filter(name__in=["赵国庆", "孙建华"]).values_list("name", flat=True)) == [
        "孙建华"
    ]


def test_a_duplicate_the_recheck_cannot_see_fails_the_whole_batch_and_writes_nothing(county, banks):
    """The unique constraints are the last line: a row registered by a transaction that commits after the
    re-check (made here by staging a number the re-check passed) rolls the whole import back."""
    batch = checked([good_row(姓名="周文"), good_row(姓名="孙建华")], county.clerk)
    ImportStagedRow.objects.filter(batch=batch, row_number=3).update(
        id_number=ImportStagedRow.objects.get(batch=batch, row_number=2).id_number
    )
    before = registry_counts()

    batch = confirmed_and_run(batch, county.clerk)

    assert (batch.status, batch.imported_rows) == (Status.FAILED, 0)
    assert "本批已全部撤销" in batch.error
    assert registry_counts() == before
    assert ImportStagedRow.objects.filter(batch=batch).count() == 0


def test_a_check_run_again_replaces_the_staged_rows(county, banks):
    batch = checked([good_row(), good_row(姓名="孙建华")], county.clerk)
    old_ids = set(ImportStagedRow.objects.filter(batch=batch).values_list("retiree_id", flat=True))
    # The file is changed and the check run again (as after an interrupted check).
    with batch.file.open("wb") as handle:
        handle.write(xlsx_bytes([good_row(姓名="周文")]))
    ImportBatch.objects.filter(pk=batch.pk).update(status=Status.INTERRUPTED)
    batch.refresh_from_db()
    import_batch_restart(batch=batch, by=county.clerk)

    batch = import_batch_check(batch_id=batch.pk)

    assert (batch.status, batch.good_rows) == (Status.CHECKED, 1)
    assert [(row, name, reasons) for row, name, reasons in staged(batch)] == [(2, "周文", None)]
    assert not old_ids & set(ImportStagedRow.objects.filter(batch=batch).values_list("retiree_id", flat=True))


class WorkerDied(BaseException):
    """Stands for the worker dying mid-write: not an error the job catches, its transaction rolls back."""


def test_a_killed_import_keeps_its_staged_rows_for_the_rerun(county, banks, monkeypatch):
    batch = checked([good_row(), good_row(姓名="孙建华")], county.clerk)
    import_batch_confirm(batch=batch, by=county.clerk)

    def broken(**arguments):
        move_staged(**arguments)
        raise WorkerDied

    monkeypatch.setattr(imports_service, "move_staged", broken)
    with pytest.raises(WorkerDied):
        import_batch_run(batch_id=batch.pk)
    assert len(staged(batch)) == 2
    assert not Retiree.objects.filter(name="孙建华").exists()
    monkeypatch.undo()

    batch = import_batch_run(batch_id=batch.pk)

    assert (batch.status, batch.imported_rows) == (Status.IMPORTED, 2)
    assert Retiree.objects.filter(name="孙建华").count() == 1
    # Kept for the job's second step, which writes the search keys and then deletes them.
    assert len(staged(batch)) == 2
    assert import_batch_index_names(batch_id=batch.pk) == 2 * len(search_keys_for("孙建华"))
    assert staged(batch) == []


def found(query: str, by) -> list[int]:
    return [retiree.pk for retiree in retiree_list(user=by, filters=RetireeFilters(q=query)).retirees]


def test_imported_people_are_found_by_id_at_once_and_by_name_once_their_keys_are_written(county, banks):
    number = make_id_number(datetime.date(1956, 2, 3))
    batch = checked([good_row(姓名="邝秀梅", 身份证号码=number, 性别="")], county.clerk)
    import_batch_confirm(batch=batch, by=county.clerk)

    batch = import_batch_run(batch_id=batch.pk)

    kuang = Retiree.objects.get(id_number=number)
    assert (batch.status, batch.names_indexed_at) == (Status.IMPORTED, None)
    assert (found(number, county.clerk), found("邝秀梅", county.clerk)) == ([kuang.pk], [])

    assert import_batch_index_names(batch_id=batch.pk) == len(search_keys_for("邝秀梅"))

    batch.refresh_from_db()
    assert batch.names_indexed_at is not None
    assert found("邝秀梅", county.clerk) == found("kuangxiumei", county.clerk) == [kuang.pk]
    assert staged(batch) == []
    # A redelivered job finds the names indexed and writes nothing again.
    assert import_batch_index_names(batch_id=batch.pk) == 0
    assert RetireeSearchKey.objects.filter(retiree=kuang).count() == len(search_keys_for("邝秀梅"))


def test_a_rename_before_the_keys_are_written_keeps_the_new_names_keys(county, banks):
    batch = checked([good_row(姓名="钱秀英"), good_row(姓名="孙建华")], county.clerk)
    import_batch_confirm(batch=batch, by=county.clerk)
    import_batch_run(batch_id=batch.pk)
    qian = Retiree.objects.get(name="钱秀英")
    Retiree.objects.filter(pk=qian.pk).update(name="钱秀芳")
    retiree_search_keys_rebuild(retiree_ids=[qian.pk])

    assert import_batch_index_names(batch_id=batch.pk) == len(search_keys_for("孙建华"))

    assert set(qian.search_keys.values_list("kind", "key")) == set(search_keys_for("钱秀芳"))
    assert found("钱秀英", county.clerk) == []


def test_the_beat_writes_the_keys_a_failed_job_left_and_leaves_fresh_batches_to_their_job(
    county, banks, monkeypatch
):
    stuck = checked([good_row(姓名="邝秀梅")], county.clerk)
    import_batch_confirm(batch=stuck, by=county.clerk)

    def failed(*, batch_id):
        raise RuntimeError("connection reset")

    monkeypatch.setattr(registry_tasks, "import_batch_index_names", failed)
    with pytest.raises(RuntimeError):
        run_import_batch(stuck.pk)
    monkeypatch.undo()
    fresh = checked([good_row(姓名="钱秀英")], county.clerk)
    import_batch_confirm(batch=fresh, by=county.clerk)
    import_batch_run(batch_id=fresh.pk)
    stuck_at = ImportBatch.objects.get(pk=stuck.pk).finished_at

    # Not yet: the job may still be writing them
    assert import_batches_index_pending(now=stuck_at + datetime.timedelta(minutes=1)) == 0
    assert found("邝秀梅", county.clerk) == []

    ImportBatch.objects.filter(pk=fresh.pk).update(finished_at=stuck_at + datetime.timedelta(minutes=5))
    assert import_batches_index_pending(now=stuck_at + datetime.timedelta(minutes=3)) == 1

    assert found("邝秀梅", county.clerk) == [Retiree.objects.get(name="邝秀梅").pk]
    assert ImportBatch.objects.get(pk=stuck.pk).names_indexed_at is not None
    assert ImportBatch.objects.get(pk=fresh.pk).names_indexed_at is None
    assert found("钱秀英", county.clerk) == []
    assert staged(stuck) == []


def test_the_import_job_redelivered_after_its_commit_writes_only_the_keys(county, banks, monkeypatch):
    batch = checked([good_row(姓名="周文")], county.clerk)
    import_batch_confirm(batch=batch, by=county.clerk)

    def died(*, batch_id):
        raise WorkerDied

    monkeypatch.setattr(registry_tasks, "import_batch_index_names", died)
    with pytest.raises(WorkerDied):
        run_import_batch(batch.pk)
    monkeypatch.undo()
    people = Retiree.objects.count()

    assert run_import_batch(batch.pk) == Status.IMPORTED

    assert Retiree.objects.count() == people
    zhou = Retiree.objects.get(name="周文")
    assert found("周文", county.clerk) == [zhou.pk]
    assert ImportBatch.objects.get(pk=batch.pk).names_indexed_at is not None


def test_search_finds_an_imported_person_by_name_pinyin_initials_piece_and_id(county, banks):
    number = make_id_number(datetime.date(1957, 8, 9))
    batch = checked([good_row(姓名="曾秀兰", 身份证号码=number, 性别="")], county.clerk)
    batch = confirmed_and_run(batch, county.clerk)
    zeng = Retiree.objects.get(id_number=number)

    for query in ("曾秀兰", "曾秀", "zengxiulan", "cengxiu", "zxl", number[:14], number):
        found = retiree_list(user=county.clerk, filters=RetireeFilters(q=query)).retirees
        assert [retiree.pk for retiree in found] == [zeng.pk], query
    assert set(RetireeSearchKey.objects.filter(retiree=zeng).values_list("kind", "key")) == set(
        search_keys_for("曾秀兰")
    )


# The key table without surrogate id or foreign key (docs/search.md "The key table") ----------------------


def test_a_rename_rebuilds_the_keys_by_the_primary_key_and_a_deleted_retiree_takes_its_keys_along(county):
    other_keys = set(
        RetireeSearchKey.objects.exclude(retiree=county.retiree_a1).values_list("retiree", "kind", "key")
    )
    retiree = RetireeFactory(name="钱秀英", community=county.community_a1)
    retiree_search_keys_rebuild(retiree_ids=[retiree.pk])
    Retiree.objects.filter(pk=retiree.pk).update(name="钱秀芳")

    assert retiree_search_keys_rebuild(retiree_ids=[retiree.pk]) == len(search_keys_for("钱秀芳"))

    assert set(retiree.search_keys.values_list("kind", "key")) == set(search_keys_for("钱秀芳"))
    retiree.delete()
    assert not RetireeSearchKey.objects.filter(retiree_id=retiree.pk).exists()
    assert set(
        RetireeSearchKey.objects.exclude(retiree=county.retiree_a1).values_list("retiree", "kind", "key")
    ) == (other_keys)


@pytest.mark.django_db
def test_the_key_table_has_the_composite_primary_key_the_search_index_and_no_foreign_key():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'registry_retireesearchkey'::regclass ORDER BY conname"
        )
        constraints = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'registry_retireesearchkey'")
        indexes = cursor.fetchone()[0]
    assert constraints == [
        ("registry_retireesearchkey_pkey", "p", "PRIMARY KEY (retiree_id, kind, key)"),
        ("searchkey_unique", "u", "UNIQUE (kind, key, retiree_id)"),
    ]
    assert indexes == 2
