"""The application factory, configuration, health and readiness."""

from __future__ import annotations

import pytest

from core.app import create_app
from core.config import ConfigError, load_settings


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_reports_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"] == "embedded"


def test_readyz_reports_redis_when_configured(app, app_settings, redis_server):  # app: the schema
    app = create_app(**{**app_settings, "redis_url": redis_server.url})
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["redis"] == "ok"


def test_readyz_fails_when_redis_is_unreachable(app, app_settings):  # app: the schema
    from tests.services import free_port

    app = create_app(**{**app_settings, "redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["redis"].startswith("error")


def test_production_refuses_to_start_without_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"GONGKAI_ENV": "production", "GONGKAI_INSTANCE_PATH": str(tmp_path)})


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    env = {"GONGKAI_INSTANCE_PATH": str(tmp_path)}
    first = load_settings(env).secret_key
    assert len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert load_settings(env).secret_key == first


def test_database_defaults_to_sqlite_in_the_instance_folder(tmp_path):
    settings = load_settings({"GONGKAI_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert settings.database_url == f"sqlite:///{tmp_path / 'gongkai.sqlite'}"
    assert settings.redis_url is None


def test_unknown_page_is_a_translated_404(client):
    response = client.get("/no/such/page?lang=zh_Hans_CN")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_a_database_lost_at_the_requests_commit_is_the_translated_503(client, monkeypatch):
    """The view ran, then the database went away before the request's commit (in the
    ``after_request`` step): the visitor gets the translated 503 page, not a server error."""
    from sqlalchemy.exc import OperationalError

    from core import db

    def commit_lost() -> None:
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db, "commit", commit_lost)
    response = client.get("/?lang=zh_Hans_CN")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "服务暂时不可用" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_statement_refused_at_the_requests_commit_stays_a_server_error(client, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from core import db

    def commit_refused() -> None:
        raise IntegrityError("COMMIT", {}, Exception("duplicate key"))

    monkeypatch.setattr(db, "commit", commit_refused)
    with pytest.raises(IntegrityError):  # tests see it raised; production shows the 500 page
        client.get("/")


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
