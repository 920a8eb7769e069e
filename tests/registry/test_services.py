import datetime
from decimal import Decimal

import pghistory.models
import pytest
from django.db import IntegrityError, InternalError, transaction

from registry.errors import StaffError, StatusChangeError
from registry.models import BankAccount, PensionRate, RegistrySnapshot, Retiree, Staff, StatusChange
from registry.months import PensionMonth
from registry.services import registry_snapshot_take, retiree_change_status, staff_create
from tests.factories import BankAccountFactory, PensionRateFactory, RetireeFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 8, 1)


class TestStatusChange:
    def test_suspending_records_who_when_and_why(self, county):
        retiree = county.retiree_a1

        change = retiree_change_status(
            retiree=retiree, to_status="suspended", effective_date=DAY, reason="未认证", by=county.clerk
        )

        retiree.refresh_from_db()
        assert retiree.status == Retiree.Status.SUSPENDED
        assert (change.from_status, change.to_status, change.effective_date) == ("active", "suspended", DAY)
        assert (change.reason, change.actor) == ("未认证", county.clerk)

    def test_death_sets_the_date_of_death(self, county):
        retiree_change_status(
            retiree=county.retiree_a1,
            to_status="deceased",
            effective_date=DAY,
            reason="火化证明",
            by=county.clerk,
        )

        county.retiree_a1.refresh_from_db()
        assert county.retiree_a1.died_on == DAY

    def test_a_deceased_person_cannot_be_made_active_and_nothing_is_written(self, county):
        retiree_change_status(
            retiree=county.retiree_a1,
            to_status="deceased",
            effective_date=DAY,
            reason="死亡",
            by=county.clerk,
        )

        with pytest.raises(StatusChangeError) as refused:
            retiree_change_status(
                retiree=county.retiree_a1,
                to_status="active",
                effective_date=DAY,
                reason="误操作",
                by=county.clerk,
            )

        assert "不能从“死亡”变更为“正常发放”" in refused.value.message
        county.retiree_a1.refresh_from_db()
        assert county.retiree_a1.status == Retiree.Status.DECEASED
        assert StatusChange.objects.filter(retiree=county.retiree_a1).count() == 1

    def test_a_reason_is_required(self, county):
        with pytest.raises(StatusChangeError):
            retiree_change_status(
                retiree=county.retiree_a1,
                to_status="suspended",
                effective_date=DAY,
                reason="  ",
                by=county.clerk,
            )
        assert StatusChange.objects.count() == 0


class TestStaffCreate:
    def test_a_township_officer_belongs_to_a_township(self, county):
        staff = staff_create(
            username="shimen",
            password="x-Pass-123",
            role="township_staff",
            org_unit=county.township_a,
            full_name="周明",
        )

        assert (staff.role, staff.org_unit, staff.is_staff) == ("township_staff", county.township_a, False)
        assert staff.check_password("x-Pass-123")
        assert str(staff) == "周明"

    def test_only_the_bureau_admin_reaches_the_admin_site(self, county):
        admin = staff_create(username="admin2", password="x", role="bureau_admin", org_unit=county.county)
        assert admin.is_staff and admin.is_superuser

    def test_a_bureau_role_at_a_township_is_refused(self, county):
        with pytest.raises(StaffError) as refused:
            staff_create(username="x", password="x", role="bureau_clerk", org_unit=county.township_a)
        assert refused.value.field == "org_unit"
        assert not Staff.objects.filter(username="x").exists()

    def test_a_taken_username_is_refused(self, county):
        with pytest.raises(StaffError):
            staff_create(username="clerk", password="x", role="bureau_clerk", org_unit=county.county)


class TestDatabaseInvariants:
    def test_a_rate_is_never_edited_in_place(self, county):
        rate = PensionRateFactory(retiree=county.retiree_a1, amount=Decimal("2650.00"))

        with pytest.raises(InternalError), transaction.atomic():
            PensionRate.objects.filter(pk=rate.pk).update(amount=Decimal("9999.00"))

        rate.refresh_from_db()
        assert rate.amount == Decimal("2650.00")

    def test_a_status_change_is_never_deleted(self, county):
        change = retiree_change_status(
            retiree=county.retiree_a1,
            to_status="suspended",
            effective_date=DAY,
            reason="未认证",
            by=county.clerk,
        )
        with pytest.raises(InternalError), transaction.atomic():
            StatusChange.objects.filter(pk=change.pk).delete()
        assert StatusChange.objects.filter(pk=change.pk).exists()

    def test_one_current_bank_account_per_retiree(self, county):
        BankAccountFactory(retiree=county.retiree_a1)
        with pytest.raises(IntegrityError), transaction.atomic():
            BankAccountFactory(retiree=county.retiree_a1)
        assert BankAccount.objects.filter(retiree=county.retiree_a1).count() == 1

    def test_rate_months_are_stored_as_pension_months(self, county):
        PensionRateFactory(retiree=county.retiree_a1, effective_month=PensionMonth(2026, 1))
        assert PensionRate.objects.get().effective_month == PensionMonth(2026, 1)
        assert PensionRate.objects.filter(effective_month__gte=PensionMonth(2025, 12)).count() == 1

    def test_a_bulk_status_update_is_caught_by_the_audit_trail(self, county):
        with pghistory.context(source="test-bulk"):
            Retiree.objects.filter(community=county.community_a1).update(phone="13800000000")

        events = pghistory.models.Events.objects.filter(pgh_label="update", pgh_model="registry.RetireeEvent")
        assert [(e.pgh_obj_id, e.pgh_context["source"]) for e in events] == [
            (str(county.retiree_a1.pk), "test-bulk")
        ]


class TestSnapshot:
    def test_counts_per_township_and_status_and_a_rerun_replaces_them(self, county):
        RetireeFactory(community=county.community_a2, status="suspended")
        registry_snapshot_take(on=DAY)
        Retiree.objects.filter(status="suspended").update(status="active")

        registry_snapshot_take(on=DAY)

        rows = set(RegistrySnapshot.objects.values_list("township__name", "status", "count"))
        assert rows == {("城关镇", "active", 3), ("梅林镇", "active", 1)}


class TestSearchKeys:
    def test_rebuilding_replaces_the_keys_of_the_named_retirees_only(self, county):
        from registry.models import RetireeSearchKey
        from registry.services import retiree_search_keys_rebuild

        retiree_search_keys_rebuild()
        before_b1 = set(county.retiree_b1.search_keys.values_list("kind", "key"))
        Retiree.objects.filter(pk=county.retiree_a1.pk).update(name="曾伟")

        written = retiree_search_keys_rebuild(retiree_ids=[county.retiree_a1.pk])

        keys_a1 = set(county.retiree_a1.search_keys.values_list("kind", "key"))
        assert ("p", "zengwei") in keys_a1 and ("p", "cengwei") in keys_a1
        assert ("n", "张建国") not in keys_a1
        assert written == len(keys_a1)
        assert set(county.retiree_b1.search_keys.values_list("kind", "key")) == before_b1
        assert RetireeSearchKey.objects.filter(retiree=county.retiree_a2).exists()
