import tempfile

from django.core.management.base import BaseCommand, CommandError

from leaderboard.management.commands._arguments import (
    add_benchmark_arguments,
    bounded_int,
    version_or_error,
)
from benchmarks.integrity.archive_texts import held_texts
from leaderboard.integrity_checks import FLAG_CODES, evaluation_texts
from leaderboard.submissions import add_label_map_argument
from leaderboard.tasks import backend_options, chosen_backend, sandbox_limits
from sandbox.agent_files import store_agent
from sandbox.check import check_agent
from sandbox.errors import SandboxError


class Command(BaseCommand):
    help = (
        "Dry-run an agent (folder or archive) through the same sandbox, runner, label check and "
        "pre-flight as a real evaluation, on public items, and report every problem found."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        add_benchmark_arguments(parser)
        parser.add_argument("--items", type=bounded_int(1, 1000), default=64,
                            help="public items to run (default 64)")
        add_label_map_argument(parser)

    def handle(self, path, benchmark, items, label_map, version=None, **options):
        version = version_or_error(benchmark, version)
        public = [item.input for item in version.items_of("public")[:items]]
        with tempfile.TemporaryDirectory(prefix="check-agent-") as scratch:
            try:
                # The same unpacking and safety checks as a submission.
                root, sha = store_agent(path, scratch)
            except SandboxError as error:
                raise CommandError(f"{error.category}: {error}") from error
            backend, why = chosen_backend()
            self.stdout.write(f"agent {path} (sha256 {sha[:12]}) on {version}, sandbox {why}")
            self.warn_of_held_texts(root, version)
            # Whoever runs this command chose to run this code here, as its operator.
            report = check_agent(
                root, public, version.labels, backend=backend, limits=sandbox_limits(),
                trusted=True, mapping=dict(label_map) or None,
                **backend_options(operator_run=True).get(backend, {}),
            )
        for name, value in report.info.items():
            self.stdout.write(f"  {name}: {value}")
        if report.ok:
            self.stdout.write(self.style.SUCCESS(
                f"OK: the agent answered {report.info.get('items', 0)} public items correctly "
                "shaped, deterministic and within the limits; it is ready to submit."))
            return
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(f"  [{problem.category}] {problem.message}"))
        if any("do not match the benchmark's labels" in p.message for p in report.problems):
            self.stdout.write(f"  Hint: the benchmark's labels are {version.labels}; map yours "
                              "with --label-map YOUR_LABEL=BENCHMARK_LABEL (repeatable).")
        if report.log:
            self.stdout.write("--- the end of the agent's stderr ---\n" + report.log)
        raise CommandError(f"{len(report.problems)} problem(s) found")

    def warn_of_held_texts(self, root, version):
        """Say before submitting what the evaluation's first integrity check would find."""
        if version.input_kind != "text":
            return
        found = held_texts(root, evaluation_texts(version))
        if found.flagged:
            self.stdout.write(self.style.WARNING(
                f"  warning: {found.message()}; an evaluation would be flagged "
                f"{FLAG_CODES['archive_texts']} on the leaderboard. Train on the public split "
                "(manage.py export-public) and ship weights, not texts."))
