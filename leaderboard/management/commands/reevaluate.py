from django.core.management.base import BaseCommand

from leaderboard.lifecycle import reevaluate_public_entries
from leaderboard.management.commands._arguments import add_benchmark_arguments, version_or_error


class Command(BaseCommand):
    help = ("Queue the public entries of a benchmark's older versions on one version (default: "
            "the latest); the older versions' leaderboards stay as they are.")

    def add_arguments(self, parser):
        add_benchmark_arguments(parser)

    def handle(self, benchmark, version=None, **options):
        target = version_or_error(benchmark, version)
        queued = reevaluate_public_entries(target)
        for evaluation in queued:
            self.stdout.write(f"queued evaluation {evaluation.pk}: {evaluation.submission} on "
                              f"{target}")
        self.stdout.write(f"{len(queued)} public entr{'y' if len(queued) == 1 else 'ies'} of "
                          f"older versions queued on {target}.")
