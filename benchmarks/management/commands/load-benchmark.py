from django.core.management.base import BaseCommand, CommandError

from benchmarks import catalog
from benchmarks.loading import VersionConflict, load_benchmark


class Command(BaseCommand):
    help = "Load a benchmark version (its items, split and suites) into the database; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="benchmark slug; all benchmarks when omitted")
        parser.add_argument("--benchmark-version", dest="version", type=int, help="version number (default: the latest)")

    def handle(self, slug=None, version=None, **options):
        slugs = [slug] if slug else sorted(catalog.BENCHMARKS)
        for name in slugs:
            try:
                loaded, created = load_benchmark(name, version)
            except (KeyError, VersionConflict) as error:
                raise CommandError(str(error.args[0] if error.args else error)) from error
            counts = {s: loaded.items.filter(split=s).count() for s in ("public", "evaluation")}
            verb = "loaded" if created else "already loaded"
            self.stdout.write(
                f"{loaded}: {verb} ({counts['public']} public, {counts['evaluation']} evaluation "
                f"items, data sha256 {loaded.data_sha256[:12]})"
            )
