from django.core.management.base import BaseCommand, CommandError

from leaderboard.management.commands._arguments import (
    add_benchmark_arguments,
    name_of,
    version_or_error,
)
from leaderboard.submissions import add_label_map_argument, submit_agent
from sandbox.errors import SandboxError


class Command(BaseCommand):
    help = "Submit an agent (folder or .zip/.tar.gz) and queue its evaluation for the worker."

    def add_arguments(self, parser):
        parser.add_argument("path", help="agent folder or archive with agent.py at its root")
        add_benchmark_arguments(parser, repeatable=True)
        parser.add_argument("--name", help="leaderboard name (default: the folder's name)")
        parser.add_argument("--description", default="")
        parser.add_argument("--private", action="store_true", help="keep it off the leaderboard")
        parser.add_argument("--trusted", action="store_true",
                            help="operator-owned code: may run in the unconfined local sandbox")
        add_label_map_argument(parser)

    def handle(self, path, **options):
        try:
            versions = [version_or_error(slug, options["version"])
                        for slug in options["benchmark"] or ["rt-sentiment"]]
            submission, evaluations = submit_agent(
                path, versions, name=options["name"] or name_of(path),
                description=options["description"], trusted=options["trusted"],
                label_mapping=dict(options["label_map"]), public=not options["private"],
            )
        except SandboxError as error:
            raise CommandError(f"{error.category}: {error}") from error
        self.stdout.write(f"submission {submission.pk} ({submission.name}), agent sha256 "
                          f"{submission.agent_sha256[:12]}")
        for evaluation in evaluations:
            self.stdout.write(f"queued evaluation {evaluation.pk} on "
                              f"{evaluation.benchmark_version}: /evaluations/{evaluation.pk}/")
        self.stdout.write("A worker (`python manage.py qcluster`) picks it up.")
