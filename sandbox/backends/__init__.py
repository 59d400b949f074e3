"""Sandbox backends: each starts a runner under limits and returns its transport.

Adding a backend is one module with a `start(agent_dir, *, limits, trusted, **options)` function
returning a transport (see sandbox.transport), registered in BACKENDS.
"""

import logging

from sandbox.backends import bwrap, docker, local
from sandbox.client import ModelClient
from sandbox.errors import PlatformError
from sandbox.limits import Limits

logger = logging.getLogger(__name__)

BACKENDS = {
    "local": local.start,
    "docker": docker.start,
    "bwrap": bwrap.start,
}


def start_sandbox(agent_dir, *, backend="local", limits=Limits(), trusted=False, **options):
    """Start the agent in agent_dir and wait for its `hello`; returns a ready ModelClient.

    `options` go to the backend (local: allow_untrusted=False, env=None for extra variables;
    docker: image="safetygym-runner:1", runtime=None, cpus=2.0, env=None;
    bwrap: venv=None (var/runner/venv), env=None, max_processes=128, tmpfs_mb=64; every
    backend: huggingface=False, True when agent_dir is a Hugging Face model snapshot).
    """
    try:
        start = BACKENDS[backend]
    except KeyError:
        raise PlatformError(
            f"Unknown sandbox backend {backend!r}; known backends: {sorted(BACKENDS)}."
        ) from None
    transport = start(agent_dir, limits=limits, trusted=trusted, **options)
    client = ModelClient(transport, limits=limits, backend=backend)
    try:
        client.hello()
    except BaseException:
        client.close()
        raise
    return client


def reap_leftovers():
    """Remove what crashed workers of this host left behind: their sandbox containers and bwrap
    run folders (local runs die with their worker). Returns what was removed, as lines."""
    removed = []
    try:
        removed += [f"container {name}" for name in docker.reap_containers()]
    except PlatformError as error:  # no engine here, most likely: nothing to reap
        logger.info("No sandbox containers reaped: %s", error)
    folders = bwrap.reap_stale_runs()
    if folders:
        removed.append(f"{folders} bwrap run folder(s)")
    return removed
