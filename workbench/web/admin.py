"""Admin screens: the alias and synonym lists that duplicate matching reads claims through, the
users (disable an account, revoke anyone's tokens), and the newsroom's settings (sign-off)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from workbench.accounts import tokens, users
from workbench.db import get_session
from workbench.matching import aliases
from workbench.models import Role, User
from workbench.review import newsroom
from workbench.web.access import allow
from workbench.web.errors import back_to

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/aliases")
@allow(Role.ADMIN)
def alias_list() -> str:
    return _page({})


def _page(form: object) -> str:
    db = get_session()
    return render_template(
        "admin/aliases.html",
        aliases=aliases.list_aliases(db),
        synonyms=aliases.list_aliases(db, "synonym"),
        form=form,
        claims=aliases.claim_count(db),
    )


def _kind() -> str:
    """Which list a form is about: the aliases, or (list=synonym) the synonyms."""
    return "synonym" if request.form.get("list") == "synonym" else "alias"


@bp.post("/aliases")
@allow(Role.ADMIN)
def alias_add() -> Response | tuple[str, int]:
    db = get_session()
    form = request.form
    try:
        alias = aliases.add_alias(
            db, form.get("phrase", ""), form.get("canonical", ""), g.user.id, _kind()
        )
    except aliases.AliasError as exc:
        flash(str(exc), "error")
        return _page(form), 400
    flash(
        f"“{alias.phrase}” now reads as “{alias.canonical}” in new claims. "
        "Re-apply the lists to the archive when you have finished editing.",
        "success",
    )
    return redirect(url_for("admin.alias_list"))


@bp.post("/aliases/<int:alias_id>/delete")
@allow(Role.ADMIN)
def alias_delete(alias_id: int) -> Response:
    back = back_to(url_for("admin.alias_list"))
    aliases.delete_alias(get_session(), alias_id, g.user.id, _kind())
    flash(f"{_kind().capitalize()} deleted.", "success")
    return redirect(back)


@bp.post("/aliases/apply")
@allow(Role.ADMIN)
def alias_apply() -> Response:
    changed = aliases.renormalize(get_session())
    flash(f"Aliases re-applied: {changed} claim(s) now match differently.", "success")
    return redirect(url_for("admin.alias_list"))


# --- Users ---------------------------------------------------------------------------------------


@bp.get("/users")
@allow(Role.ADMIN)
def user_list() -> str:
    db = get_session()
    return render_template(
        "admin/users.html", users=users.list_users(db), live=tokens.live_counts(db)
    )


def _user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/users/<int:user_id>/<any(disable, enable):action>")
@allow(Role.ADMIN)
def user_switch(user_id: int, action: str) -> Response:
    """Disabling ends the user's sessions at once and stops their tokens; enabling lets them log
    in again (their tokens work again too, unless revoked)."""
    db = get_session()
    user = _user(user_id)
    back = back_to(url_for("admin.user_list"))
    users.set_active(db, g.user.id, user, action == "enable")
    db.commit()
    flash(
        f"{user.username} is disabled: their sessions have ended and their tokens no longer work."
        if action == "disable"
        else f"{user.username} may log in again.",
        "success",
    )
    return redirect(back)


@bp.post("/users/<int:user_id>/revoke-tokens")
@allow(Role.ADMIN)
def user_revoke_tokens(user_id: int) -> Response:
    db = get_session()
    user = _user(user_id)
    count = tokens.revoke_all(db, g.user.id, user.id)  # type: ignore[arg-type]
    db.commit()
    flash(f"Revoked {count} token(s) of {user.username}.", "success")
    return redirect(url_for("admin.user_list"))


# --- Newsroom ------------------------------------------------------------------------------------


@bp.get("/newsroom")
@allow(Role.ADMIN)
def newsroom_settings() -> str:
    db = get_session()
    default = current_app.config["WORKBENCH_SETTINGS"].sign_off
    return render_template(
        "admin/newsroom.html",
        sign_off=newsroom.sign_off_required(db, default),
        chosen=newsroom.sign_off_chosen(db),
        default=default,
    )


@bp.post("/newsroom")
@allow(Role.ADMIN)
def newsroom_switch() -> Response:
    """Switch sign-off for the whole newsroom; the choice wins over WORKBENCH_SIGN_OFF."""
    on = request.form.get("sign_off") == "1"
    default = current_app.config["WORKBENCH_SETTINGS"].sign_off
    newsroom.set_sign_off(get_session(), g.user.id, on, default)
    flash(
        "Sign-off is on: every new verdict is a draft until a second editor approves it."
        if on
        else "Sign-off is off: a saved verdict is published at once.",
        "success",
    )
    return redirect(url_for("admin.newsroom_settings"))
