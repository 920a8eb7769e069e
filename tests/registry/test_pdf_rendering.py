"""The one PDF helper (registry.pdfs.rendering): what every printed document gets from it."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest
from PIL import Image

from registry.pdfs import rendering
from registry.pdfs.rendering import css_string, render_pdf
from tests.pdfs import pdf_fonts, pdf_image_count, pdf_info, pdf_text

PAGE = """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>测试文件 {{ n }}</title>
<style>@page { size: A5 portrait; }</style></head>
<body><p>王德胜 第{{ n }}号</p>
{% for src in images %}<img src="{{ src }}" width="30">{% endfor %}</body></html>"""


@pytest.fixture
def page_template(settings):
    """A template of this test only, so that what the page loads is under the test's control."""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {"test/page.html": PAGE})]},
        }
    ]
    return "test/page.html"


def png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (20, 20), (200, 30, 30)).save(path, format="PNG")
    return path


def write(tmp_path: Path, pdf: bytes) -> Path:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return path


def test_the_pdf_has_the_text_title_creator_and_the_cjk_font(page_template, tmp_path):
    path = write(tmp_path, render_pdf(template=page_template, context={"n": 7}))
    info = pdf_info(path)
    assert (info["Title"], info["Creator"], info["Pages"]) == ("测试文件 7", "retiree_mgmt", "1")
    assert info["Page size"].startswith("419.528 x 595.276 pts")  # A5
    assert pdf_text(path).strip() == "王德胜 第7号"
    # No font-family in the template: the helper's root rule gives it the simplified Chinese font, embedded
    # (WeasyPrint's default would take Noto Sans CJK JP for the Chinese and DejaVu Serif for the digits).
    fonts = [line.split() for line in pdf_fonts(path).splitlines()[2:]]
    assert [(row[0].partition("+")[2], row[-5]) for row in fonts] == [("Noto-Sans-CJK-SC", "yes")]


def test_files_under_media_and_static_load_and_nothing_else(page_template, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = png(tmp_path / "media" / "photos" / "a.png")
    outside = png(tmp_path / "elsewhere" / "b.png")
    images = [
        photo.as_uri(),  # under MEDIA_ROOT: shown
        outside.as_uri(),  # a local file elsewhere: left out
        (tmp_path / "media" / ".." / "elsewhere" / "b.png").as_uri(),  # climbing out of MEDIA_ROOT: left out
        "http://127.0.0.1:9/x.png",  # the network: never fetched
    ]
    pdf = render_pdf(template=page_template, context={"n": 1, "images": images})
    assert pdf_image_count(write(tmp_path, pdf)) == 1

    pdf = render_pdf(template=page_template, context={"n": 1, "images": images[1:]})
    assert pdf_image_count(write(tmp_path, pdf)) == 0


def test_relative_urls_resolve_against_the_static_files(page_template, settings, tmp_path):
    settings.STATICFILES_DIRS = [tmp_path / "static"]
    png(tmp_path / "static" / "img" / "seal.png")
    pdf = render_pdf(template=page_template, context={"n": 1, "images": ["img/seal.png"]})
    assert pdf_image_count(write(tmp_path, pdf)) == 1


def test_the_collector_is_paused_while_rendering_and_restored_after(page_template, monkeypatch):
    import weasyprint.document

    seen: list[bool] = []
    original_write = weasyprint.document.Document.write_pdf

    def write_pdf(self, *args, **kwargs):
        seen.append(gc.isenabled())
        return original_write(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.document.Document, "write_pdf", write_pdf)
    assert gc.isenabled()
    render_pdf(template=page_template, context={"n": 1})
    assert (seen, gc.isenabled()) == ([False], True)

    # A caller that had switched the collector off finds it still off.
    gc.disable()
    try:
        render_pdf(template=page_template, context={"n": 2})
        assert (seen, gc.isenabled()) == ([False, False], False)
    finally:
        gc.enable()


def test_two_renders_at_once_leave_the_collector_on_only_when_both_are_done(page_template):
    started = threading.Event()
    release = threading.Event()
    states: list[bool] = []
    real_pause = rendering._gc_pause

    def slow_pause() -> None:
        real_pause()
        started.set()
        release.wait(timeout=30)

    thread_result: list[bytes] = []

    def first() -> None:
        thread_result.append(render_pdf(template=page_template, context={"n": 1}))

    rendering._gc_pause = slow_pause
    try:
        thread = threading.Thread(target=first)
        thread.start()
        assert started.wait(timeout=30)
    finally:
        rendering._gc_pause = real_pause
    # The first render holds the pause; a second one runs to its end meanwhile.
    render_pdf(template=page_template, context={"n": 2})
    states.append(gc.isenabled())
    release.set()
    thread.join(timeout=60)
    states.append(gc.isenabled())
    assert (states, len(thread_result)) == ([False, True], 1)


def test_css_string_escapes_whatever_could_end_the_string_or_the_style_element():
    assert css_string('王"德\\胜</style>\n') == '"王\\22 德\\5c 胜\\3c /style\\3e \\a "'
    assert css_string("城关镇 · 2026") == '"城关镇 · 2026"'
