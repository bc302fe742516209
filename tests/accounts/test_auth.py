"""Log-in, log-out, sessions, redirects after log-in and CSRF protection."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from conftest import PASSWORD, AuthActions, committed, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from workbench.db import read_session
from workbench.models import Article, LoginThrottle, User

FAILED = "That user name and password do not match an active account."


def _post_login(
    client: FlaskClient, username: str, password: str, next_url: str = ""
) -> TestResponse:
    token = csrf_token(client)
    data = {"username": username, "password": password, "csrf_token": token}
    if next_url:
        data["next"] = next_url
    return client.post("/auth/login", data=data)


def _flashes(response: TestResponse) -> list[str]:
    return re.findall(r'<li class="flash error">([^<]*)</li>', response.get_data(as_text=True))


def _is_logged_in(client: FlaskClient) -> bool:
    response = client.get("/claims/")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/auth/login")
        return False
    assert response.status_code == 200
    return True


def _set_active(engine: sa.Engine, user_id: int, active: bool) -> None:
    with committed(engine) as db:
        user = db.get(User, user_id)
        user.is_active = active
        db.add(user)
        db.commit()


def test_login_with_the_right_password_redirects_and_logs_in(
    client: FlaskClient, auth: AuthActions
) -> None:
    assert not _is_logged_in(client)
    response = auth.login("editor")
    assert response.status_code == 302
    assert response.headers["Location"] == "/articles/"
    assert _is_logged_in(client)
    assert "editor (editor)" in client.get("/claims/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("username", "password"),
    [("editor", "wrong password!"), ("nobody", PASSWORD), ("editor", ""), ("", "")],
)
def test_failed_login_is_401_with_one_message_for_every_cause(
    client: FlaskClient, users: dict[str, int], username: str, password: str
) -> None:
    response = _post_login(client, username, password)
    assert response.status_code == 401
    assert _flashes(response) == [FAILED]
    assert not _is_logged_in(client)


def test_disabled_account_cannot_log_in(
    client: FlaskClient, engine: sa.Engine, users: dict[str, int]
) -> None:
    _set_active(engine, users["editor"], False)
    response = _post_login(client, "editor", PASSWORD)
    assert response.status_code == 401
    assert _flashes(response) == [FAILED]
    assert not _is_logged_in(client)


def test_disabling_an_account_ends_its_existing_session(
    client: FlaskClient, engine: sa.Engine, auth: AuthActions, users: dict[str, int]
) -> None:
    auth.login("editor")
    assert _is_logged_in(client)
    _set_active(engine, users["editor"], False)
    assert not _is_logged_in(client)
    # Re-enabling the account does not bring the old session back: it was cleared.
    _set_active(engine, users["editor"], True)
    assert not _is_logged_in(client)


def test_logout_ends_the_session_and_a_replayed_cookie(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("editor")
    cookie = client.get_cookie("session")
    assert cookie is not None

    replay = app.test_client()
    replay.set_cookie("session", cookie.value)
    assert _is_logged_in(replay)  # the copy works while the session is alive

    response = auth.logout()
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert not _is_logged_in(client)

    stolen = app.test_client()
    stolen.set_cookie("session", cookie.value)
    response = stolen.get("/articles/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_logging_in_again_after_logout_works(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("viewer")
    auth.logout()
    assert auth.login("viewer").status_code == 302
    assert _is_logged_in(client)


@pytest.mark.parametrize("next_url", ["/claims/", "/claims/?status=new&page=2", "/articles/new"])
def test_next_sends_to_a_local_path(
    client: FlaskClient, users: dict[str, int], next_url: str
) -> None:
    response = _post_login(client, "editor", PASSWORD, next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == next_url


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example",
        "//evil.example/articles/",
        "https://evil.example",
        "https://evil.example/articles/",
        "HTTPS://evil.example",
        "http:evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "articles/",
    ],
)
def test_next_to_another_site_falls_back_to_the_default_page(
    client: FlaskClient, users: dict[str, int], next_url: str
) -> None:
    response = _post_login(client, "editor", PASSWORD, next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/articles/"


@pytest.mark.parametrize("next_url", ["/\\evil.example", "/\\/evil.example", "/%2F/evil.example"])
def test_next_that_a_browser_might_read_as_another_host_stays_on_this_site(
    client: FlaskClient, users: dict[str, int], next_url: str
) -> None:
    # Browsers read a backslash as a slash; "/\evil.example" must not reach them as "//evil...".
    response = _post_login(client, "editor", PASSWORD, next_url)
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location.replace("\\", "/"))
    assert not parts.scheme and not parts.netloc
    assert location.startswith("/") and not location.replace("\\", "/").startswith("//")


def test_login_page_keeps_next_from_the_redirect(client: FlaskClient) -> None:
    response = client.get("/articles/new")
    assert response.status_code == 302
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/articles/new"' in login_page


def test_session_cookie_is_httponly_and_samesite_lax(auth: AuthActions) -> None:
    response = auth.login("editor")
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1
    attributes = {part.strip().split("=")[0].lower(): part for part in cookies[0].split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].strip() == "SameSite=Lax"


def test_login_without_csrf_token_is_refused(client: FlaskClient, users: dict[str, int]) -> None:
    response = client.post("/auth/login", data={"username": "editor", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert not _is_logged_in(client)


def test_login_with_a_forged_csrf_token_is_refused(
    client: FlaskClient, users: dict[str, int]
) -> None:
    csrf_token(client)
    response = client.post(
        "/auth/login",
        data={"username": "editor", "password": PASSWORD, "csrf_token": "forged"},
    )
    assert response.status_code == 400
    assert not _is_logged_in(client)


def test_logout_without_csrf_token_is_refused(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("editor")
    response = client.post("/auth/logout")
    assert response.status_code == 400
    assert _is_logged_in(client)


def test_article_form_without_csrf_token_is_refused(
    client: FlaskClient, engine: sa.Engine, auth: AuthActions
) -> None:
    auth.login("editor")
    response = client.post(
        "/articles/new",
        data={"title": "T", "text": "The city spent $12 million on the new bridge last year."},
    )
    assert response.status_code == 400
    with read_session(engine) as db:
        assert db.execute(sa.select(sa.func.count()).select_from(Article)).scalar_one() == 0


def test_a_password_change_ends_sessions_made_with_the_old_password(
    client: FlaskClient, auth: AuthActions, engine: sa.Engine, users: dict[str, int]
) -> None:
    from workbench.accounts.users import set_password

    auth.login("editor")
    assert _is_logged_in(client)
    with committed(engine) as db:
        set_password(db, db.get(User, users["editor"]), "a brand new password")
        db.commit()
    assert not _is_logged_in(client)
    assert _post_login(client, "editor", "a brand new password").status_code == 302


def test_session_cookie_is_secure_when_served_over_https(make_app, users: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    client = make_app(session_cookie_secure=True).test_client()
    response = _post_login(client, "editor", PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie


def test_repeated_failed_logins_are_slowed_down_for_that_name_and_address(
    client: FlaskClient, users: dict[str, int], engine: sa.Engine
) -> None:
    from workbench.accounts import throttle

    for _ in range(throttle.PAIR_FREE):
        assert _post_login(client, "editor", "wrong password").status_code == 401
    refused = _post_login(client, "editor", PASSWORD)  # even the right password must wait
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == throttle.wait_for(throttle.PAIR_FREE)
    assert "Too many failed log-ins" in refused.get_data(as_text=True)
    assert not _is_logged_in(client)
    # The same name written another way is the same name.
    assert _post_login(client, "EDITOR ", PASSWORD).status_code == 429

    # The editor at their own address is not held up by failures from this one (see
    # test_throttle.py for the lock-out cases).
    elsewhere = client.application.test_client()
    response = elsewhere.post(
        "/auth/login",
        data={"username": "editor", "password": PASSWORD, "csrf_token": csrf_token(elsewhere)},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 302
    # Once the wait has passed, the right password works here too and clears what it matches.
    with committed(engine) as db:
        then = throttle.utcnow() - timedelta(seconds=60)
        db.execute(sa.update(LoginThrottle).values(last_failure_at=then))
        db.commit()
    assert _post_login(client, "editor", PASSWORD).status_code == 302
    with read_session(engine) as db:
        counts = dict(db.execute(sa.text("SELECT key, failures FROM login_throttle")).all())
    assert counts == {"user:editor": 0, "ip:127.0.0.1": 0}


def test_wait_doubles_after_the_free_attempts_and_is_capped() -> None:
    from workbench.accounts import throttle

    waits = [throttle.wait_for(n) for n in range(throttle.PAIR_FREE + 4)]
    assert waits[: throttle.PAIR_FREE] == [0] * throttle.PAIR_FREE
    assert waits[throttle.PAIR_FREE :] == [2, 4, 8, 16]
    assert throttle.wait_for(100) == throttle.MAX_WAIT_SECONDS
    assert throttle.wait_for(10**6) == throttle.MAX_WAIT_SECONDS


def test_session_cookie_is_secure_on_an_https_request(
    client: FlaskClient, users: dict[str, int]
) -> None:
    token = csrf_token(client)
    response = client.post(
        "/auth/login",
        data={"username": "editor", "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/auth/login"},  # CSRF checks it over HTTPS
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie
    plain = _post_login(client.application.test_client(), "editor", PASSWORD)
    cookie = next(c for c in plain.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" not in cookie
