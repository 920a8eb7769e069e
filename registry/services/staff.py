from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from ..errors import StaffError
from ..models import OrgUnit, Staff

# Bureau staff sit at the county unit; township staff at a township or a community station.
_UNIT_KINDS_FOR_ROLE: dict[str, set[str]] = {
    Staff.Role.BUREAU_ADMIN: {OrgUnit.Kind.COUNTY},
    Staff.Role.BUREAU_CLERK: {OrgUnit.Kind.COUNTY},
    Staff.Role.FINANCE_REVIEWER: {OrgUnit.Kind.COUNTY},
    Staff.Role.AUDITOR: {OrgUnit.Kind.COUNTY},
    Staff.Role.TOWNSHIP_STAFF: {OrgUnit.Kind.TOWNSHIP, OrgUnit.Kind.COMMUNITY},
}


def staff_reaches_admin_site(role: str) -> bool:
    """The Django admin (settings tables) is the bureau admin's alone; is_staff and is_superuser follow."""
    return role == Staff.Role.BUREAU_ADMIN


def staff_validate_role_unit(*, role: str, org_unit: OrgUnit | None) -> None:
    """Bureau roles belong to the county unit; township staff to a township or a community station.
    Shared by staff_create and the admin site's staff form, so both refuse the same things."""
    if role not in _UNIT_KINDS_FOR_ROLE:
        raise StaffError(_("未知角色:%(role)s") % {"role": role}, field="role")
    if org_unit is None:
        raise StaffError(_("请选择所属单位。"), field="org_unit")
    if org_unit.kind not in _UNIT_KINDS_FOR_ROLE[role]:
        raise StaffError(
            _("角色“%(role)s”不能设在“%(unit)s”这一层级的单位。")
            % {"role": Staff.Role(role).label, "unit": org_unit.get_kind_display()},
            field="org_unit",
        )


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    role: str,
    org_unit: OrgUnit,
    full_name: str = "",
    phone: str = "",
) -> Staff:
    """Create an account. Only the bureau admin gets the admin site (settings tables)."""
    staff_validate_role_unit(role=role, org_unit=org_unit)
    if Staff.objects.filter(username=username).exists():
        raise StaffError(_("用户名 %(username)s 已存在。") % {"username": username}, field="username")
    is_admin = staff_reaches_admin_site(role)
    staff = Staff(
        username=username,
        role=role,
        org_unit=org_unit,
        phone=phone,
        last_name=full_name[:1],
        first_name=full_name[1:],
        is_staff=is_admin,
        is_superuser=is_admin,
    )
    staff.set_password(password)
    staff.save()
    return staff


def system_staff() -> Staff:
    """The account jobs act as where a staff member is required (StatusChange.actor is NOT NULL), e.g. the
    certification suspension job: named by settings.SYSTEM_STAFF_USERNAME, inactive, no role, no usable
    password, so nobody can sign in as it and access.actions_of() gives it nothing."""
    staff, created = Staff.objects.get_or_create(
        username=settings.SYSTEM_STAFF_USERNAME,
        defaults={"is_active": False, "role": "", "last_name": "系统"},
    )
    if created:
        staff.set_unusable_password()
        staff.save(update_fields=["password"])
    return staff
