import django.db.models.deletion
from django.db import migrations, models

# Each index on registry_retiree is written by every import and every mass status update. Three served
# nothing another index does not (EXPLAIN at 1,000,000, docs/import.md): the community's own index (the
# composite retiree_community_status starts with it), and the varchar_pattern_ops indexes Django adds beside
# a unique CharField: id_number and certificate_number are C-collated, so their unique B-trees serve LIKE
# 'prefix%' already.
LIKE_INDEXES = (
    ("registry_retiree_id_number_3b557ea2_like", "id_number"),
    ("registry_retiree_certificate_number_e0f262dd_like", "certificate_number"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0018_import_names_indexed_after_commit"),
    ]

    operations = [
        migrations.AlterField(
            model_name="retiree",
            name="community",
            field=models.ForeignKey(
                db_index=False,
                limit_choices_to={"kind": "community"},
                on_delete=django.db.models.deletion.PROTECT,
                related_name="retirees",
                to="registry.orgunit",
                verbose_name="所属社区",
            ),
        ),
        migrations.RunSQL(
            [f"DROP INDEX IF EXISTS {name}" for name, _column in LIKE_INDEXES],
            [
                f"CREATE INDEX IF NOT EXISTS {name} ON registry_retiree ({column} varchar_pattern_ops)"
                for name, column in LIKE_INDEXES
            ],
        ),
    ]
