"""Newsroom settings an admin switches on a page: today, whether verdicts need a second editor's
sign-off.

The environment (`WORKBENCH_SIGN_OFF=1`, `Settings.sign_off`) gives the default; once an admin
has switched it on the Newsroom page, the stored choice (`NewsroomSetting` "sign_off") wins, so
every server process reads the same answer from the database.
"""

from __future__ import annotations

from sqlmodel import Session

from workbench.audit import record
from workbench.models import NewsroomSetting, utcnow

SIGN_OFF = "sign_off"


def sign_off_required(session: Session, default: bool) -> bool:
    """Whether a saved verdict is a draft until a second editor approves it."""
    stored = session.get(NewsroomSetting, SIGN_OFF)
    return default if stored is None else stored.value == "1"


def sign_off_chosen(session: Session) -> bool:
    """Whether an admin has made the choice (else the environment's default applies)."""
    return session.get(NewsroomSetting, SIGN_OFF) is not None


def set_sign_off(session: Session, actor_id: int | None, on: bool, default: bool) -> bool:
    """Switch sign-off on or off for the whole newsroom; audited. Returns the new value."""
    before = sign_off_required(session, default)
    stored = session.get(NewsroomSetting, SIGN_OFF)
    if stored is None:
        stored = NewsroomSetting(key=SIGN_OFF, value="")
    stored.value = "1" if on else "0"
    stored.updated_by_id = actor_id
    stored.updated_at = utcnow()
    session.add(stored)
    record(
        session,
        actor_id,
        "newsroom.sign_off",
        "newsroom_setting",
        0,
        before={"sign_off": before},
        after={"sign_off": on},
    )
    session.flush()
    return on
