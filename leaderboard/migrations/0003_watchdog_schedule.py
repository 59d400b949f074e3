from django.db import migrations

WATCHDOG = "safetygym watchdog: requeue or fail silent evaluations"


def schedule_watchdog(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=WATCHDOG,
        defaults={"func": "leaderboard.tasks.requeue_stale", "schedule_type": "I", "minutes": 1,
                  "repeats": -1},
    )


def unschedule_watchdog(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=WATCHDOG).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0002_evaluation_runs"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule_watchdog, unschedule_watchdog)]
