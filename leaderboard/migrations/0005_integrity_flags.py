from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0004_ranking_engine"),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluation",
            name="integrity_checks",
            field=models.JSONField(
                blank=True, default=dict,
                help_text=(
                    "Integrity check name -> its evidence (benchmarks.integrity), flagged or not."
                ),
            ),
        ),
        migrations.AddField(
            model_name="evaluation",
            name="integrity_flags",
            field=models.JSONField(
                blank=True, default=list,
                help_text="[{code, message}] of the checks that flagged this evaluation.",
            ),
        ),
    ]
