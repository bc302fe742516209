"""Who may use a view, said where the view is defined: one decorator per view.

    @bp.post("/<int:claim_id>/take")
    @allow(Role.EDITOR)
    def take(claim_id: int) -> Response: ...

The decorator only marks the view; the check that runs before every request (permissions.py)
reads the mark and refuses a view that has none, so a new route cannot be left open by
accident. A view has exactly one mark: a second one is an error when the module is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask

from workbench.models import Role

View = TypeVar("View", bound=Callable[..., Any])
_MARK = "workbench_access"


@dataclass(frozen=True)
class Access:
    """Who may use one view: anyone with at least `role` (None: anyone, logged in or not);
    `feed_token`: the caller shows a feed token (a feed reader has no session)."""

    role: Role | None
    feed_token: bool = False

    def admits(self, role: Role | None) -> bool:
        return self.role is None or (role is not None and role >= self.role)


def _mark(access: Access) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        if hasattr(view, _MARK):
            raise TypeError(
                f"{view.__qualname__} already says who may use it ({getattr(view, _MARK)}); "
                "give a view one access decorator."
            )
        setattr(view, _MARK, access)
        return view

    return decorator


def allow(role: Role) -> Callable[[View], View]:
    """Logged-in users with at least this role (a session, or an API token under /api/)."""
    return _mark(Access(role))


allow_anyone = _mark(Access(None))
"""Anyone, logged in or not: the log-in page, the API's description, static files."""

allow_feed_token = _mark(Access(Role.VIEWER, feed_token=True))
"""Whoever shows a feed token (or an API token) instead of a session: the alert feed."""


def access_of(view: Callable[..., Any]) -> Access | None:
    """The view's mark, or None when it has none (and is refused to everyone)."""
    return getattr(view, _MARK, None)


def access_table(app: Flask) -> dict[str, Access]:
    """endpoint -> its view's mark, for every marked view of the app."""
    table = {}
    for endpoint, view in app.view_functions.items():
        access = access_of(view)
        if access is not None:
            table[endpoint] = access
    return table


def required_roles(app: Flask) -> dict[str, Role | None]:
    """endpoint -> the least role that may use it (None: anyone), read from the views' marks."""
    return {endpoint: access.role for endpoint, access in access_table(app).items()}
