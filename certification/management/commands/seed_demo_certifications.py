"""`manage.py seed_demo_certifications`: the demo county's certifications (docs/demo-county.md), after
seed_demo. A second run adds nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.demo import demo_certifications_seeded, seed_demo_certifications


class Command(BaseCommand):
    help = "生成示范县的资格认证演示数据(上一年度全部认证,本年度按日期进度);重复运行不重复生成。"

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if demo_certifications_seeded(as_of=today):
            self.stdout.write(_("资格认证演示数据已生成,认证期已结束,跳过。"))
            return
        for year in seed_demo_certifications(as_of=today):
            counts = {"year": year.year, "created": year.created}
            self.stdout.write(_("%(year)s年度资格认证:本次新增 %(created)d 条") % counts)
