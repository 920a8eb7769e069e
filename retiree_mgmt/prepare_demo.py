"""`make run`'s database steps in one Python process (scripts/run.sh): apply migrations when some are
pending, then load the demo county, its certifications, its payout history and its claim parameters, each
step skipped at once when it has nothing to add. Run as `.venv/bin/python -m retiree_mgmt.prepare_demo`.

One process instead of five `manage.py` runs: each start of Django costs 1–2 s on the 2-core development
machine (more when it is busy), and `migrate` with nothing to do still loads every migration and renders
the project state (docs/development.md, "How fast `make run` starts").
"""

from __future__ import annotations

import os
import time


def _step(name: str, started: float) -> None:
    print(f"    {name}: {time.monotonic() - started:.1f} s", flush=True)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retiree_mgmt.settings.development")
    started = time.monotonic()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    _step("Django loaded", started)

    began = time.monotonic()
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        print(f"==> Applying {len(pending)} database migrations", flush=True)
        call_command("migrate", interactive=False, verbosity=0)
    else:
        print("==> Database migrations: none pending", flush=True)
    _step("migrations", began)

    print(
        "==> Demo county (seed_demo, seed_demo_certifications, seed_demo_payouts, seed_demo_benefits)",
        flush=True,
    )
    for command in ("seed_demo", "seed_demo_certifications", "seed_demo_payouts", "seed_demo_benefits"):
        began = time.monotonic()
        call_command(command)
        _step(command, began)
    _step("all database steps", started)


if __name__ == "__main__":
    main()
