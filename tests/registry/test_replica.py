"""registry.replica: which reads go to the streaming replica (docs/deployment.md "PostgreSQL primary and read
replica"). In tests "replica" is a second connection to the test database (settings/test.py, a mirror), so
which connection ran a statement is observable; the tests that follow a request or a service run outside a
test transaction, as production does (inside one, every read rightly stays on the primary)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benefits.models import SurvivorClaim
from certification.models import Certification
from pensions.models import BankFile, PayoutLine, PayoutPlan
from pensions.services import plan_draft
from registry.models import BankAccount, OrgUnit, PensionRate, Retiree, RetireeSearchKey, Staff
from registry.months import PensionMonth
from registry.replica import (
    ReplicaRouter,
    primary_reads,
    read_connection,
    reads_primary,
    replica_reads,
)
from tests.clients import signed_in
from tests.conftest import County

REPLICA_TEST = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


# --- the router's choices, rule by rule --------------------------------------------------------------------


def test_outside_a_replica_scope_every_read_goes_to_the_primary() -> None:
    assert router.db_for_read(Retiree) == "default"
    assert router.db_for_read(Certification) == "default"
    assert Retiree.objects.all().db == "default"


def test_inside_a_replica_scope_reads_of_registry_and_certification_go_to_the_replica() -> None:
    with replica_reads():
        assert router.db_for_read(Retiree) == "replica"
        assert router.db_for_read(Certification) == "replica"
        assert router.db_for_read(OrgUnit) == "replica"
        assert router.db_for_read(RetireeSearchKey) == "replica"
        assert Retiree.objects.filter(status="active").db == "replica"
        assert read_connection().alias == "replica"
    # The scope ends with the block.
    assert router.db_for_read(Retiree) == "default"
    assert read_connection().alias == "default"


@pytest.mark.parametrize("model", [PayoutPlan, PayoutLine, BankFile, SurvivorClaim, BankAccount, PensionRate])
def test_money_models_are_read_from_the_primary_even_in_a_replica_scope(model: Any) -> None:
    with replica_reads():
        assert router.db_for_read(model) == "default"
        assert model.objects.all().db == "default"


@pytest.mark.parametrize("model", [Session, Staff])
def test_who_is_signed_in_is_read_from_the_primary(model: Any) -> None:
    with replica_reads():
        assert router.db_for_read(model) == "default"


def test_writes_and_select_for_update_go_to_the_primary() -> None:
    with replica_reads():
        assert router.db_for_write(Certification) == "default"
    with replica_reads():
        assert Retiree.objects.all().db == "replica"
        assert Retiree.objects.select_for_update().db == "default"
        # A locking read announces a write (Django routes it as one): the scope reads the primary after it.
        assert Retiree.objects.all().db == "default"


def test_after_a_write_the_scope_reads_its_own_writes_from_the_primary() -> None:
    with replica_reads():
        assert router.db_for_read(Retiree) == "replica"
        router.db_for_write(Certification)
        assert router.db_for_read(Retiree) == "default"
    with replica_reads():
        assert router.db_for_read(Retiree) == "replica"


def test_primary_reads_overrides_a_surrounding_replica_scope() -> None:
    @reads_primary
    def a_money_service() -> str:
        return Retiree.objects.all().db

    with replica_reads():
        with primary_reads():
            assert router.db_for_read(Retiree) == "default"
        assert a_money_service() == "default"
        assert router.db_for_read(Retiree) == "replica"


@REPLICA_TEST
def test_inside_transaction_atomic_reads_go_to_the_primary() -> None:
    with replica_reads():
        assert router.db_for_read(Retiree) == "replica"
        with transaction.atomic():
            assert router.db_for_read(Retiree) == "default"
            assert read_connection().alias == "default"
        assert router.db_for_read(Retiree) == "replica"


def test_migrations_run_on_the_primary_only() -> None:
    replica_router = ReplicaRouter()
    assert replica_router.allow_migrate("default", "registry", "retiree") is True
    assert replica_router.allow_migrate("replica", "registry", "retiree") is False


def test_without_a_replica_the_router_has_no_opinion(settings: Any) -> None:
    settings.DATABASES = {"default": settings.DATABASES["default"]}
    replica_router = ReplicaRouter()
    with replica_reads():
        assert replica_router.db_for_read(Retiree) is None
        assert replica_router.db_for_write(Retiree) is None
        assert router.db_for_read(Retiree) == "default"
        assert read_connection().alias == "default"


# --- the same rules seen from a request and a service -------------------------------------------------------


def statements(alias: str) -> CaptureQueriesContext:
    return CaptureQueriesContext(connections[alias])


@REPLICA_TEST
def test_a_page_marked_for_the_replica_reads_the_replica(county: County) -> None:
    client = signed_in(county.clerk)
    with statements("replica") as replica, statements("default") as default:
        response = client.get(reverse("certification-progress"))
    assert response.status_code == 200
    assert b'id="replica-note"' in response.content
    replica_sql = [query["sql"] for query in replica.captured_queries]
    # The kept counts per unit and the unit tree come from the replica …
    assert any("certification_certifiedcount" in sql for sql in replica_sql)
    assert any("registry_retireecount" in sql for sql in replica_sql)
    assert any('FROM "registry_orgunit"' in sql for sql in replica_sql)
    # … who is signed in from the primary, and nothing about the certifications or people from there.
    default_sql = [query["sql"] for query in default.captured_queries]
    assert any("django_session" in sql for sql in default_sql)
    assert not any("certification_certif" in sql or "registry_retiree" in sql for sql in default_sql)


@REPLICA_TEST
def test_the_audit_log_reads_the_replica(county: County) -> None:
    client = signed_in(county.auditor)
    with statements("replica") as replica:
        response = client.get(reverse("audit-log"))
    assert response.status_code == 200
    assert len(replica.captured_queries) > 0
    assert b'id="replica-note"' in response.content


@REPLICA_TEST
def test_a_page_not_marked_reads_the_primary_only(county: County) -> None:
    client = signed_in(county.clerk)
    with statements("replica") as replica, statements("default") as default:
        response = client.get(reverse("retiree-list"), {"q": "张建国"})
    assert response.status_code == 200
    assert "张建国" in response.content.decode()
    assert b'id="replica-note"' not in response.content
    assert replica.captured_queries == []
    assert any("registry_retiree" in query["sql"] for query in default.captured_queries)


@REPLICA_TEST
def test_a_post_to_a_marked_page_never_reads_the_replica(county: County) -> None:
    client = signed_in(county.clerk)
    with statements("replica") as replica:
        response = client.post(reverse("certification-progress"))
    assert response.status_code == 405
    assert replica.captured_queries == []


@REPLICA_TEST
def test_a_money_service_called_in_a_replica_scope_reads_the_primary(county: County) -> None:
    with statements("replica") as replica, statements("default") as default, replica_reads():
        plan = plan_draft(month=PensionMonth(2026, 8), by=county.clerk)
    assert replica.captured_queries == []
    default_sql = " ".join(query["sql"] for query in default.captured_queries)
    assert "registry_retiree" in default_sql and "pensions_payoutplan" in default_sql
    assert list(PayoutPlan.objects.values_list("pk", flat=True)) == [plan.pk]
