from flask.testing import FlaskClient

from app import create_app
from workbench.config import Settings


def test_settings_from_environment_have_documented_defaults(tmp_path) -> None:
    settings = Settings.from_env({"WORKBENCH_INSTANCE": str(tmp_path)})
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'workbench.db'}"
    assert settings.max_upload_bytes == 5 * 1024 * 1024
    custom = Settings.from_env(
        {"DATABASE_URL": "postgresql+psycopg://u@h/db", "WORKBENCH_MAX_UPLOAD_BYTES": "1000"}
    )
    assert custom.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert custom.max_upload_bytes == 1000


def test_secret_key_is_generated_once_per_instance(settings) -> None:
    from dataclasses import replace

    unset = replace(settings, secret_key="")
    first = create_app({"WORKBENCH_SETTINGS": unset}).secret_key
    second = create_app({"WORKBENCH_SETTINGS": unset}).secret_key
    assert first == second and len(first) >= 32
    assert (settings.instance_dir / "secret_key").stat().st_mode & 0o077 == 0


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get("/claims/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
