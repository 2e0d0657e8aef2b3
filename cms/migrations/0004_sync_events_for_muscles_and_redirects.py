from django.db import migrations, models


def forget_other_events(apps, schema_editor):
    """Going back: the old table records pages only."""
    apps.get_model("cms", "PageEvent").objects.exclude(subject="page").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_page_password_failures"),
    ]

    operations = [
        migrations.RenameField(model_name="pageevent", old_name="page_id", new_name="object_id"),
        migrations.AlterField(
            model_name="pageevent",
            name="object_id",
            field=models.BigIntegerField(db_index=True, help_text="The page, muscle or redirect."),
        ),
        migrations.AddField(
            model_name="pageevent",
            name="subject",
            field=models.CharField(
                choices=[("page", "Page"), ("muscle", "Muscle"), ("redirect", "Redirect")],
                default="page",
                max_length=10,
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, forget_other_events),
        migrations.AlterField(
            model_name="pageevent",
            name="tree_path",
            field=models.CharField(blank=True, db_index=True, max_length=255),
        ),
        migrations.AlterField(
            model_name="pageevent",
            name="url_path",
            field=models.CharField(
                blank=True,
                help_text="Public path at the time (a redirect's old path).",
                max_length=2048,
            ),
        ),
    ]
