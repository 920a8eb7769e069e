from django.db import migrations

# A one-off batch is frozen from its submission (its hash is taken then), as a plan is from its approval
# (0014_approved_plans_are_frozen, docs/payouts.md "An approved plan is frozen"): the database refuses any
# change to the payments the hash covers, and to the batch's count, total, month and hash, until the batch
# is sent back to draft. Only a payment's result (payment_status, bank_reason: return files) may change.
# Batches hold a few payments each, added one at a time: row triggers.
FROZEN = """
CREATE FUNCTION pensions_refuse_change_to_submitted_batch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    frozen_month text;
BEGIN
    SELECT to_char(batch.month / 100, 'FM0000') || '-' || to_char(batch.month % 100, 'FM00')
      INTO frozen_month FROM pensions_oneoffbatch batch
     WHERE batch.id IN (OLD.batch_id, NEW.batch_id)  -- OLD is null on INSERT, NEW on DELETE
       AND batch.status <> 'draft'
     LIMIT 1;
    IF frozen_month IS NOT NULL THEN
        RAISE EXCEPTION 'submitted_batch_is_frozen: % 一次性支付批次已提交,支付明细和合计不能再改动(%)',
                        frozen_month, TG_TABLE_NAME
              USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER submitted_batch_payment_update AFTER UPDATE ON pensions_oneoffpayment FOR EACH ROW
  WHEN ((OLD.id, OLD.batch_id, OLD.kind, OLD.source_id, OLD.retiree_id, OLD.payee_name, OLD.payee_id_number,
         OLD.bank_id, OLD.account_number, OLD.holder_name, OLD.amount, OLD.reissue_of_id)
        IS DISTINCT FROM
        (NEW.id, NEW.batch_id, NEW.kind, NEW.source_id, NEW.retiree_id, NEW.payee_name, NEW.payee_id_number,
         NEW.bank_id, NEW.account_number, NEW.holder_name, NEW.amount, NEW.reissue_of_id))
  EXECUTE FUNCTION pensions_refuse_change_to_submitted_batch();
CREATE TRIGGER submitted_batch_payment_insert_delete AFTER INSERT OR DELETE ON pensions_oneoffpayment
  FOR EACH ROW EXECUTE FUNCTION pensions_refuse_change_to_submitted_batch();

CREATE FUNCTION pensions_refuse_submitted_batch_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'submitted_batch_is_frozen: % 一次性支付批次已提交,支付明细和合计不能再改动(%)',
                    to_char(OLD.month / 100, 'FM0000') || '-' || to_char(OLD.month % 100, 'FM00'),
                    TG_TABLE_NAME
          USING ERRCODE = 'integrity_constraint_violation';
END
$$;
-- Sent back to draft (rejected), the batch is open again: its hash is cleared in that same UPDATE.
CREATE TRIGGER submitted_batch_totals_update AFTER UPDATE ON pensions_oneoffbatch FOR EACH ROW
  WHEN (OLD.status <> 'draft' AND NEW.status <> 'draft'
        AND (OLD.month, OLD.payment_count, OLD.total, OLD.lines_hash)
            IS DISTINCT FROM (NEW.month, NEW.payment_count, NEW.total, NEW.lines_hash))
  EXECUTE FUNCTION pensions_refuse_submitted_batch_totals();
"""

THAWED = """
DROP TRIGGER submitted_batch_totals_update ON pensions_oneoffbatch;
DROP FUNCTION pensions_refuse_submitted_batch_totals();
DROP TRIGGER submitted_batch_payment_insert_delete ON pensions_oneoffpayment;
DROP TRIGGER submitted_batch_payment_update ON pensions_oneoffpayment;
DROP FUNCTION pensions_refuse_change_to_submitted_batch();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("pensions", "0014_approved_plans_are_frozen"),
    ]

    operations = [migrations.RunSQL(FROZEN, THAWED)]
