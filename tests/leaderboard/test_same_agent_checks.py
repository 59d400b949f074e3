"""The same agent files (sha256) on one benchmark version twice: under another submission it is
flagged as a duplicate of the first; with other answers than before, as irreproducible; the
same submission evaluated again with the same answers is not flagged."""

import pytest

from leaderboard.hf_submission import create_model_submission
from leaderboard.submissions import create_agent_submission
from tests.conftest import KEYWORD_AGENT
from tests.hf_models import cached_classifier
from tests.leaderboard.conftest import evaluate_now

pytestmark = pytest.mark.django_db

# Deterministic within one run (the pre-flight repeat and the recheck pass), but its confidence
# follows the process id, so another run answers otherwise.
PROCESS_DEPENDENT_AGENT = """
import os

labels = ["negative", "positive"]
CONFIDENCE = 0.6 + (os.getpid() % 997) / 4000

def predict(inputs):
    return [[CONFIDENCE, 1 - CONFIDENCE] for _ in inputs]
"""


def test_the_same_files_under_another_name_are_a_duplicate(tiny_version, write_agent):
    folder = write_agent(KEYWORD_AGENT)
    first = evaluate_now(create_agent_submission(folder, name="Keywords"), tiny_version)
    copy = evaluate_now(create_agent_submission(folder, name="Keywords again"), tiny_version)
    assert first.integrity_flags == []
    assert first.integrity_checks["duplicate"]["applies"] is False
    assert [flag["code"] for flag in copy.integrity_flags] == ["duplicate_submission"]
    sha = copy.submission.agent_sha256
    # The stored message names no one (the earlier one may be withdrawn); pages add the name.
    assert copy.integrity_flags[0]["message"] == (
        f"the same agent files (sha256 {sha[:12]}) as another submission, evaluated earlier on "
        "this version")
    assert copy.integrity_checks["duplicate"]["duplicate_of"] == {
        "submission_id": first.submission_id, "name": "Keywords", "evaluation_id": first.pk}
    # The copy answered exactly as the original did.
    assert copy.integrity_checks["reproducibility"]["flagged"] is False
    assert copy.integrity_checks["reproducibility"]["compared"] == {
        str(first.pk): {"items_differing": 0, "labels_differing": 0, "largest_difference": 0.0}}


def test_other_answers_from_the_same_files_are_irreproducible(tiny_version, write_agent):
    submission = create_agent_submission(write_agent(PROCESS_DEPENDENT_AGENT), name="Drifting")
    first = evaluate_now(submission, tiny_version)
    again = evaluate_now(submission, tiny_version)
    assert first.integrity_flags == []
    assert [flag["code"] for flag in again.integrity_flags] == ["irreproducible"]
    figures = again.integrity_checks["reproducibility"]["compared"][str(first.pk)]
    assert figures["items_differing"] == 10 and figures["labels_differing"] == 0
    assert again.integrity_flags[0]["message"].endswith(
        f"gave other probabilities in evaluation #{first.pk} on 10 of 10 items (0 other "
        "labels): its results cannot be reproduced")
    # Evaluating one submission again is not a duplicate of itself.
    assert again.integrity_checks["duplicate"]["applies"] is False


def test_a_private_earlier_submission_is_not_named(tiny_version, write_agent):
    folder = write_agent(KEYWORD_AGENT)
    evaluate_now(create_agent_submission(folder, name="Secret", public=False), tiny_version)
    public = evaluate_now(create_agent_submission(folder, name="Public"), tiny_version)
    assert public.integrity_flags == []
    assert "Secret" not in str(public.integrity_checks)


@pytest.mark.slow  # two runs of a torch model: about 20 s
def test_a_hugging_face_model_is_known_by_its_id_and_commit(hf_cache, tiny_version, settings):
    settings.SANDBOX_ALLOW_UNTRUSTED_LOCAL = True  # tests run on the local backend
    sha = cached_classifier(hf_cache, "org/tiny", id2label=None)
    mapping = {"LABEL_0": "negative", "LABEL_1": "positive"}
    evaluations = []
    for name in ("Tiny", "Tiny again"):
        submission, _ = create_model_submission("org/tiny", versions=[tiny_version], queue=False,
                                                label_mapping=mapping)
        submission.name = name
        submission.save()
        evaluations.append(evaluate_now(submission, tiny_version))
    first, copy = evaluations
    # The snapshot the sandbox ran was read for evaluation texts too.
    assert first.integrity_checks["archive_texts"]["files"] >= 2
    assert first.integrity_flags == []
    assert copy.integrity_flags == [{
        "code": "duplicate_submission",
        "message": f"the same model (org/tiny at commit {sha[:12]}) as another submission, "
                   "evaluated earlier on this version"}]
    assert copy.integrity_checks["duplicate"]["duplicate_of"]["name"] == "Tiny"
