"""One page of a longer list, with what a pager needs to draw itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

T = TypeVar("T")
DEFAULT_PER_PAGE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(
    session: Session, statement: Any, number: int, per_page: int = DEFAULT_PER_PAGE
) -> Page[Any]:
    """Rows of `statement` for page `number` (1-based; out-of-range numbers are clamped)."""
    count = sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    total = session.execute(count).scalar_one()
    last = max(1, -(-total // per_page))
    number = min(max(1, number), last)
    rows = session.execute(statement.limit(per_page).offset((number - 1) * per_page)).all()
    items = [row[0] if len(row) == 1 else row for row in rows]
    return Page(items=items, number=number, per_page=per_page, total=total)
