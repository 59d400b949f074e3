from django.db import migrations, models


def clusters_were_items(apps, schema_editor):
    """Snapshots before clustered resampling drew every item on its own."""
    Snapshot = apps.get_model("leaderboard", "LeaderboardSnapshot")
    Snapshot.objects.update(n_clusters=models.F("n_items"))


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0003_watchdog_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="suiteresult",
            name="units",
            field=models.JSONField(
                blank=True, default=dict,
                help_text="Resampling units: per-row cluster and stratum keys; empty: each row alone.",
            ),
        ),
        migrations.RenameField(
            model_name="leaderboardsnapshot", old_name="replicate_scores", new_name="replicates_npz",
        ),
        migrations.AlterField(
            model_name="leaderboardsnapshot",
            name="replicates_npz",
            field=models.BinaryField(
                help_text="npz: per-replicate score and component matrices, names, B, seed, method."
            ),
        ),
        migrations.AddField(
            model_name="leaderboardsnapshot",
            name="n_clusters",
            field=models.PositiveIntegerField(
                default=0, help_text="Resampling units: items drawn as a whole."
            ),
            preserve_default=False,
        ),
        migrations.RunPython(clusters_were_items, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="leaderboardsnapshot", name="method",
            field=models.CharField(max_length=200),
        ),
        migrations.AddField(
            model_name="leaderboardsnapshot",
            name="confidence_level",
            field=models.FloatField(default=0.95),
        ),
        migrations.AddField(
            model_name="leaderboardsnapshot",
            name="score_weights",
            field=models.JSONField(default=dict, help_text="The default weight of each score component."),
        ),
    ]
