"""A plan's history reasons: stored in Chinese, shown in the reader's language (pensions.reasons)."""

from __future__ import annotations

from django.utils import translation

from pensions import reasons
from pensions.reasons import reason_text


def test_a_system_reason_is_shown_in_english_with_its_figures():
    with translation.override("en"):
        assert reason_text(reasons.DRAFTED) == "Generate payout plan"
        assert reason_text("全部回盘文件已导入") == "All return files imported"
        # A history written before the ¥ format still reads in English.
        assert (
            reason_text("生成 3 个银行文件,合计 16244.65 元")
            == "Bank files generated: 3, 16244.65 yuan in total"
        )
        assert reason_text("3 家银行拨付合计 16244.65 元") == "Banks funded: 3, 16244.65 yuan in total"


def test_in_chinese_a_stored_reason_reads_as_stored():
    stored = reasons.EXPORTED % {"count": 3, "total": "¥16,244.65"}
    with translation.override("zh-hans"):
        assert reason_text(stored) == "生成 3 个银行文件,合计 ¥16,244.65"


def test_a_typed_rejection_reason_is_shown_as_typed():
    with translation.override("en"):
        assert reason_text("孙桂英的扣回金额需再核对") == "孙桂英的扣回金额需再核对"
        assert reason_text("生成发放计划之前先核对") == "生成发放计划之前先核对"


def test_the_demo_county_history_reads_in_english_too():
    with translation.override("en"):
        assert reason_text(reasons.DEMO_APPROVED) == "Demo data: past month"
        assert reason_text("演示历史月份:银行文件未保存") == "Demo past month: bank files not saved"
        assert reason_text("演示历史月份:全部到账") == "Demo past month: all payments credited"
