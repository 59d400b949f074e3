from django.core.management.base import BaseCommand, CommandError

from leaderboard.hf_submission import create_model_submission
from leaderboard.management.commands._arguments import add_benchmark_arguments, version_or_error
from leaderboard.submissions import add_label_map_argument
from sandbox.errors import SandboxError


class Command(BaseCommand):
    help = ("Submit a Hugging Face model (ID or hub URL) at a revision and queue its evaluation "
            "for the worker. The revision is resolved to a commit SHA now; that commit is run.")

    def add_arguments(self, parser):
        parser.add_argument("model", metavar="MODEL_ID",
                            help="org/name, name, or a https://huggingface.co/… model URL")
        parser.add_argument("--revision", default=None,
                            help="branch, tag, refs/pr/N or commit SHA (default: main, or the "
                                 "URL's /tree/<revision>)")
        add_benchmark_arguments(parser, repeatable=True)
        parser.add_argument("--name", help="leaderboard name (default: the model ID)")
        parser.add_argument("--description", default="")
        parser.add_argument("--private", action="store_true", help="keep it off the leaderboard")
        add_label_map_argument(parser)

    def handle(self, model, **options):
        versions = [version_or_error(slug, options["version"])
                    for slug in options["benchmark"] or ["rt-sentiment"]]
        try:
            submission, evaluations = create_model_submission(
                model, versions=versions, revision=options["revision"], name=options["name"],
                description=options["description"], label_mapping=dict(options["label_map"]),
                public=not options["private"],
            )
        except SandboxError as error:
            raise CommandError(f"{error.category}: {error}") from error
        self.stdout.write(
            f"submission {submission.pk} ({submission.name}): {submission.model_id} revision "
            f"{submission.model_revision} = commit {submission.model_sha}"
        )
        for model_label, benchmark_label in submission.label_mapping.items():
            self.stdout.write(f"  label {model_label} -> {benchmark_label}")
        for evaluation in evaluations:
            self.stdout.write(f"queued evaluation {evaluation.pk} on "
                              f"{evaluation.benchmark_version}: /evaluations/{evaluation.pk}/")
        self.stdout.write("A worker (`python manage.py qcluster`) picks it up.")
