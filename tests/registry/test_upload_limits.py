"""Uploads are measured before they are parsed (docs/jobs.md "Uploads"): a large-but-small-on-disk xlsx is
refused by its row count in the request, without the cell parser ever running, and nothing is kept."""

from __future__ import annotations

import io

import pytest

from certification.errors import CertificationError
from certification.models import CertificationImport
from certification.services import certification_import_check
from registry.errors import ImportBatchError
from registry.imports import reading, sizing
from registry.imports.columns import HEADERS
from registry.imports.sizing import csv_row_count, xlsx_header, xlsx_row_count
from registry.models import ImportBatch, Retiree
from registry.services import import_batch_check, import_batch_upload
from tests.registry.import_files import banks_fixture, csv_text, good_row, upload  # noqa: F401
from tests.registry.large_files import big_xlsx

REFUSED_300K = "文件有 300,000 行数据,超过每个文件 200,000 行的上限,请分成几个文件导入。"


@pytest.fixture
def parser_calls(monkeypatch) -> list[str]:
    """Every time the cell parser (python-calamine) is asked to open a workbook."""
    calls: list[str] = []
    original = reading.CalamineWorkbook.from_filelike

    class Counting:
        @staticmethod
        def from_filelike(handle):
            calls.append("from_filelike")
            return original(handle)

    monkeypatch.setattr(reading, "CalamineWorkbook", Counting)
    return calls


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_rows_are_counted_from_the_dimension_or_streaming_without_the_parser(parser_calls):
    data = big_xlsx(HEADERS, 300_000)
    assert xlsx_row_count(data) == 300_001
    assert xlsx_row_count(big_xlsx(HEADERS, 1_000, dimension=None)) == 1_001
    # A dimension that understates the rows is believed by the quick count, not by the exact one
    lying = big_xlsx(HEADERS, 1_000, dimension="A1:S3")
    assert (xlsx_row_count(lying), xlsx_row_count(lying, exact=True)) == (3, 1_001)
    assert xlsx_header(data) == list(HEADERS)
    assert (csv_row_count(b"a\r\nb\r\n"), csv_row_count(b"a\nb"), csv_row_count(b"")) == (2, 2, 0)
    assert parser_calls == []


def test_a_300000_row_xlsx_is_refused_at_upload_by_its_row_count(
    county, banks, media, settings, parser_calls
):
    assert settings.IMPORT_MAX_ROWS == 200_000
    data = big_xlsx(HEADERS, 300_000)
    assert len(data) < 2 * 1024 * 1024  # small on disk

    with pytest.raises(ImportBatchError) as refused:
        import_batch_upload(file=upload("三十万行.xlsx", data), by=county.clerk)

    assert refused.value.message == REFUSED_300K
    assert parser_calls == []
    assert not ImportBatch.objects.exists()
    assert Retiree.objects.count() == 3


def test_a_file_without_a_dimension_is_counted_streaming_and_refused(
    county, banks, media, settings, parser_calls
):
    settings.IMPORT_MAX_ROWS = 1_000
    with pytest.raises(ImportBatchError) as refused:
        import_batch_upload(file=upload("a.xlsx", big_xlsx(HEADERS, 1_001, dimension=None)), by=county.clerk)
    assert refused.value.message == "文件有 1,001 行数据,超过每个文件 1,000 行的上限,请分成几个文件导入。"
    assert parser_calls == []
    assert not ImportBatch.objects.exists()


def test_a_file_at_the_limit_is_kept_with_only_its_header_read(
    county, banks, media, settings, parser_calls, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_ROWS = 1_000
    with django_capture_on_commit_callbacks() as callbacks:
        batch = import_batch_upload(file=upload("a.xlsx", big_xlsx(HEADERS, 1_000)), by=county.clerk)
    assert (batch.status, batch.total_rows, len(callbacks)) == ("uploaded", 1_000, 1)
    assert parser_calls == []


def test_a_file_that_understates_its_rows_is_stopped_by_the_worker_before_parsing(
    county, banks, media, settings, parser_calls
):
    settings.IMPORT_MAX_ROWS = 1_000
    batch = import_batch_upload(
        file=upload("a.xlsx", big_xlsx(HEADERS, 5_000, dimension="A1:S3")), by=county.clerk
    )
    assert batch.total_rows == 2

    checked = import_batch_check(batch_id=batch.pk)

    assert (checked.status, checked.error) == (
        "failed",
        "文件有 5,000 行数据,超过每个文件 1,000 行的上限,请分成几个文件导入。",
    )
    assert parser_calls == []
    assert Retiree.objects.count() == 3


def test_a_csv_is_counted_by_its_lines(county, banks, media, settings):
    settings.IMPORT_MAX_ROWS = 2
    data = csv_text([good_row(), good_row(), good_row()]).encode("gb18030")
    with pytest.raises(ImportBatchError) as refused:
        import_batch_upload(file=upload("a.csv", data), by=county.clerk)
    assert refused.value.message == "文件有 3 行数据,超过每个文件 2 行的上限,请分成几个文件导入。"
    assert not ImportBatch.objects.exists()


def test_a_certification_import_has_its_own_limits(county, media, settings, parser_calls):
    settings.CERTIFICATION_IMPORT_MAX_ROWS = 1_000
    with pytest.raises(CertificationError) as refused:
        certification_import_check(
            file=upload("名单.xlsx", big_xlsx(["身份证号码"], 1_001)),
            kind=CertificationImport.Kind.DATA_COMPARISON,
            year=2026,
            source="医保结算记录",
            by=county.clerk,
        )
    assert refused.value.message == "文件有 1,001 行数据,超过每个文件 1,000 行的上限,请分成几个文件导入。"
    assert parser_calls == []
    assert not CertificationImport.objects.exists()

    settings.CERTIFICATION_IMPORT_MAX_UPLOAD_MB = 0
    with pytest.raises(CertificationError, match="文件超过 0 MB"):
        certification_import_check(
            file=upload("名单.csv", b"\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81\xe5\x8f\xb7\xe7\xa0\x81\r\n1\r\n"),
            kind=CertificationImport.Kind.DATA_COMPARISON,
            year=2026,
            source="医保结算记录",
            by=county.clerk,
        )
    assert not CertificationImport.objects.exists()


def test_the_exact_count_finds_every_row_tag_across_chunk_boundaries(monkeypatch):
    # Chunks of 7 bytes cut every tag somewhere; prefixed and empty rows count, <rowBreaks> and text do not.
    monkeypatch.setattr(sizing, "_CHUNK", 7)
    sheet = (
        b'<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>&lt;row r="9"&gt;</t></is></c></row>'
        b'<row r="2"/><x:row r="3">\n</x:row><row\tr="4"></row><row>' + b" " * 200 + b"</row></sheetData>"
        b'<rowBreaks count="1"><brk id="1"/></rowBreaks></worksheet>'
    )
    assert sizing._row_count(io.BytesIO(sheet)) == 5
    assert sizing._row_count(io.BytesIO(b"")) == 0
    assert sizing._row_count(io.BytesIO(b"<row/>")) == 1
