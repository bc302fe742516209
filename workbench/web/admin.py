"""Admin screens: the alias and synonym lists that duplicate matching reads claims through."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from workbench import aliases
from workbench.db import get_session
from workbench.models import Role
from workbench.web.auth import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/aliases")
@role_required(Role.ADMIN)
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
@role_required(Role.ADMIN)
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
@role_required(Role.ADMIN)
def alias_delete(alias_id: int) -> Response:
    try:
        aliases.delete_alias(get_session(), alias_id, g.user.id, _kind())
    except aliases.AliasError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{_kind().capitalize()} deleted.", "success")
    return redirect(url_for("admin.alias_list"))


@bp.post("/aliases/apply")
@role_required(Role.ADMIN)
def alias_apply() -> Response:
    changed = aliases.renormalize(get_session())
    flash(f"Aliases re-applied: {changed} claim(s) now match differently.", "success")
    return redirect(url_for("admin.alias_list"))
