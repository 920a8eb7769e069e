"""The one money format (registry.formats.yuan) of pages, messages and PDFs, in both languages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from registry.formats import thousands, yuan


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("101409372.54"), "¥101,409,372.54"),
        (Decimal("0"), "¥0.00"),
        (Decimal("2650"), "¥2,650.00"),
        (Decimal("-500.00"), "-¥500.00"),
        ("1890.10", "¥1,890.10"),
        (None, "—"),
    ],
)
def test_yuan_groups_thousands_and_keeps_two_decimals(amount: Decimal | str | None, text: str) -> None:
    assert yuan(amount) == text


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_template_filter_and_the_function_agree_in_both_languages(language: str) -> None:
    template = Template("{% load registry_ui %}{{ amount|yuan }} {{ count|thousands }}")
    with translation.override(language):
        rendered = template.render(Context({"amount": Decimal("101409372.54"), "count": 29574}))
    assert rendered == "¥101,409,372.54 29,574"
    assert thousands(1000) == "1,000"
