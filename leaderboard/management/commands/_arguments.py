"""Argument types and lookups shared by the management commands (not a command itself)."""

import argparse
from pathlib import Path

from django.core.management.base import CommandError

from benchmarks.loading import VersionConflict
from leaderboard.submissions import resolve_version


def bounded_int(low, high):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value

    return parse


def add_benchmark_arguments(parser, repeatable=False):
    if repeatable:
        parser.add_argument("--benchmark", action="append",
                            help="benchmark slug (repeatable; default rt-sentiment)")
    else:
        parser.add_argument("--benchmark", default="rt-sentiment", help="benchmark slug")
    parser.add_argument("--benchmark-version", dest="version", type=bounded_int(1, 10_000),
                        help="benchmark version number (default: the latest)")


def version_or_error(slug, number=None):
    try:
        return resolve_version(slug, number)
    except (KeyError, VersionConflict) as error:
        raise CommandError(error.args[0] if error.args else str(error)) from error


def name_of(path):
    """A submission name from its folder or archive name."""
    name = Path(path).resolve().name
    for suffix in (".tar.gz", ".tgz", ".zip", ".tar"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
