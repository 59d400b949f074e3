"""An engine lost or restarted mid-run is the platform's fault, not the model's: the run ends
with a PlatformError (requeued, never charged), and the container the engine could not remove
then is removed by the next start."""

import os
import socket
import threading
import time

import docker as docker_sdk
import pytest
from docker.errors import NotFound

from sandbox.backends import start_sandbox
from sandbox.errors import AgentError, PlatformError
from tests.conftest import skip_unless_backend_runs

from .conftest import BENCHMARK_LABELS, OWNER, QUICK, our_containers

pytestmark = pytest.mark.docker

ENGINE_SOCKET = "/var/run/docker.sock"

# Answers after 2 s: long enough for the engine to go away in the middle of a request.
SLOW_AGENT = """
import time
labels = ["rotten", "fresh"]

def predict(inputs):
    time.sleep(2)
    return [[0.5, 0.5] for _ in inputs]
"""


@pytest.fixture(autouse=True)
def engine():
    skip_unless_backend_runs("docker")
    client = docker_sdk.from_env()
    yield client
    for container in our_containers(client):
        container.remove(force=True)
    client.close()


class EngineRelay:
    """A Unix socket in front of the engine's; stop() cuts every connection through it, as an
    engine that went away does (the engine itself, shared with the machine, keeps running)."""

    def __init__(self, path):
        self.path = str(path)
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(self.path)
        self.listener.listen(16)
        self.connections = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # stopped
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(ENGINE_SOCKET)
            with self.lock:
                self.connections += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        self.listener.close()
        os.unlink(self.path)
        with self.lock:
            for connection in self.connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def after(seconds, action):
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def test_an_engine_that_goes_away_mid_request_is_a_platform_error(write_agent, monkeypatch,
                                                                  tmp_path, engine):
    relay = EngineRelay(tmp_path / "engine.sock")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{relay.path}")
    client = start_sandbox(write_agent(SLOW_AGENT), backend="docker", limits=QUICK)
    client.use_labels(BENCHMARK_LABELS)
    [left] = our_containers(engine)
    after(0.5, relay.stop).join()
    with pytest.raises(PlatformError, match="the Docker engine stopped answering") as raised:
        client.predict_proba(["a good film"])
    assert "not the submission's fault" in str(raised.value)
    client.close()

    # The engine is back (here: reached directly again); the container it could not remove
    # while away belongs to a live process, which the reapers leave alone: the next start
    # removes it.
    monkeypatch.delenv("DOCKER_HOST")
    assert engine.containers.get(left.id).labels["safetygym.owner"] == OWNER
    next_client = start_sandbox(write_agent(SLOW_AGENT), backend="docker", limits=QUICK)
    next_client.close()
    with pytest.raises(NotFound):
        engine.containers.get(left.id)


def test_a_container_the_engine_stops_mid_request_is_a_platform_error(write_agent, engine):
    # What an engine restart does to its containers (without live-restore): it stops them with
    # their stop signal, SIGTERM, as `docker stop` does.
    client = start_sandbox(write_agent(SLOW_AGENT), backend="docker", limits=QUICK)
    client.use_labels(BENCHMARK_LABELS)
    [container] = our_containers(engine)
    stopper = after(0.5, lambda: engine.api.stop(container.id, timeout=5))
    started = time.monotonic()
    with pytest.raises(PlatformError, match=r"the Docker engine stopped its container"):
        client.predict_proba(["a good film"])
    stopper.join()
    assert time.monotonic() - started < 10
    client.close()
    assert our_containers(engine) == []


def test_an_agent_that_sends_itself_the_engines_stop_signal_is_still_its_own_crash(write_agent):
    client = start_sandbox(write_agent("""
        import os, signal
        labels = ["rotten", "fresh"]

        def predict(inputs):
            os.kill(1, signal.SIGTERM)  # the container's init passes it on to the runner
            import time; time.sleep(5)
        """), backend="docker", limits=QUICK)
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(AgentError, match=r"killed by signal 15 \(SIGTERM\)"):
        client.predict_proba(["a good film"])
    client.close()
