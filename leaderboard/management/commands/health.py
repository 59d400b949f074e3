import json

from django.core.management.base import BaseCommand, CommandError

from safetygym.health import check_services


class Command(BaseCommand):
    help = "Check that this process reaches the database and the queue's broker (a health check)."

    def handle(self, **options):
        results = check_services()
        self.stdout.write(json.dumps(results, sort_keys=True))
        failed = [name for name, result in results.items() if not result["ok"]]
        if failed:
            raise CommandError(f"unhealthy: {', '.join(failed)}")
