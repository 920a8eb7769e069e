"""Background file exports (docs/exports.md): the kinds of export the worker can make, registered by the
apps that own them (registry imports no app).

An app calls `register_export(ExportKind(...))` in its AppConfig.ready. A kind says who may make it
(`allowed`, checked when the export is asked for and again at download), how its file is named and written
(`write`, which streams into a file the worker gives it and reports progress), and the name under which a
file with full numbers is recorded (`sensitive_export_record`). registry.services.export_jobs runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from .models import Staff
from .services.sensitive import ExportNumbers


@dataclass(frozen=True)
class ExportRequest:
    """What one run of an export is given: who asked, the parameters as stored, the numbers rule, the file
    to write into, and a progress callback (done, total) that also serves as the worker's heartbeat."""

    user: Staff
    parameters: dict[str, Any]
    numbers: ExportNumbers
    target: IO[bytes]
    progress: Callable[[int, int], None]
    job_id: int


@dataclass(frozen=True)
class ExportResult:
    rows: int
    filename: str
    content_type: str


@dataclass(frozen=True)
class ExportRecord:
    """What a kind that records its own files is told: who made (or downloaded) the file, its parameters and
    rows, the job, and whether this is a download."""

    by: Staff
    parameters: dict[str, Any]
    rows: int
    job_id: int
    download: bool


@dataclass(frozen=True)
class ExportKind:
    key: str
    # The name of the list in “我的导出”, from the parameters (e.g. “2026年度未认证人员名单(城关镇)”).
    label: Callable[[dict[str, Any]], str]
    write: Callable[[ExportRequest], ExportResult]
    # May `user` make (and download) this export with these parameters? Checked at request and at download.
    allowed: Callable[[Staff, dict[str, Any]], bool]
    # `export` of the SensitiveExport row a full-number file is recorded under.
    sensitive_name: str
    # A file recorded otherwise than by one sensitive_export_record (the remote residents' upload file: one
    # SensitiveView per person besides it): called instead, when the file is made and at each download.
    record: Callable[[ExportRecord], None] | None = None


_KINDS: dict[str, ExportKind] = {}


def register_export(kind: ExportKind) -> None:
    """Add a kind of export (from an AppConfig.ready; registering a key again replaces it)."""
    _KINDS[kind.key] = kind


def export_kind(key: str) -> ExportKind | None:
    return _KINDS.get(key)


def export_kinds() -> tuple[ExportKind, ...]:
    return tuple(_KINDS.values())
