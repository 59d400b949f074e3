from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0005_integrity_flags"),
    ]

    operations = [
        migrations.AlterField(
            model_name="submission",
            name="agent_path",
            field=models.CharField(blank=True, help_text="Folder holding agent.py (agents only).",
                                   max_length=500),
        ),
        migrations.AddField(
            model_name="submission",
            name="model_id",
            field=models.CharField(blank=True, max_length=96,
                                   help_text="Hugging Face model ID, org/name (models only)."),
        ),
        migrations.AddField(
            model_name="submission",
            name="model_revision",
            field=models.CharField(blank=True, max_length=255,
                                   help_text="The revision as submitted: branch, tag, PR, SHA."),
        ),
        migrations.AddField(
            model_name="submission",
            name="model_sha",
            field=models.CharField(blank=True, max_length=40,
                                   help_text="The commit the revision resolved to: what is run."),
        ),
    ]
