"""Every way a sandboxed model run can fail, one class per failure category.

The category is the stable code shown to users and in the API. The message says what went wrong
and what to change, in words the submitter understands; `log` holds the last lines the model
wrote to its error output (and a traceback when there is one), for the submission's owner.
"""


class SandboxError(Exception):
    category = "platform_error"

    def __init__(self, message, log=""):
        super().__init__(message)
        self.message = message
        self.log = log or ""


class AgentError(SandboxError):
    """The model's code raised, or its process died."""

    category = "agent_error"


class SandboxTimeout(SandboxError):
    """A wall-clock limit ran out; `limit` names it (e.g. "request_timeout_s")."""

    category = "timeout"

    def __init__(self, message, log="", *, limit=None, seconds=None):
        super().__init__(message, log)
        self.limit = limit
        self.seconds = seconds


class OutOfMemory(SandboxError):
    category = "out_of_memory"


class BadOutput(SandboxError):
    """The model answered, but not with what the protocol asks for."""

    category = "bad_output"


class InvalidSubmission(SandboxError):
    """The submission cannot be run as it is: archive, entry point, labels, input kind."""

    category = "invalid_submission"


class PlatformError(SandboxError):
    """Our fault, not the submitter's: never charged to a quota, requeued automatically.

    retryable=False: running it again cannot help (e.g. the stored agent no longer matches its
    hash), so the evaluation fails at once instead.
    """

    category = "platform_error"

    def __init__(self, message, log="", *, retryable=True):
        super().__init__(message, log)
        self.retryable = retryable


CATEGORIES = {
    cls.category: cls
    for cls in (
        AgentError,
        SandboxTimeout,
        OutOfMemory,
        BadOutput,
        InvalidSubmission,
        PlatformError,
    )
}
