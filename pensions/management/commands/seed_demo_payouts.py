"""`manage.py seed_demo_payouts`: the demo county's payout history (docs/demo-county.md), after seed_demo and
seed_demo_certifications. A second run finds every month planned and adds nothing."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from pensions.demo import seed_demo_adjustment_parameters, seed_demo_payouts


class Command(BaseCommand):
    help = (
        "生成示范县的养老金发放历史(2025年1月至上月,逐月编制、审批、拨付、生成银行文件并对账);"
        "重复运行不重复生成。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        seeded = seed_demo_payouts(as_of=timezone.localdate(), log=self.stdout.write)
        elapsed = time.monotonic() - started
        if seeded:
            message = _("发放历史:新增 %(count)d 个月,用时 %(seconds).1f 秒。")
        else:
            message = _("发放历史:各月均已有发放计划,未新增(用时 %(seconds).1f 秒)。")
        self.stdout.write(self.style.SUCCESS(message % {"count": len(seeded), "seconds": elapsed}))
        parameters = seed_demo_adjustment_parameters(as_of=timezone.localdate())
        if parameters is not None:
            self.stdout.write(_("年度调待参数:已录入 %(year)d 年(示范)。") % {"year": parameters.year})
