"""The printed page counter: one sentence per language, numbers where that language puts them."""

from django.template import Context, Template
from django.utils.translation import override


def render() -> str:
    return Template("{% load pdf_pages %}{% page_counter %}").render(Context())


def test_the_chinese_counter_reads_di_x_ye_gong_y_ye():
    with override("zh-hans"):
        assert render() == '"第 " counter(page) " 页 共 " counter(pages) " 页"'


def test_the_english_counter_reads_page_x_of_y():
    with override("en"):
        assert render() == '"Page " counter(page) " of " counter(pages)'
