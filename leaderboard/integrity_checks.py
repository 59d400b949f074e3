"""The integrity checks of one evaluation, run by the evaluation task and stored on it.

Each check stores its evidence in `Evaluation.integrity_checks[name]` (a dict with `flagged`
and a `message` a person can read), flagged or not, so the evaluation page can show what was
measured; the flags (`Evaluation.integrity_flags`, [{code, message}]) are the checks that
flagged it, and the leaderboard snapshot copies them onto the entry. The checks inform, they
do not score: a flagged entry keeps its score and rank, marked.

- archive_texts (benchmarks.integrity.archive_texts): the agent's files hold the evaluation
  texts; run before the suites, on the files, never running them;
- perturbation_gap (benchmarks.integrity.perturbation_gap): right on exact texts, wrong on
  trivially changed copies; run after the suites, through the same sandbox;
- reproducibility and duplicate: the same files (an agent's sha256, a model's pinned commit)
  evaluated on this version before, with other answers, or under another submission.
"""

import logging
from pathlib import Path

import numpy as np

from benchmarks.integrity.archive_texts import held_texts
from benchmarks.integrity.perturbation_gap import perturbation_gap
from leaderboard.models import Evaluation
from sandbox.errors import SandboxError

logger = logging.getLogger(__name__)

# The flag code each check raises (stable: shown in the API).
FLAG_CODES = {
    "archive_texts": "memorised_texts",
    "perturbation_gap": "perturbation_gap",
    "reproducibility": "irreproducible",
    "duplicate": "duplicate_submission",
}
# Two runs of one deterministic agent agree to the last digits; the protocol's own tolerance
# (a row sums to 1 within 1e-4) is the margin for arithmetic that differs between sandboxes.
REPRODUCIBLE_TOLERANCE = 1e-4


def flags_of(checks):
    """The flags of stored evidence, in the checks' fixed order."""
    return [{"code": FLAG_CODES[name], "message": checks[name]["message"]}
            for name in FLAG_CODES if checks.get(name, {}).get("flagged")]


def store(evaluation, name, evidence):
    """Save one check's evidence and the flags that follow from all of them."""
    checks = {**evaluation.integrity_checks, name: evidence}
    evaluation.integrity_checks = checks
    evaluation.integrity_flags = flags_of(checks)
    evaluation.save(update_fields=["integrity_checks", "integrity_flags"])


def not_applicable(name, reason):
    return {"check": name, "applies": False, "flagged": False, "message": reason}


def _checked(evaluation, name, run, asking=None):
    """Run a check once per evaluation (a resumed one keeps what it found). A failure of the
    agent (SandboxError) fails the evaluation as a suite's would, its message saying what the
    agent was `asking` about; a bug of ours only loses the check, noted in its evidence, and the
    evaluation goes on."""
    if name in evaluation.integrity_checks:
        return
    try:
        evidence = run()
    except SandboxError as error:
        if asking:
            error.message = f"While answering {asking} (an integrity check): {error.message}"
            error.args = (error.message,)
        raise
    except Exception as error:
        logger.exception("integrity check %s failed on evaluation %s", name, evaluation.pk)
        evidence = {"check": name, "flagged": False, "error": f"{type(error).__name__}: {error}",
                    "message": "the check could not run (SafetyGym's fault, not the agent's)"}
    store(evaluation, name, evidence)


def evaluation_texts(version):
    return list(version.items_of("evaluation").values_list("text", flat=True))


def check_archive(evaluation, files):
    """Before the suites: how many evaluation texts the files the sandbox runs (an agent's
    folder, a model's snapshot) hold."""
    version = evaluation.benchmark_version

    def run():
        if version.input_kind != "text":
            return not_applicable("archive_texts", "records are not texts: the archive is not "
                                  "searched for them")
        links_within = None
        if evaluation.submission.kind == "huggingface":
            # A hub cache snapshot (<repository>/snapshots/<commit>) is links to the
            # repository's blobs: follow them, and only them.
            links_within = Path(files).parents[1]
        return held_texts(files, evaluation_texts(version), links_within=links_within).as_json()

    _checked(evaluation, "archive_texts", run)


def quality_outcomes(evaluation):
    result = evaluation.suites.filter(suite="quality").first()
    return result.per_item if result is not None else None


def check_perturbations(evaluation, client, progress=None):
    """After the suites, before the sandbox stops: perturbed copies of a seeded sample of the
    evaluation texts, compared with the quality suite's answers on the exact texts."""
    version = evaluation.benchmark_version

    def run():
        if version.input_kind != "text":
            return not_applicable("perturbation_gap", "records have no case or spacing to "
                                  "perturb")
        per_item = quality_outcomes(evaluation)
        items = version.items_of("evaluation")
        return perturbation_gap(
            client, [item.text for item in items], [item.label for item in items],
            per_item["predicted"], seed=version.bootstrap_seed, label_names=version.labels,
            progress=progress,
        ).as_json()

    _checked(evaluation, "perturbation_gap", run,
             asking="copies of evaluation texts that differ only in case or spacing")


def same_files(submission):
    """(a filter on evaluations' submissions holding these same files, and how to name them):
    an agent by the sha256 of its folder, a Hugging Face model by its ID and pinned commit."""
    if submission.kind == "huggingface":
        return ({"submission__model_id": submission.model_id,
                 "submission__model_sha": submission.model_sha},
                f"model ({submission.model_id} at commit {submission.model_sha[:12]})")
    return ({"submission__agent_sha256": submission.agent_sha256},
            f"agent files (sha256 {submission.agent_sha256[:12]})")


def check_same_agent(evaluation):
    """The same files evaluated on this version before: with other answers (not
    reproducible), or under another submission (a duplicate)."""
    submission = evaluation.submission
    if not (submission.agent_sha256 or submission.model_sha):
        return
    matching, described = same_files(submission)
    earlier = list(
        Evaluation.objects.filter(benchmark_version=evaluation.benchmark_version,
                                  status__in=["scoring", "finished"], pk__lt=evaluation.pk,
                                  **matching)
        .select_related("submission").order_by("pk")
    )
    # Answers are compared only with evaluations anyone may see (or the owner's own): the
    # evidence names the evaluations compared, and a private one's existence is not public.
    comparable = [other for other in earlier if other.submission.public
                  or other.submission.owner_id == submission.owner_id]
    _checked(evaluation, "reproducibility",
             lambda: reproducibility(evaluation, comparable, described))
    _checked(evaluation, "duplicate", lambda: duplicate(evaluation, earlier, described))


def reproducibility(evaluation, earlier, described):
    mine = quality_outcomes(evaluation)
    if not earlier or mine is None:
        return not_applicable("reproducibility", f"no earlier evaluation of the same "
                              f"{described} on this version to compare with")
    probabilities = np.asarray(mine["probabilities"], dtype=float)
    compared = {}
    for other in earlier:
        theirs = quality_outcomes(other)
        if theirs is None or len(theirs["probabilities"]) != len(probabilities):
            continue
        difference = np.abs(np.asarray(theirs["probabilities"], dtype=float) - probabilities)
        compared[other.pk] = {
            "items_differing": int((difference.max(axis=1) > REPRODUCIBLE_TOLERANCE).sum()),
            "labels_differing": int(np.sum(np.asarray(theirs["predicted"])
                                           != np.asarray(mine["predicted"]))),
            "largest_difference": float(difference.max()) if difference.size else 0.0,
        }
    differing = {pk: figures for pk, figures in compared.items() if figures["items_differing"]}
    if differing:
        pk, figures = next(iter(differing.items()))
        message = (f"the same {described} gave other probabilities in "
                   f"evaluation #{pk} on {figures['items_differing']:,} of {len(probabilities):,} "
                   f"items ({figures['labels_differing']:,} other labels): its results cannot "
                   "be reproduced")
    else:
        message = (f"the same answers as {len(compared)} earlier evaluation"
                   f"{'s' if len(compared) != 1 else ''} of the same {described}")
    return {"check": "reproducibility", "identity": described, "compared": compared,
            "tolerance": REPRODUCIBLE_TOLERANCE, "flagged": bool(differing), "message": message}


def duplicate(evaluation, earlier, described):
    # Only a public submission is referred to: a private one is its owner's business. Its name
    # is not in the stored message either (it may be withdrawn later): `shown` adds it when the
    # reader may still see it.
    first = next((other for other in earlier if other.submission_id != evaluation.submission_id
                  and other.submission.public), None)
    if first is None:
        return not_applicable("duplicate", f"no other submission of the same {described} on "
                              "this version")
    return {"check": "duplicate", "identity": described, "flagged": True,
            "duplicate_of": {"submission_id": first.submission_id,
                             "name": first.submission.name, "evaluation_id": first.pk},
            "message": duplicate_message(described)}


def duplicate_message(described, duplicate_of=None):
    """What the duplicate flag says: which earlier submission it repeats when the reader may
    see that one, else only that there is one."""
    if duplicate_of is None:
        return f"the same {described} as another submission, evaluated earlier on this version"
    return (f"the same {described} as “{duplicate_of['name']}”, evaluated earlier "
            f"(evaluation #{duplicate_of['evaluation_id']})")


NEUTRAL_DUPLICATE = "the same files as another submission, evaluated earlier on this version"


def neutral_flags(flags):
    """Flags as anyone may read them: a duplicate's message names no earlier submission (flags
    stored before it stopped doing so still carry the name, and that one may be withdrawn)."""
    return [{**flag, "message": NEUTRAL_DUPLICATE}
            if isinstance(flag, dict) and flag.get("code") == FLAG_CODES["duplicate"] else flag
            for flag in flags or []]


def shown(checks, visible_submission_ids):
    """(checks, flags) of stored evidence as a reader sees them: the earlier submission a
    duplicate repeats is named only when it is among `visible_submission_ids` (the ones the
    reader may see now); otherwise the evidence keeps no reference to it."""
    checks = dict(checks or {})
    evidence = checks.get("duplicate")
    if evidence and evidence.get("duplicate_of"):
        referenced = evidence["duplicate_of"]
        described = evidence.get("identity", "files")
        if referenced["submission_id"] in visible_submission_ids:
            evidence = {**evidence, "message": duplicate_message(described, referenced)}
        else:
            evidence = {key: value for key, value in evidence.items() if key != "duplicate_of"}
            evidence["message"] = duplicate_message(described)
        checks["duplicate"] = evidence
    return checks, flags_of(checks)


def referenced_submission_ids(checks):
    """The submissions stored evidence refers to (for `shown` to ask which the reader sees)."""
    referenced = (checks or {}).get("duplicate", {}).get("duplicate_of")
    return [referenced["submission_id"]] if referenced else []
