"""The alias list that matching reads names through, as admins keep it.

Claims store their normalised text, so an edit applies to new claims at once and to the archive
after `renormalize` (the admin page offers it; `flask --app app claims renormalize` does it in
bulk with a progress bar).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workbench.audit import record
from workbench.matching import normalize
from workbench.models import Alias, Claim
from workbench.similar import load_aliases

PHRASE_MAX = 200
RENORMALIZE_BATCH = 2_000


class AliasError(ValueError):
    """The alias cannot be saved; the message says why."""


def list_aliases(session: Session) -> list[Alias]:
    return list(session.exec(select(Alias).order_by(Alias.canonical, Alias.phrase)).all())


def add_alias(session: Session, phrase: str, canonical: str, actor_id: int | None) -> Alias:
    phrase, canonical = " ".join(phrase.split()), " ".join(canonical.split())
    if not phrase or not canonical:
        raise AliasError("Give both the way of writing and the name it stands for.")
    if len(phrase) > PHRASE_MAX or len(canonical) > PHRASE_MAX:
        raise AliasError(f"Aliases are at most {PHRASE_MAX} characters.")
    if phrase == canonical:
        raise AliasError("An alias must differ from the name it stands for.")
    alias = Alias(phrase=phrase, canonical=canonical)
    session.add(alias)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise AliasError(f"“{phrase}” is already an alias; delete it first to change it.") from None
    after = {"phrase": phrase, "to": canonical}
    record(session, actor_id, "alias.add", "alias", alias.id, after=after)
    session.commit()
    return alias


def delete_alias(session: Session, alias_id: int, actor_id: int | None) -> None:
    alias = session.get(Alias, alias_id)
    if alias is None:
        raise AliasError("That alias no longer exists.")
    record(
        session,
        actor_id,
        "alias.delete",
        "alias",
        alias_id,
        before={"phrase": alias.phrase, "to": alias.canonical},
    )
    session.delete(alias)
    session.commit()


def renormalize(session: Session, progress: Callable[[int], None] | None = None) -> int:
    """Recompute every claim's matching key with the current aliases; returns how many changed.

    Works in batches of ids, one transaction each, so a large archive never holds a long lock.
    """
    aliases = load_aliases(session)
    changed = 0
    last_id = 0
    while True:
        rows = session.execute(
            sa.select(
                Claim.id, Claim.text, Claim.title, Claim.normalized_text, Claim.normalized_title
            )
            .where(Claim.id > last_id)
            .order_by(Claim.id)
            .limit(RENORMALIZE_BATCH)
        ).all()
        if not rows:
            break
        updates = []
        for claim_id, text, title, old_text, old_title in rows:
            new_text = normalize(text, aliases)
            new_title = normalize(title, aliases) if title else None
            if (new_text, new_title) != (old_text, old_title):
                updates.append(
                    {"id": claim_id, "normalized_text": new_text, "normalized_title": new_title}
                )
        if updates:
            session.execute(sa.update(Claim), updates)
        session.commit()
        changed += len(updates)
        last_id = rows[-1][0]
        if progress is not None:
            progress(len(rows))
    return changed


def claim_count(session: Session) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(Claim)).scalar_one()
