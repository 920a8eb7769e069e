from django.db import migrations

# Once a plan is approved, its lines, its per-bank and per-township totals and its own totals are what the
# approver signed: the database refuses any change to them (docs/payouts.md "An approved plan is frozen").
# Only a line's payment result (payment_status, bank_reason: written by return files) may change. Draft and
# submitted plans stay open: drafting and regenerating delete and insert lines.
#
# Lines: a row trigger on UPDATE whose WHEN lists the approved columns, so a return file's million-row UPDATE
# of the payment result queues nothing; INSERT and DELETE by statement, with transition tables, so drafting
# a plan looks up its plan once, not once per line. Totals are a few dozen rows per plan: row triggers.
FROZEN = """
CREATE FUNCTION pensions_refuse_change_to_approved_plan() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    frozen_month text;
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        SELECT to_char(plan.month / 100, 'FM0000') || '-' || to_char(plan.month % 100, 'FM00')
          INTO frozen_month FROM pensions_payoutplan plan
         WHERE plan.id IN (OLD.plan_id, NEW.plan_id)  -- OLD is null on INSERT, NEW on DELETE
           AND plan.status NOT IN ('draft', 'submitted')
         LIMIT 1;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT to_char(plan.month / 100, 'FM0000') || '-' || to_char(plan.month % 100, 'FM00')
          INTO frozen_month FROM pensions_payoutplan plan
         WHERE plan.id IN (SELECT plan_id FROM new_rows) AND plan.status NOT IN ('draft', 'submitted')
         LIMIT 1;
    ELSE
        SELECT to_char(plan.month / 100, 'FM0000') || '-' || to_char(plan.month % 100, 'FM00')
          INTO frozen_month FROM pensions_payoutplan plan
         WHERE plan.id IN (SELECT plan_id FROM old_rows) AND plan.status NOT IN ('draft', 'submitted')
         LIMIT 1;
    END IF;
    IF frozen_month IS NOT NULL THEN
        RAISE EXCEPTION 'approved_plan_is_frozen: % 发放计划已审批,明细和汇总不能再改动(%)',
                        frozen_month, TG_TABLE_NAME
              USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER approved_plan_line_update AFTER UPDATE ON pensions_payoutline FOR EACH ROW
  WHEN ((OLD.id, OLD.plan_id, OLD.retiree_id, OLD.id_number, OLD.name, OLD.bank_id, OLD.account_number,
         OLD.holder_name, OLD.township_id, OLD.community_id, OLD.is_withheld, OLD.regular, OLD.arrears,
         OLD.deduction, OLD.withheld, OLD.net)
        IS DISTINCT FROM
        (NEW.id, NEW.plan_id, NEW.retiree_id, NEW.id_number, NEW.name, NEW.bank_id, NEW.account_number,
         NEW.holder_name, NEW.township_id, NEW.community_id, NEW.is_withheld, NEW.regular, NEW.arrears,
         NEW.deduction, NEW.withheld, NEW.net))
  EXECUTE FUNCTION pensions_refuse_change_to_approved_plan();
CREATE TRIGGER approved_plan_line_insert AFTER INSERT ON pensions_payoutline
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pensions_refuse_change_to_approved_plan();
CREATE TRIGGER approved_plan_line_delete AFTER DELETE ON pensions_payoutline
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pensions_refuse_change_to_approved_plan();

CREATE TRIGGER approved_plan_total_change AFTER INSERT OR UPDATE OR DELETE ON pensions_plantotal FOR EACH ROW
  EXECUTE FUNCTION pensions_refuse_change_to_approved_plan();

CREATE FUNCTION pensions_refuse_approved_plan_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'approved_plan_is_frozen: % 发放计划已审批,明细和汇总不能再改动(%)',
                    to_char(OLD.month / 100, 'FM0000') || '-' || to_char(OLD.month % 100, 'FM00'),
                    TG_TABLE_NAME
          USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER approved_plan_totals_update AFTER UPDATE ON pensions_payoutplan FOR EACH ROW
  WHEN (OLD.status NOT IN ('draft', 'submitted')
        AND (OLD.month, OLD.line_count, OLD.regular_total, OLD.arrears_total, OLD.deduction_total,
             OLD.withheld_total, OLD.net_total, OLD.withheld_count, OLD.lines_hash)
            IS DISTINCT FROM
            (NEW.month, NEW.line_count, NEW.regular_total, NEW.arrears_total, NEW.deduction_total,
             NEW.withheld_total, NEW.net_total, NEW.withheld_count, NEW.lines_hash))
  EXECUTE FUNCTION pensions_refuse_approved_plan_totals();
"""

THAWED = """
DROP TRIGGER approved_plan_totals_update ON pensions_payoutplan;
DROP FUNCTION pensions_refuse_approved_plan_totals();
DROP TRIGGER approved_plan_total_change ON pensions_plantotal;
DROP TRIGGER approved_plan_line_delete ON pensions_payoutline;
DROP TRIGGER approved_plan_line_insert ON pensions_payoutline;
DROP TRIGGER approved_plan_line_update ON pensions_payoutline;
DROP FUNCTION pensions_refuse_change_to_approved_plan();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("pensions", "0013_plan_job"),
    ]

    operations = [migrations.RunSQL(FROZEN, THAWED)]
