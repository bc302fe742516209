"""The Flask application factory: configuration, database, blueprints, CLI. Nothing else."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from workbench import cli, db, web
from workbench.config import Settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    test_config = test_config or {}
    settings: Settings = test_config.get("WORKBENCH_SETTINGS") or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key
        or test_config.get("SECRET_KEY")
        or _instance_secret_key(settings.instance_dir),
        WORKBENCH_SETTINGS=settings,
        # Room for the form fields around the largest allowed file.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(test_config)

    CSRFProtect(app)
    db.init_app(app, settings)
    web.init_app(app)
    cli.init_app(app)
    return app


def _instance_secret_key(instance: Path) -> str:
    """A key made once per installation, so no one ships or forgets a default secret."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
