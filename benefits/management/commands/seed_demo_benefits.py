"""`manage.py seed_demo_benefits`: the demo county's claim parameters (docs/benefit-parameters.md) and two
deaths to walk through (docs/demo-county.md), after seed_demo. A second run adds nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from benefits.demo import demo_deaths_seeded, demo_parameters_seeded, seed_demo_deaths, seed_demo_parameters
from benefits.models import DeathRegistration


class Command(BaseCommand):
    help = (
        "设置示范县的丧葬补助金标准和抚恤金月数(2025、2026 年),并生成一条乡镇报告和一条待复核的死亡登记;"
        "重复运行不重复设置。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_parameters_seeded():
            self.stdout.write(_("丧葬抚恤参数已设置,跳过。"))
        else:
            created = seed_demo_parameters()
            self.stdout.write(_("丧葬抚恤参数:本次设置 %(created)d 项") % {"created": created})
        if demo_deaths_seeded():
            self.stdout.write(_("演示死亡登记已存在,跳过。"))
            return
        for death in seed_demo_deaths(log=self.stdout.write):
            registration = death.registration
            values = {
                "township": death.township,
                "name": registration.retiree.name,
                "died_on": registration.died_on.isoformat(),
            }
            if registration.status == DeathRegistration.Status.REPORTED:
                line = _("死亡登记:%(township)s %(name)s(%(died_on)s 死亡)已由乡镇报告,待经办人登记")
            else:
                line = _("死亡登记:%(township)s %(name)s(%(died_on)s 死亡)已由经办人登记,待复核确认")
            self.stdout.write(line % values)
