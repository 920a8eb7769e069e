"""Every Celery task of the project's apps goes to a named queue on purpose (docs/deployment.md "Workers and
queues"), and the scripts' workers consume every queue."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from celery.app.routes import MapRoute
from django.apps import apps
from django.conf import settings

from retiree_mgmt import celery_app

ROOT = Path(__file__).resolve().parent.parent.parent
PROJECT_APPS = ("registry", "pensions", "certification", "benefits", "archives")

# Every task today and where it must run. A new task fails test_every_task_is_routed_to_a_named_queue only
# when no route matches it; this table pins the deliberate choices.
EXPECTED = {
    "registry.tasks.take_registry_snapshot": "celery",
    "registry.tasks.sweep_stale_jobs": "celery",
    "registry.tasks.check_import_batch": "imports",
    "registry.tasks.run_import_batch": "imports",
    "registry.tasks.index_pending_import_names": "imports",
    "certification.tasks.run_suspension": "payouts",
    "certification.tasks.render_suspension_notices": "pdfs",
    "certification.tasks.render_remote_batch": "pdfs",
    "certification.tasks.apply_certification_import": "imports",
    "certification.tasks.check_certification_import": "imports",
    "pensions.tasks.draft_payout_plan": "payouts",
    "pensions.tasks.redraft_payout_plans": "payouts",
    "pensions.tasks.adjustment_dry_run_task": "payouts",
    "pensions.tasks.adjustment_apply_task": "payouts",
    "pensions.tasks.render_adjustment_notices": "pdfs",
    "pensions.tasks.adjustment_compare_task": "payouts",
}


def project_task_names() -> list[str]:
    for app_config in apps.get_app_configs():
        if app_config.name in PROJECT_APPS:
            try:
                importlib.import_module(f"{app_config.name}.tasks")
            except ModuleNotFoundError as error:
                if error.name != f"{app_config.name}.tasks":
                    raise
    return sorted(name for name in celery_app.tasks if name.split(".")[0] in PROJECT_APPS)


def routed_queue(name: str) -> str | None:
    """The queue the settings' routes name for a task, None when no route matches (Celery would then send
    it to the default queue without anyone having decided so)."""
    route = MapRoute(settings.CELERY_TASK_ROUTES)(name)
    return None if route is None else route["queue"]


def test_every_task_is_routed_to_a_named_queue() -> None:
    names = project_task_names()
    assert set(EXPECTED) <= set(names)
    unrouted = [name for name in names if routed_queue(name) not in settings.TASK_QUEUE_NAMES]
    assert unrouted == []


@pytest.mark.parametrize(("name", "queue"), sorted(EXPECTED.items()))
def test_each_task_goes_to_its_queue(name: str, queue: str) -> None:
    assert routed_queue(name) == queue
    # What the app itself does when the task is sent (the routes as Celery reads them from the settings).
    assert celery_app.amqp.router.route({}, name)["queue"].name == queue


@pytest.mark.parametrize(
    ("name", "queue"),
    [
        # Names of tasks being added by other work: they land right without another route.
        ("pensions.tasks.draft_payout_plan_task", "payouts"),
        ("pensions.tasks.export_bank_files_task", "payouts"),
        ("pensions.tasks.render_bank_files", "payouts"),
        ("pensions.tasks.apply_return_file_task", "payouts"),
        ("pensions.tasks.render_plan_export", "pdfs"),
        ("pensions.tasks.export_plan_lines_task", "pdfs"),
        ("registry.tasks.run_export_job", "pdfs"),
        ("registry.tasks.export_retirees_task", "pdfs"),
        ("certification.tasks.render_missing_list_pdf", "pdfs"),
        ("certification.tasks.missing_list_xlsx_task", "pdfs"),
        ("benefits.tasks.import_deaths_task", "imports"),
    ],
)
def test_patterns_route_new_tasks_by_kind(name: str, queue: str) -> None:
    assert routed_queue(name) == queue


def test_a_task_outside_pensions_matching_no_pattern_is_not_routed() -> None:
    # The check above can fail: outside pensions there is no catch-all, so a forgotten task is caught.
    assert routed_queue("certification.tasks.remind_townships") is None
    assert routed_queue("registry.tasks.recount_units") is None


def test_beat_sends_only_registered_tasks_to_consumed_queues() -> None:
    names = set(project_task_names())
    tasks = [str(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    queues = {task: routed_queue(task) for task in tasks}
    assert set(queues) <= names
    assert queues == {
        "registry.tasks.take_registry_snapshot": "celery",
        "pensions.tasks.draft_payout_plan": "payouts",
        "certification.tasks.run_suspension": "payouts",
        "registry.tasks.sweep_stale_jobs": "celery",
        "registry.tasks.expire_exports": "celery",
        "registry.tasks.index_pending_import_names": "imports",
    }


def test_the_demo_and_compose_workers_consume_every_queue() -> None:
    queues = "-Q " + ",".join(settings.TASK_QUEUE_NAMES)
    assert queues == "-Q celery,payouts,imports,pdfs"
    worker_lines = [
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:")
    ]
    assert len(worker_lines) == 1 and worker_lines[0].endswith(queues)
    compose = (ROOT / "docker-compose.yml").read_text()
    assert f"command: celery -A retiree_mgmt worker -l info --concurrency 2 {queues}\n" in compose
    assert [queue.name for queue in settings.CELERY_TASK_QUEUES] == list(settings.TASK_QUEUE_NAMES)
