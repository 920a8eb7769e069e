"""The reasons the system writes into a plan's history (PlanTransition.reason), stored in one language and
translated when shown.

A stored reason is data: written in the default language (Chinese) whoever was signed in, so the history
reads the same for everyone and never mixes languages. A page shows it through `reason_text`, which
recognises a system reason by its pattern and gives it in the reader's language with the same figures. A
reviewer's rejection reason is what they typed and is shown as typed.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.translation import gettext, gettext_noop

DRAFTED = gettext_noop("生成发放计划")
REGENERATED = gettext_noop("重新生成")
FUNDED = gettext_noop("%(count)d 家银行拨付合计 %(total)s")
EXPORTED = gettext_noop("生成 %(count)d 个银行文件,合计 %(total)s")
RECONCILED = gettext_noop("全部回盘文件已导入")

# Written before amounts were formatted as ¥1,234.56: histories already in a database still hold these.
LEGACY_FUNDED = gettext_noop("%(count)d 家银行拨付合计 %(total)s 元")
LEGACY_EXPORTED = gettext_noop("生成 %(count)d 个银行文件,合计 %(total)s 元")

# The demo county's past months (pensions.demo): approved, exported and reconciled after the fact.
DEMO_APPROVED = gettext_noop("演示数据:历史月份")
DEMO_EXPORTED = gettext_noop("演示历史月份:银行文件未保存")
DEMO_RECONCILED = gettext_noop("演示历史月份:全部到账")

# Longest first where one pattern could swallow another (the legacy ones end in "元").
SYSTEM_REASONS = (
    DRAFTED,
    REGENERATED,
    LEGACY_FUNDED,
    LEGACY_EXPORTED,
    FUNDED,
    EXPORTED,
    RECONCILED,
    DEMO_APPROVED,
    DEMO_EXPORTED,
    DEMO_RECONCILED,
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


@cache
def _pattern(msgid: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[position : match.start()]))
        name, kind = match.groups()
        parts.append(rf"(?P<{name}>-?\d+)" if kind == "d" else rf"(?P<{name}>.+?)")
        position = match.end()
    parts.append(re.escape(msgid[position:]))
    return re.compile("".join(parts))


def reason_text(stored: str) -> str:
    """A stored reason in the active language: a system reason translated, anything else as it is."""
    for msgid in SYSTEM_REASONS:
        match = _pattern(msgid).fullmatch(stored)
        if match:
            values: dict[str, object] = {
                name: int(value) if f"%({name})d" in msgid else value
                for name, value in match.groupdict().items()
            }
            return gettext(msgid) % values if values else gettext(msgid)
    return stored
