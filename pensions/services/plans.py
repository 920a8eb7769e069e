"""Making a month's payout plan: one set-based pass over all retirees (docs/payouts.md).

The lines, the arrears they release and the recoveries they deduct are written by one SQL statement, so all
three read the same snapshot: an arrears item added by someone else while the plan is made is either in a
line's arrears and released by it, or in neither. Totals per bank, per township and overall are then stored
and checked against the lines.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pghistory
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.models import (
    ArrearsItem,
    BankAccount,
    OrgUnit,
    PensionRate,
    Recovery,
    Retiree,
    Staff,
    StatusChange,
)
from registry.months import PensionMonth
from registry.sql import planner_settings, with_names

from .. import reasons
from ..errors import PlanError
from ..models import PayoutLine, PayoutPlan, PlanTotal, PlanTransition
from .locks import plan_generation_lock
from .recoveries import recoveries_sync_status

Status = PayoutPlan.Status


def recovery_share() -> Decimal:
    """The largest share of a month's regular amount a recovery may take (settings.RECOVERY_MAX_SHARE)."""
    share = Decimal(str(getattr(settings, "RECOVERY_MAX_SHARE", "0.5")))
    if not Decimal(0) <= share <= Decimal(1):
        raise PlanError(_("追回扣款比例必须在 0 与 1 之间。"))
    return share


_PEOPLE_NOW = """
people AS (
    SELECT p.{retiree.id} AS retiree_id, p.{retiree.name} AS name, p.{retiree.id_number} AS id_number,
           p.{retiree.status} = %(suspended)s AS is_withheld, p.{retiree.community} AS community_id,
           community.{unit.parent} AS township_id, rate.amount AS regular,
           account.{account.bank} AS bank_id, account.{account.account_number} AS account_number,
           account.{account.holder_name} AS holder_name
      FROM {retiree} p
      JOIN rate ON rate.retiree_id = p.{retiree.id}
      JOIN {unit} community ON community.{unit.id} = p.{retiree.community}
      LEFT JOIN {account} account
             ON account.{account.retiree} = p.{retiree.id} AND account.{account.is_current}
     WHERE p.{retiree.status} IN (%(active)s, %(suspended)s)
       AND (p.{retiree.regular_payment_from} IS NULL OR p.{retiree.regular_payment_from} <= %(month)s)
),
"""

# The same people with each retiree's status on %(status_on)s instead of today's: the newest status change
# in force by then; before a person's first change, what that change changed from; without any change, the
# status as it is. Only for a history made after the fact (the demo county's past months, pensions.demo):
# a month drafted in its own time reads today's status, which is then the same thing.
_PEOPLE_AS_OF = """
status_changed AS (
    -- One row per retiree with status changes (a small table): the newest change in force on the day gives
    -- its to_status; with none in force yet, the earliest later change gives its from_status.
    SELECT DISTINCT ON (c.{change.retiree}) c.{change.retiree} AS retiree_id,
           CASE WHEN c.{change.effective_date} <= %(status_on)s THEN c.{change.to_status}
                ELSE c.{change.from_status} END AS status
      FROM {change} c
     ORDER BY c.{change.retiree}, (c.{change.effective_date} <= %(status_on)s) DESC,
              abs(c.{change.effective_date} - %(status_on)s::date),
              CASE WHEN c.{change.effective_date} <= %(status_on)s THEN -c.{change.id} ELSE c.{change.id} END
),
people AS (
    SELECT p.{retiree.id} AS retiree_id, p.{retiree.name} AS name, p.{retiree.id_number} AS id_number,
           coalesce(changed.status, p.{retiree.status}) = %(suspended)s AS is_withheld,
           p.{retiree.community} AS community_id, community.{unit.parent} AS township_id,
           rate.amount AS regular,
           account.{account.bank} AS bank_id, account.{account.account_number} AS account_number,
           account.{account.holder_name} AS holder_name
      FROM {retiree} p
      LEFT JOIN status_changed changed ON changed.retiree_id = p.{retiree.id}
      JOIN rate ON rate.retiree_id = p.{retiree.id}
      JOIN {unit} community ON community.{unit.id} = p.{retiree.community}
      LEFT JOIN {account} account
             ON account.{account.retiree} = p.{retiree.id} AND account.{account.is_current}
     WHERE coalesce(changed.status, p.{retiree.status}) IN (%(active)s, %(suspended)s)
       AND (p.{retiree.regular_payment_from} IS NULL OR p.{retiree.regular_payment_from} <= %(month)s)
),
"""

# The lines of a month, as CTEs ending in `lines`. Shared with bench/payout_plan.py, whose bare
# INSERT … SELECT reads the same rows.
# The registry's tables are read here, set-based; their names come from the models (registry.sql), so a
# renamed table or column fails when this module is imported.
_LINES_CTES = """
WITH rate AS (
    -- The rate in force: the newest with effective_month <= the plan's month.
    SELECT DISTINCT ON (r.{rate.retiree}) r.{rate.retiree} AS retiree_id, r.{rate.amount} AS amount
      FROM {rate} r
     WHERE r.{rate.effective_month} <= %(month)s
     ORDER BY r.{rate.retiree}, r.{rate.effective_month} DESC, r.{rate.revision} DESC
),
{people}pending_arrears AS (
    -- Never a month later than the plan's: that month's own plan pays it.
    SELECT item.{arrears.id} AS id, item.{arrears.retiree} AS retiree_id, item.{arrears.amount} AS amount
      FROM {arrears} item
     WHERE item.{arrears.month} <= %(month)s
       AND NOT EXISTS (SELECT 1 FROM pensions_arrearsrelease r WHERE r.arrears_item_id = item.{arrears.id})
),
open_balance AS (
    SELECT recovery.{recovery.id} AS id, recovery.{recovery.retiree} AS retiree_id,
           recovery.{recovery.created_at} AS created_at,
           recovery.{recovery.amount} - coalesce(
               (SELECT sum(d.amount) FROM pensions_recoverydeduction d
                 WHERE d.recovery_id = recovery.{recovery.id}), 0
           ) - coalesce(
               (SELECT sum(f.amount) FROM pensions_recoveryrefund f
                 WHERE f.recovery_id = recovery.{recovery.id}), 0
           ) - coalesce(
               (SELECT sum(c.returned_amount) FROM pensions_recoveryclawback c
                 WHERE c.recovery_id = recovery.{recovery.id} AND c.status = 'returned'), 0
           ) - coalesce(
               (SELECT sum(o.amount) FROM pensions_recoveryoffset o
                 WHERE o.recovery_id = recovery.{recovery.id}), 0
           ) AS balance
      FROM {recovery} recovery
     WHERE recovery.{recovery.status} = %(open)s
),
lines AS (
    SELECT people.*,
           CASE WHEN people.is_withheld THEN 0 ELSE coalesce(arrears.total, 0) END AS arrears,
           -- The share is rounded half up to the fen once; net never goes below 0.
           CASE WHEN people.is_withheld THEN 0
                ELSE least(coalesce(owed.balance, 0),
                           round(people.regular * %(share)s, 2),
                           people.regular + coalesce(arrears.total, 0))
           END AS deduction
      FROM people
      LEFT JOIN (SELECT retiree_id, sum(amount) AS total FROM pending_arrears GROUP BY retiree_id) arrears
             ON arrears.retiree_id = people.retiree_id
      LEFT JOIN (SELECT retiree_id, sum(balance) AS balance FROM open_balance WHERE balance > 0
                  GROUP BY retiree_id) owed
             ON owed.retiree_id = people.retiree_id
)
"""
_REGISTRY_NAMES: dict[str, type[Model]] = {
    "rate": PensionRate,
    "retiree": Retiree,
    "unit": OrgUnit,
    "account": BankAccount,
    "arrears": ArrearsItem,
    "recovery": Recovery,
    "change": StatusChange,
}
LINES_CTES = with_names(_LINES_CTES.replace("{people}", _PEOPLE_NOW.strip("\n") + "\n", 1), **_REGISTRY_NAMES)
LINES_CTES_AS_OF = with_names(
    _LINES_CTES.replace("{people}", _PEOPLE_AS_OF.strip("\n") + "\n", 1), **_REGISTRY_NAMES
)

INSERT_LINES = """
INSERT INTO pensions_payoutline (
    plan_id, retiree_id, name, id_number, bank_id, account_number, holder_name, township_id, community_id,
    is_withheld, regular, arrears, deduction, withheld, net, payment_status, bank_reason
)
SELECT %(plan)s, retiree_id, name, id_number, bank_id, coalesce(account_number, ''),
       coalesce(holder_name, ''), township_id, community_id, is_withheld, regular, arrears, deduction,
       CASE WHEN is_withheld THEN regular ELSE 0 END,
       CASE WHEN is_withheld THEN 0 ELSE regular + arrears - deduction END,
       %(pending)s, ''
  FROM lines
"""

# Built from the constants above: no input reaches the text (ruff S608).
_GENERATE_TAIL = f"""
inserted AS (
    {INSERT_LINES}
    RETURNING id, retiree_id, is_withheld, deduction
),
released AS (
    INSERT INTO pensions_arrearsrelease (arrears_item_id, line_id)
    SELECT pending_arrears.id, inserted.id
      FROM pending_arrears
      JOIN inserted ON inserted.retiree_id = pending_arrears.retiree_id AND NOT inserted.is_withheld
    RETURNING arrears_item_id
),
deducted AS (
    -- A line's deduction is spread over the retiree's open recoveries, oldest first.
    INSERT INTO pensions_recoverydeduction (recovery_id, line_id, amount)
    SELECT recovery_id, line_id, amount
      FROM (
            SELECT open_balance.id AS recovery_id, inserted.id AS line_id,
                   least(open_balance.balance,
                         inserted.deduction - (sum(open_balance.balance) OVER earlier - open_balance.balance)
                   ) AS amount
              FROM open_balance
              JOIN inserted ON inserted.retiree_id = open_balance.retiree_id AND inserted.deduction > 0
             WHERE open_balance.balance > 0
            WINDOW earlier AS (PARTITION BY open_balance.retiree_id
                               ORDER BY open_balance.created_at, open_balance.id)
           ) spread
     WHERE amount > 0
    RETURNING recovery_id
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM released),
       ARRAY(SELECT DISTINCT recovery_id FROM deducted)
"""  # noqa: S608
_GENERATE = f"\n{LINES_CTES},{_GENERATE_TAIL}"
_GENERATE_AS_OF = f"\n{LINES_CTES_AS_OF},{_GENERATE_TAIL}"

# One scan of the lines gives the bank subtotals (level 1), the township subtotals (level 2) and the
# overall total (level 3). The empty grouping set yields its row even for a plan without lines.
_SUMS = """
SELECT GROUPING(bank_id, township_id) AS level, bank_id, township_id, count(*) AS line_count,
       coalesce(sum(regular), 0), coalesce(sum(arrears), 0), coalesce(sum(deduction), 0),
       coalesce(sum(withheld), 0), coalesce(sum(net), 0), count(*) FILTER (WHERE is_withheld)
  FROM pensions_payoutline
 WHERE plan_id = %(plan)s
 GROUP BY GROUPING SETS ((bank_id), (township_id), ())
"""

_STORE_TOTALS = f"""
WITH sums (level, bank_id, township_id, line_count, regular, arrears, deduction, withheld, net,
           withheld_count) AS (
    {_SUMS}
),
stored AS (
    INSERT INTO pensions_plantotal (plan_id, kind, bank_id, township_id, line_count, regular_total,
                                    arrears_total, deduction_total, withheld_total, net_total)
    SELECT %(plan)s, CASE level WHEN 1 THEN %(bank)s ELSE %(township)s END,
           CASE level WHEN 1 THEN bank_id END, CASE level WHEN 2 THEN township_id END,
           line_count, regular, arrears, deduction, withheld, net
      FROM sums
     WHERE level IN (1, 2)
)
UPDATE pensions_payoutplan plan
   SET line_count = sums.line_count, regular_total = sums.regular, arrears_total = sums.arrears,
       deduction_total = sums.deduction, withheld_total = sums.withheld, net_total = sums.net,
       withheld_count = sums.withheld_count
  FROM sums
 WHERE sums.level = 3 AND plan.id = %(plan)s
"""  # noqa: S608


@dataclass(frozen=True)
class PlanTotals:
    line_count: int
    regular_total: Decimal
    arrears_total: Decimal
    deduction_total: Decimal
    withheld_total: Decimal
    net_total: Decimal


_TOTAL_FIELDS = (
    "line_count",
    "regular_total",
    "arrears_total",
    "deduction_total",
    "withheld_total",
    "net_total",
)


def first_payout_month() -> PensionMonth:
    """settings.PAYOUT_FIRST_MONTH: the first month this system pays."""
    try:
        return PensionMonth.parse(str(settings.PAYOUT_FIRST_MONTH))
    except ValueError:
        raise PlanError(
            _("系统设置 PAYOUT_FIRST_MONTH(“%(value)s”)不是“年-月”格式的月份,请联系系统管理员。")
            % {"value": settings.PAYOUT_FIRST_MONTH}
        ) from None


def draftable_months(*, today: datetime.date | None = None) -> tuple[PensionMonth, PensionMonth]:
    """The first and last month a plan can be drafted for: from the first month the system pays up to next
    month (by the bureau's local date). A month later than that would pay rates and arrears nobody has
    recorded yet; one before the system started was paid by the old system."""
    today = today or timezone.localdate()
    return first_payout_month(), PensionMonth.of(today).next()


def plan_month_check(*, month: PensionMonth, today: datetime.date | None = None) -> None:
    """Refuse a month outside draftable_months, saying which months can be drafted."""
    first, last = draftable_months(today=today)
    if not first <= month <= last:
        raise PlanError(
            _(
                "不能编制 %(month)s 的发放计划:只能编制 %(first)s 至 %(last)s 的发放计划"
                "(本系统自 %(first)s 起发放,最晚可编制下个月)。"
            )
            % {"month": month, "first": first, "last": last},
            field="month",
        )


def plan_draft(
    *, month: PensionMonth, by: Staff | None, status_on: datetime.date | None = None
) -> PayoutPlan:
    """Make the plan for `month`, or make it again while it is a draft. `by` None is the beat job (系统).

    `status_on` reads each retiree's status as it was on that day (from the status changes) instead of
    today's. Pages, the API and the beat job never pass it; it exists to build a past the system did not
    live through, the demo county's history (pensions.demo), where a person suspended this August was paid
    in every month before it.

    Regenerating deletes the draft's lines with the arrears releases and recovery deductions they carried,
    so the new lines release and deduct them afresh; nothing is released or deducted twice.
    """
    if by is not None:
        access.require(by, Action.PREPARE_PAYMENTS)
    plan_month_check(month=month)
    share = recovery_share()
    now = timezone.now()
    context: dict[str, Any] = {"source": "plan_draft", "month": month.number}
    if status_on is not None:
        context["status_on"] = status_on.isoformat()
    if by is not None:
        context["user"] = by.pk
    with transaction.atomic(), pghistory.context(**context):
        with connection.cursor() as cursor:
            # ADR 0006: check keys per statement, not a million deferred checks queued for the commit.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        # One generation at a time, county-wide: two plans made at once (this month's regenerated while
        # next month's is drafted) would both read the same unreleased arrears and the same recovery
        # balances. The arrears release would then fail on its unique key; the deductions would not.
        # Refunds and write-offs of recoveries take the same lock (pensions.services.recoveries).
        plan_generation_lock()
        # Lock the plan row: a submission must not slip in between reading "draft" and replacing the lines.
        plan = PayoutPlan.objects.select_for_update().filter(month=month.number).first()
        if plan is None:
            plan = PayoutPlan.objects.create(month=month.number, created_by=by, generated_at=now)
            _record(plan, from_status="", to_status=Status.DRAFT, by=by, at=now, reason=reasons.DRAFTED)
        elif plan.status != Status.DRAFT:
            raise PlanError(
                _("%(month)s 的发放计划已是“%(status)s”状态,不能重新生成。")
                % {"month": month, "status": Status(plan.status).label}
            )
        else:
            # What this draft deducted goes back first, reopening recoveries it had settled, so the new
            # lines deduct from the same balances.
            recoveries_sync_status(recovery_ids=_clear_lines(plan))
            plan.generated_at = now
            plan.regenerated_by = by
            plan.save(update_fields=["generated_at", "regenerated_by"])
            _record(
                plan,
                from_status=Status.DRAFT,
                to_status=Status.DRAFT,
                by=by,
                at=now,
                reason=reasons.REGENERATED,
            )

        with connection.cursor() as cursor:
            cursor.execute(
                _GENERATE if status_on is None else _GENERATE_AS_OF,
                {
                    "plan": plan.pk,
                    "month": month.number,
                    "status_on": status_on,
                    "share": share,
                    "active": Retiree.Status.ACTIVE,
                    "suspended": Retiree.Status.SUSPENDED,
                    "open": Recovery.Status.OPEN,
                    "pending": PayoutLine.PaymentStatus.PENDING,
                },
            )
            _line_count, _released, deducted_from = cursor.fetchone()
            # Autovacuum is off on the county's server (and slow to notice a million new rows where it is
            # on): without fresh statistics the planner takes a plan's lines for a few hundred rows, and the
            # bank-file export and the pages sort a million of them on disk (docs/bank-files.md).
            cursor.execute("ANALYZE pensions_payoutline")
            cursor.execute(
                _STORE_TOTALS,
                {"plan": plan.pk, "bank": PlanTotal.Kind.BANK, "township": PlanTotal.Kind.TOWNSHIP},
            )
        recoveries_sync_status(recovery_ids=deducted_from)
        plan.refresh_from_db()
        plan_totals_check(plan=plan)
    return plan


def _clear_lines(plan: PayoutPlan) -> list[int]:
    """Delete a draft's lines and what hangs on them. Returns the recoveries whose deductions went back."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH gone AS (
                DELETE FROM pensions_recoverydeduction d USING pensions_payoutline line
                 WHERE d.line_id = line.id AND line.plan_id = %(plan)s
                RETURNING d.recovery_id
            )
            SELECT DISTINCT recovery_id FROM gone
            """,
            {"plan": plan.pk},
        )
        returned = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            """
            DELETE FROM pensions_arrearsrelease release USING pensions_payoutline line
             WHERE release.line_id = line.id AND line.plan_id = %(plan)s
            """,
            {"plan": plan.pk},
        )
        cursor.execute("DELETE FROM pensions_plantotal WHERE plan_id = %s", [plan.pk])
        cursor.execute("DELETE FROM pensions_payoutline WHERE plan_id = %s", [plan.pk])
    return returned


def _record(
    plan: PayoutPlan, *, from_status: str, to_status: str, by: Staff | None, at: Any, reason: str
) -> PlanTransition:
    return PlanTransition.objects.create(
        plan=plan, from_status=from_status, to_status=to_status, by=by, at=at, reason=reason
    )


def plan_totals_check(*, plan: PayoutPlan) -> PlanTotals:
    """Add the lines up again and compare with the totals stored on the plan and per bank and township.
    Raises PlanError naming what differs; returns the overall totals."""
    with connection.cursor() as cursor:
        cursor.execute(_SUMS, {"plan": plan.pk})
        rows = cursor.fetchall()
    fresh: dict[tuple[str, int | None], tuple[Any, ...]] = {}
    overall: tuple[Any, ...] = ()
    withheld_count = 0
    for level, bank_id, township_id, *sums_and_count in rows:
        # Only the overall row's withheld count is stored (on the plan); totals per bank and township
        # carry the sums alone.
        sums, count = sums_and_count[:-1], sums_and_count[-1]
        if level == 1:
            fresh[(PlanTotal.Kind.BANK, bank_id)] = tuple(sums)
        elif level == 2:
            fresh[(PlanTotal.Kind.TOWNSHIP, township_id)] = tuple(sums)
        else:
            overall, withheld_count = tuple(sums), count
    stored = {
        (row[0], row[1] if row[0] == PlanTotal.Kind.BANK else row[2]): tuple(row[3:])
        for row in PlanTotal.objects.filter(plan=plan).values_list(
            "kind", "bank_id", "township_id", *_TOTAL_FIELDS
        )
    }
    *plan_row, stored_withheld_count = (
        PayoutPlan.objects.filter(pk=plan.pk).values_list(*_TOTAL_FIELDS, "withheld_count").get()
    )
    differ = sorted(
        f"{kind}:{key}"
        for kind, key in fresh.keys() | stored.keys()
        if fresh.get((kind, key)) != stored.get((kind, key))
    )
    if tuple(plan_row) != overall or stored_withheld_count != withheld_count:
        differ.insert(0, "plan")
    if differ:
        raise PlanError(
            _("%(month)s 发放计划的汇总与明细不符:%(where)s")
            % {"month": plan.month, "where": ", ".join(differ)}
        )
    return PlanTotals(*plan_row)


def plan_lines_digest(*, plan: PayoutPlan) -> str:
    """sha256 of the lines' recipients and amounts, one text line per payout line in id order. Stored at
    approval; recomputed later, it shows the lines are still what was approved. The payment result (filled
    by return files) is not part of it. Computed by PostgreSQL: reading a million lines into Python only to
    hash them took longer than writing the bank files."""
    # The lines come in id order off the (plan, id) index of a subquery and string_agg joins them as they
    # arrive: an ORDER BY inside the aggregate would sort a million lines again (1.7 s against 1.3 s at
    # 965,000 lines, the same digest). No parallel plan may feed the aggregate: workers would interleave.
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        planner_settings(cursor, [("max_parallel_workers_per_gather", "0")]),
    ):
        cursor.execute(
            """
            SELECT encode(sha256(convert_to(coalesce(string_agg(line, ''), ''), 'UTF8')), 'hex')
              FROM (SELECT concat_ws('|', id, retiree_id, id_number, name, coalesce(bank_id::text, ''),
                                     account_number, holder_name, coalesce(township_id::text, ''),
                                     coalesce(community_id::text, ''), is_withheld, regular, arrears,
                                     deduction, withheld, net) || E'\\n' AS line
                      FROM pensions_payoutline WHERE plan_id = %s ORDER BY id OFFSET 0) AS ordered
            """,
            [plan.pk],
        )
        (digest,) = cursor.fetchone()
    return str(digest)
