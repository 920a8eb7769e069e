"""The combined PDF of one township's suspension notices (暂停发放基本养老金告知书), one page per person.

One file per township and run, never one per person: WeasyPrint embeds a font subset in every file
(1,000 one-page notices are about 22 s and 1.2 MB as one PDF, 220 s and 269 MB as 1,000 files;
docs/technical-notes.md).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from registry.months import PensionMonth
from registry.pdfs.rendering import render_pdf


@dataclass(frozen=True)
class NoticeRow:
    """What one notice says about its person."""

    name: str
    masked_id_number: str
    certificate_number: str
    community: str
    address: str


@dataclass(frozen=True)
class NoticeBatch:
    """What every notice of the file shares."""

    township: str
    year: int
    window_start: datetime.date
    window_end: datetime.date
    suspended_from: PensionMonth
    bureau: str
    bureau_phone: str
    dated: datetime.date
    rows: tuple[NoticeRow, ...]


def suspension_notices_pdf(batch: NoticeBatch) -> bytes:
    return render_pdf(template="certification/suspension_notice_pdf.html", context={"b": batch})
