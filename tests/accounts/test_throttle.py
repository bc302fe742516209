"""The log-in throttle, tried as someone who wants to lock an editor out: failures from one
address (however many, under whatever spelling of the name) do not stop the editor at their own
address; a spray from many addresses is still slowed; 20 parallel guesses still get only the free
evaluations; right passwords beside a wrong one are never told to wait; colleagues behind one
address do not pay for each other's typos; look-alike names cannot be registered."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import PASSWORD, committed, csrf_token
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from workbench.accounts import throttle
from workbench.accounts import users as accounts
from workbench.db import read_session
from workbench.models import LoginThrottle, Role

ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.10"
# One name, written five ways: all are counted as "editor".
SPELLINGS = ["editor", "EDITOR", "edi\u200btor", "ｅｄｉｔｏｒ", " Editor\u00ad "]


class Browser:
    """One person's browser at one address: a test client with its CSRF token."""

    def __init__(self, app: Flask, address: str) -> None:
        self.client: FlaskClient = app.test_client()
        self.address = address
        self.token = csrf_token(self.client)

    def login(self, username: str, password: str) -> int:
        response = self.client.post(
            "/auth/login",
            data={"username": username, "password": password, "csrf_token": self.token},
            environ_base={"REMOTE_ADDR": self.address},
        )
        if response.status_code == 302:  # log out again, so the next try is a fresh log-in
            self.client.get("/auth/login")
            self.client.delete_cookie("session")
            self.token = csrf_token(self.client)
        return response.status_code


def _let_waits_pass(engine: sa.Engine) -> None:
    """Move every failure back past the longest wait, but not past the time they are forgotten."""
    with committed(engine) as db:
        then = throttle.utcnow() - timedelta(seconds=throttle.MAX_WAIT_SECONDS + 1)
        db.execute(sa.update(LoginThrottle).values(last_failure_at=then))
        db.commit()


def _counts(engine: sa.Engine) -> dict[str, int]:
    with read_session(engine) as db:
        return dict(db.execute(sa.text("SELECT key, failures FROM login_throttle")).all())  # type: ignore[arg-type]


def _fail(engine: sa.Engine, browser: Browser, times: int, spellings: list[str]) -> int:
    """`times` recorded failures (waiting out each 429), cycling through the spellings; returns
    how many tries were told to wait."""
    failed = waited = 0
    while failed < times:
        status = browser.login(spellings[(failed + waited) % len(spellings)], "wrong password")
        if status == 429:
            waited += 1
            _let_waits_pass(engine)
        else:
            assert status == 401
            failed += 1
    return waited


@pytest.mark.parametrize("failures", [throttle.PAIR_FREE + 1, 60, 300])
def test_an_attackers_failures_from_one_address_do_not_stop_the_victim_at_theirs(
    app: Flask, engine: sa.Engine, users: dict[str, int], failures: int
) -> None:
    attacker = Browser(app, ATTACKER)
    waited = _fail(engine, attacker, failures, SPELLINGS)
    # Every spelling counted as one name: the attacker was slowed after the free tries.
    assert waited == failures - throttle.PAIR_FREE
    assert attacker.login("editor", "wrong password") == 429

    victim = Browser(app, VICTIM)
    assert victim.login("editor", PASSWORD) == 302
    # Even past the name's and the address's allowances (60, 300), one address adds at most
    # the pair's free tries to the name's count.
    assert _counts(engine)["user:editor"] == throttle.PAIR_FREE
    assert attacker.login("editor", PASSWORD) == 429  # the attacker's own pair still waits


def test_a_spray_across_addresses_is_still_slowed(
    app: Flask, engine: sa.Engine, users: dict[str, int]
) -> None:
    sprayers = throttle.USER_FREE // throttle.PAIR_FREE
    for number in range(sprayers):
        browser = Browser(app, f"192.0.2.{number + 1}")
        for _ in range(throttle.PAIR_FREE):
            assert browser.login("editor", "wrong password") == 401
    # The name has had its allowance from many addresses: a new address waits, right or wrong.
    fresh = Browser(app, "192.0.2.200")
    assert fresh.login("editor", PASSWORD) == 429
    response = fresh.client.post(
        "/auth/login",
        data={"username": "editor", "password": "guess", "csrf_token": fresh.token},
        environ_base={"REMOTE_ADDR": "192.0.2.201"},
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) == throttle.wait_for(
        throttle.USER_FREE, throttle.USER_FREE
    )
    _let_waits_pass(engine)
    assert Browser(app, VICTIM).login("editor", PASSWORD) == 302


def _at_once(tries: list[tuple[Browser, str, str]]) -> list[int]:
    """Send every try at the same moment, one thread each; their statuses, in order."""
    statuses: list[int] = [0] * len(tries)
    start = threading.Barrier(len(tries))

    def run(index: int) -> None:
        browser, username, password = tries[index]
        start.wait()
        statuses[index] = browser.login(username, password)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tries))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def test_twenty_parallel_guesses_get_only_the_free_evaluations(
    app: Flask, engine: sa.Engine, users: dict[str, int]
) -> None:
    browsers = [Browser(app, ATTACKER) for _ in range(20)]
    statuses = _at_once([(b, "editor", f"guess {n}") for n, b in enumerate(browsers)])
    assert Counter(statuses) == {401: throttle.PAIR_FREE, 429: 20 - throttle.PAIR_FREE}
    assert _counts(engine)[f"pair:{ATTACKER}|editor"] == throttle.PAIR_FREE


def test_right_log_ins_beside_a_wrong_one_are_never_told_to_wait(
    app: Flask, engine: sa.Engine, users: dict[str, int]
) -> None:
    rounds, right = 6, 7
    statuses: list[tuple[str, int]] = []
    for _ in range(rounds):
        tries = [(Browser(app, VICTIM), "editor", "typo")]
        tries += [(Browser(app, VICTIM), "editor", PASSWORD) for _ in range(right)]
        statuses += zip(["wrong"] + ["right"] * right, _at_once(tries), strict=True)
    told_to_wait = [s for kind, s in statuses if kind == "right" and s != 302]
    assert told_to_wait == [], f"{len(told_to_wait)} of {rounds * right} right log-ins refused"
    assert [s for kind, s in statuses if kind == "wrong"] == [401] * rounds


@pytest.fixture
def newsroom(engine: sa.Engine) -> list[str]:
    """Thirty editors behind one office address."""
    names = [f"reporter{n}" for n in range(30)]
    with committed(engine) as db:
        for name in names:
            accounts.create_user(db, name, PASSWORD, Role.EDITOR)
        db.commit()
    return names


def test_colleagues_behind_one_address_do_not_wait_for_each_others_typos(
    app: Flask, engine: sa.Engine, newsroom: list[str]
) -> None:
    office = "192.0.2.50"
    for name in newsroom:
        browser = Browser(app, office)
        for _ in range(throttle.PAIR_FREE - 1):
            assert browser.login(name, "typo") == 401
        assert browser.login(name, PASSWORD) == 302, name
    # 120 typos from the office, each cleared by its own success: nothing is left to wait on.
    counts = _counts(engine)
    assert counts[f"ip:{office}"] == 0
    assert not any(key.startswith("pair:") for key in counts)


def test_a_success_clears_only_the_counts_it_matches(
    app: Flask, engine: sa.Engine, users: dict[str, int]
) -> None:
    attacker, victim = Browser(app, ATTACKER), Browser(app, VICTIM)
    _fail(engine, attacker, throttle.PAIR_FREE, ["editor"])
    _fail(engine, victim, 2, ["Editor"])
    assert victim.login("editor", PASSWORD) == 302
    assert _counts(engine) == {
        f"pair:{ATTACKER}|editor": throttle.PAIR_FREE,
        "user:editor": throttle.PAIR_FREE,
        f"ip:{ATTACKER}": throttle.PAIR_FREE,
        f"ip:{VICTIM}": 0,
    }


@pytest.mark.parametrize(
    "name",
    [
        "EDITOR",
        "Editor",
        "edi\u200btor",
        "\u200beditor",
        "ｅｄｉｔｏｒ",
        "editor\u00ad",
        "\u202eeditor",
    ],
)
def test_a_look_alike_of_an_existing_name_cannot_be_registered(
    session: Session, users: dict[str, int], name: str
) -> None:
    with pytest.raises(accounts.AccountError, match="count as the same name"):
        accounts.create_user(session, name, PASSWORD, Role.VIEWER)


@pytest.mark.parametrize("name", ["bad\x00name", "tab\there", "line\u2028break"])
def test_a_name_with_control_characters_is_refused(session: Session, name: str) -> None:
    with pytest.raises(accounts.AccountError):
        accounts.create_user(session, name, PASSWORD, Role.VIEWER)


def test_names_are_stored_clean_and_log_in_as_typed(
    app: Flask, session: Session, users: dict[str, int]
) -> None:
    user = accounts.create_user(session, " ｊｏｓé\u200b ", PASSWORD, Role.VIEWER)
    session.commit()
    assert user.username == "josé"
    assert accounts.create_user(session, "editorial", PASSWORD, Role.VIEWER).username
    session.commit()
    assert Browser(app, VICTIM).login("jose\u0301", PASSWORD) == 302  # decomposed é
