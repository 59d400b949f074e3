"""`auto`: the strongest sandbox backend this machine can run, docker → bwrap → local."""

from sandbox.backends import bwrap, docker

AUTO_ORDER = ("docker", "bwrap")
AVAILABILITY = {"docker": docker.available, "bwrap": bwrap.available}


def resolve_backend(name, options_by_backend=None):
    """(backend, why): `name` itself unless it is "auto"; then the first available backend of
    AUTO_ORDER, or "local" with the reasons the others were passed over."""
    if name != "auto":
        return name, f"{name} (configured)"
    options_by_backend = options_by_backend or {}
    passed_over = []
    for candidate in AUTO_ORDER:
        ok, reason = AVAILABILITY[candidate](**options_by_backend.get(candidate, {}))
        if ok:
            return candidate, f"{candidate} (auto)"
        passed_over.append(f"{candidate}: {reason}")
    return "local", "local (auto; " + "; ".join(passed_over) + ")"
