from django.core.management.base import BaseCommand, CommandError

from leaderboard import queries
from leaderboard.terminal import format_leaderboard


class Command(BaseCommand):
    help = "Print the leaderboard of a benchmark version (all latest versions by default)."

    def add_arguments(self, parser):
        parser.add_argument("--benchmark", help="benchmark slug")
        parser.add_argument("--benchmark-version", dest="version", type=int, help="version number (default: the latest)")

    def handle(self, benchmark=None, version=None, **options):
        if benchmark:
            found = queries.get_version(benchmark, version)
            if found is None:
                raise CommandError(f"no benchmark {benchmark} (version {version or 'latest'}) loaded")
            versions = [found]
        else:
            versions = queries.latest_versions()
        for found in versions:
            self.stdout.write(format_leaderboard(found, queries.latest_snapshot(found)) + "\n")
