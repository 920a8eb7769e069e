"""Reprinting the benefit certificate from the record page and the API: who may, what is recorded, and the
layout of the printed footer (issuer, seal and note never overlap, also with a long name and employer)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from registry.models import CertificatePrint, Employer, Retiree, SensitiveView
from registry.selectors import retiree_audit
from tests.conftest import County
from tests.pdfs import pdf_info

NUMBER = "360721201800001"


@pytest.fixture
def numbered(county: County) -> Retiree:
    county.retiree_a1.certificate_number = NUMBER
    county.retiree_a1.save(update_fields=["certificate_number"])
    return county.retiree_a1


def _page(staff, retiree: Retiree) -> str:
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("retiree-detail", args=[retiree.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("username", "shown"),
    [("clerk", True), ("admin", True), ("reviewer", False), ("auditor", False), ("officer_a", False)],
)
def test_the_record_page_offers_printing_to_registry_roles(
    county: County, numbered: Retiree, username: str, shown: bool
) -> None:
    html = _page(county.staff_by_role()[username], numbered)
    link = f'href="{reverse("retiree-certificate", args=[numbered.pk])}"'
    assert ('id="print-certificate"' in html) is shown
    assert (link in html) is shown


def test_no_button_without_a_certificate_number(county: County) -> None:
    html = _page(county.clerk, county.retiree_a1)
    assert 'id="print-certificate"' not in html


def test_each_reprint_is_recorded_and_shown_in_the_audit_tab(county: County, numbered: Retiree) -> None:
    client = Client()
    client.force_login(county.clerk)
    url = reverse("retiree-certificate", args=[numbered.pk])
    with time_machine.travel("2026-11-02 09:15:00+08:00", tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel("2026-11-03 10:40:00+08:00", tick=False):
        assert client.get(url).status_code == 200
    prints = list(
        CertificatePrint.objects.filter(retiree=numbered)
        .order_by("printed_at")
        .values_list("printed_by", "certificate_number", "channel")
    )
    assert prints == [(county.clerk.pk, NUMBER, "page"), (county.clerk.pk, NUMBER, "page")]
    printed = [e for e in retiree_audit(retiree=numbered, page_size=100).entries if e.action == "打印待遇证"]
    assert [(e.who, e.subject, e.note) for e in printed] == [
        (county.clerk.display_name, "待遇证打印记录", f"待遇证号 {NUMBER}(页面)"),
    ] * 2
    assert [e.at.isoformat() for e in printed] == ["2026-11-03T02:40:00+00:00", "2026-11-02T01:15:00+00:00"]
    # The auditor reads the same entries on the record's audit tab.
    auditor = Client()
    auditor.force_login(county.auditor)
    tab = auditor.get(reverse("retiree-audit", args=[numbered.pk])).content.decode()
    assert tab.count("打印待遇证") == 2


def test_a_print_record_cannot_be_changed(county: County, numbered: Retiree) -> None:
    client = Client()
    client.force_login(county.clerk)
    client.get(reverse("retiree-certificate", args=[numbered.pk]))
    record = CertificatePrint.objects.get(retiree=numbered)
    with pytest.raises(Exception, match="append_only"):
        CertificatePrint.objects.filter(pk=record.pk).update(channel="api")


# The API ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("clerk", 200),
        ("admin", 200),
        ("reviewer", 403),
        ("auditor", 403),
        ("officer_a", 403),
        ("officer_b", 404),
    ],
)
def test_the_api_prints_the_same_pdf_and_records_it(
    county: County, numbered: Retiree, username: str, status: int
) -> None:
    staff = county.staff_by_role()[username]
    client = APIClient()
    client.force_login(staff)
    views_before = SensitiveView.objects.count()
    response = client.get(f"/api/retirees/{numbered.pk}/certificate.pdf")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert response["Content-Disposition"] == f'attachment; filename="certificate-{NUMBER}.pdf"'
    assert list(CertificatePrint.objects.values_list("printed_by", "channel")) == (
        [(staff.pk, "api")] if status == 200 else []
    )
    assert SensitiveView.objects.count() == views_before + (1 if status == 200 else 0)


def test_the_api_is_404_without_a_certificate_number(county: County) -> None:
    client = APIClient()
    client.force_login(county.clerk)
    response = client.get(f"/api/retirees/{county.retiree_a1.pk}/certificate.pdf")
    assert response.status_code == 404
    assert response.json() == {"detail": "该人员尚未发放待遇证号。"}
    assert not CertificatePrint.objects.exists()
    assert not SensitiveView.objects.exists()


def test_the_api_refuses_anonymous_callers(numbered: Retiree) -> None:
    response = APIClient().get(f"/api/retirees/{numbered.pk}/certificate.pdf")
    assert response.status_code in (401, 403)
    assert not CertificatePrint.objects.exists()


# The printed footer -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def _words(path: Path) -> list[Box]:
    # A fixed tool with a path the test made: nothing untrusted reaches the command line.
    html = subprocess.run(  # noqa: S603
        ["pdftotext", "-bbox", str(path), "-"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [Box(m[4], float(m[0]), float(m[1]), float(m[2]), float(m[3])) for m in _WORD.findall(html)]


def _first(words: list[Box], text: str) -> Box:
    found = [word for word in words if text in word.text]
    assert found, f"{text!r} not on the certificate"
    return found[0]


def _lines_of(words: list[Box], start: str, end: str) -> list[Box]:
    """Every word from the one containing `start` up to the one containing `end` (document order)."""
    first = next(i for i, word in enumerate(words) if start in word.text)
    last = next(i for i, word in enumerate(words) if end in word.text and i >= first)
    return words[first : last + 1]


@pytest.mark.parametrize(
    ("name", "employer"),
    [
        ("王芳", "示范县机械厂"),
        (
            "阿卜杜热合曼·艾合买提江·买买提明",
            "示范县第一机械厂劳动服务公司下属综合经营部第三门市部(已破产改制)",
        ),
    ],
)
def test_issuer_seal_and_note_do_not_overlap(
    county: County, numbered: Retiree, tmp_path: Path, name: str, employer: str
) -> None:
    Retiree.objects.filter(pk=numbered.pk).update(name=name, employer=Employer.objects.create(name=employer))
    client = Client()
    client.force_login(county.clerk)
    response = client.get(reverse("retiree-certificate", args=[numbered.pk]))
    assert response.status_code == 200
    path = tmp_path / "certificate.pdf"
    path.write_bytes(response.content)
    assert pdf_info(path)["Pages"] == "1"
    words = _words(path)
    issuer = _lines_of(words, "发证机关", "社保局")
    issued_on = _first(words, "发证日期")
    seal = _first(words, "盖章")
    note = _lines_of(words, "本证是", "补办")
    last_row = _first(words, "所属社区")
    for box in [*issuer, issued_on]:
        assert not box.overlaps(seal), (box, seal)
        for line in note:
            assert not box.overlaps(line), (box, line)
        # The footer stays below the table, however many lines the long values took.
        assert box.y0 > last_row.y1
    for line in note:
        assert not seal.overlaps(line)
        assert line.y0 > issued_on.y1
