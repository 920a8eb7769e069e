"""`manage.py seed_demo`: the demo county of docs/demo-county.md. A second run only adds what is missing."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.demo_county import DEFAULT_RETIREES, DEFAULT_SEED, demo_county_seeded, seed_demo_county
from registry.models import (
    Agent,
    Bank,
    BankAccount,
    Employer,
    OrgUnit,
    PensionRate,
    Retiree,
    Staff,
    StatusChange,
)

_TABLES = (
    ("org_units", OrgUnit),
    ("banks", Bank),
    ("employers", Employer),
    ("staff", Staff),
    ("retirees", Retiree),
    ("bank_accounts", BankAccount),
    ("pension_rates", PensionRate),
    ("agents", Agent),
    ("status_changes", StatusChange),
)


class Command(BaseCommand):
    help = "生成示范县演示数据(单位、银行、原单位、登录账号和退休人员);重复运行只补充缺少的数据。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--retirees", type=int, default=DEFAULT_RETIREES, help=f"退休人员人数(默认 {DEFAULT_RETIREES})"
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"随机种子,相同种子生成相同人员(默认 {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="不做快速检查,重新生成全部人员并逐一比对(默认:已生成过时一次查询后直接结束)",
        )

    def handle(self, *args: Any, retirees: int, seed: int, full: bool, **options: Any) -> None:
        started = time.monotonic()
        if not full and demo_county_seeded(retirees=retirees, seed=seed, as_of=timezone.localdate()):
            self.stdout.write(
                _("示范县已生成(%(retirees)d 名退休人员,种子 %(seed)d),跳过;用 --full 逐一比对补充。")
                % {"retirees": retirees, "seed": seed}
            )
            return
        report = seed_demo_county(
            retirees=retirees, seed=seed, as_of=timezone.localdate(), log=self.stdout.write
        )
        elapsed = time.monotonic() - started
        for key, model in _TABLES:
            self.stdout.write(
                _("%(table)s:共 %(total)d 条,本次新增 %(created)d 条")
                % {
                    "table": model._meta.verbose_name,
                    "total": model.objects.count(),
                    "created": report.created.get(key, 0),
                }
            )
        self.stdout.write(self.style.SUCCESS(_("完成,用时 %(seconds).1f 秒。") % {"seconds": elapsed}))
