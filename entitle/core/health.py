"""Health endpoints for the load balancer: JSON, no log-in, nothing secret.

`/healthz` — the process answers (liveness: restart it if not).
`/readyz` — it can serve: the database answers, every migration is applied and the cache
answers (readiness: send it traffic only if so; 503 otherwise). A read replica's lag is reported
but does not make a server unready: reads fall back to the primary when the replica lags.
"""

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from entitle.core import routing

_migrations_applied = False  # once true, true for the life of the process (a release restarts it)


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        connections[DEFAULT_DB_ALIAS].close()
        return f"unreachable: {type(exc).__name__}"
    return "ok"


def _migrations() -> str:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            return f"{len(pending)} not applied"
        _migrations_applied = True
    return "ok"


def _cache() -> str:
    try:
        cache.set("entitle:readyz", "ok", timeout=10)
        return "ok" if cache.get("entitle:readyz") == "ok" else "not answering"
    except Exception as exc:  # any backend's connection error means "not ready"
        return f"unreachable: {type(exc).__name__}"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    database = _database()
    checks = {
        "database": database,
        "migrations": _migrations() if database == "ok" else "unknown",
        "cache": _cache(),
    }
    ready = all(value == "ok" for value in checks.values())
    body: dict = {"status": "ready" if ready else "unavailable", "checks": checks}
    if routing.replica_alias():
        lag = routing.replica_lag()
        body["replica"] = (
            {"status": "unreachable"}
            if lag is None
            else {"status": "ok", "lag_seconds": round(lag, 3)}
        )
    return JsonResponse(body, status=200 if ready else 503)
