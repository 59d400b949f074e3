"""What a load balancer or an orchestrator asks: can this process reach the database and the
queue's broker? `/healthz` answers 200 when both answer, else 503 naming what failed; the
`health` command does the same for a worker (no HTTP server there)."""

from django.db import connection
from django.http import JsonResponse
from django_q.brokers import get_broker


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "engine": connection.vendor}


def check_broker():
    broker = get_broker()
    broker.ping()  # Redis: raises when unreachable (the ORM broker is the database above)
    return {"ok": True, "broker": broker.info(), "queued": broker.queue_size()}


CHECKS = {"database": check_database, "broker": check_broker}


def check_services():
    """Every check's answer; a failed one carries the error instead of raising."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:  # any failure is the answer here, not a crash
            results[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return results


def healthz(request):
    results = check_services()
    healthy = all(result["ok"] for result in results.values())
    response = JsonResponse({"ok": healthy, **results}, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response
