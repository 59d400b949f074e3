import csv
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from benchmarks.loading import VersionConflict, load_benchmark


class Command(BaseCommand):
    help = (
        "Write a benchmark version's public dev split (inputs with their labels) to train and "
        "check your own agent on. The held-out evaluation split is not exported."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="benchmark slug, e.g. rt-sentiment")
        parser.add_argument("--benchmark-version", dest="version", type=int,
                            help="version number (default: the latest)")
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl",
                            help="jsonl (default): one {input, label, source_id} object a line; "
                                 "csv: columns input, label, source_id (text benchmarks only)")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, slug, version=None, format="jsonl", output=None, **options):
        try:
            loaded, _ = load_benchmark(slug, version)
        except (KeyError, VersionConflict) as error:
            raise CommandError(str(error.args[0] if error.args else error)) from error
        if format == "csv" and loaded.input_kind != "text":
            raise CommandError(f"{loaded} has {loaded.input_kind} inputs; export it as jsonl")
        rows = (
            {"input": item.input, "label": loaded.labels[item.label], "source_id": item.source_id}
            for item in loaded.items_of("public").iterator()
        )
        stream = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout
        try:
            count = write_rows(rows, stream, format)
        finally:
            if output:
                stream.close()
        self.stderr.write(f"{loaded}: {count} public items written"
                          + (f" to {output}" if output else ""))


def write_rows(rows, stream, format):
    count = 0
    if format == "csv":
        writer = csv.DictWriter(stream, fieldnames=["input", "label", "source_id"])
        writer.writeheader()
        for count, row in enumerate(rows, 1):
            writer.writerow(row)
        return count
    for count, row in enumerate(rows, 1):
        # ASCII escapes: a raw U+2028 in a text would split the line for many readers.
        stream.write(json.dumps(row) + "\n")
    return count
