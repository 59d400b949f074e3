"""What an evaluation ran with, recorded so that anyone can reproduce its numbers."""

from sandbox.runtime import this_runtime


def describe(evaluation, agent_info, sandbox_info):
    version = evaluation.benchmark_version
    submission = evaluation.submission
    return {
        "submission": {
            "kind": submission.kind,
            "agent_sha256": submission.agent_sha256,
            "trusted": submission.trusted,
            "labels": list(agent_info.labels),
            "label_mapping": submission.label_mapping,
            **model_provenance(submission),
        },
        "benchmark": {
            "slug": version.benchmark.slug,
            "version": version.number,
            "data_sha256": version.data_sha256,
            "split_seed": version.provenance.get("split_seed"),
            "suites": version.suites,
        },
        "sandbox": {**sandbox_info, "protocol": agent_info.protocol},
        # What the model ran with (the sandbox's interpreter and packages), where the sandbox
        # could tell; the worker's own is kept apart, as it runs the suites and the statistics.
        "python": sandbox_info.get("python"),
        "packages": sandbox_info.get("packages") or {},
        "worker": this_runtime(),
    }


def sandbox_summary(evaluation):
    """Which sandbox ran the model, in one line: "docker (safetygym-runner:1, sha256:7fa951f7…,
    runtime runc)"; just the backend's name when nothing more was recorded."""
    if not evaluation.backend:
        return ""
    sandbox = (evaluation.provenance or {}).get("sandbox", {})
    details = [
        sandbox.get("image"),
        (sandbox.get("image_id") or "")[:19] or None,
        sandbox.get("runtime") and f"runtime {sandbox['runtime']}",
        sandbox.get("bwrap_version"),
    ]
    details = [detail for detail in details if detail]
    return evaluation.backend + (f" ({', '.join(details)})" if details else "")


def model_provenance(submission):
    """A Hugging Face model's ID, the revision as submitted and the commit SHA that ran."""
    if submission.kind != "huggingface":
        return {}
    return {"model_id": submission.model_id, "requested_revision": submission.model_revision,
            "revision": submission.model_sha}
