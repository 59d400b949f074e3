"""Sandbox backends: each starts a runner under limits and returns its transport.

Adding a backend is one module with a `start(agent_dir, *, limits, trusted, **options)` function
returning a transport (see sandbox.transport), registered in BACKENDS.
"""

from sandbox.backends import local
from sandbox.client import ModelClient
from sandbox.errors import PlatformError
from sandbox.limits import Limits

BACKENDS = {
    "local": local.start,
}


def start_sandbox(agent_dir, *, backend="local", limits=Limits(), trusted=False, **options):
    """Start the agent in agent_dir and wait for its `hello`; returns a ready ModelClient.

    `options` go to the backend (local: allow_untrusted=False, env=None for extra variables).
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
