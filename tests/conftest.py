"""Shared personas (one county, townships A and B, and a staff member per role) and a real Celery worker.

Like healthchecks' alice/bob/charlie: tests speak of "the township A officer", not of a user with fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connections

from registry.models import OrgUnit, Retiree, Staff
from retiree_mgmt import celery_app
from tests.factories import OrgUnitFactory, RetireeFactory, StaffFactory

PASSWORD = "pass-Word-123"
DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None) -> Iterator[None]:
    """pytest-django's, then the mirror connections closed before the test database is dropped: the replica
    alias is a second session on it, which the DROP DATABASE would find still in use."""
    yield
    for connection in connections.all(initialized_only=True):
        if connection.settings_dict["TEST"]["MIRROR"]:
            connection.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every database test may use the "replica" alias (a mirror of the test database, settings/test.py): a
    page marked for the replica reads there when it runs outside a transaction (live server, worker tests),
    and Django refuses an alias a test did not declare."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None and not DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        if kwargs.get("databases") == "__all__":
            continue
        kwargs["databases"] = sorted({*(kwargs.get("databases") or ["default"]), "replica"})
        item.add_marker(pytest.mark.django_db(*(marker.args if marker else ()), **kwargs), append=False)


@dataclass
class County:
    county: OrgUnit
    township_a: OrgUnit
    township_b: OrgUnit
    community_a1: OrgUnit
    community_a2: OrgUnit
    community_b1: OrgUnit
    admin: Staff
    clerk: Staff
    reviewer: Staff
    auditor: Staff
    officer_a: Staff
    officer_b: Staff
    station_a1: Staff  # a community station's staff member: sees only community A1
    retiree_a1: Retiree
    retiree_a2: Retiree
    retiree_b1: Retiree

    def staff_by_role(self) -> dict[str, Staff]:
        return {
            "admin": self.admin,
            "clerk": self.clerk,
            "reviewer": self.reviewer,
            "auditor": self.auditor,
            "officer_a": self.officer_a,
            "officer_b": self.officer_b,
            "station_a1": self.station_a1,
        }


@pytest.fixture
def county(db: None) -> County:
    return make_county()


def make_county() -> County:
    """The personas, for a fixture of any scope (tests/retiree_mgmt/test_permissions_matrix.py builds them
    once per module)."""
    county = OrgUnitFactory.create(code="360721", name="示范县社保局", kind=OrgUnit.Kind.COUNTY)
    township_a = OrgUnitFactory.create(
        code="360721100", name="城关镇", kind=OrgUnit.Kind.TOWNSHIP, parent=county
    )
    township_b = OrgUnitFactory.create(
        code="360721101", name="梅林镇", kind=OrgUnit.Kind.TOWNSHIP, parent=county
    )
    community_a1 = OrgUnitFactory.create(code="360721100001", name="东街社区", parent=township_a)
    community_a2 = OrgUnitFactory.create(code="360721100002", name="西街社区", parent=township_a)
    community_b1 = OrgUnitFactory.create(code="360721101001", name="梅林村", parent=township_b)

    def staff(username: str, role: str, unit: OrgUnit, **extra: object) -> Staff:
        return StaffFactory.create(
            username=username, role=role, org_unit=unit, last_name=username[:1], **extra
        )

    return County(
        county=county,
        township_a=township_a,
        township_b=township_b,
        community_a1=community_a1,
        community_a2=community_a2,
        community_b1=community_b1,
        admin=staff("admin", Staff.Role.BUREAU_ADMIN, county, is_staff=True, is_superuser=True),
        clerk=staff("clerk", Staff.Role.BUREAU_CLERK, county),
        reviewer=staff("reviewer", Staff.Role.FINANCE_REVIEWER, county),
        auditor=staff("auditor", Staff.Role.AUDITOR, county),
        officer_a=staff("officer_a", Staff.Role.TOWNSHIP_STAFF, township_a),
        officer_b=staff("officer_b", Staff.Role.TOWNSHIP_STAFF, township_b),
        station_a1=staff("station_a1", Staff.Role.TOWNSHIP_STAFF, community_a1),
        retiree_a1=RetireeFactory.create(name="张建国", community=community_a1),
        retiree_a2=RetireeFactory.create(name="李秀兰", community=community_a2),
        retiree_b1=RetireeFactory.create(name="王德胜", community=community_b1),
    )


@pytest.fixture
def worker() -> Iterator[Any]:
    """A real Celery worker in this process, taking tasks from the test Redis database."""
    # The message must travel through the broker: an eager setting would run the task in this thread.
    assert celery_app.conf.task_always_eager is False
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL == settings.REDIS_URL
    # Messages left in the test queue by an interrupted run would be consumed first.
    celery_app.control.purge()
    # Every queue, as `-Q celery,payouts,imports,pdfs` in the Procfile: a task routed to a queue nobody
    # consumes would wait forever.
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, queues=list(settings.TASK_QUEUE_NAMES)
    ) as started:
        yield started
