"""The editors' review queue: which claims to look at first.

Until a learned ranker exists, priority is the check-worthiness score (see splitting.py for how it
is made), newest article first among equals.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from workbench.models import Article, Claim, ClaimStatus
from workbench.paging import Page, paginate


def list_claims(
    session: Session, page: int = 1, status: ClaimStatus | None = None
) -> Page[tuple[Claim, Article]]:
    statement = sa.select(Claim, Article).join(Article, Claim.article_id == Article.id)
    if status is not None:
        statement = statement.where(Claim.status == status)
    statement = statement.order_by(Claim.check_worthiness.desc(), Claim.id.desc())
    return paginate(session, statement, page)
