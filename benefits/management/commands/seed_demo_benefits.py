"""`manage.py seed_demo_benefits`: the demo county's claim parameters (docs/benefit-parameters.md), after
seed_demo. A second run adds nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from benefits.demo import demo_parameters_seeded, seed_demo_parameters


class Command(BaseCommand):
    help = "设置示范县的丧葬补助金标准和抚恤金月数(2025、2026 年);重复运行不重复设置。"

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_parameters_seeded():
            self.stdout.write(_("丧葬抚恤参数已设置,跳过。"))
            return
        created = seed_demo_parameters()
        self.stdout.write(_("丧葬抚恤参数:本次设置 %(created)d 项") % {"created": created})
