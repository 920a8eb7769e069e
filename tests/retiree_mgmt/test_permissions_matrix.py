"""Every URL and API operation, for every role, against one table (tests/permissions_table.py).

The URLs come from the resolver, so a new URL without a line in the table fails here with its name, and a line
for a URL that no longer exists fails too. Each (URL, method, role) case asks once, with an empty body for a
write: the point is the gate (403/404/login before the body is read), not the write. One small county is
built once for the module inside a transaction; each case runs in a savepoint that is rolled back, so a write
a permitted role makes (an approval, a regeneration) is undone before the next role asks, and nothing is paid
twice across roles.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.parsers import JSONParser
from rest_framework.views import APIView

from benefits.models import BenefitParameter, DeathRegistration, SurvivorClaim
from benefits.services import death_registration_confirm, death_registration_record
from benefits.services.claims import ClaimApplicant, claim_prepare, claim_submit
from certification.models import (
    Campaign,
    Certification,
    CertificationImport,
    DeathMatch,
    RemoteBatch,
    RemoteBatchMember,
    SuspensionNotice,
)
from certification.services import certify, suspension_run
from certification.services.campaigns import campaign_create
from certification.services.remote import remote_batch_create
from pensions.errors import PlanError
from pensions.models import (
    AdjustmentComparison,
    AdjustmentNoticeBatch,
    AdjustmentParameters,
    AdjustmentRun,
    BankFile,
    OneOffBatch,
    OneOffPayment,
    PayoutLine,
    PayoutPlan,
    PlanJob,
    RecoveryClawback,
    RecoveryReferral,
    RecoveryRefund,
    RecoveryWriteOff,
    WriteOffRequest,
)
from pensions.selectors.adjustment_figures import run_figures
from pensions.services import (
    one_off_bank_files_export,
    one_off_batch_approve,
    one_off_batch_submit,
    one_off_funding_record,
    one_off_payment_add,
    plan_approve,
    plan_draft,
    plan_submit,
    write_off_request,
    write_off_request_approve,
)
from pensions.services.adjustments import adjustment_parameters_set
from registry.errors import ChangeRequestError
from registry.models import (
    Bank,
    ChangeRequest,
    ExportJob,
    FlagKind,
    ImportBatch,
    OrgUnit,
    Recovery,
    Retiree,
    RetireeFlag,
    Staff,
)
from registry.months import PensionMonth
from registry.services import change_request_approve, change_request_create
from tests.clients import signed_in
from tests.conftest import County, make_county
from tests.factories import (
    BankAccountFactory,
    BankFactory,
    PensionRateFactory,
    RetireeFactory,
    make_id_number,
)
from tests.pensions.adjustment_flow import published_values
from tests.pensions.conftest import recovery
from tests.pensions.payout_flow import exported_plan, set_profiles
from tests.permissions_table import (
    ANON,
    BODIES,
    EXCLUDED,
    HIDDEN,
    LOGIN,
    OK,
    ROLES,
    TABLE,
    markdown,
)

SH = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n% scan\n"
# A 1×1 PNG: the photo view serves whatever was stored.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
DEC = PensionMonth(2026, 12)
JAN = PensionMonth(2027, 1)


# The URLs the resolver knows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    callback: Any

    @property
    def api_class(self) -> type[APIView] | None:
        cls = getattr(self.callback, "cls", None)
        return cls if isinstance(cls, type) and issubclass(cls, APIView) else None

    def api_methods(self) -> set[str]:
        """The methods a DRF view answers (OPTIONS and HEAD come with every view and read nothing)."""
        cls = self.api_class
        assert cls is not None
        return {m.upper() for m in cls.http_method_names if m not in ("options", "head") and hasattr(cls, m)}


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else ""
            yield Route(name=name, route=prefix + str(pattern.pattern), callback=pattern.callback)


@functools.cache
def routes() -> list[Route]:
    return [
        route
        for route in walk(get_resolver().url_patterns)
        if not any(route.route.startswith(prefix) for prefix in EXCLUDED)
    ]


def table_names() -> dict[str, set[str]]:
    """URL name → the methods the table has a line for."""
    methods: dict[str, set[str]] = {}
    for key in TABLE:
        method, name = key.split(" ", 1)
        methods.setdefault(name, set()).add(method)
    return methods


def test_every_url_has_a_line_and_every_line_a_url() -> None:
    known = routes()
    lines = table_names()
    unnamed = sorted(route.route for route in known if not route.name)
    assert unnamed == [], f"URLs without a name cannot have a line in tests/permissions_table.py: {unnamed}"
    missing = sorted(f"{route.name} ({route.route})" for route in known if route.name not in lines)
    assert missing == [], f"URLs without a line in tests/permissions_table.py: {missing}"
    gone = sorted(set(lines) - {route.name for route in known})
    assert gone == [], f"lines in tests/permissions_table.py for URLs that no longer exist: {gone}"


def test_every_api_method_has_a_line() -> None:
    lines = table_names()
    wrong = {
        route.name: {"answers": sorted(route.api_methods()), "table": sorted(lines[route.name])}
        for route in routes()
        if route.api_class is not None and route.api_methods() != lines.get(route.name, set())
    }
    assert wrong == {}, f"API methods and table lines differ: {wrong}"


def test_every_line_names_every_role() -> None:
    short = sorted(key for key, row in TABLE.items() if len(row) not in (7, 8))
    assert short == [], (
        f"a line is (target, admin, clerk, reviewer, auditor, township, township_on_b[, anon]): {short}"
    )


def test_the_docs_show_the_table_as_it_is() -> None:
    page = (Path(settings.BASE_DIR) / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert markdown() in page, "docs/permissions.md: paste the output of `python -m tests.permissions_table`"


# The county every case asks about ---------------------------------------------------------------------------


@dataclass
class World:
    county: County
    plan: PayoutPlan  # exported, with bank files: the month a clerk and a reviewer have worked through
    submitted: PayoutPlan  # drafted and submitted by the clerk, waiting for approval
    draft: PayoutPlan  # drafted by the admin
    bank_file: BankFile
    line: PayoutLine
    changes: dict[str, ChangeRequest]
    recoveries: dict[str, Recovery]
    write_offs: dict[str, WriteOffRequest]  # pending, asked for by the clerk who recorded the recovery
    deaths: dict[str, DeathMatch]
    registrations: dict[str, DeathRegistration]  # pending, recorded by the clerk with a scan
    members: dict[str, RemoteBatchMember]
    notices: dict[str, SuspensionNotice]
    batch: RemoteBatch
    registry_import: ImportBatch
    certification_import: CertificationImport
    one_off: OneOffBatch  # September's one-off batch worked through to its bank file
    one_off_submitted: OneOffBatch  # October's, submitted by the clerk
    one_off_file: BankFile
    claims: dict[str, SurvivorClaim]  # submitted by the clerk, of a confirmed death in each township
    # Recovery follow-up (docs/recoveries.md): a refund (its receipt), a claw-back request and a referral of
    # each side's recovery.
    refunds: dict[str, RecoveryRefund] = field(default_factory=dict)
    clawbacks: dict[str, RecoveryClawback] = field(default_factory=dict)
    referrals: dict[str, RecoveryReferral] = field(default_factory=dict)
    # The annual adjustment (docs/annual-adjustment.md): 2026's run, prepared by the clerk and submitted.
    adjustment_run: AdjustmentRun | None = None
    # The annual adjustment: an applied run (no lines needed for its pages) and a township's notices file.
    applied_run: AdjustmentRun | None = None
    adjustment_notice: AdjustmentNoticeBatch | None = None
    # A dry run's comparison with the province's result file (docs/adjustment-province-file.md), done.
    adjustment_comparison: AdjustmentComparison | None = None
    # A county flag (人员标记, docs/flags.md) and each side's person carrying it, set by the clerk.
    flag_kind: FlagKind | None = None
    flags: dict[str, RetireeFlag] = field(default_factory=dict)
    # A finished background export of the retiree list, asked for by the clerk (docs/exports.md).
    export_job: ExportJob | None = None
    # A finished drafting job of the admin's draft plan (pensions.services.plan_jobs).
    plan_job: PlanJob | None = None

    def kwargs(self, target: str, side: str) -> dict[str, Any]:
        """The URL's arguments for `target`, township A's object or township B's (side "a" or "b")."""
        c = self.county
        retiree = c.retiree_a1 if side == "a" else c.retiree_b1
        match target:
            case "-":
                return {}
            case "retiree":
                return {"pk": retiree.pk}
            case "reveal":
                return {"pk": retiree.pk, "field": "id_number"}
            case "change":
                return {"pk": self.changes[side].pk}
            case "import":
                return {"pk": self.registry_import.pk}
            case "plan":
                return {"pk": self.plan.pk}
            case "submitted":
                return {"pk": self.submitted.pk}
            case "draft":
                return {"pk": self.draft.pk}
            case "bank_file":
                return {"pk": self.bank_file.pk}
            case "line":
                return {"pk": self.line.pk}
            case "one_off":
                return {"pk": self.one_off.pk}
            case "one_off_submitted":
                return {"pk": self.one_off_submitted.pk}
            case "one_off_file":
                return {"pk": self.one_off_file.pk}
            case "one_off_payment":
                return {"pk": self.one_off.payments.get().pk}
            case "recovery":
                return {"pk": self.recoveries[side].pk}
            case "write_off":
                return {"pk": self.write_offs[side].pk}
            case "refund":
                return {"pk": self.refunds[side].pk}
            case "clawback":
                return {"pk": self.clawbacks[side].pk}
            case "referral":
                return {"pk": self.referrals[side].pk}
            case "batch":
                return {"pk": self.batch.pk}
            case "upload":
                return {"pk": self.batch.pk, "fmt": "xlsx"}
            case "member":
                return {"pk": self.batch.pk, "member_pk": self.members[side].pk}
            case "cert_import":
                return {"pk": self.certification_import.pk}
            case "kind":
                return {"kind": CertificationImport.Kind.ONLINE}
            case "death":
                return {"pk": self.deaths[side].pk}
            case "registration":
                return {"pk": self.registrations[side].pk}
            case "death_document":
                return {"pk": self.registrations[side].pk, "field": "cremation_certificate"}
            case "year":
                return {"year": 2026}
            case "notice":
                return {"pk": self.notices[side].pk}
            case "claim":
                return {"pk": self.claims[side].pk}
            case "adj_run":
                assert self.applied_run is not None
                return {"pk": self.applied_run.pk}
            case "adj_notice":
                assert self.adjustment_notice is not None
                return {"pk": self.adjustment_notice.pk}
            case "claim_document":
                return {"pk": self.claims[side].pk, "document": "relation-proof"}
            case "claim_registration":
                return {"pk": self.claims[side].registration_id}
            case "adjustment_run":
                assert self.adjustment_run is not None
                return {"pk": self.adjustment_run.pk}
            case "adjustment_comparison":
                assert self.adjustment_comparison is not None
                return {"pk": self.adjustment_comparison.pk}
            case "flag_kind":
                assert self.flag_kind is not None
                return {"pk": self.flag_kind.pk}
            case "flag":
                return {"pk": retiree.pk, "flag_pk": self.flags[side].pk}
            case "export_job":
                assert self.export_job is not None
                return {"pk": self.export_job.pk}
            case "plan_job":
                assert self.plan_job is not None
                return {"pk": self.plan_job.pk}
            case "unit":  # a query, not a path argument: the progress of a township
                township = c.township_a if side == "a" else c.township_b
                return {"?": {"year": 2026, "unit": township.pk}}
        raise AssertionError(f"unknown target {target!r} in tests/permissions_table.py")


def at(year: int, month: int, day: int) -> time_machine.travel:
    return time_machine.travel(datetime.datetime(year, month, day, 10, 0, tzinfo=SH), tick=False)


def build_world() -> World:
    c = make_county()
    psbc = BankFactory.create(code="PSBC", name="中国邮政储蓄银行")
    banks = {"psbc": psbc}
    set_profiles(banks, {"psbc": "psbc"})
    for retiree, number in ((c.retiree_a1, "2018-0001"), (c.retiree_b1, "2018-0002")):
        PensionRateFactory.create(retiree=retiree)
        BankAccountFactory.create(retiree=retiree, bank=psbc)
        retiree.certificate_number = number
        retiree.photo.save(f"{number}.png", ContentFile(PNG), save=False)
        retiree.save(update_fields=["certificate_number", "photo"])

    # Remote residents of both townships, in this year's batch (made in March, its forms rendered).
    remote = {
        side: RetireeFactory.create(
            name=name,
            community=community,
            residence=Retiree.Residence.REMOTE,
            remote_province="海南省",
            remote_city="海口市",
            remote_address="龙华区滨海大道1号",
        )
        for side, name, community in (("a", "赵文华", c.community_a1), ("b", "孙志强", c.community_b1))
    }
    # The year's campaign, made as the admin makes it (the other services only read it).
    with at(2026, 1, 5):
        campaign_create(year=2026, by=c.admin)
    batch = remote_batch_create(year=2026, by=c.clerk, today=datetime.date(2026, 3, 10))
    batch.status = RemoteBatch.Status.READY
    batch.forms_pdf.save("forms.pdf", ContentFile(PDF), save=False)
    batch.save(update_fields=["status", "forms_pdf"])
    members = {side: batch.members.get(retiree=retiree) for side, retiree in remote.items()}

    # Both personas certified in May; the August run suspends only those who did not certify.
    with at(2026, 5, 6):
        certify(retiree=c.retiree_a1, channel=Certification.Channel.IN_PERSON, by=c.officer_a,
                certified_on=datetime.date(2026, 5, 6))  # fmt: skip
        certify(retiree=c.retiree_b1, channel=Certification.Channel.IN_PERSON, by=c.officer_b,
                certified_on=datetime.date(2026, 5, 6))  # fmt: skip

    # November worked through to the bank files; December waiting for approval; January a draft.
    plan, files = exported_plan(c, banks)
    with at(2026, 11, 25):
        submitted = plan_draft(month=DEC, by=c.clerk)
        plan_submit(plan=submitted, by=c.clerk)
    with at(2026, 12, 10):
        draft = plan_draft(month=JAN, by=c.admin)

    run = suspension_run(year=2026, today=datetime.date(2026, 8, 1))
    notices = {
        side: SuspensionNotice.objects.create(
            run=run, township=township, notice_count=1, pdf=ContentFile(PDF, name=f"notices-{side}.pdf")
        )
        for side, township in (("a", c.township_a), ("b", c.township_b))
    }

    changes = {
        side: change_request_create(
            retiree=retiree,
            field=ChangeRequest.Field.CONTACT,
            new_value={"phone": "13900000001", "address": "城关镇东街1号"},
            reason="本人来电更正",
            document=SimpleUploadedFile("scan.pdf", PDF, "application/pdf"),
            by=c.clerk,
        )
        for side, retiree in (("a", c.retiree_a1), ("b", c.retiree_b1))
    }
    recoveries = {
        side: recovery(retiree, "300.00", c.clerk)
        for side, retiree in (("a", c.retiree_a1), ("b", c.retiree_b1))
    }
    write_offs = {
        side: write_off_request(recovery=item, reason="家属无力偿还", by=c.clerk)
        for side, item in recoveries.items()
    }
    deaths_import = CertificationImport.objects.create(
        kind=CertificationImport.Kind.DEATHS,
        year=2026,
        file=ContentFile(b"id,name\n", name="deaths.csv"),
        original_name="deaths.csv",
        uploaded_by=c.clerk,
    )
    deaths = {
        side: DeathMatch.objects.create(
            source_import=deaths_import, retiree=retiree, reported_name=retiree.name
        )
        for side, retiree in (("a", c.retiree_a2), ("b", c.retiree_b1))
    }
    registrations = {
        side: death_registration_record(
            retiree=retiree,
            died_on=datetime.date(2026, 11, 28),
            documents={"cremation_certificate": SimpleUploadedFile("cremation.pdf", PDF, "application/pdf")},
            by=c.clerk,
        )
        for side, retiree in (("a", c.retiree_a2), ("b", c.retiree_b1))
    }
    certification_import = CertificationImport.objects.create(
        kind=CertificationImport.Kind.ONLINE,
        year=2026,
        file=ContentFile(b"id,name\n", name="online.csv"),
        original_name="online.csv",
        uploaded_by=c.clerk,
    )
    registry_import = ImportBatch.objects.create(
        file=ContentFile(b"PK", name="retirees.xlsx"),
        original_name="retirees.xlsx",
        rejected_file=ContentFile(b"PK", name="retirees-rejected.xlsx"),
        uploaded_by=c.clerk,
    )
    bank_file = files["psbc"]
    follow_up = _recovery_follow_up(c, recoveries, psbc)
    one_off, one_off_submitted, one_off_file = one_off_batches(c, psbc)
    # The year's adjustment parameters, as the admin enters them (the "year" target is 2026).
    adjustment_parameters_set(year=2026, values=published_values(), by=c.admin)
    claims = {
        side: submitted_claim(c, psbc, community)
        for side, community in (("a", c.community_a1), ("b", c.community_b1))
    }
    flag_kind = FlagKind.objects.create(code="senior_title", name="高级职称")
    flags = {
        side: RetireeFlag.objects.create(
            retiree=retiree, kind=flag_kind, note="证书", added_by=c.clerk, added_at=timezone.now()
        )
        for side, retiree in (("a", c.retiree_a1), ("b", c.retiree_b1))
    }
    return World(
        county=c,
        plan=plan,
        submitted=submitted,
        draft=draft,
        bank_file=bank_file,
        line=PayoutLine.objects.filter(plan=plan).order_by("pk").first() or pytest.fail("no payout line"),
        changes=changes,
        recoveries=recoveries,
        write_offs=write_offs,
        deaths=deaths,
        registrations=registrations,
        members=members,
        notices=notices,
        batch=batch,
        registry_import=registry_import,
        certification_import=certification_import,
        one_off=one_off,
        one_off_submitted=one_off_submitted,
        one_off_file=one_off_file,
        claims=claims,
        flag_kind=flag_kind,
        flags=flags,
        **follow_up,
        adjustment_run=_adjustment_run(c),
        adjustment_comparison=_adjustment_comparison(c),
        **adjustment_notices(c),
        export_job=_export_job(c),
        plan_job=_plan_job(c, draft),
    )


def _export_job(c: County) -> ExportJob:
    """The clerk's retiree list, made by the worker and masked (the download records nothing)."""
    now = timezone.now()
    return ExportJob.objects.create(
        kind="registry.retiree_list",
        label="退休人员名单",
        requested_by=c.clerk,
        created_at=now,
        finished_at=now,
        status=ExportJob.Status.DONE,
        progress=100,
        row_count=0,
        file=ContentFile(b"PK", name="export-matrix.xlsx"),
        filename="退休人员名单.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _plan_job(c: County, draft: PayoutPlan) -> PlanJob:
    now = timezone.now()
    return PlanJob.objects.create(
        kind=PlanJob.Kind.DRAFT,
        month=draft.month,
        plan=draft,
        status=PlanJob.Status.DONE,
        progress=100,
        result={"line_count": draft.line_count},
        requested_by=c.admin,
        requested_at=now,
        finished_at=now,
    )


def _adjustment_comparison(c: County) -> AdjustmentComparison:
    """A 2026 run (rejected: no open run of the year is held up by it) and a finished comparison of it,
    written as the services leave them (tests/pensions/test_adjustment_comparisons.py runs them)."""
    now = datetime.datetime(2026, 7, 3, 10, 0, tzinfo=SH)
    parameters = AdjustmentParameters.objects.create(
        year=2026,
        effective_month=202601,  # January 2026, stored as yyyymm
        retired_by=datetime.date(2025, 12, 31),
        flat_amount=Decimal("50.00"),
        set_by=c.admin,
        set_at=now,
    )
    run = AdjustmentRun.objects.create(
        parameters=parameters,
        year=2026,
        status=AdjustmentRun.Status.REJECTED,
        prepared_by=c.clerk,
        prepared_at=now,
        computed_at=now,
    )
    return AdjustmentComparison.objects.create(
        run=run,
        file=ContentFile("身份证号码,月增加额\n".encode(), name="province.csv"),
        original_name="province.csv",
        status=AdjustmentComparison.Status.DONE,
        progress=100,
        uploaded_by=c.clerk,
        uploaded_at=now,
    )


def _adjustment_run(c: County) -> AdjustmentRun:
    """2026's parameters set by the admin and a run the clerk prepared and submitted, written as the services
    leave it (tests/pensions/test_adjustment*.py run them): the moves answer for each role."""
    with at(2026, 6, 20):
        parameters = adjustment_parameters_set(year=2026, values=published_values(), by=c.admin)
    now = datetime.datetime(2026, 7, 3, 10, 0, tzinfo=SH)
    run = AdjustmentRun.objects.create(
        parameters=parameters,
        year=2026,
        status=AdjustmentRun.Status.SUBMITTED,
        prepared_by=c.clerk,
        prepared_at=now,
        computed_at=now,
        submitted_at=now,
        progress=100,
    )
    run.figures = run_figures(run)  # a run without lines: every figure zero
    run.save(update_fields=["figures"])
    return run


def adjustment_notices(c: County) -> dict[str, Any]:
    """An applied adjustment run of 2026 and township A's notices file, written as the services leave them
    (tests/pensions/test_adjustment_notices.py runs the services)."""
    now = datetime.datetime(2026, 7, 3, 10, 0, tzinfo=SH)
    parameters = AdjustmentParameters.objects.create(
        year=2026,
        effective_month=202601,  # PensionMonthField stores yyyymm
        retired_by=datetime.date(2025, 12, 31),
        flat_amount=Decimal("50.00"),
        set_by=c.admin,
        set_at=now,
    )
    run = AdjustmentRun.objects.create(
        parameters=parameters,
        year=2026,
        status=AdjustmentRun.Status.APPLIED,
        prepared_by=c.clerk,
        prepared_at=now,
        computed_at=now,
        approved_by=c.reviewer,
        approved_at=now,
        applied_by=c.clerk,
        applied_at=now,
    )
    notice = AdjustmentNoticeBatch(
        run=run,
        township=c.township_a,
        status=AdjustmentNoticeBatch.Status.DONE,
        progress=100,
        people=1,
        requested_by=c.clerk,
        requested_at=now,
        finished_at=now,
    )
    notice.file.save("adjustment-notices-world.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    notice.save()
    return {"applied_run": run, "adjustment_notice": notice}


def _recovery_follow_up(c: County, recoveries: dict[str, Recovery], bank: Any) -> dict[str, Any]:
    """A refund, a claw-back request and a referral of each side's recovery, written as the services leave
    them (the services' own tests run them)."""
    now = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=SH)
    refunds, clawbacks, referrals = {}, {}, {}
    for side, item in recoveries.items():
        refunds[side] = RecoveryRefund.objects.create(
            recovery=item,
            amount=Decimal("10.00"),
            reference=f"SJ-{side}",
            paid_on=now.date(),
            by=c.clerk,
            at=now,
        )
        clawbacks[side] = RecoveryClawback.objects.create(
            recovery=item,
            bank=bank,
            account_number="6221000000000000123",
            requested_amount=Decimal("100.00"),
            requested_by=c.clerk,
            requested_at=now,
        )
        referrals[side] = RecoveryReferral.objects.create(
            recovery=item, agency="某县人民法院", referred_on=now.date(), by=c.clerk, at=now
        )
    return {"refunds": refunds, "clawbacks": clawbacks, "referrals": referrals}


def one_off_batches(c: County, bank: Bank) -> tuple[OneOffBatch, OneOffBatch, BankFile]:
    """September's one-off batch worked through to its bank file, and October's submitted by the clerk."""

    def add(source_id: int) -> OneOffBatch:
        return one_off_payment_add(
            kind=OneOffPayment.Kind.DEATH_CLAIM,
            source_id=source_id,
            retiree=c.retiree_a2,
            payee_name="王小红",
            payee_id_number=make_id_number(datetime.date(1965, 1, 1)),
            bank=bank,
            account_number="6221880000000123",
            holder_name="王小红",
            amount=Decimal("12000.00"),
            by=c.reviewer,
        ).batch

    with at(2026, 9, 5):
        done = add(1)
        one_off_batch_submit(batch=done, by=c.clerk)
        one_off_batch_approve(batch=done, by=c.reviewer)
        one_off_funding_record(
            batch=done,
            bank=bank,
            amount=Decimal("12000.00"),
            reference_number="CZ-ONE-OFF",
            transferred_on=datetime.date(2026, 9, 5),
            by=c.reviewer,
        )
        (bank_file,) = one_off_bank_files_export(batch=done, by=c.clerk)
    with at(2026, 10, 5):
        waiting = add(2)
        one_off_batch_submit(batch=waiting, by=c.clerk)
    return done, waiting, bank_file


def submitted_claim(c: County, bank: Bank, community: OrgUnit) -> SurvivorClaim:
    """A death recorded by the clerk and confirmed by the reviewer through the death services, and its
    family's claim, prepared and submitted by the clerk."""
    retiree = RetireeFactory.create(community=community)
    recorded = death_registration_record(retiree=retiree, died_on=datetime.date(2026, 9, 20), by=c.clerk)
    registration = death_registration_confirm(registration=recorded, by=c.reviewer)
    now = timezone.now()
    kind = BenefitParameter.Kind
    parameters = (
        (kind.FUNERAL_ALLOWANCE, 2026, "4000.00"),
        (kind.COMPENSATION_MONTHS, 2026, "10"),
        (kind.PUBLISHED_AVERAGE, 2025, "3200.00"),
    )
    for key, year, value in parameters:
        if not BenefitParameter.objects.filter(kind=key, year=year).exists():
            BenefitParameter.objects.create(
                kind=key, year=year, value=Decimal(value), set_by=c.admin, set_at=now
            )
    claim = claim_prepare(
        registration=registration,
        applicant=ClaimApplicant(
            name="家属",
            relation="子女",
            id_number=make_id_number(datetime.date(1970, 1, 2)),
            phone="13900000002",
            bank_id=bank.pk,
            account_number="6217000000000001",
            holder_name="家属",
        ),  # fmt: skip
        applicant_id_copy=SimpleUploadedFile("id.pdf", PDF, "application/pdf"),
        relation_proof=SimpleUploadedFile("proof.pdf", PDF, "application/pdf"),
        by=c.clerk,
    )
    return claim_submit(claim=claim, by=c.clerk)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    """Built once, inside a transaction that is rolled back after the module (as TestCase.setUpTestData)."""
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=media, BUREAU_PHONE="0797-6321234"), django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# One case per (URL, method, role) ---------------------------------------------------------------------------


def staff_of(world: World, role: str) -> Staff | None:
    c = world.county
    return {
        "admin": c.admin,
        "clerk": c.clerk,
        "reviewer": c.reviewer,
        "auditor": c.auditor,
        "township": c.officer_a,
        "township_on_b": c.officer_a,
        "anonymous": None,
    }[role]


def expected(key: str, role: str, *, is_api: bool) -> str | None:
    row = TABLE[key]
    cells = row[1:]
    if role == "anonymous":
        if len(cells) == 7:
            return str(cells[6])
        return ANON if is_api else LOGIN
    cell = cells[ROLES.index(role)]
    return None if cell is None else str(cell)


def is_login_redirect(response: HttpResponseBase) -> bool:
    location = response.get("Location", "")
    return response.status_code == 302 and location.startswith(resolve_url(settings.LOGIN_URL) + "?next=")


def matches(outcome: str, response: HttpResponseBase) -> bool:
    code = response.status_code
    if outcome == OK:
        return 200 <= code < 300 or code == 400 or (300 <= code < 400 and not is_login_redirect(response))
    if outcome == LOGIN:
        return is_login_redirect(response)
    if outcome in (ANON, HIDDEN):
        return str(code) in outcome.split("|")
    return str(code) == outcome


def close(response: HttpResponseBase) -> None:
    """Close a (file) response. Closing sends request_finished, whose connection check would close the
    module's transaction: the test client disconnects it around its own requests in the same way."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def takes_json(view: type[APIView]) -> bool:
    """Upload endpoints read multipart only: an empty JSON body would be refused for its type, not its
    content."""
    return any(issubclass(parser, JSONParser) for parser in view.parser_classes)


def ask(world: World, key: str, role: str) -> tuple[str, HttpResponseBase]:
    method, name = key.split(" ", 1)
    route = next(r for r in routes() if r.name == name)
    side = "b" if role == "township_on_b" else "a"
    kwargs = world.kwargs(str(TABLE[key][0]), side)
    query = kwargs.pop("?", None)
    url = reverse(name, kwargs=kwargs) + (f"?{urlencode(query)}" if query else "")
    client = Client()
    staff = staff_of(world, role)
    if staff is not None:
        client.force_login(staff)
    if method == "GET":
        response = client.get(url)
    elif route.api_class is not None and takes_json(route.api_class):
        body = json.dumps(BODIES.get(key, {}))
        response = client.generic(method, url, data=body, content_type="application/json")
    else:  # a page's form, or an upload endpoint's multipart body
        response = client.generic(method, url) if method != "POST" else client.post(url, BODIES.get(key, {}))
    close(response)
    return url, response


def cases() -> list[Any]:
    api = {route.name for route in routes() if route.api_class is not None}
    params = []
    for key in TABLE:
        name = key.split(" ", 1)[1]
        for role in ROLES:
            if expected(key, role, is_api=name in api) is None:
                continue
            params.append(pytest.param(key, role, id=f"{key}-{role}"))
    return params


def check(world: World, key: str, role: str) -> None:
    name = key.split(" ", 1)[1]
    is_api = any(r.name == name and r.api_class is not None for r in routes())
    outcome = expected(key, role, is_api=is_api)
    assert outcome is not None
    url, response = ask(world, key, role)
    location = response.get("Location", "")
    assert matches(outcome, response), (
        f"{key} as {role}: expected {outcome}, got {response.status_code} {location} ({url})"
    )


@pytest.mark.parametrize(("key", "role"), cases())
def test_the_role_gets_what_the_table_says(world: World, db: None, key: str, role: str) -> None:
    check(world, key, role)


def undeclared_page_methods() -> list[Any]:
    """GET and POST of a page view that the table has no line for: the view must refuse them (405), so a page
    that starts to accept a write cannot do so without a line saying who may."""
    lines = table_names()
    return [
        pytest.param(route.name, method, id=f"{method} {route.name}")
        for route in routes()
        if route.api_class is None and route.name in lines
        for method in ("GET", "POST")
        if method not in lines[route.name]
    ]


@pytest.mark.parametrize(("name", "method"), undeclared_page_methods())
def test_a_page_refuses_a_method_without_a_line(world: World, db: None, name: str, method: str) -> None:
    key = next(key for key in TABLE if key.endswith(f" {name}"))
    kwargs = world.kwargs(str(TABLE[key][0]), "a")
    query = kwargs.pop("?", None)
    url = reverse(name, kwargs=kwargs) + (f"?{urlencode(query)}" if query else "")
    client = signed_in(world.county.admin)
    response = client.get(url) if method == "GET" else client.post(url)
    close(response)
    assert response.status_code == 405, f"{method} {name} answers {response.status_code}: add a line"


# The Django admin site --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "clerk", "reviewer", "auditor", "township", "anonymous"])
def test_only_the_bureau_admin_enters_the_admin_site(world: World, db: None, role: str) -> None:
    client = Client()
    staff = staff_of(world, role)
    if staff is not None:
        client.force_login(staff)
    response = client.get(reverse("admin:index"))
    if role == "admin":
        assert response.status_code == 200
    else:
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


# Four eyes: whoever prepared a money-moving or approval step never approves it ------------------------------
# Each refusal is followed by a third person doing the same with the same body, so the refusal is about who
# asks, not about a stale or incomplete form.


def plan_state(plan: PayoutPlan) -> tuple[str, int | None]:
    plan.refresh_from_db()
    return plan.status, plan.approved_by_id


def approve(staff: Staff, plan: PayoutPlan, *, api: bool) -> HttpResponseBase:
    """What the approval dialog (page) or a script (API) sends for the plan as it is now."""
    plan.refresh_from_db()
    client = signed_in(staff)
    # Page and API send the same three figures the approver saw (one check, docs/approvals.md).
    body = {
        "line_count": str(plan.line_count),
        "net_total": str(plan.net_total),
        "generated_at": plan.generated_at.isoformat(),
    }
    if api:
        return client.post(
            reverse("api-payout-plan-approve", args=[plan.pk]), body, content_type="application/json"
        )
    return client.post(reverse("payout-plan-approve", args=[plan.pk]), body)


def assert_refused_then_a_reviewer_approves(world: World, plan: PayoutPlan, *, api: bool) -> None:
    refused = approve(world.county.admin, plan, api=api)
    assert refused.status_code in (400, 403)
    assert plan_state(plan) == (PayoutPlan.Status.SUBMITTED, None)

    approved = approve(world.county.reviewer, plan, api=api)
    assert approved.status_code == (200 if api else 302)
    assert plan_state(plan) == (PayoutPlan.Status.APPROVED, world.county.reviewer.pk)


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_the_admin_who_drafted_and_submitted_a_plan_cannot_approve_it(
    world: World, db: None, api: bool
) -> None:
    with at(2026, 12, 11):
        plan_submit(plan=world.draft, by=world.county.admin)

    assert_refused_then_a_reviewer_approves(world, world.draft, api=api)


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_the_admin_who_drafted_a_plan_a_clerk_submitted_cannot_approve_it(
    world: World, db: None, api: bool
) -> None:
    """Preparer ≠ approver: drafted by 1, submitted by 2, approved by 1 is refused (docs/approvals.md)."""
    with at(2026, 12, 11):
        plan_submit(plan=world.draft, by=world.county.clerk)

    assert_refused_then_a_reviewer_approves(world, world.draft, api=api)


def test_the_service_refuses_the_drafter_too(world: World, db: None) -> None:
    """The same one level down: the service, whichever page or API calls it."""
    with at(2026, 12, 11):
        plan_submit(plan=world.draft, by=world.county.clerk)
    with pytest.raises((PlanError, PermissionDenied)):
        plan_approve(plan=world.draft, by=world.county.admin)
    assert plan_state(world.draft) == (PayoutPlan.Status.SUBMITTED, None)


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_the_admin_who_asked_for_a_change_cannot_approve_it(world: World, db: None, api: bool) -> None:
    c = world.county
    change = change_request_create(
        retiree=c.retiree_a2,
        field=ChangeRequest.Field.CONTACT,
        new_value={"phone": "13900000002", "address": "城关镇西街2号"},
        reason="本人来电更正",
        document=SimpleUploadedFile("scan.pdf", PDF, "application/pdf"),
        by=c.admin,
    )

    def decide(staff: Staff) -> HttpResponseBase:
        if api:
            url = reverse("api-change-request-approve", args=[change.pk])
            return signed_in(staff).post(url, {}, content_type="application/json")
        return signed_in(staff).post(
            reverse("change-request-detail", args=[change.pk]), {"decision": "approve"}
        )

    assert decide(c.admin).status_code in (400, 403)
    change.refresh_from_db()
    assert (change.status, change.decided_by_id) == (ChangeRequest.Status.PENDING, None)
    assert Retiree.objects.get(pk=c.retiree_a2.pk).phone != "13900000002"
    with pytest.raises((ChangeRequestError, PermissionDenied)):
        change_request_approve(change_request=change, by=c.admin, comment="")

    assert decide(c.reviewer).status_code == (200 if api else 302)
    change.refresh_from_db()
    assert (change.status, change.decided_by_id) == (ChangeRequest.Status.APPROVED, c.reviewer.pk)
    assert Retiree.objects.get(pk=c.retiree_a2.pk).phone == "13900000002"


def decide_write_off(
    staff: Staff, asked: WriteOffRequest, *, api: bool, decision: str = "approve", balance: str = "120.00"
) -> HttpResponseBase:
    """Approve (with the balance the dialog showed) or reject (with a note) a write-off request."""
    body = {"expected_balance": balance} if decision == "approve" else {"note": "不同意核销"}
    if api:
        url = reverse(f"api-write-off-request-{decision}", args=[asked.pk])
        return signed_in(staff).post(url, body, content_type="application/json")
    return signed_in(staff).post(reverse(f"payout-write-off-{decision}", args=[asked.pk]), body)


def write_off_state(own: Recovery) -> tuple[str, list[tuple[str, int | None]], list[int]]:
    own.refresh_from_db()
    requests: list[tuple[str, int | None]] = list(
        WriteOffRequest.objects.filter(recovery=own).order_by("id").values_list("status", "decided_by_id")
    )
    return (
        own.status,
        requests,
        list(RecoveryWriteOff.objects.filter(recovery=own).values_list("by_id", flat=True)),
    )


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_the_admin_who_recorded_a_recovery_cannot_write_it_off(world: World, db: None, api: bool) -> None:
    """Recorded by the admin, asked for by the clerk: the admin may neither approve nor reject; a third
    person (the reviewer) approves."""
    c = world.county
    own = recovery(c.retiree_a2, "120.00", c.admin)
    asked = write_off_request(recovery=own, reason="无法追回", by=c.clerk)

    for decision in ("approve", "reject"):
        assert decide_write_off(c.admin, asked, api=api, decision=decision).status_code in (400, 403)
    assert write_off_state(own) == (Recovery.Status.OPEN, [("pending", None)], [])

    assert decide_write_off(c.reviewer, asked, api=api).status_code == (201 if api else 302)
    assert write_off_state(own) == (
        Recovery.Status.WRITTEN_OFF,
        [("approved", c.reviewer.pk)],
        [c.reviewer.pk],
    )


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_the_admin_who_asked_for_a_write_off_cannot_approve_it(world: World, db: None, api: bool) -> None:
    """Recorded by the clerk, asked for by the admin: the admin may not decide their own request (page, API,
    service); the reviewer approves."""
    c = world.county
    own = recovery(c.retiree_a2, "120.00", c.clerk)
    body = {"reason": "无法追回"}
    if api:
        url = reverse("api-recovery-write-off-request", args=[own.pk])
        made = signed_in(c.admin).post(url, body, content_type="application/json")
        assert made.status_code == 201
    else:
        made = signed_in(c.admin).post(reverse("payout-recovery-write-off-request", args=[own.pk]), body)
        assert made.status_code == 302
    asked = WriteOffRequest.objects.get(recovery=own)
    assert asked.requested_by_id == c.admin.pk

    for decision in ("approve", "reject"):
        assert decide_write_off(c.admin, asked, api=api, decision=decision).status_code in (400, 403)
    with pytest.raises((PlanError, PermissionDenied)):
        write_off_request_approve(request=asked, by=c.admin, expected_balance=Decimal("120.00"))
    assert write_off_state(own) == (Recovery.Status.OPEN, [("pending", None)], [])

    assert decide_write_off(c.reviewer, asked, api=api).status_code == (201 if api else 302)
    assert write_off_state(own) == (
        Recovery.Status.WRITTEN_OFF,
        [("approved", c.reviewer.pk)],
        [c.reviewer.pk],
    )


def test_the_world_is_what_the_cases_assume(world: World, db: None) -> None:
    """The objects the table's targets point at are in the states the rows were written for."""
    assert plan_state(world.plan)[0] == PayoutPlan.Status.EXPORTED
    assert plan_state(world.submitted) == (PayoutPlan.Status.SUBMITTED, None)
    assert plan_state(world.draft) == (PayoutPlan.Status.DRAFT, None)
    assert world.draft.created_by_id == world.county.admin.pk
    assert Campaign.objects.filter(year=2026).exists()
    assert world.batch.member_count == 2
