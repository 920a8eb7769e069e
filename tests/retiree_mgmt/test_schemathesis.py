"""The OpenAPI schema tells the truth: schemathesis generates requests for every operation from the schema and
checks each answer against it (no server error, a documented content type, a body that matches the schema).

Runs inside pytest against the WSGI app and the test database: a small county made with factories, a drafted
payout plan, signed in as the bureau admin with a token (the admin may call every operation). Path ids are
pointed at the objects that exist, so the checks see real bodies, not only 404s. Bounded: a few examples per
operation (SCHEMATHESIS_MAX_EXAMPLES), positive data only (docs/api.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pensions.models import PlanTotal
from pensions.services import bank_files_export, funding_record, plan_approve, plan_draft, plan_submit
from pensions.services.plan_jobs import plan_draft_start
from registry.months import PensionMonth
from registry.services import api_token_issue, retiree_search_keys_rebuild
from retiree_mgmt.wsgi import application
from tests.conftest import County
from tests.factories import BankAccountFactory, BankFactory, PensionRateFactory

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "6"))
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_county(county: County) -> dict[str, object]:
    """A county with money and a plan, the admin's token and the id each kind of path should use."""
    bank = BankFactory.create(code="CCB", name="建设银行")
    for retiree in (county.retiree_a1, county.retiree_a2, county.retiree_b1):
        PensionRateFactory(retiree=retiree, amount=Decimal("2650.00"), effective_month=PensionMonth(2020, 1))
        BankAccountFactory(retiree=retiree, bank=bank)
    retiree_search_keys_rebuild()
    today = timezone.localdate()
    # Last month's plan carried through to its bank file (CCB: an xlsx workbook); this month's stays a draft.
    last_month = PensionMonth(today.year, today.month).plus(-1)
    exported = plan_draft(month=last_month, by=county.clerk)
    plan_submit(plan=exported, by=county.clerk)
    plan_approve(plan=exported, by=county.reviewer)
    funding_record(
        plan=exported,
        bank=bank,
        amount=PlanTotal.objects.get(plan=exported, kind=PlanTotal.Kind.BANK, bank=bank).net_total,
        reference_number="CZ-TEST-1",
        transferred_on=today,
        by=county.reviewer,
    )
    (bank_file,) = bank_files_export(plan=exported, by=county.clerk)
    plan = plan_draft(month=PensionMonth(today.year, today.month), by=county.clerk)
    # A job of this month's plan (queued: the worker is not running), for /api/pensions/plan-jobs/{id}/.
    job = plan_draft_start(month=PensionMonth(today.year, today.month), by=county.clerk, regenerate=True)
    token = api_token_issue(staff=county.admin)
    return {
        "headers": {"Authorization": f"Token {token.key}"},
        "ids": {
            "/api/retirees/": county.retiree_a1.pk,
            "/api/pensions/plans/": plan.pk,
            "/api/pensions/plan-jobs/": job.pk,
            "/api/pensions/lines/": plan.lines.values_list("pk", flat=True).first(),
            "/api/pensions/bank-files/": bank_file.pk,
            "/api/pensions/retirees/": county.retiree_a1.pk,
        },
    }


@pytest.fixture
def wsgi_app() -> Iterator[object]:
    """The project's WSGI app, minus Django's end-of-request connection closing: the test's transaction (and
    its data) lives on that connection, as in Django's own test client."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(api_county: dict[str, object], wsgi_app: object) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict({"generation": {"mode": "positive", "max-examples": MAX_EXAMPLES}})
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", wsgi_app, config=config, headers=api_county["headers"]
    )


def _existing_id(path: str, ids: dict[str, int | None]) -> dict[str, int] | None:
    """The id of an object that exists, for a path with {id} under one of the known prefixes."""
    if "{id}" not in path:
        return None
    for prefix, pk in ids.items():
        if path.startswith(prefix) and pk is not None:
            return {"id": pk}
    return None


def test_every_operation_answers_as_its_schema_says(api_schema, api_county):
    # schemathesis' pytest plugin (lazy fixtures) does not run on pytest 9 yet: each operation gets a plain
    # Hypothesis run here, and every operation is tried even when one failed, so one run names them all.
    failures: dict[str, str] = {}
    # Revoking the token ends the run's sign-in: that operation goes last.
    operations = sorted(
        (result.ok() for result in api_schema.get_all_operations()),
        key=lambda operation: operation.path == "/api/auth/token/revoke/",
    )
    assert len(operations) > 40

    for operation in operations:
        strategy = operation.as_strategy(path_parameters=_existing_id(operation.path, api_county["ids"]))

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=api_county["headers"], checks=CHECKS)

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - every failure is collected, reported below
            failures[operation.label] = str(error)[:2000]

    assert not failures, "\n\n".join(f"{label}:\n{message}" for label, message in failures.items())
