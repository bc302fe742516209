"""People who use the workbench: accounts, roles and passwords.

Passwords are hashed with argon2id; a hash made with older parameters is upgraded at the next
successful log-in.
"""

from __future__ import annotations

import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, func, select

from workbench.accounts import tokens
from workbench.audit import record
from workbench.errors import Refused
from workbench.models import Role, User

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
USERNAME_MAX = 80  # the column's length


class AccountError(Refused):
    """A request about an account that cannot be carried out; the message says why."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return _hasher.hash(password)


def clean_username(name: str) -> str:
    """A user name as stored and looked up: Unicode NFKC (fullwidth and compatibility forms
    become the plain letters they stand for), format characters (category Cf: zero-width spaces
    and joiners, direction marks, soft hyphens) removed, outer white space trimmed."""
    normal = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in normal if unicodedata.category(ch) != "Cf").strip()


def username_key(name: str) -> str:
    """What two user names are compared by: cleaned and case-folded, so `Editor`, `ＥＤＩＴＯＲ`
    and `edi\u200btor` are one name to the log-in throttle and to registration."""
    return clean_username(name).casefold()


def create_user(session: Session, username: str, password: str, role: Role) -> User:
    """A new account; refused when its name reads the same as an existing one (see
    username_key), so a look-alike of a colleague's name cannot be registered."""
    username = clean_username(username)
    if not username:
        raise AccountError("A user name is required.")
    if len(username) > USERNAME_MAX:
        raise AccountError(f"Keep the user name under {USERNAME_MAX} characters.")
    if any(unicodedata.category(ch).startswith(("C", "Z")) and ch != " " for ch in username):
        raise AccountError("A user name cannot contain control characters or unusual spaces.")
    key = username_key(username)
    for existing in session.exec(select(User.username)).all():
        if username_key(existing) == key:
            raise AccountError(
                f"There is already a user called {existing!r}; names that differ only in case, "
                "width or invisible characters count as the same name."
            )
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None; the caller commits a rehash if any."""
    user = session.exec(select(User).where(User.username == clean_username(username))).first()
    if user is None or not user.is_active:
        # Spend the same time as a real check so response times do not reveal user names.
        _hasher.hash(password or "-")
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def set_password(session: Session, user: User, password: str, actor_id: int | None = None) -> int:
    """Change a password, end every session the user had and revoke their API and feed tokens
    (someone who suspects a leak changes the password and expects every credential to die).
    Returns how many tokens were revoked; the caller commits."""
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    session.add(user)
    return tokens.revoke_all(session, actor_id, user.id)  # type: ignore[arg-type]


def find_user(session: Session, username: str) -> User:
    """The account with this name as typed (cleaned as at log-in); AccountError if none."""
    user = session.exec(select(User).where(User.username == clean_username(username))).first()
    if user is None:
        raise AccountError(f"There is no user called {username!r}.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.username)).all())


def set_active(session: Session, actor_id: int | None, user: User, active: bool) -> bool:
    """Disable an account (every session ends at once, its tokens stop working) or enable it
    again; returns whether anything changed. An admin cannot disable their own account, so the
    last admin cannot lock everyone out by a slip. The caller commits."""
    if not active and actor_id is not None and user.id == actor_id:
        raise AccountError("You cannot disable your own account; ask another administrator.")
    if user.is_active == active:
        return False
    user.is_active = active
    if not active:
        user.session_epoch += 1
    session.add(user)
    record(
        session,
        actor_id,
        "user.enable" if active else "user.disable",
        "user_account",
        user.id,
        after={"is_active": active},
    )
    return True


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def ensure_admin(session: Session, username: str = "admin") -> str | None:
    """Create the first admin when there are no users yet; returns its password, shown once."""
    if session.exec(select(func.count()).select_from(User)).one() > 0:
        return None
    password = generate_password()
    create_user(session, username, password, Role.ADMIN)
    return password
