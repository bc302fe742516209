"""Admin screens: the alias list that duplicate matching reads names through."""

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
        form=form,
        claims=aliases.claim_count(db),
    )


@bp.post("/aliases")
@role_required(Role.ADMIN)
def alias_add() -> Response | tuple[str, int]:
    db = get_session()
    form = request.form
    try:
        alias = aliases.add_alias(db, form.get("phrase", ""), form.get("canonical", ""), g.user.id)
    except aliases.AliasError as exc:
        flash(str(exc), "error")
        return _page(form), 400
    flash(
        f"“{alias.phrase}” now reads as “{alias.canonical}” in new claims. "
        "Re-apply the aliases to the archive when you have finished editing.",
        "success",
    )
    return redirect(url_for("admin.alias_list"))


@bp.post("/aliases/<int:alias_id>/delete")
@role_required(Role.ADMIN)
def alias_delete(alias_id: int) -> Response:
    try:
        aliases.delete_alias(get_session(), alias_id, g.user.id)
    except aliases.AliasError as exc:
        flash(str(exc), "error")
    else:
        flash("Alias deleted.", "success")
    return redirect(url_for("admin.alias_list"))


@bp.post("/aliases/apply")
@role_required(Role.ADMIN)
def alias_apply() -> Response:
    changed = aliases.renormalize(get_session())
    flash(f"Aliases re-applied: {changed} claim(s) now match differently.", "success")
    return redirect(url_for("admin.alias_list"))
