"""Remote residents (异地居住人员) of both townships for the remote batch tests
(tests/certification/test_remote.py and tests/browser/test_remote_forms.py): who is due in 2026 and who must
stay out."""

from __future__ import annotations

import datetime

import pytest

from certification.models import Certification
from certification.services import certify
from registry.models import Retiree
from tests.certification.campaigns import campaign_of
from tests.factories import EmployerFactory, RetireeFactory

REMOTE = Certification.Channel.REMOTE_ASSISTED


def remote(community, name, *, city="海口市", address="龙华区滨海大道1号", phone="13800000001", **extra):
    return RetireeFactory.create(
        name=name,
        community=community,
        residence=Retiree.Residence.REMOTE,
        remote_province="海南省",
        remote_city=city,
        remote_address=address,
        phone=phone,
        **extra,
    )


@pytest.fixture
def people(county):
    """Remote residents of both townships who are due, and everyone who must stay out of a 2026 batch; and the
    2026 campaign the admin made (a batch uses an existing campaign, never makes one)."""
    campaign_of(2026)
    employer = EmployerFactory.create(name="示范机械厂")
    due = {
        "active_a": remote(county.community_a1, "赵文华", employer=employer),
        "suspended_a": remote(county.community_a2, "钱玉兰", city="三亚市", status=Retiree.Status.SUSPENDED),
        "active_b": remote(
            county.community_b1, "孙志强", city="广州市", address="天河区体育西路2号", phone=""
        ),
        "certified_last_year": remote(county.community_a1, "周桂芳"),
    }
    out = {
        "certified": remote(county.community_a1, "吴国平"),
        "deceased": remote(
            county.community_a1, "郑秀珍", status=Retiree.Status.DECEASED, died_on=datetime.date(2026, 1, 5)
        ),
        "terminated": remote(county.community_b1, "冯建军", status=Retiree.Status.TERMINATED),
        "retired_this_year": remote(
            county.community_b1, "陈小红", retirement_date=datetime.date(2026, 1, 31)
        ),
        "local": county.retiree_a1,
    }
    certify(
        retiree=due["certified_last_year"],
        channel=REMOTE,
        certified_on=datetime.date(2025, 4, 20),
        by=county.clerk,
        certifying_office="海口市社保局",
    )
    certify(
        retiree=out["certified"],
        channel=REMOTE,
        certified_on=datetime.date(2026, 2, 20),
        by=county.clerk,
        certifying_office="海口市社保局",
    )
    return {"due": due, "out": out, "employer": employer}
