"""The limits one sandboxed run is held to."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 2048  # all processes of the model together
    start_timeout_s: float = 120  # process start until the `hello` reply (imports, loading weights)
    request_timeout_s: float = 60  # one `predict` batch
    total_timeout_s: float = 3600  # the whole run, from process start
    batch_size: int = 64  # inputs per `predict` request
    max_line_bytes: int = 16 * 2**20  # one reply line
