"""An oversized upload: what the web request spends before it refuses a 1,000,000-row xlsx.

Usage: .venv/bin/python bench/upload_limits.py [--rows 1000000] [--rounds 3]

The file has the registry import's header and one short cell per data row (about 8 MB on disk, like the file
that was once parsed inside the request: 35 s, +1.4 GB). Each measurement runs in a fresh child process, so
its peak memory (ru_maxrss) is its own:

- check: what the request does now, `upload_bytes` (size, then the row count from the sheet's <dimension>)
  until it raises the limit's ImportBatchError;
- exact count: what the worker does before it parses, the streaming count of every <row>;
- baseline: what the request used to do, the whole sheet read into memory (`read_table`, python-calamine).

Needs no database. Prints seconds and peak memory per step and the baseline ÷ check ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchdb import ROOT, set_up_django

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
from benchdb import set_up_django
set_up_django()
from django.core.files.uploadedfile import SimpleUploadedFile
from registry.errors import ImportBatchError
from registry.imports.reading import read_table, upload_bytes
from registry.imports.sizing import count_rows
data = open({path!r}, "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
outcome = ""
if {step!r} == "check":
    try:
        upload_bytes(SimpleUploadedFile("big.xlsx", data))
    except ImportBatchError as error:
        outcome = error.message
elif {step!r} == "exact":
    outcome = str(count_rows(data, "big.xlsx", exact=True))
else:
    outcome = str(len(read_table(data, "big.xlsx").rows))
seconds = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": seconds, "extra_mb": (after - before) / 1024, "outcome": outcome}}))
"""


def measure(step: str, path: Path) -> dict[str, object]:
    code = CHILD.format(root=str(ROOT), bench=str(ROOT / "bench"), path=str(path), step=step)
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ.copy()
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    set_up_django()
    from registry.imports.columns import COLUMNS
    from tests.registry.large_files import big_xlsx

    path = ROOT / "var" / "bench" / f"upload-{args.rows}.xlsx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(big_xlsx([column.header for column in COLUMNS], args.rows))
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.1f} MB, {args.rows:,} data rows")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    medians = {}
    for step in ("check", "exact", "baseline"):
        rounds = [measure(step, path) for _ in range(args.rounds)]
        seconds = statistics.median(float(r["seconds"]) for r in rounds)  # type: ignore[arg-type]
        memory = statistics.median(float(r["extra_mb"]) for r in rounds)  # type: ignore[arg-type]
        medians[step] = seconds
        print(f"{step:9s} median {seconds:8.3f} s   peak memory +{memory:7.1f} MB   {rounds[0]['outcome']}")
    print(f"baseline ÷ check: {medians['baseline'] / medians['check']:,.0f}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - started:.1f} s")
