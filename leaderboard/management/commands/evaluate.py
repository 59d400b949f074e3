import signal

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from leaderboard.management.commands._arguments import (
    add_benchmark_arguments,
    name_of,
    version_or_error,
)
from leaderboard.models import Evaluation
from leaderboard.provenance import sandbox_summary
from leaderboard.submissions import add_label_map_argument, create_agent_submission, create_evaluation
from leaderboard.tasks import run_evaluation
from sandbox.errors import SandboxError


class Command(BaseCommand):
    help = (
        "Evaluate one agent synchronously, with a progress bar: either a new agent folder or "
        "archive (PATH), or an existing queued evaluation (--evaluation ID)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="agent folder or .zip/.tar.gz archive")
        add_benchmark_arguments(parser)
        parser.add_argument("--name", help="leaderboard name (default: the folder's name)")
        parser.add_argument("--private", action="store_true", help="keep it off the leaderboard")
        parser.add_argument("--trusted", action="store_true",
                            help="operator-owned code: may run in the unconfined local sandbox")
        add_label_map_argument(parser)
        parser.add_argument("--evaluation", type=int, help="run this queued evaluation instead")

    def handle(self, path=None, evaluation=None, **options):
        if evaluation is not None:
            found = Evaluation.objects.filter(pk=evaluation).first()
            if found is None:
                raise CommandError(f"no evaluation {evaluation}")
        elif path:
            version = version_or_error(options["benchmark"], options["version"])
            try:
                submission = create_agent_submission(
                    path, name=options["name"] or name_of(path), trusted=options["trusted"],
                    label_mapping=dict(options["label_map"]),
                    public=not options["private"],
                )
            except SandboxError as error:
                raise CommandError(f"{error.category}: {error}") from error
            found = create_evaluation(submission, version, queue=False)
        else:
            raise CommandError("give an agent PATH or --evaluation ID")
        self.stdout.write(f"evaluation {found.pk}: {found.submission} on {found.benchmark_version}")
        bars = {}

        def on_progress(suite, done, total):
            bar = bars.get(suite)
            if bar is None:
                bar = bars[suite] = tqdm(total=total, desc=suite, unit="item")
            bar.update(done - bar.n)

        # A stop signal ends the run like Ctrl-C, so the evaluation is marked interrupted.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        # Whoever runs this command chose to run this agent here, as check-agent does.
        run_evaluation(found.pk, on_progress=on_progress, operator_run=True)
        for bar in bars.values():
            bar.close()
        found.refresh_from_db()
        if found.status != "finished":
            raise CommandError(
                f"evaluation {found.pk} {found.status}: {found.failure_category}: "
                f"{found.failure_message}" + (f"\n--- sandbox log ---\n{found.log}" if found.log else "")
            )
        for result in found.suites.all():
            # The headline numbers; per-group tables are on the evaluation page and in the API.
            metrics = ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                for k, v in sorted(result.metrics.items())
                                if not isinstance(v, (dict, list)))
            self.stdout.write(f"{result.suite}: {metrics}")
        for name, evidence in found.integrity_checks.items():
            verdict = "FLAGGED" if evidence.get("flagged") else "ok"
            self.stdout.write(f"integrity {name}: {verdict}: {evidence.get('message', '')}")
        self.stdout.write(f"sandbox: {sandbox_summary(found)}")
        self.stdout.write(f"stats: {found.stats}")

