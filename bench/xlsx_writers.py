"""xlsx writers compared on the CCB bank profile's sheet: 311,000 rows written to a file.

Usage: .venv/bin/python bench/xlsx_writers.py [--rows 311000] [--rounds 3] [--writers openpyxl,rustpy,...]

No database. The rows are the CCB xlsx profile's columns (pensions/bankfiles/profiles.py CCB):
序号 (a number), 账号 (19 digits, text), 户名 (2–4 Chinese characters), 金额(元) (Decimal, format
#,##0.00), 身份证号码 (18 characters, text, some ending in X), 备注 (the payment reference, text); the
column labels on top and the 合计 row at the bottom. Generated the same way for every writer, before the
clock starts.

Each writer runs in a fresh child process (so its peak resident memory, `ru_maxrss`, is its own), once per
round, alternating the order; prints per writer the median wall and CPU seconds (the child's own CPU time:
on a loaded machine the wall time is mostly waiting for a core), rows/s of CPU time, the file size, the peak
memory of the child and the load average at the end of its round:
- openpyxl: write-only mode with WriteOnlyCell formats, as the project wrote xlsx before registry/xlsx.py;
- xlsxwriter: `constant_memory=True`, formats made once, `write_string` / `write_number` per cell;
- xlsxwriter-row: the same workbook, `write_row` per row with a per-column format list (type dispatch per
  cell inside xlsxwriter);
- rustpy: rustpy-xlsxwriter's `write_worksheet` on a generator of dicts (column formats, widths, frozen
  header row);
- registry.xlsx: the project's writer module (xlsxwriter underneath) through its `columns` fast path, as the
  bank file export calls it.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADERS = ["序号", "账号", "户名", "金额(元)", "身份证号码", "备注"]
WIDTHS = [8, 24, 12, 14, 22, 16]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "建国秀兰桂英玉珍志强明华丽娟海燕春梅德福淑芬永红金凤国庆文斌小平"
WRITERS = ("openpyxl", "xlsxwriter", "xlsxwriter-row", "rustpy", "registry.xlsx")

Row = tuple[int, str, str, Decimal, str, str]


def rows(count: int) -> list[Row]:
    out: list[Row] = []
    for n in range(1, count + 1):
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
        if n % 3 == 0:
            name += GIVEN[(n * 13) % len(GIVEN)]
        id_number = f"36{n:015d}" + ("X" if n % 11 == 0 else str(n % 10))
        out.append(
            (
                n,
                f"6217{n:015d}",
                name,
                Decimal(2000 + n % 3000) + Decimal(n % 100) / 100,
                id_number,
                f"P17L{n + 1000000}",
            )
        )
    return out


def trailer(data: list[Row]) -> tuple[str, int, Decimal]:
    return ("合计", len(data), sum((row[3] for row in data), Decimal(0)))


def write_openpyxl(data: list[Row], target: io.BytesIO) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("代发明细")
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"

    def text(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell.number_format = "@"
        return cell

    def money(value: Decimal) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "#,##0.00"
        return cell

    sheet.append(HEADERS)
    for seq, account, name, amount, id_number, reference in data:
        sheet.append([seq, text(account), name, money(amount), text(id_number), text(reference)])
    label, count, total = trailer(data)
    sheet.append([label, count, money(total)])
    workbook.save(target)


def _xlsxwriter_book(target: io.BytesIO):  # type: ignore[no-untyped-def]
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet("代发明细")
    text = workbook.add_format({"num_format": "@"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    for index, width in enumerate(WIDTHS):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    return workbook, sheet, text, money


def write_xlsxwriter(data: list[Row], target: io.BytesIO) -> None:
    workbook, sheet, text, money = _xlsxwriter_book(target)
    write_string, write_number = sheet.write_string, sheet.write_number
    for column, header in enumerate(HEADERS):
        write_string(0, column, header)
    row = 0
    for row, (seq, account, name, amount, id_number, reference) in enumerate(data, 1):
        write_number(row, 0, seq)
        write_string(row, 1, account, text)
        write_string(row, 2, name)
        write_number(row, 3, amount, money)
        write_string(row, 4, id_number, text)
        write_string(row, 5, reference, text)
    label, count, total = trailer(data)
    write_string(row + 1, 0, label)
    write_number(row + 1, 1, count)
    write_number(row + 1, 2, total, money)
    workbook.close()


def write_xlsxwriter_row(data: list[Row], target: io.BytesIO) -> None:
    workbook, sheet, text, money = _xlsxwriter_book(target)
    sheet.write_row(0, 0, HEADERS)
    row = 0
    formats = [None, text, None, money, text, text]
    for row, values in enumerate(data, 1):
        for column, value in enumerate(values):
            sheet.write(row, column, value, formats[column])
    label, count, total = trailer(data)
    sheet.write_row(row + 1, 0, [label, count])
    sheet.write_number(row + 1, 2, total, money)
    workbook.close()


def write_rustpy(data: list[Row], target: io.BytesIO) -> None:
    import rustpy_xlsxwriter as rustpy

    text = rustpy.Format().set_num_format("@")
    general = rustpy.Format()
    money = rustpy.Format().set_num_format("#,##0.00")

    def records() -> Iterator[dict[str, object]]:
        for values in data:
            yield dict(zip(HEADERS, values, strict=True))
        label, count, total = trailer(data)
        # The 合计 row has other kinds per column: rustpy formats by column, so it is written as it comes.
        yield {
            "序号": label,
            "账号": count,
            "户名": None,
            "金额(元)": total,
            "身份证号码": None,
            "备注": None,
        }

    rustpy.write_worksheet(
        records(),
        target,
        sheet_name="代发明细",
        freeze_row=1,
        column_widths=WIDTHS,
        column_formats=[general, text, general, money, text, text],
    )


def set_up_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_mgmt.settings.development")
    import django

    django.setup()


def write_registry(data: list[Row], target: io.BytesIO) -> None:
    from registry.xlsx import MONEY, NUMBER, PLAIN, TEXT, xlsx_book

    with xlsx_book(target) as book:
        sheet = book.sheet("代发明细", widths=WIDTHS, freeze_header=True)
        sheet.append(HEADERS)
        sheet.append_all(data, columns=(NUMBER, TEXT, PLAIN, MONEY, TEXT, TEXT))
        sheet.append(trailer(data))


def child(writer: str, count: int) -> None:
    """Runs in its own process: generate, write, print `seconds cpu_seconds size maxrss_kb grown_kb`."""
    if writer == "registry.xlsx":
        set_up_django()  # before the clock: Django's start is not the writer's work
    data = rows(count)
    target = io.BytesIO()
    write = {
        "openpyxl": write_openpyxl,
        "xlsxwriter": write_xlsxwriter,
        "xlsxwriter-row": write_xlsxwriter_row,
        "rustpy": write_rustpy,
        "registry.xlsx": write_registry,
    }[writer]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    write(data, target)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = len(target.getvalue())
    check(target.getvalue(), count)
    print(f"{elapsed} {cpu} {size} {after} {after - before}")


def check(content: bytes, count: int) -> None:
    """The same cells, whatever wrote them: read back with calamine (first row, last row, row count)."""
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert len(sheet) == count + 2, len(sheet)
    assert sheet[0] == HEADERS, sheet[0]
    assert sheet[1][:3] == [1.0, "6217000000000000001", "王国庆"] or sheet[1][1] == "6217000000000000001"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=311_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writers", default=",".join(WRITERS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return

    writers = args.writers.split(",")
    if "rustpy" in writers and importlib.util.find_spec("rustpy_xlsxwriter") is None:
        print("rustpy-xlsxwriter is not installed (not a project dependency): skipped")
        writers.remove("rustpy")
    results: dict[str, list[tuple[float, float, int, int, int, float]]] = {writer: [] for writer in writers}
    print(f"{args.rows:,} rows × {len(HEADERS)} columns (CCB xlsx profile), {args.rounds} rounds")
    for round_number in range(1, args.rounds + 1):
        order = writers if round_number % 2 else list(reversed(writers))
        for writer in order:
            done = subprocess.run(  # noqa: S603 - this very script
                [sys.executable, __file__, "--child", writer, "--rows", str(args.rows)],
                check=True,
                capture_output=True,
                text=True,
            )
            seconds, cpu, size, maxrss, grown = done.stdout.split()
            load = os.getloadavg()[0]
            results[writer].append((float(seconds), float(cpu), int(size), int(maxrss), int(grown), load))
            print(
                f"round {round_number} {writer:<15} {float(seconds):7.2f} s (CPU {float(cpu):6.2f} s)  "
                f"{int(size) / 1e6:6.1f} MB  "
                f"peak {int(maxrss) / 1024:6.0f} MB (+{int(grown) / 1024:.0f} MB while writing)  "
                f"load {load:.2f}"
            )
    print()
    print(
        f"{'writer':<15}{'wall s':>8}{'CPU s':>8}{'rows/s CPU':>12}{'file MB':>9}{'peak MB':>9}"
        f"{'+MB writing':>12}{'load':>7}{'CPU × fastest':>15}"
    )
    walls = {writer: statistics.median(item[0] for item in results[writer]) for writer in writers}
    cpus = {writer: statistics.median(item[1] for item in results[writer]) for writer in writers}
    fastest = min(cpus.values())
    for writer in writers:
        _wall, _cpu, size, maxrss, grown, _load = results[writer][-1]
        load = statistics.median(item[5] for item in results[writer])
        print(
            f"{writer:<15}{walls[writer]:>8.2f}{cpus[writer]:>8.2f}{args.rows / cpus[writer]:>12,.0f}"
            f"{size / 1e6:>9.1f}{maxrss / 1024:>9.0f}{grown / 1024:>12.0f}{load:>7.2f}"
            f"{cpus[writer] / fastest:>15.2f}"
        )
    # On a loaded machine the wall time mostly measures the wait for a core; the CPU time of the child is
    # the writer's own work.
    print(f"load average at the end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
