"""/healthz and /readyz: what the load balancer asks every app server."""

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from entitle.core import health


@pytest.fixture(autouse=True)
def _forget_migration_check(monkeypatch):
    # The process remembers that migrations were applied; each test starts without knowing.
    monkeypatch.setattr(health, "_migrations_applied", False)


def test_healthz_answers_without_the_database():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ready_when_database_cache_and_migrations_are():
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "cache": "ok"},
    }


@pytest.mark.django_db
def test_readyz_is_unavailable_while_a_migration_is_not_applied():
    MigrationRecorder.Migration.objects.filter(app="licensing").order_by("-id")[:1].get().delete()
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["migrations"] == "1 not applied"


@pytest.mark.django_db
def test_readyz_is_unavailable_without_the_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",  # as production configures it
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("unreachable: ")
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_readyz_is_unavailable_without_the_database(tmp_path):
    connection = connections[DEFAULT_DB_ALIAS]
    real_name = connection.settings_dict["NAME"]
    connection.close()
    # A database that cannot be opened: a missing file, or a name the server does not have.
    connection.settings_dict["NAME"] = (
        str(tmp_path / "missing" / "db.sqlite3")
        if connection.vendor == "sqlite"
        else "entitle_no_such_database"
    )
    try:
        response = Client().get("/readyz")
    finally:
        connection.close()
        connection.settings_dict["NAME"] = real_name
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "unreachable: OperationalError",
        "migrations": "unknown",
        "cache": "ok",
    }


def test_health_endpoints_refuse_writes():
    assert Client().post("/healthz").status_code == 405
