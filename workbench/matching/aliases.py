"""The alias list that matching reads names through, and the synonym list it reads words
through, as admins keep them.

Claims store their normalised text, so an edit applies to new claims at once and to the archive
after `renormalize` (the admin page offers it; `flask --app app claims renormalize` does it in
bulk with a progress bar).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workbench.audit import record
from workbench.errors import Refused
from workbench.matching.normalize import AliasTable, normalize
from workbench.models import Alias, Claim, Synonym

PHRASE_MAX = 200
RENORMALIZE_BATCH = 2_000


class AliasError(Refused, ValueError):
    """The alias cannot be saved; the message says why."""


# The two lists matching reads through: names (aliases) and words (synonyms). Both are a phrase
# and what it reads as; synonyms are compared after stemming ("vowed" finds "vows").
LISTS: dict[str, type[Alias] | type[Synonym]] = {"alias": Alias, "synonym": Synonym}
A_KIND = {"alias": "an alias", "synonym": "a synonym"}


def load_aliases(session: Session) -> AliasTable:
    """The aliases and synonyms as admins left them; read per call so every worker sees an edit
    at once."""
    rows = session.exec(select(Alias.phrase, Alias.canonical)).all()
    synonyms = session.exec(select(Synonym.phrase, Synonym.canonical)).all()
    return _built(tuple(map(tuple, rows)), tuple(map(tuple, synonyms)))


@functools.lru_cache(maxsize=8)
def _built(
    aliases: tuple[tuple[str, str], ...], synonyms: tuple[tuple[str, str], ...]
) -> AliasTable:
    """The table for these lists, built once: reading the lists is two short queries, building
    the table from them most of what a similar-claims search spent before its own work."""
    return AliasTable.build(aliases, synonyms)


def list_aliases(session: Session, kind: str = "alias") -> list[Alias] | list[Synonym]:
    model = LISTS[kind]
    return list(session.exec(select(model).order_by(model.canonical, model.phrase)).all())


def add_alias(
    session: Session, phrase: str, canonical: str, actor_id: int | None, kind: str = "alias"
) -> Alias | Synonym:
    """Add an alias (a way of writing a name) or a synonym (a word read as another)."""
    phrase, canonical = " ".join(phrase.split()), " ".join(canonical.split())
    if not phrase or not canonical:
        raise AliasError("Give both the way of writing and what it stands for.")
    if len(phrase) > PHRASE_MAX or len(canonical) > PHRASE_MAX:
        raise AliasError(f"Both parts are at most {PHRASE_MAX} characters.")
    if phrase == canonical:
        raise AliasError(f"{A_KIND[kind].capitalize()} must differ from what it stands for.")
    entry = LISTS[kind](phrase=phrase, canonical=canonical)
    try:
        with session.begin_nested():  # a taken phrase undoes this insert only
            session.add(entry)
    except IntegrityError:
        raise AliasError(
            f"“{phrase}” is already {A_KIND[kind]}; delete it first to change it."
        ) from None
    after = {"phrase": phrase, "to": canonical}
    record(session, actor_id, f"{kind}.add", kind, entry.id, after=after)
    return entry


def delete_alias(
    session: Session, alias_id: int, actor_id: int | None, kind: str = "alias"
) -> None:
    entry = session.get(LISTS[kind], alias_id)
    if entry is None:
        raise AliasError(f"That {kind} no longer exists.")
    record(
        session,
        actor_id,
        f"{kind}.delete",
        kind,
        alias_id,
        before={"phrase": entry.phrase, "to": entry.canonical},
    )
    session.delete(entry)


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
