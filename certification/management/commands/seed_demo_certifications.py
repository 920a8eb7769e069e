"""`manage.py seed_demo_certifications`: the demo county's certifications (docs/demo-county.md), after
seed_demo. A second run adds nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.demo import seed_demo_certifications


class Command(BaseCommand):
    help = "生成示范县的资格认证演示数据(上一年度全部认证,本年度按日期进度);重复运行不重复生成。"

    def handle(self, *args: Any, **options: Any) -> None:
        for year in seed_demo_certifications(as_of=timezone.localdate()):
            counts = {"year": year.year, "created": year.created}
            self.stdout.write(_("%(year)s年度资格认证:本次新增 %(created)d 条") % counts)
