"""Remake the counts the progress and home pages read (registry.RetireeCount, certification.CertifiedCount)
from the tables: after a load written with the triggers off (session_replication_role = replica, a restore),
or to check them. Safe to run at any time; writers wait for it (a few seconds at 1,000,000 retirees)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from registry.services import retiree_counts_rebuild

from ...services import certified_counts_rebuild


class Command(BaseCommand):
    help = "Remake the kept head counts and certification counts from the tables."

    def handle(self, *args: Any, **options: Any) -> None:
        kept = retiree_counts_rebuild()
        certified = certified_counts_rebuild()
        self.stdout.write(f"retiree counts: {kept} rows; certification counts: {certified} rows")
